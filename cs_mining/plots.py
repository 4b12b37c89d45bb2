"""Plots: every function takes ``ax=None`` and returns the Axes.

Names in customer-service data come in every script (Tamil, Telugu, Latvian,
...).  cs_mining ships Noto Sans Tamil and Noto Sans Telugu (SIL Open Font
Licence, see ``cs_mining/fonts/OFL.txt``) next to matplotlib's own DejaVu Sans,
and draws inside :func:`plot_style`, which lists them as a font family:
matplotlib (3.6 and later) then takes each glyph from the first family that has
it, so no name is drawn as boxes.  Nothing here changes matplotlib's global
settings.

Examples
--------
>>> font_families()[:3]
['DejaVu Sans', 'Noto Sans Tamil', 'Noto Sans Telugu']
>>> with plot_style():
...     ax = new_axes(figsize=(3, 1))
...     label = ax.text(0, 0, "ఫిర్యాదు నమోదు")
>>> label.get_fontfamily()[:2]
['DejaVu Sans', 'Noto Sans Tamil']
>>> import matplotlib.pyplot as plt; plt.close(ax.figure)
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import matplotlib

__all__ = ["font_families", "plot_style", "new_axes", "save_figure", "plot_deviations",
           "plot_flowchart_deviations"]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
# DejaVu Sans comes with matplotlib and covers Latin (Latvian included),
# Greek, Cyrillic and the symbols we draw (≤, →); the Noto fonts add the
# Indic scripts it lacks.
_FAMILIES = ("DejaVu Sans", "Noto Sans Tamil", "Noto Sans Telugu")
_registered = False


def font_families() -> list[str]:
    """Return the font family fallback list used by every cs_mining plot.

    The first call registers the fonts shipped in ``cs_mining/fonts`` with
    matplotlib's font manager; later calls only return the list.

    Returns
    -------
    list of str
        Family names, most general first; matplotlib takes each glyph from
        the first family that has it.

    Examples
    --------
    >>> font_families()
    ['DejaVu Sans', 'Noto Sans Tamil', 'Noto Sans Telugu', 'sans-serif']
    """
    global _registered
    if not _registered:
        from matplotlib import font_manager

        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in sorted(FONT_DIR.glob("*.ttf")):
            if str(path) not in known:
                font_manager.fontManager.addfont(str(path))
        _registered = True
    return [*_FAMILIES, "sans-serif"]


def plot_style(**rc: Any) -> contextlib.AbstractContextManager:
    """Return a context manager that draws with cs_mining's fonts and settings.

    Text created inside it keeps its fonts afterwards.  SVG saved inside it
    keeps labels as ``<text>`` (``svg.fonttype='none'``), so names stay
    searchable and selectable; PNG and PDF draw the glyphs themselves.

    Parameters
    ----------
    **rc
        Further matplotlib settings for the block (``"font.size": 9``, ...).

    Returns
    -------
    contextlib.AbstractContextManager
        A :func:`matplotlib.rc_context`.

    Examples
    --------
    >>> import matplotlib
    >>> with plot_style(**{"font.size": 8}):
    ...     matplotlib.rcParams["font.size"], matplotlib.rcParams["svg.fonttype"]
    (8.0, 'none')
    """
    settings = {
        "font.family": font_families(),
        "svg.fonttype": "none",
        "pdf.fonttype": 42,
        "axes.unicode_minus": False,
    }
    settings.update(rc)
    # pyplot picks its backend (Jupyter's inline one) when first asked; asked
    # inside rc_context, the choice and its interactive mode would be undone on
    # exit and no later figure of the notebook would show.
    import matplotlib.pyplot  # noqa: F401

    matplotlib.rcParams["backend"]
    return matplotlib.rc_context(settings)


def new_axes(ax=None, *, figsize: tuple[float, float] = (6.4, 4.8)):
    """Return ``ax``, or the Axes of a new figure of ``figsize`` inches when None.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None, default=None
    figsize : (float, float), default=(6.4, 4.8)
        Width and height of a new figure, in inches.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = new_axes(figsize=(2, 1))
    >>> ax.figure.get_size_inches().tolist()
    [2.0, 1.0]
    >>> new_axes(ax) is ax
    True
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def save_figure(figure, path, **kwargs: Any) -> Path:
    """Save a figure (or the figure of an Axes) with cs_mining's settings.

    Use it rather than ``savefig`` for SVG: text stays text.

    Parameters
    ----------
    figure : matplotlib.figure.Figure or matplotlib.axes.Axes
    path : str or pathlib.Path
        The file; its suffix picks the format (``.png``, ``.svg``, ``.pdf``).
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.savefig`
        (``bbox_inches="tight"`` and ``dpi=150`` unless given).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> with plot_style():
    ...     ax = new_axes(figsize=(2, 1)); _ = ax.set_title("Pieteikuma reģistrēšana")
    >>> out = save_figure(ax, Path(tempfile.mkdtemp()) / "t.svg")
    >>> "Pieteikuma reģistrēšana" in out.read_text(encoding="utf-8")
    True
    >>> plt.close(ax.figure)
    """
    fig = getattr(figure, "figure", figure)
    if hasattr(figure, "get_figure") and not hasattr(figure, "savefig"):
        fig = figure.get_figure()
    path = Path(path)
    kwargs.setdefault("bbox_inches", "tight")
    kwargs.setdefault("dpi", 150)
    with plot_style():
        fig.savefig(path, **kwargs)
    return path


_KIND_COLOURS = {
    "unknown_activity": "#8e6c8a", "skipped_step": "#d1495b", "rework": "#edae49",
    "unexpected_transition": "#00798c", "wrong_start": "#30638e", "wrong_end": "#003d5b",
    "incomplete_case": "#9aa5b1", "unused_path": "#c9ccd1",
}


def plot_deviations(deviations, ax=None, *, top: int = 10):
    """Horizontal bars: cases per deviation, the first-ranked on top, coloured by kind.

    Parameters
    ----------
    deviations : pandas.DataFrame
        ``Comparison.deviations`` (columns ``kind``, ``source``, ``target``,
        ``activity``, ``cases``, ``case_share``).
    ax : matplotlib.axes.Axes or None, default=None
    top : int, default=10
        How many deviations, in their ranked order.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> table = pd.DataFrame({"kind": ["skipped_step", "rework"], "source": ["A", "B"],
    ...                       "target": ["C", "B"], "activity": ["B", "B"],
    ...                       "cases": [12, 5], "case_share": [0.12, 0.05]})
    >>> ax = plot_deviations(table)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['rework: B again (after B)', 'skipped_step: B (between A -> C)']
    >>> plt.close(ax.figure)
    """
    from .report.text import where

    rows = deviations[deviations["cases"] > 0].head(top).iloc[::-1]
    with plot_style():
        ax = new_axes(ax, figsize=(8, 0.45 * max(len(rows), 2) + 1.2))
        labels = [f"{r['kind']}: {where(r)}" for r in rows.to_dict("records")]
        colours = [_KIND_COLOURS.get(k, "#888888") for k in rows["kind"]]
        bars = ax.barh(range(len(rows)), rows["cases"], color=colours)
        ax.set_yticks(range(len(rows)), labels)
        for bar, share in zip(bars, rows["case_share"]):
            ax.annotate(f" {share:.1%}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        va="center", fontsize=8)
        ax.set_xlabel("cases")
        ax.set_title("Deviations from the flowchart (ranked by cases x time cost)")
        ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_flowchart_deviations(comparison, ax=None):
    """The flowchart with each step shaded by the share of cases deviating at it.

    A step is shaded when cases skip it, redo it, start or end at it, or leave
    it by an arrow the flowchart does not have; the darker, the larger the share.

    Parameters
    ----------
    comparison : Comparison
    ax : matplotlib.axes.Axes or None, default=None

    Returns
    -------
    matplotlib.axes.Axes
    """
    import numpy as np
    from matplotlib import colormaps, colors

    chart = comparison.flowchart
    by_label = {s.label: s.id for s in chart.steps}
    dev = comparison.deviations
    shares: dict[str, float] = {}
    for row in dev[dev["cases"] > 0].to_dict("records"):
        name = row["activity"] if row["kind"] != "unexpected_transition" else row["source"]
        if name in by_label:
            shares[by_label[name]] = shares.get(by_label[name], 0.0) + row["case_share"]
    cmap = colormaps["Reds"]
    top = max(shares.values(), default=0.0)
    highlight = {step: colors.to_hex(cmap(0.15 + 0.6 * float(np.sqrt(share / top))))
                 for step, share in shares.items()} if top else {}
    with plot_style():
        ax = chart.draw(ax=ax, highlight=highlight,
                        title=f"{chart.name}: where cases leave the flowchart")
    return ax
