"""HTML for Jupyter and for standalone report files; every name from the data is escaped.

A report file stands alone: its styles are inline, its figures are PNG data URIs,
and it has no script, web font or link to fetch, so it opens offline, in a mail
client or an archive years later, and prints as it shows.  The Jupyter fragment
is the same markup without figures, page styles or the table of contents, its
styles scoped to ``.csm`` so that they leave the notebook alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from ..flowchart.model import format_duration, format_total
from .text import (AREAS_OVERLAP, bottleneck_basis, most_frequent, share_text, target_rows,
                   where)

__all__ = ["comparison_html", "html_table", "figure_img"]


class _Raw(str):
    """A table cell that is markup already (its data parts escaped by the caller)."""


_STYLE = """<style>
.csm {font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Helvetica, Arial,
  sans-serif; font-size: 14px; line-height: 1.45}
.csm .csm-title {font-size: 1.4em; font-weight: 600; margin: .2em 0 .2em; line-height: 1.25}
.csm .csm-sec {font-size: 1.12em; font-weight: 600; margin: 1.3em 0 .3em; padding: 4px 0;
  border-bottom: 2px solid rgba(127, 127, 127, .35); line-height: 28px}
.csm .csm-meta {margin: .15em 0; opacity: .85}
.csm .csm-kpis {display: flex; flex-wrap: wrap; gap: 8px; margin: .7em 0 .5em; padding: 0}
.csm .csm-kpi {border: 1px solid rgba(127, 127, 127, .4); border-radius: 6px; padding: 5px 12px;
  min-width: 7em; margin: 0}
.csm .csm-kpi dt {font-size: .78em; text-transform: uppercase; letter-spacing: .04em;
  opacity: .75}
.csm .csm-kpi dd {margin: 0}
.csm .csm-kpi .v {font-size: 1.55em; font-weight: 600; font-variant-numeric: tabular-nums;
  line-height: 1.2}
.csm .csm-kpi .s {font-size: .8em; opacity: .75}
.csm table.csm-t {border-collapse: collapse; margin: 4px 0 6px; table-layout: auto;
  font-size: 1em}
.csm .csm-t th[scope=row] {font-weight: normal; opacity: .8; white-space: nowrap}
.csm .csm-t th, .csm .csm-t td {border-bottom: 1px solid rgba(127, 127, 127, .3);
  padding: 3px 8px; text-align: left; vertical-align: top}
.csm .csm-t th {font-weight: 600; border-bottom: 2px solid rgba(127, 127, 127, .5)}
.csm .csm-t .n {text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap}
.csm .csm-t th.n {white-space: normal}
.csm .csm-t .k {white-space: nowrap; font-family: ui-monospace, "SFMono-Regular", Menlo,
  Consolas, monospace; font-size: .9em}
.csm .how {font-size: .9em; opacity: .8; margin: .1em 0 .5em; max-width: 62em}
.csm .ev {font-size: .85em; opacity: .75}
.csm .nw {white-space: nowrap}
.csm .alert {border-left: 4px solid #c98a00; background: rgba(201, 138, 0, .1);
  padding: .3em .8em; margin: .6em 0}
.csm figure {margin: .8em 0 1.4em}
.csm figcaption {font-size: .9em; max-width: 62em; margin-top: .3em}
.csm img {max-width: 100%; height: auto}
</style>"""

# In <head>, before the fragment's styles: a rule here that overrides one of those needs a
# more specific selector.
_PAGE_STYLE = """<style>
:root {color-scheme: light}
body {margin: 0; background: #fff; color: #1b1f24}
.csm-page {max-width: 1180px; margin: 0 auto; padding: 18px 28px 40px}
.csm-page header {border-bottom: 1px solid rgba(127, 127, 127, .35); padding-bottom: .6em}
.csm-page .csm-toc {font-size: .9em; margin: .6em 0 0}
.csm-page .csm-toc a {margin-right: 1.1em; color: #1f5f99; text-decoration: none;
  white-space: nowrap}
.csm-page .csm-toc a:hover {text-decoration: underline}
.csm-page .alert a {color: #1f5f99}
.csm-page table.csm-t {width: 100%}
.csm-page table.csm-t.narrow {width: auto}
.csm-page .csm-sec {position: sticky; top: 0; z-index: 2; background: #fff}
.csm-page .csm-t thead th {position: sticky; top: 38px; z-index: 1; background: #fff}
.csm-page section {scroll-margin-top: 4px}
.csm-page footer {margin-top: 2.5em; font-size: .85em; opacity: .7}
@media print {
  @page {margin: 14mm}
  .csm.csm-page {font-size: 9.5pt}
  .csm-page a {color: inherit}
  .csm-page {max-width: none; padding: 0}
  .csm-page .csm-toc {display: none}
  .csm-page .csm-sec, .csm-page .csm-t thead th {position: static}
  .csm-page .csm-sec {break-after: avoid}
  .csm tr, .csm figure, .csm .csm-kpi, .csm .how {break-inside: avoid}
  .csm figure img {max-height: 225mm; width: auto}
  .csm .alert {print-color-adjust: exact; -webkit-print-color-adjust: exact}
  .csm-page footer {margin-top: 1em}
}
</style>"""

_RANKED = {
    "act": "Deviations and bottlenecks together, ranked by the customer time at stake: for a "
           "deviation its cases x time cost (0 when it makes cases faster), for a bottleneck "
           "the waiting time above the target (or above the usual wait), summed over cases. "
           + AREAS_OVERLAP,
    "deviations": "Ranked by cases x time cost, where the time cost is the median throughput "
                  "time of the affected cases minus that of the conforming cases; deviations "
                  "that make cases faster rank low, and share is of all cases.",
    "accepted": "Departures the flowchart lists as accepted: they do not count against "
                "conformance, and are ranked like the deviations above.",
    "targets": "One row per time target of the flowchart, steps first and the whole case last; "
               "a breach is a wait (for the whole case, its throughput time with paused "
               "time left out) strictly longer than the target, and share is breaching cases "
               "over the cases that had such a wait.",
}

_SECTION_TITLES = {"act": "Where to act first", "deviations": "Deviations",
                   "bottlenecks": "Bottlenecks", "targets": "Time targets", "figures": "Figures",
                   "accepted": "Accepted deviations", "notes": "Notes and caveats",
                   "flowchart": "Flowchart"}


def _cell(value) -> str:
    if isinstance(value, _Raw):
        return str(value)
    # a browser may break a line after the hyphen of "->"
    return escape(str(value)).replace("-&gt;", "<span class='nw'>-&gt;</span>")


def html_table(header: Sequence[str], rows: Sequence[Sequence], numeric: tuple[int, ...] = (),
               *, kinds: tuple[int, ...] = (), wide: bool = True) -> str:
    """Return an HTML table; every cell and heading is escaped.

    Parameters
    ----------
    header : sequence of str
        Column headings.
    rows : sequence of sequences
        Cells, converted with ``str``.
    numeric : tuple of int, default=()
        Columns to right-align with tabular figures (counts, shares, durations).
    kinds : tuple of int, default=()
        Columns holding deviation kinds or other identifiers (kept on one line).
    wide : bool, default=True
        Take the page's full width in a report file.

    Returns
    -------
    str

    Examples
    --------
    >>> table = html_table(["where", "cases"], [["<b>Open</b>", "1,204"]], numeric=(1,))
    >>> "<td>&lt;b&gt;Open&lt;/b&gt;</td>" in table, "<td class='n'>1,204</td>" in table
    (True, True)
    """
    def cls(i: int, cell: bool = True) -> str:
        return " class='n'" if i in numeric else " class='k'" if cell and i in kinds else ""

    head = "".join(f"<th scope='col'{cls(i, False)}>{escape(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{_cell(c)}</td>" for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    table_class = "csm-t" if wide else "csm-t narrow"
    return (f"<table class='{table_class}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _kv_table(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th scope='row'>{escape(k)}</th><td>{escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<table class='csm-t narrow'><tbody>{body}</tbody></table>"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def figure_img(draw: Callable, alt: str) -> str:
    """Return an ``<img>`` tag holding the PNG of the Axes that ``draw()`` returns.

    The glyphs are drawn into the picture, so names in any script show without
    the reader's fonts; the figure is closed afterwards.

    Parameters
    ----------
    draw : callable
        Called without arguments; returns a matplotlib Axes.
    alt : str
        The image's text alternative (escaped).

    Returns
    -------
    str
        ``<img alt=... width=... height=... src='data:image/png;base64,...'>``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> tag = figure_img(lambda: plt.subplots(figsize=(2, 1))[1], "A <b>test</b>")
    >>> tag.startswith("<img alt='A &lt;b&gt;test&lt;/b&gt;'"), "data:image/png;base64," in tag
    (True, True)
    """
    import base64
    import io

    import matplotlib.pyplot as plt

    from ..plots import plot_style

    ax = draw()
    buffer = io.BytesIO()
    with plot_style():
        ax.figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)
    png = buffer.getvalue()
    width, height = _png_size(png)
    data = base64.b64encode(png).decode("ascii")
    return (f"<img alt='{escape(alt)}' width='{width}' height='{height}' "
            f"src='data:image/png;base64,{data}'>")


# ----------------------------------------------------------------------------- parts

def _kpi(key: str, label: str, value: str, sub: str = "") -> str:
    return (f"<div class='csm-kpi' data-kpi='{key}'><dt>{escape(label)}</dt>"
            f"<dd class='v'>{escape(value)}</dd>"
            + (f"<dd class='s'>{escape(sub)}</dd>" if sub else "") + "</div>")


def _header(result, title_tag: str, sections: list[str], full_page: bool) -> str:
    log, c = result.log_summary, result.conformance
    chart = result.flowchart
    kpis = [
        _kpi("fitness", "Fitness", f"{c['fitness']:.3f}", "token-based replay (pm4py)"),
        _kpi("conforming", "Conforming", share_text(c["conforming_case_share"]),
             f"{c['conforming_cases']:,} of {c['cases']:,} cases"),
        _kpi("cases", "Cases", f"{c['cases']:,}", f"{log['variants']:,} variants"),
        _kpi("events", "Events", f"{log['events']:,}", f"{log['activities']:,} activities"),
        _kpi("rejected", "Rejected rows", f"{log['rejected_rows']:,}", "set aside on loading"),
        _kpi("deviations", "Deviations", f"{len(result.deviations):,}",
             f"{len(result.accepted_deviations):,} accepted"),
    ]
    if c.get("alignment_fitness") is not None:
        kpis.insert(2, _kpi("alignment_fitness", "Alignment fitness",
                            f"{c['alignment_fitness']:.3f}",
                            f"{c['aligned_variants']:,} variants, "
                            f"{share_text(c['aligned_case_share'])} of cases"))
    period = (f"{log['first_event'][:10]} to {log['last_event'][:10]}"
              if log.get("first_event") else "no events")
    source = log.get("source")
    meta = [(f"Log <strong>{escape(source)}</strong>, " if source else "Events ")
            + f"{escape(period)}; flowchart <strong>{escape(chart.name)}</strong>"
            + (f" ({escape(str(chart.path))})" if chart.path else "")]
    if result.options.get("open_after"):
        meta.append(f"Open cases: a case whose last event is at or after "
                    f"{escape(result.options['open_after'])} and ends early counts as "
                    "incomplete_case, not wrong_end.")
    parts = ["<header>",
             f"<{title_tag} class='csm-title'>Comparison with flowchart "
             f"{escape(chart.name)}</{title_tag}>",
             "".join(f"<p class='csm-meta'>{m}</p>" for m in meta),
             "<dl class='csm-kpis'>" + "".join(kpis) + "</dl>"]
    notes = getattr(result, "notes", [])
    if notes:
        where_ = "<a href='#notes'>Notes and caveats</a>" if full_page else "Notes and caveats"
        parts.append(f"<p class='alert'>{len(notes)} note{'s' if len(notes) > 1 else ''} on "
                     f"how far these numbers go: see {where_} below.</p>")
    if full_page:
        parts.append("<nav class='csm-toc'>" + "".join(
            f"<a href='#{key}'>{escape(_SECTION_TITLES[key])}</a>" for key in sections)
            + "</nav>")
    parts.append("</header>")
    return "\n".join(parts)


def _cost(seconds, sign: bool = True) -> str:
    if seconds is None or seconds != seconds:
        return "-"
    return ("+" if sign and seconds > 0 else "") + format_duration(seconds)


def _deviation_table(frame, limit: int) -> str:
    rows = [[i, row["kind"], where(row), f"{row['cases']:,}", share_text(row["case_share"]),
             _cost(row["time_cost_s"]), _cost(row["impact_s"], sign=False)]
            for i, row in enumerate(frame.head(limit).to_dict("records"), start=1)]
    return html_table(["#", "kind", "where", "cases", "share", "time cost", "cases x cost"],
                      rows, numeric=(0, 3, 4, 5, 6), kinds=(1,))


def _more(total: int, limit: int, where_all: str) -> str:
    return (f"<p class='ev'>... and {total - limit:,} more ({where_all} lists all).</p>"
            if total > limit else "")


def _act(result) -> str:
    from ..improve import improvement_areas

    areas = improvement_areas(result, top=10)
    if not len(areas):
        return ""
    rows = [[a["rank"], a["where"], a["kind"], f"{a['cases']:,}", format_total(a["impact_s"]),
             _Raw(f"{escape(a['question'])}<div class='ev'>{escape(a['evidence'])}"
                  + (f"; for example{' (longest waits)' if a['area'] == 'bottleneck' else ''} "
                     f"{escape(', '.join(a['example_cases']))}"
                     if a["example_cases"] else "") + "</div>")]
            for a in areas.to_dict("records")]
    return html_table(["#", "where", "kind", "cases", "time at stake", "what to find out"],
                      rows, numeric=(0, 3, 4), kinds=(2,))


def _deviations(result, limit: int, full_page: bool) -> str:
    dev = result.deviations
    if not len(dev):
        return "<p>None: every case follows the flowchart.</p>"
    parts = [_deviation_table(dev, limit),
             _more(len(dev), limit, "the JSON report" if full_page else "result.deviations")]
    frequent = most_frequent(dev.assign(_rank=range(len(dev))), limit)
    if frequent:
        parts.append(f"<p>{escape(frequent)}.</p>")
    return "".join(parts)


def _bottlenecks(result, limit: int) -> tuple[str, str]:
    table = result.bottleneck_table
    if not table:
        return "", ""
    how = bottleneck_basis(result)
    rows = [[f"{b['source']} -> {b['target']}", f"{b['cases']:,}",
             format_duration(b["median_wait_s"]), format_duration(b["p90_wait_s"]),
             format_duration(b["target_s"]),
             "-" if b.get("breach_cases") is None else f"{b['breach_cases']:,}",
             format_total(b["excess_wait_s"]), share_text(b["wait_share"])]
            for b in table[:limit]]
    body = html_table(["transition", "cases", "median wait", "p90 wait", "target", "breaches",
                       "excess wait", "share of waiting"], rows, numeric=(1, 2, 3, 4, 5, 6, 7))
    return how, body + _more(len(table), limit, "the JSON report")


def _targets(result) -> str:
    rows = target_rows(result)
    if not rows:
        return ""
    return html_table(["target", "limit", "cases", "breaches", "share", "excess (total)",
                       "worst cases"], rows, numeric=(1, 2, 3, 4, 5))


def _figures(result) -> str:
    shown = int((result.deviations["cases"] > 0).sum())
    top = min(shown, 10)
    return (
        "<figure>" + figure_img(result.plot_deviations, "Deviations by cases")
        + f"<figcaption>Figure 1. The {top} highest-ranked deviation{'s' if top > 1 else ''} "
          "that affect cases, in the order of the table: bar length is cases, the label the "
          "share of all cases, the colour the kind.</figcaption></figure>"
        + "<figure>" + figure_img(result.plot_flowchart, "Flowchart shaded by deviations")
        + "<figcaption>Figure 2. The flowchart with each step shaded by the share of cases that "
          "deviate there (skip it, redo it, start or end at it, or leave it by an arrow the "
          "flowchart does not have). Darker: more cases deviate at that step; the darkest is "
          "the step with most, and an unshaded step has none.</figcaption></figure>")


def _flowchart(result) -> str:
    chart = result.flowchart
    info = [("name", chart.name), ("file", chart.path), ("touchpoint", chart.touchpoint),
            ("request type", chart.request_type),
            ("case target", format_duration(chart.case_target_s)
             if chart.case_target_s is not None else None),
            ("shapes", ", ".join([
                _count(len(chart.steps), "step"),
                _count(sum(n.kind == "decision" for n in chart.node_list), "decision"),
                _count(len(chart.arrows), "arrow"),
                _count(len(chart.accepted), "accepted deviation rule")])),
            ("description", chart.description)]
    rows = [(k, v) for k, v in info if v not in (None, "")]
    reach = result.step_reach()
    steps = [[n.label, format_duration(n.wait_target_s),
              ", ".join(list(n.activities) + ([f"/{n.pattern}/"] if n.pattern else []))
              or f"{n.label} (its label)", f"{r['cases']:,}", share_text(r["case_share"]),
              f"{r['never']:,}", f"{r['repeated']:,}"]
             for n, r in zip(chart.steps, reach.to_dict("records"))]
    return (_kv_table(rows)
            + "<p class='how'>Steps in the order of the file, with the log activities each "
              "one claims (matched ignoring case), the cases that reached each step at least "
              "once, those that never did (another branch, a skip, or an end before it) and "
              "those that did it more than once.</p>"
            + html_table(["step", "wait target", "log activities", "cases", "share",
                          "never reached", "more than once"], steps, numeric=(1, 3, 4, 5, 6),
                         wide=False))


# ----------------------------------------------------------------------------- page

def comparison_html(result, *, full_page: bool = False, limit: int = 20,
                    figures: bool | None = None) -> str:
    """Return a comparison as HTML: a fragment for Jupyter, or a whole report page.

    Sections, in the order an analyst reads them: the headline numbers, where
    to act first, deviations, bottlenecks, time targets, figures, accepted
    deviations, notes and caveats, the flowchart.  Each table says in one
    sentence how it is ranked (see ``docs/compare.md``).

    Parameters
    ----------
    result : Comparison
        The result of :func:`cs_mining.compare`.
    full_page : bool, default=False
        A standalone ``<!DOCTYPE html>`` page (table of contents, sticky
        headings, print styles) rather than a fragment for Jupyter.
    limit : int, default=20
        Rows shown per table; the JSON report lists all.
    figures : bool, optional
        Embed the two figures as PNG (default: on a full page only).

    Returns
    -------
    str

    Examples
    --------
    >>> from cs_mining import compare
    >>> from cs_mining.testing import log_from_text
    >>> from cs_mining.flowchart import FlowchartBuilder
    >>> chart = (FlowchartBuilder("T").start("s").step("a", "Open").step("b", "<Solve>")
    ...          .end("e").chain("s", "a", "b", "e").build())
    >>> fragment = comparison_html(compare(log_from_text("T1: Open, <Solve>\\nT2: Open"), chart))
    >>> "&lt;Solve&gt;" in fragment and "<Solve>" not in fragment
    True
    """
    figures = full_page if figures is None else figures
    tag, sec_tag = ("h1", "h2") if full_page else ("h3", "h4")
    bottleneck_how, bottleneck_body = _bottlenecks(result, limit)
    has_cases = bool(len(result.deviations)) and bool((result.deviations["cases"] > 0).any())
    n_acc = len(result.accepted_deviations)
    notes = getattr(result, "notes", [])
    sections = {
        "act": ("Where to act first", _RANKED["act"], _act(result)),
        "deviations": (f"Deviations ({len(result.deviations):,})",
                       _RANKED["deviations"] if len(result.deviations) else "",
                       _deviations(result, limit, full_page)),
        "bottlenecks": ("Bottlenecks", bottleneck_how, bottleneck_body),
        "targets": ("Time targets", _RANKED["targets"], _targets(result)),
        "figures": ("Figures", "", _figures(result) if figures and has_cases else ""),
        "accepted": (f"Accepted deviations ({n_acc:,})", _RANKED["accepted"],
                     _deviation_table(result.accepted_deviations, limit)
                     + _more(n_acc, limit, "the JSON report") if n_acc else ""),
        "notes": ("Notes and caveats", "",
                  "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"
                  if notes else ""),
        "flowchart": ("Flowchart", "", _flowchart(result)),
    }
    present = [key for key, (_, _, body) in sections.items() if body]
    parts = [_STYLE, f"<div class='csm{' csm-page' if full_page else ''}'>",
             _header(result, tag, present, full_page)]
    for key in present:
        title, how, body = sections[key]
        ident = f" id='{key}'" if full_page else ""
        parts.append(f"<section{ident} data-section='{key}'>"
                     f"<{sec_tag} class='csm-sec'>{escape(title)}</{sec_tag}>"
                     + (f"<p class='how'>{escape(how)}</p>" if how else "")
                     + body + "</section>")
    if full_page:
        from .. import __version__

        parts.append(f"<footer>Written by cs_mining {escape(__version__)}. Every number is "
                     "defined in docs/compare.md and docs/bottlenecks.md; the JSON report holds "
                     "every row.</footer>")
    parts.append("</div>")
    body = "\n".join(parts)
    if not full_page:
        return body
    title = escape(f"cs_mining: {result.flowchart.name}")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
            f"<title>{title}</title>\n{_PAGE_STYLE}\n</head><body>\n{body}\n</body></html>\n")
