from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
REAL = ROOT.parent / "shared" / "datasets" / "real"

requires_real = pytest.mark.skipif(
    not REAL.exists(), reason=f"real logs not found at {REAL} (../shared/datasets/real)")


@pytest.fixture(autouse=True)
def _matplotlib_agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
