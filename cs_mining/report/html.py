"""HTML for Jupyter and for standalone report files; every name from the data is escaped."""

from __future__ import annotations

from html import escape

from .text import deviation_rows, headline, most_frequent

__all__ = ["comparison_html", "html_table"]

_STYLE = """<style>
.csm {font-family: system-ui, sans-serif; font-size: 14px}
.csm table {border-collapse: collapse; margin: 4px 0 12px}
.csm td, .csm th {border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left}
.csm td.n {text-align: right; font-variant-numeric: tabular-nums}
</style>"""


def html_table(header: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td class='n'>{escape(str(c))}</td>" if i in numeric
                         else f"<td>{escape(str(c))}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure_img(draw, alt: str) -> str:
    """An <img> tag holding the PNG of the Axes that ``draw()`` returns (glyphs drawn, so
    names in any script show without the reader's fonts)."""
    import base64
    import io

    import matplotlib.pyplot as plt

    from ..plots import plot_style

    ax = draw()
    buffer = io.BytesIO()
    with plot_style():
        ax.figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='{escape(alt)}' src='data:image/png;base64,{data}' style='max-width:100%'>"


def comparison_html(result, *, full_page: bool = False, limit: int = 20,
                    figures: bool | None = None) -> str:
    """The comparison as HTML: a fragment for Jupyter, or a whole page (with figures)."""
    figures = full_page if figures is None else figures
    parts = [_STYLE, "<div class='csm'>",
             f"<h3>Comparison with flowchart {escape(result.flowchart.name)}</h3>",
             html_table(["", ""], [[k, v] for k, v in headline(result)]),
             f"<h4>Deviations ({len(result.deviations)})</h4>"]
    if len(result.deviations):
        parts.append(html_table(["kind", "where", "cases", "share", "time cost"],
                                deviation_rows(result.deviations, limit), numeric=(2, 3, 4)))
        if len(result.deviations) > limit:
            parts.append(f"<p>... and {len(result.deviations) - limit} more (the JSON report "
                         "lists all).</p>")
        frequent = most_frequent(result.deviations.assign(_rank=range(len(result.deviations))),
                                 limit)
        if frequent:
            parts.append(f"<p>{escape(frequent)}</p>")
    else:
        parts.append("<p>None: every case follows the flowchart.</p>")
    from ..flowchart.model import format_duration
    from ..improve import improvement_areas

    areas = improvement_areas(result, top=10)
    if len(areas):
        parts.append("<h4>Where to act first</h4>")
        parts.append(html_table(["#", "where", "kind", "cases", "time at stake", "question"],
                                [[a["rank"], a["where"], a["kind"], f"{a['cases']:,}",
                                  format_duration(a["impact_s"]), a["question"]]
                                 for a in areas.to_dict("records")], numeric=(0, 3, 4)))
    if result.bottleneck_table:
        parts.append("<h4>Bottlenecks</h4>")
        parts.append(html_table(["arrow", "cases", "median wait", "target", "excess wait"],
                                [[f"{b['source']} -> {b['target']}", f"{b['cases']:,}",
                                  format_duration(b["median_wait_s"]),
                                  format_duration(b["target_s"]),
                                  format_duration(b["excess_wait_s"])]
                                 for b in result.bottleneck_table[:limit]],
                                numeric=(1, 2, 3, 4)))
    if len(result.accepted_deviations):
        parts.append(f"<h4>Accepted deviations ({len(result.accepted_deviations)})</h4>")
        parts.append(html_table(["kind", "where", "cases", "share", "time cost"],
                                deviation_rows(result.accepted_deviations, limit),
                                numeric=(2, 3, 4)))
    if figures and len(result.deviations[result.deviations["cases"] > 0]):
        parts.append("<h4>Figures</h4>")
        parts.append(figure_img(result.plot_deviations, "Deviations by cases"))
        parts.append(figure_img(result.plot_flowchart, "Flowchart shaded by deviations"))
    notes = getattr(result, "notes", [])
    if notes:
        parts.append("<h4>Notes</h4><ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes)
                     + "</ul>")
    parts.append("</div>")
    body = "\n".join(parts)
    if not full_page:
        return body
    title = escape(f"cs_mining: {result.flowchart.name}")
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title></head><body>\n{body}\n</body></html>\n")
