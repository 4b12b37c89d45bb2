"""Which deviations does each variant show, and how many cases do they touch?

The judging rules are described in :mod:`cs_mining.compare`; this module
applies them to each variant's step sequence, adds the skips that only an
alignment finds, and turns the per-variant findings into per-case and
per-deviation tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._replay import _align
from .flowchart.model import DEVIATION_KINDS, Flowchart, fold

DEVIATION_COLUMNS = ["kind", "source", "target", "activity", "cases", "case_share", "events",
                     "example_cases", "time_cost_s", "impact_s", "accepted"]
_START, _END = "\x00start", "\x00end"


@dataclass
class _VariantJudgement:
    steps: list[str]
    unknown: list[str]
    deviations: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)


def _judge_steps(steps: list[str], chart: Flowchart, allowed: set, first: set,
                 last: set) -> list[tuple[str, str | None, str | None, str | None]]:
    """Deviations of one sequence of step ids, as (kind, source, target, activity)."""
    found = []
    if not steps:
        return found
    if steps[0] not in first:
        found.append(("wrong_start", None, None, steps[0]))
    seen = {steps[0]}
    for a, b in zip(steps, steps[1:]):
        if (a, b) not in allowed:
            if b == a or b in seen:
                found.append(("rework", a, b, b))
            else:
                gap = [s for s in chart.shortest_path(a, b)[1:-1] if s not in seen] \
                    if chart.can_reach(a, b) else []
                if gap:
                    found.extend(("skipped_step", a, b, s) for s in gap)
                else:
                    found.append(("unexpected_transition", a, b, None))
        seen.add(b)
    if steps[-1] not in last:
        found.append(("wrong_end", None, None, steps[-1]))
    return found


def _skips_from_alignment(alignment: dict, label_to_step: dict, chart: Flowchart) -> list[tuple]:
    """Model-only moves of an alignment as skipped steps.

    An optimal alignment may place a skipped step anywhere inside its parallel
    block; the gap is reported before the first later step after which the
    skipped one can no longer happen, so that the result does not depend on
    the aligner's choice among equally good placements.
    """
    moves = [m for m in alignment["alignment"] if not (m[0] == ">>" and m[1] is None)]
    observed = [label_to_step.get(m[0]) for m in moves]
    found = []
    for i, (log_move, model_move) in enumerate(moves):
        if log_move != ">>" or model_move not in label_to_step:
            continue
        skipped = label_to_step[model_move]
        later = [(j, observed[j]) for j in range(i + 1, len(moves)) if observed[j] is not None]
        target_at = next((j for j, step in later if not chart.can_reach(step, skipped)), None)
        before = [observed[j] for j in range(0, target_at if target_at is not None else len(moves))
                  if observed[j] is not None]
        found.append(("skipped_step", before[-1] if before else None,
                      observed[target_at] if target_at is not None else None, skipped))
    return found


def _matches_accepted(row: dict, chart: Flowchart) -> bool:
    """True when an accepted-deviation rule of the chart covers this deviation row.

    Rules name steps by id or label (any case); rows carry labels.
    """
    def names(value):
        node = chart.nodes.get(value)
        return {fold(value)} | ({fold(node.label)} if node else set())

    def same(rule_value, value):
        return rule_value is None or (value is not None
                                      and fold(value) in names(rule_value))

    return any(rule.kind == row["kind"] and same(rule.activity, row["activity"])
               and same(rule.source, row["source"]) and same(rule.target, row["target"])
               for rule in chart.accepted)


def _judge_variants(variants, flowchart: Flowchart, to_step: dict) -> list[_VariantJudgement]:
    """Judge each variant's step sequence by the chart's pairwise rules."""
    allowed = flowchart.allowed_transitions()
    first, last = flowchart.first_steps(), flowchart.last_steps()
    judgements = []
    for activities in variants:
        steps = [to_step[a] for a in activities if to_step[a] is not None]
        unknown = [a for a in activities if to_step[a] is None]
        j = _VariantJudgement(steps=steps, unknown=unknown)
        j.deviations.extend(("unknown_activity", None, None, a) for a in unknown)
        j.deviations.extend(_judge_steps(steps, flowchart, allowed, first, last))
        judgements.append(j)
    return judgements


def _align_variants(judgements, replayed, flowchart: Flowchart, petri, *, alignments: bool,
                    max_variants: int, progress):
    """Align the variants that need it, and judge by the alignment where pairs cannot tell.

    Returns the variants that are complete runs of the chart by an alignment
    although token replay did not fit them, the pm4py alignments made, and
    the variants asked for with ``alignments``.

    * On a chart with parallel or inclusive blocks every variant that does not
      replay is judged by an optimal alignment on the reachability graph
      (:mod:`cs_mining._rg_align`): pairs of neighbouring steps miss a step
      done twice inside a block, both branches of a decision inside one, and
      branches left out next to another deviation.
    * Elsewhere, variants that break no pairwise rule yet do not replay meet
      token replay's silent-transition heuristics failing (pm4py-core #148,
      #311): a pm4py alignment settles it, and its moves on the model are the
      variant's skipped steps.
    """
    import sys

    from tqdm import tqdm

    from ._rg_align import Aligner
    from .flowchart.graph import relations

    unfit = [i for i, r in enumerate(replayed) if not r["trace_is_fit"]]
    concurrent = bool(relations(flowchart).concurrent)
    label_to_step = {s.label: s.id for s in flowchart.steps}
    runs = set()
    if concurrent:
        aligner = Aligner.of(flowchart)  # None when too large: pm4py aligns each variant then
        first, last = flowchart.first_steps(), flowchart.last_steps()
        allowed = flowchart.allowed_transitions()
        show = (sys.stderr.isatty() if progress is None else progress) and \
            (len(unfit) > 1000 or aligner is None)
        for i in tqdm(unfit, desc="judging variants that do not fit", unit="variant",
                      disable=not show, file=sys.stderr):
            j = judgements[i]
            settled = None if aligner is None else _settled(j, aligner, flowchart, allowed, last)
            if settled is None:
                moves = aligner.align(j.steps) if aligner is not None else \
                    _pm4py_moves(j.steps, flowchart, petri, label_to_step)
                settled = "run" if all(m == "sync" for m, _ in moves) else "judged"
                j.deviations = _from_alignment(moves, j, first, last)
            if settled == "run":
                runs.add(i)
        unexplained = set()
    else:
        unexplained = {i for i in unfit
                       if not any(k != "unknown_activity" for k, *_ in judgements[i].deviations)}
    wanted = set(range(min(max_variants, len(judgements)))) if alignments else set()
    wanted |= unexplained
    show = sys.stderr.isatty() if progress is None else progress
    aligned: dict[int, dict] = {}
    for i in tqdm(sorted(wanted), desc="aligning variants", unit="variant", disable=not show,
                  file=sys.stderr):
        aligned[i] = _align(tuple(flowchart.label_of(s) for s in judgements[i].steps), petri)
        if i in unexplained:
            judgements[i].deviations.extend(
                _skips_from_alignment(aligned[i], label_to_step, flowchart))
            if aligned[i]["fitness"] == 1.0:
                runs.add(i)
    return runs, aligned, wanted


def _settled(j: _VariantJudgement, aligner, chart: Flowchart, allowed: set, last: set):
    """Settle a variant that does not replay without aligning it, where that is safe.

    Returns "run" when it is a run after all, "judged" when its deviations as
    they stand (or with the one step left to finish) are an optimal
    explanation, and None when it needs an alignment.
    """
    states = aligner.walk(j.steps)
    if states is not None:
        # a run cut short: a wrong end, or branches of a last block left out
        if aligner.complete(states):
            return "run"
        if not (j.steps and j.steps[-1] in last):
            return "judged"
        tail = aligner.to_final(states)
        if len(tail) == 1 and j.steps[-1] not in j.steps[:-1]:
            j.deviations.append(("skipped_step", j.steps[-1], None, tail[0]))
            return "judged"
        # more steps to finish, or a last step done before: one step too many,
        # done again, may explain it better
        return None
    # Pairwise deviations that amount to one move are an optimal explanation when
    # they turn the case into a run (or a run cut short at a wrong end).
    repaired, moves = _repaired(j.steps, chart, allowed)
    states = aligner.walk(repaired) if moves == 1 else None
    if states is not None and (aligner.complete(states) or
                               any(d[0] == "wrong_end" for d in j.deviations)):
        return "judged"
    return None


def _pm4py_moves(steps: list[str], chart: Flowchart, petri, label_to_step: dict) -> list:
    """pm4py's optimal alignment of ``steps`` as ``(move, step)`` pairs, silent moves left out.

    Of a step done twice in a row, pm4py may pass over either occurrence; the
    later one is made the extra one, as the graph aligner does.
    """
    found = _align(tuple(chart.label_of(s) for s in steps), petri)
    moves = [("sync" if log == model else "log" if model == ">>" else "model",
              label_to_step[model if log == ">>" else log])
             for log, model in found["alignment"] if model is not None]
    swapped = True
    while swapped:
        swapped = False
        for k in range(len(moves) - 1):
            if moves[k][0] == "log" and moves[k + 1] == ("sync", moves[k][1]):
                moves[k], moves[k + 1] = moves[k + 1], moves[k]
                swapped = True
    return moves


def _repaired(steps: list[str], chart: Flowchart, allowed: set) -> tuple[list[str], int]:
    """The steps as the pairwise rules read them (repeats dropped, gaps filled, strays
    dropped), and how many steps that dropped or added."""
    if not steps:
        return [], 0
    out, seen, moves = [steps[0]], {steps[0]}, 0
    for a, b in zip(steps, steps[1:]):
        if (a, b) in allowed:
            out.append(b)
        elif not (b == a or b in seen):
            gap = [s for s in chart.shortest_path(a, b)[1:-1] if s not in seen] \
                if chart.can_reach(a, b) else []
            if gap:
                out += gap + [b]
            moves += len(gap) if gap else 1
        else:
            moves += 1
        seen.add(b)
    return out, moves


def _from_alignment(moves, judgement: _VariantJudgement, first: set, last: set) -> list[tuple]:
    """A variant's deviations read off an optimal alignment of its steps.

    A step passed over is ``rework`` when the case did it before, else an
    ``unexpected_transition`` from the step before it; a run of steps passed
    over in a row is one departure, named by its first step.  A step left out
    is a ``skipped_step`` between the case's steps around it.  Unknown
    activities, wrong starts and wrong ends keep their own rules; steps left
    out before a wrong start or after a wrong end are theirs too.
    """
    steps = judgement.steps
    found = [d for d in judgement.deviations if d[0] == "unknown_activity"]
    wrong_start = bool(steps) and steps[0] not in first
    wrong_end = bool(steps) and steps[-1] not in last
    if wrong_start:
        found.append(("wrong_start", None, None, steps[0]))
    observed = [i for i, (m, _) in enumerate(moves) if m != "model"]
    prev, done, in_run = None, set(), False
    for i, (move, step) in enumerate(moves):
        if move == "model":
            after = next((moves[k][1] for k in observed if k > i), None)
            if not ((prev is None and wrong_start) or (after is None and wrong_end)):
                found.append(("skipped_step", prev, after, step))
            continue
        if move == "log" and not in_run and not (prev is None and wrong_start):
            found.append(("rework", prev, step, step) if step in done
                         else ("unexpected_transition", prev, step, None))
        in_run = move == "log"
        prev = step
        done.add(step)
    if wrong_end:
        found.append(("wrong_end", None, None, steps[-1]))
    return found


def _variant_deviations(judgements, flowchart: Flowchart) -> pd.DataFrame:
    """One row per deviation of each variant, steps named by their labels."""
    rows = [(v, kind, src, tgt, act) for v, j in enumerate(judgements)
            for kind, src, tgt, act in j.deviations]
    vdev = pd.DataFrame(rows, columns=["variant", "kind", "source", "target", "activity"])

    def show(value):
        return None if value is None else (flowchart.label_of(value)
                                           if value in flowchart.nodes else value)

    for column in ("source", "target"):
        vdev[column] = vdev[column].map(show)
    on_steps = vdev["kind"] != "unknown_activity"
    vdev.loc[on_steps, "activity"] = vdev.loc[on_steps, "activity"].map(show)
    vdev["accepted"] = [_matches_accepted(r, flowchart) for r in
                        vdev[["kind", "source", "target", "activity"]].to_dict("records")]
    return vdev


def _case_deviations(cases: pd.DataFrame, vdev: pd.DataFrame, open_after) -> pd.DataFrame:
    """Deviations per case; a case still open that stops short is an incomplete case.

    Stopping short is a wrong end, or, where the case's last step may come last,
    the steps of a last parallel block still to do (skips with no target).
    """
    case_dev = cases[["case_id", "variant"]].merge(vdev, on="variant", how="inner")
    if open_after is not None and len(case_dev):
        ends = cases.set_index("case_id")["end"]
        recent = case_dev["case_id"].map(ends) >= open_after
        is_open = (case_dev["kind"] == "wrong_end") & recent
        case_dev.loc[is_open, "kind"] = "incomplete_case"
        tail = (case_dev["kind"] == "skipped_step") & case_dev["target"].isna() & recent
        if tail.any():
            case_dev.loc[tail, "activity"] = case_dev.loc[tail, "source"]
            case_dev.loc[tail, ["kind", "source"]] = ["incomplete_case", None]
            case_dev = case_dev[~(tail & case_dev.duplicated(
                ["case_id", "kind", "activity"]))].reset_index(drop=True)
    return case_dev.merge(cases[["case_id", "throughput_s"]], on="case_id", how="left")


def _deviation_table(case_dev: pd.DataFrame, n_cases: int, baseline) -> pd.DataFrame:
    key = ["kind", "source", "target", "activity", "accepted"]
    if len(case_dev):
        grouped = case_dev.groupby(key, dropna=False, sort=False)
        table = grouped.agg(cases=("case_id", "nunique"), events=("case_id", "size"),
                            median_tp=("throughput_s", "median"))
        table["example_cases"] = grouped["case_id"].agg(lambda s: list(pd.unique(s))[:5])
        table = table.reset_index()
    else:
        table = pd.DataFrame(columns=key + ["cases", "events", "median_tp", "example_cases"])
    table["case_share"] = table["cases"] / max(n_cases, 1)
    table["time_cost_s"] = (table["median_tp"] - baseline) if baseline is not None else np.nan
    table["impact_s"] = table["cases"] * table["time_cost_s"]
    return table.drop(columns="median_tp")


def _unused_paths(judgements, flowchart: Flowchart) -> pd.DataFrame:
    """Arrows as drawn between steps (through decisions and gateways), and arrows out of a
    start or into an end, that no case takes.

    A case takes the arrow A -> B when B comes after A with only steps running in
    parallel with A or B in between, so an interleaving of parallel branches still
    takes the arrows into and out of each branch.
    """
    from .flowchart.graph import arrow_pairs, relations

    label = flowchart.label_of
    sequences = {tuple(j.steps) for j in judgements if j.steps}
    taken = {(a, b) for seq in sequences for a, b in zip(seq, seq[1:])}
    taken |= {(None, seq[0]) for seq in sequences} | {(seq[-1], None) for seq in sequences}
    concurrent = relations(flowchart).concurrent
    for a, b in sorted(arrow_pairs(flowchart) - taken, key=str):
        if any(_takes(seq, a, b, concurrent) for seq in sequences):
            taken.add((a, b))
    unused = [(None if a is None else label(a), None if b is None else label(b))
              for a, b in sorted(arrow_pairs(flowchart) - taken, key=str)]
    extra = pd.DataFrame({"kind": "unused_path", "source": [u[0] for u in unused],
                          "target": [u[1] for u in unused], "activity": None,
                          "cases": 0, "events": 0, "example_cases": [[] for _ in unused],
                          "case_share": 0.0, "time_cost_s": np.nan, "impact_s": np.nan})
    extra["accepted"] = [_matches_accepted(r, flowchart) for r in
                         extra[["kind", "source", "target", "activity"]].to_dict("records")]
    return extra


def _takes(seq: tuple, a: str | None, b: str | None, concurrent: set) -> bool:
    """True when ``seq`` has ``b`` after ``a`` with only steps parallel to either between.

    ``a`` None means the start of the case, ``b`` None its end.
    """
    def parallel(step):
        return (a, step) in concurrent or (b, step) in concurrent

    for i in [-1] if a is None else [i for i, s in enumerate(seq) if s == a]:
        for step in seq[i + 1:]:
            if step == b:
                return True
            if not parallel(step):
                break
        else:
            if b is None:
                return True
    return False


def _rank(table: pd.DataFrame) -> pd.DataFrame:
    """Order by impact, then cases; NaN becomes None; counts are integers."""
    if table.empty:
        return pd.DataFrame(columns=DEVIATION_COLUMNS)
    table = table.astype({"cases": "int64", "events": "int64"})
    table["kind_order"] = table["kind"].map({k: i for i, k in enumerate(DEVIATION_KINDS)})
    table = table.sort_values(["impact_s", "cases", "kind_order", "activity", "source", "target"],
                              ascending=[False, False, True, True, True, True],
                              na_position="last", kind="stable")
    table = table.replace({np.nan: None})
    table["time_cost_s"] = table["time_cost_s"].astype(float)
    table["impact_s"] = table["impact_s"].astype(float)
    return table
