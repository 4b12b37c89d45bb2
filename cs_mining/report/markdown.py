"""Markdown for pasting into tickets and wikis."""

from __future__ import annotations

from .text import deviation_rows, headline

__all__ = ["render_comparison_markdown", "md_table"]


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return out


def render_comparison_markdown(result, *, limit: int = 20) -> str:
    """A Markdown report of a comparison: headline, deviations, where to act first,
    bottlenecks, steps reached, accepted deviations, notes."""
    lines = [f"# Comparison with flowchart *{_cell(result.flowchart.name)}*", ""]
    lines += md_table(["", ""], [[f"**{k}**", v] for k, v in headline(result)])
    lines += ["", f"## Deviations ({len(result.deviations)})", ""]
    if len(result.deviations):
        lines += md_table(["kind", "where", "cases", "share", "time cost"],
                          deviation_rows(result.deviations, limit))
    else:
        lines.append("None: every case follows the flowchart.")
    from ..flowchart.model import format_duration, format_total
    from ..improve import improvement_areas

    areas = improvement_areas(result, top=10)
    if len(areas):
        lines += ["", "## Where to act first", ""]
        lines += md_table(["#", "where", "kind", "cases", "time at stake", "question",
                           "for example"],
                          [[a["rank"], a["where"], a["kind"], f"{a['cases']:,}",
                            format_total(a["impact_s"]), a["question"],
                            ", ".join(a["example_cases"])]
                           for a in areas.to_dict("records")])
    if result.bottleneck_table:
        lines += ["", "## Bottlenecks", ""]
        lines += md_table(["arrow", "cases", "median wait", "target", "excess wait"],
                          [[f"{b['source']} -> {b['target']}", f"{b['cases']:,}",
                            format_duration(b["median_wait_s"]), format_duration(b["target_s"]),
                            format_total(b["excess_wait_s"])]
                           for b in result.bottleneck_table[:limit]])
    reach = result.step_reach()
    lines += ["", "## Steps reached", ""]
    lines += md_table(["step", "cases", "share", "never reached", "more than once"],
                      [[r["step"], f"{r['cases']:,}", f"{r['case_share']:.1%}", f"{r['never']:,}",
                        f"{r['repeated']:,}"] for r in reach.to_dict("records")])
    if len(result.accepted_deviations):
        lines += ["", f"## Accepted deviations ({len(result.accepted_deviations)})", ""]
        lines += md_table(["kind", "where", "cases", "share", "time cost"],
                          deviation_rows(result.accepted_deviations, limit))
    notes = getattr(result, "notes", [])
    if notes:
        lines += ["", "## Notes", ""] + [f"- {_cell(n)}" for n in notes]
    return "\n".join(lines) + "\n"
