"""Aligned plain-text summaries for terminals (what ``print(result)`` shows)."""

from __future__ import annotations

import unicodedata

from ..flowchart.model import format_duration, format_total

__all__ = ["render_comparison", "deviation_rows", "where", "headline", "bottleneck_basis",
           "target_rows",
           "AREAS_OVERLAP", "plural"]

AREAS_OVERLAP = ("Times at stake overlap (one case can wait at a bottleneck and skip a step): "
                 "compare them, do not add them up.")


def where(row) -> str:
    """Where a deviation happens, in words: the step, and the arrow around it."""
    kind, source, target, activity = row["kind"], row["source"], row["target"], row["activity"]
    arrow = f"{source or 'case start'} -> {target or 'case end'}"
    if kind in ("skipped_step",):
        return f"{activity} (between {arrow})"
    if kind == "rework":
        return f"{activity} again (after {source})"
    if kind in ("unexpected_transition", "unused_path"):
        return arrow
    return str(activity)


def plural(n: int, word: str, words: str | None = None) -> str:
    """``n`` and ``word``, or its plural (``word`` + s unless given) unless ``n`` is 1.

    >>> plural(1, "case"), plural(1234, "case"), plural(2, "activity", "activities")
    ('1 case', '1,234 cases', '2 activities')
    """
    return f"{n:,} {word if n == 1 else words or word + 's'}"


def bottleneck_basis(result) -> str:
    """One sentence on what a bottleneck's excess wait counts, with the usual wait used."""
    waits = result.bottleneck_result
    options = getattr(waits, "options", {}) or {}
    usual = getattr(waits, "reference_s", None)
    clock = " (in working time)" if options.get("targets_in") == "working" else ""
    return (f"Transitions taken by at least {options.get('min_cases', 'enough')} cases, ranked "
            "by excess wait: the time waited above the target of the step waited for (or above "
            f"the usual wait{f' of {format_duration(usual)}' if usual is not None else ''} "
            "where there is none), each wait capped at its transition's 90th percentile (at "
            f"least twice the target) and summed over cases{clock}.")


def share_text(share: float) -> str:
    """A share as a percentage that never reads 0.0% for a non-zero share.

    >>> share_text(0.25), share_text(0.0002), share_text(0.0)
    ('25.0%', '<0.1%', '0.0%')
    """
    return "<0.1%" if 0 < share < 0.0005 else f"{share:.1%}"


def most_frequent(frame, shown: int, n: int = 3) -> str | None:
    """A line naming the deviations with most cases when the ranking hid them."""
    top = frame[frame["cases"] > 0].sort_values("cases", ascending=False, kind="stable").head(n)
    hidden = [r for r in top.to_dict("records") if r["_rank"] >= shown]
    if not hidden:
        return None
    return "Most frequent, ranked lower because they do not lengthen cases: " + "; ".join(
        f"{r['kind']} {where(r)} ({plural(r['cases'], 'case')}, {share_text(r['case_share'])})"
        for r in hidden)


def deviation_rows(frame, limit: int | None = 10) -> list[list[str]]:
    """Rows of strings for a deviations table: kind, where, cases, share, time cost."""
    rows = []
    for row in frame.head(limit).to_dict("records") if limit else frame.to_dict("records"):
        cost = row["time_cost_s"]
        cost_text = "-" if cost is None or cost != cost else (
            ("+" if cost > 0 else "") + format_duration(cost))
        rows.append([row["kind"], where(row), f"{row['cases']:,}", share_text(row["case_share"]),
                     cost_text])
    return rows


def width(text: str) -> int:
    """Columns a terminal gives ``text``: combining marks none, wide characters two.

    >>> width("Slēgt"), width("Sle\u0304gt"), width("ஆய்வு"), width("受付")
    (5, 5, 4, 4)
    """
    return sum(0 if unicodedata.category(c) in ("Mn", "Me", "Cf")
               else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def table(header: list[str], rows: list[list[str]], *, indent: str = "  ",
          right: tuple[int, ...] = ()) -> list[str]:
    widths = [max(width(str(x)) for x in col) for col in zip(header, *rows)] if rows else \
        [width(h) for h in header]
    out = []
    for r in [header] + rows:
        cells = []
        for i, (c, w) in enumerate(zip(r, widths)):
            pad = " " * (w - width(str(c)))
            cells.append(pad + str(c) if i in right else str(c) + pad)
        out.append(indent + "  ".join(cells).rstrip())
    return out


def headline(result) -> list[tuple[str, str]]:
    log, c = result.log_summary, result.conformance
    source = log.get("source") or "log"
    period = "-"
    if log.get("first_event"):
        period = f"{log['first_event'][:10]} .. {log['last_event'][:10]}"
    rows = [
        ("Log", f"{source}: {plural(log['events'], 'event')}, {plural(log['cases'], 'case')}, "
                f"{plural(log['activities'], 'activity', 'activities')}, "
                f"{plural(log['variants'], 'variant')}; "
                f"{plural(log['rejected_rows'], 'row')} rejected"),
        ("Period", period),
        ("Flowchart", result.flowchart.name + (f" ({result.flowchart.path})"
                                               if result.flowchart.path else "")),
        ("Fitness", f"{c['fitness']:.3f} (pm4py token-based replay)"),
        ("Conforming", f"{c['conforming_case_share']:.1%} of cases ({c['conforming_cases']:,} of "
                       f"{c['cases']:,}) follow the flowchart end to end"),
    ]
    if c.get("alignment_fitness") is not None:
        rows.append(("Alignments", f"fitness {c['alignment_fitness']:.3f} over "
                                   f"{c['aligned_variants']:,} of {log['variants']:,} variants "
                                   f"({c['aligned_case_share']:.1%} of cases)"))
    if result.options.get("clock_stopped"):
        paused = result.options["clock_stopped"]
        paused = paused if isinstance(paused, str) else ", ".join(map(str, paused))
        rows.append(("Clock stopped", f"in {paused}: that time is not counted against targets, "
                                      "and waits are read with those statuses left out (A -> "
                                      "paused -> B is a wait of A -> B)"))
    if result.options.get("open_after"):
        rows.append(("Open cases", f"ending early after {result.options['open_after']} counts "
                                   "as incomplete_case, not wrong_end"))
    return rows


def target_rows(result) -> list[list[str]]:
    """Rows of strings for the time-targets table, worst cases last."""
    breaches = getattr(getattr(result, "bottleneck_result", None), "breaches", None)
    if breaches is None or not len(breaches):
        return []
    return [[r["step"] if r["kind"] == "step" else "whole case", format_duration(r["target_s"]),
             f"{r['cases']:,}", f"{r['breach_cases']:,}",
             "-" if r["breach_share"] != r["breach_share"] else share_text(r["breach_share"]),
             format_total(r["total_excess_s"]), ", ".join(map(str, r["worst_cases"][:3]))]
            for r in breaches.to_dict("records")]


def _steps_reached(result) -> list[str]:
    """Steps some cases never reached or did more than once; nothing when all is plain."""
    reach = result.step_reach()
    odd = reach[(reach["never"] > 0) | (reach["repeated"] > 0)]
    if odd.empty:
        return []
    rows = [[r["step"], f"{r['cases']:,}", share_text(r["case_share"]), f"{r['never']:,}",
             f"{r['repeated']:,}"] for r in reach.to_dict("records")]
    return ["", "Steps reached (cases):"] + table(
        ["step", "reached", "share", "never", "more than once"], rows, right=(1, 2, 3, 4))


def render_comparison(result, *, limit: int = 10) -> str:
    """The ten-second summary of a comparison."""
    lines = [f"Comparison with flowchart {result.flowchart.name!r}", ""]
    head = headline(result)
    width = max(len(k) for k, _ in head)
    lines += [f"{k:<{width}}  {v}" for k, v in head]
    dev = result.deviations
    lines += ["", f"Deviations: {len(dev)} (ranked by cases x time cost; time cost = median "
                  "throughput of affected cases minus conforming ones)"]
    if len(dev):
        lines += table(["kind", "where", "cases", "share", "time cost"],
                       deviation_rows(dev, limit), right=(2, 3, 4))
        if len(dev) > limit:
            lines.append(f"  ... and {len(dev) - limit} more (--format json or "
                         "result.deviations for all)")
        frequent = most_frequent(dev.assign(_rank=range(len(dev))), limit)
        if frequent:
            lines.append(frequent)
    acc = result.accepted_deviations
    if len(acc):
        lines += ["", f"Accepted deviations: {len(acc)} (listed in the flowchart; not counted "
                      "against conformance)"]
        lines += table(["kind", "where", "cases", "share", "time cost"],
                       deviation_rows(acc, limit), right=(2, 3, 4))
    bottlenecks = getattr(result, "bottleneck_table", None)
    if bottlenecks:
        lines += ["", "Bottlenecks (worst first): " + bottleneck_basis(result)]
        rows = [[f"{b['source']} -> {b['target']}", f"{b['cases']:,}",
                 format_duration(b['median_wait_s']), format_duration(b.get('target_s')),
                 format_total(b['excess_wait_s'])] for b in bottlenecks[:limit]]
        lines += table(["arrow", "cases", "median wait", "target", "excess wait"], rows,
                       right=(1, 2, 3, 4))
        if len(bottlenecks) > limit:
            lines.append(f"  ... and {len(bottlenecks) - limit} more (--format json or "
                         "result.bottleneck_table for all)")
    targets = target_rows(result)
    if targets:
        lines += ["", "Time targets (breach: a wait, or a whole case, longer than the target):"]
        lines += table(["target", "limit", "cases", "breaches", "share", "excess (total)"],
                       [r[:-1] for r in targets], right=(1, 2, 3, 4, 5))
    lines += _steps_reached(result)
    from ..improve import improvement_areas

    areas = improvement_areas(result, top=5)
    if len(areas):
        lines += ["", "Where to act first (customer time at stake):", f"  {AREAS_OVERLAP}"]
        for a in areas.to_dict("records"):
            lines.append(f"  {a['rank']}. {a['where']} [{a['kind']}]: "
                         f"{format_total(a['impact_s'])} over {plural(a['cases'], 'case')}")
            lines.append(f"     {a['question']}")
            if a["example_cases"]:
                which = " (longest waits)" if a["area"] == "bottleneck" else ""
                lines.append(f"     For example{which}: {', '.join(a['example_cases'])}")
    for note in getattr(result, "notes", []):
        lines.append(f"Note: {note}")
    return "\n".join(lines)
