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

__all__ = ["font_families", "plot_style", "new_axes", "save_figure"]

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
