"""Markdown for pasting into tickets and wikis."""

from __future__ import annotations

import re

from .text import (AREAS_OVERLAP, bottleneck_basis, deviation_rows, headline, most_frequent,
                   target_rows)

__all__ = ["render_comparison_markdown", "md_table", "md_text"]

# "<" would open HTML; "_" only emphasises at a word's edge (GitHub Flavored Markdown).
_SPECIAL = re.compile(r"([\\`*\[\]<|]|(?<![^\W_])_|_(?![^\W_]))")


def md_text(text) -> str:
    """Text that Markdown shows as written: markup characters escaped, on one line.

    >>> print(md_text("<b>Tier_2</b> | *urgent* -> _x_"))
    \\<b>Tier_2\\</b> \\| \\*urgent\\* -> \\_x\\_
    """
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")


class _Markup(str):
    """Markdown written here, which md_table leaves as it is."""


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table; every cell is escaped with :func:`md_text`."""
    def cell(c):
        return c if isinstance(c, _Markup) else md_text(c)

    out = ["| " + " | ".join(cell(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return out


def _more(total: int, shown: int) -> list[str]:
    return ["", f"... and {total - shown:,} more in the JSON report (`--format json`)."] \
        if total > shown else []


def render_comparison_markdown(result, *, limit: int = 20) -> str:
    """A Markdown report of a comparison: headline, deviations, where to act first,
    bottlenecks, steps reached, accepted deviations, notes."""
    lines = [f"# Comparison with flowchart *{md_text(result.flowchart.name)}*", ""]
    lines += md_table(["", ""], [[_Markup(f"**{md_text(k)}**"), v] for k, v in headline(result)])
    lines += ["", f"## Deviations ({len(result.deviations)})", ""]
    if len(result.deviations):
        dev = result.deviations
        lines += md_table(["kind", "where", "cases", "share", "time cost"],
                          deviation_rows(dev, limit))
        lines += _more(len(dev), limit)
        frequent = most_frequent(dev.assign(_rank=range(len(dev))), limit)
        if frequent:
            lines += ["", md_text(frequent) + "."]
    else:
        lines.append("None: every case follows the flowchart.")
    from ..flowchart.model import format_duration, format_total
    from ..improve import improvement_areas

    areas = improvement_areas(result, top=10)
    if len(areas):
        lines += ["", "## Where to act first", "", md_text(AREAS_OVERLAP), ""]
        lines += md_table(["#", "where", "kind", "cases", "time at stake", "question",
                           "for example"],
                          [[a["rank"], a["where"], a["kind"], f"{a['cases']:,}",
                            format_total(a["impact_s"]), a["question"],
                            ", ".join(a["example_cases"])]
                           for a in areas.to_dict("records")])
    if result.bottleneck_table:
        lines += ["", "## Bottlenecks", "", md_text(bottleneck_basis(result)), ""]
        lines += md_table(["arrow", "cases", "median wait", "target", "excess wait"],
                          [[f"{b['source']} -> {b['target']}", f"{b['cases']:,}",
                            format_duration(b["median_wait_s"]), format_duration(b["target_s"]),
                            format_total(b["excess_wait_s"])]
                           for b in result.bottleneck_table[:limit]])
        lines += _more(len(result.bottleneck_table), limit)
    targets = target_rows(result)
    if targets:
        lines += ["", "## Time targets", "",
                  "A breach is a wait (for the whole case, its throughput with paused time left "
                  "out) strictly longer than the target.", ""]
        lines += md_table(["target", "limit", "cases", "breaches", "share", "excess (total)",
                           "worst cases"], targets)
    reach = result.step_reach()
    lines += ["", "## Steps reached", ""]
    lines += md_table(["step", "cases", "share", "never reached", "more than once"],
                      [[r["step"], f"{r['cases']:,}", f"{r['case_share']:.1%}", f"{r['never']:,}",
                        f"{r['repeated']:,}"] for r in reach.to_dict("records")])
    if len(result.accepted_deviations):
        lines += ["", f"## Accepted deviations ({len(result.accepted_deviations)})", ""]
        lines += md_table(["kind", "where", "cases", "share", "time cost"],
                          deviation_rows(result.accepted_deviations, limit))
        lines += _more(len(result.accepted_deviations), limit)
    notes = getattr(result, "notes", [])
    if notes:
        lines += ["", "## Notes", ""] + [f"- {md_text(n)}" for n in notes]
    return "\n".join(lines) + "\n"
