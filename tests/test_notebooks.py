"""Every notebook runs top to bottom on the sample logs, and is committed without outputs."""

import re
import shutil

import pytest

from conftest import ROOT, SAMPLES

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

try:
    import ipykernel  # noqa: F401
    import nbformat
    from nbclient import NotebookClient
    MISSING = None
except ImportError as exc:  # the test extras install them
    MISSING = f"nbclient, nbformat and ipykernel are needed to run notebooks ({exc})"


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:2] == ["01_compare_helpdesk.ipynb",
                                               "02_simulated_truth.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    assert '"output_type"' not in path.read_text(encoding="utf-8")


def run(path, tmp_path):
    """Execute a copy of the notebook in tmp_path/notebooks, next to the sample logs."""
    if MISSING:
        pytest.skip(MISSING)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (tmp_path / "sample_logs").symlink_to(SAMPLES)
    copy = folder / path.name
    shutil.copy(path, copy)
    notebook = nbformat.read(copy, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def outputs(notebook, mime="text/plain"):
    """Every text output of the code cells, one string per cell."""
    texts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                parts.append(out["text"])
            elif out["output_type"] in ("execute_result", "display_data"):
                parts.append(out["data"].get(mime, ""))
        texts.append("".join(parts))
    return texts


def errors(notebook):
    return [out for cell in notebook.cells for out in cell.get("outputs", [])
            if out["output_type"] == "error"]


def test_compare_helpdesk_notebook(tmp_path):
    notebook = run(ROOT / "notebooks" / "01_compare_helpdesk.ipynb", tmp_path)
    assert errors(notebook) == []
    text = "\n".join(outputs(notebook))
    html = "\n".join(outputs(notebook, "text/html"))
    # the load report and the comparison render as HTML, and print as text
    assert "Event log helpdesk.csv" in html and "Comparison with flowchart Helpdesk ticket" in html
    assert "rows read" in text and "21,348" in text
    assert "<Comparison 'Helpdesk ticket': 4,580 cases" in text
    assert sum("image/png" in out.get("data", {}) for cell in notebook.cells
               for out in cell.get("outputs", [])) == 3
    exported = tmp_path / "out" / "helpdesk_comparison.json"
    assert exported.exists() and (tmp_path / "out" / "helpdesk_comparison.html").exists()


def test_simulated_truth_notebook_finds_what_was_planted(tmp_path):
    notebook = run(ROOT / "notebooks" / "02_simulated_truth.ipynb", tmp_path)
    assert errors(notebook) == []
    text = "\n".join(outputs(notebook))
    counts = re.search(r"(\d+) planted, (\d+) found, (\d+) missed or extra, (\d+) with other "
                       r"cases than planted", text)
    planted, found, missed, wrong = map(int, counts.groups())
    assert planted == found > 0 and missed == wrong == 0
    conforming = re.search(r"conforming tickets: ([\d,]+) found, ([\d,]+) planted", text)
    assert conforming.group(1) == conforming.group(2)
    relayed = re.search(r"(\d+) calls relayed to billing.*\nplanted in: (\d+) calls", text)
    # 4% of 2,000 calls
    assert relayed.group(1) == relayed.group(2) == "80"
    assert "Comparison" in "\n".join(outputs(notebook, "text/html"))
