"""plots: fonts that draw every script, and helpers that leave matplotlib's settings alone."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from cs_mining import plots

LABELS = {
    "Tamil": "வாடிக்கையாளர் அழைப்பு",
    "Telugu": "ఫిర్యాదు నమోదు",
    "Latvian": "Pieteikuma reģistrēšana",
}
FONT_DIR = Path(plots.__file__).resolve().parent / "fonts"


def missing_glyph_warnings(caught):
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def draw_labels(style: bool):
    """Draw every label to a PNG canvas; return the glyph warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        context = plots.plot_style() if style else matplotlib.rc_context(
            {"font.family": ["DejaVu Sans"]})
        with context:
            ax = plots.new_axes(figsize=(4, 2))
            for i, text in enumerate(LABELS.values()):
                ax.text(0.05, 0.2 + 0.3 * i, text)
            ax.figure.canvas.draw()
        plt.close(ax.figure)
    return missing_glyph_warnings(caught)


def test_shipped_fonts_and_licence_are_there():
    assert sorted(p.name for p in FONT_DIR.glob("*.ttf")) == [
        "NotoSansTamil-Regular.ttf", "NotoSansTelugu-Regular.ttf"]
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONT_DIR / "OFL.txt").read_text(
        encoding="utf-8")


def test_font_families_registers_the_shipped_fonts_once():
    families = plots.font_families()
    assert families == ["DejaVu Sans", "Noto Sans Tamil", "Noto Sans Telugu", "sans-serif"]
    for family, file in [("Noto Sans Tamil", "NotoSansTamil-Regular.ttf"),
                         ("Noto Sans Telugu", "NotoSansTelugu-Regular.ttf")]:
        found = font_manager.findfont(font_manager.FontProperties(family=family),
                                      fallback_to_default=False)
        assert Path(found) == FONT_DIR / file
    before = len(font_manager.fontManager.ttflist)
    plots.font_families()
    assert len(font_manager.fontManager.ttflist) == before


@pytest.mark.parametrize("script", list(LABELS))
def test_every_character_has_a_glyph_in_the_family_list(script):
    fonts = [FT2Font(font_manager.findfont(font_manager.FontProperties(family=f)))
             for f in plots.font_families()[:3]]
    missing = [c for c in LABELS[script] if not c.isspace()
               and not any(font.get_char_index(ord(c)) for font in fonts)]
    assert missing == []


def test_labels_draw_without_missing_glyph_warnings():
    assert draw_labels(style=True) == []


def test_without_the_shipped_fonts_matplotlib_does_warn():
    # Guards the test above: the warning it looks for is real.
    assert draw_labels(style=False) != []


def test_svg_keeps_labels_as_text(tmp_path):
    with plots.plot_style():
        ax = plots.new_axes(figsize=(4, 2))
        for i, text in enumerate(LABELS.values()):
            ax.text(0.05, 0.2 + 0.3 * i, text)
    out = plots.save_figure(ax, tmp_path / "labels.svg")
    plt.close(ax.figure)
    svg = out.read_text(encoding="utf-8")
    for text in LABELS.values():
        assert f">{text}</text>" in svg


def test_plot_style_leaves_global_settings_alone():
    before = dict(matplotlib.rcParams)
    with plots.plot_style(**{"font.size": 7}):
        assert matplotlib.rcParams["font.size"] == 7
        assert matplotlib.rcParams["svg.fonttype"] == "none"
    assert dict(matplotlib.rcParams) == before


def test_new_axes_uses_the_given_axes_or_makes_a_figure():
    ax = plots.new_axes(figsize=(3, 2))
    assert ax.figure.get_size_inches().tolist() == [3.0, 2.0]
    assert plots.new_axes(ax) is ax
    plt.close(ax.figure)


def _small_comparison():
    from cs_mining import compare
    from cs_mining.flowchart import FlowchartBuilder
    from cs_mining.testing import log_from_text

    chart = (FlowchartBuilder("Tickets").start("s").step("open", "Open")
             .step("solve", "Solve").step("close", "Close").end("e")
             .chain("s", "open", "solve", "close", "e").build())
    log = log_from_text("""
        T1: Open 09:00, Solve 10:00, Close 11:00
        T2: Open 09:00, Close 09:10
        T3: Open 09:00, Close 09:20
        T4: Open 09:00, Solve 09:30, Solve 12:00, Close 13:00
    """)
    return compare(log, chart)


def test_plot_deviations_draws_one_bar_per_deviation_in_rank_order():
    import matplotlib.pyplot as plt

    result = _small_comparison()
    ax = result.plot_deviations()
    widths = [p.get_width() for p in ax.patches]
    # barh draws bottom-up: the first-ranked deviation is the last bar.
    assert widths[::-1] == result.deviations["cases"].tolist() == [1, 2]
    assert [t.get_text() for t in ax.get_yticklabels()][::-1] == [
        "rework: Solve again (after Solve)", "skipped_step: Solve (between Open -> Close)"]
    plt.close(ax.figure)


def test_plot_flowchart_shades_only_steps_with_deviations():
    import matplotlib.pyplot as plt

    ax = _small_comparison().plot_flowchart()
    fills = {p.get_gid(): p.get_facecolor() for p in ax.patches
             if (p.get_gid() or "").startswith("node:")}
    plain = fills["node:open"]
    assert fills["node:close"] == plain
    assert fills["node:solve"] != plain
    plt.close(ax.figure)
