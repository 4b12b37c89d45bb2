"""Which rows are kept, in what order, and why are the others set aside?

Turns a raw table into the events (mapped columns first, sorted by case,
then time, ties in file order) and the numbers of the load report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._cells import _combined, _infer
from ._columns import (ACTIVITY, CASE, STANDARD_TRANSITIONS, TIME, _OUTPUTS, _ROLES,
                       _map_columns, _quote_list)
from ._read import _Raw
from ._timestamps import _i8, _parse_times
from .errors import LogError

#: Reason codes of rejected rows, in the order they are checked.
REASONS = ("malformed_row", "missing_case_id", "missing_activity", "missing_timestamp",
           "unparsable_timestamp", "unparsable_start_timestamp", "duplicate")


def _each_column(jobs: list, rows: int) -> list:
    """Run the per-column jobs, on threads for big tables (Arrow take and cast release the GIL)."""
    if rows < 50_000 or len(jobs) < 2:
        return [job() for job in jobs]
    import os
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(len(jobs), os.cpu_count() or 1, 4)) as pool:
        return list(pool.map(lambda job: job(), jobs))


def _build(raw: _Raw, *, name, shown, given, fmt, dayfirst, tz,
           drop_duplicates) -> tuple[pd.DataFrame, dict]:
    """Return the kept events and the fields of their ``LoadReport``."""
    frame = raw.frame
    columns = list(frame.columns)
    mapping, parts, detected = _map_columns(columns, given, shown)
    notes: list[str] = []
    n = len(frame)

    case, case_missing = _combined(frame, parts[CASE])
    activity, activity_missing = _combined(frame, parts[ACTIVITY])
    time_col = parts[TIME]
    if len(time_col) > 1:
        time_source, _ = _combined(frame, time_col)
    else:
        time_source = frame[time_col[0]]
    times, time_missing, time_bad = _parse_times(time_source, fmt=fmt, dayfirst=dayfirst,
                                                 tz=tz, notes=notes, label="timestamp")
    start_bad = np.zeros(n, dtype=bool)
    if "start_timestamp" in parts:
        start_source = (_combined(frame, parts["start_timestamp"])[0]
                        if len(parts["start_timestamp"]) > 1
                        else frame[parts["start_timestamp"][0]])
        starts, _, start_bad = _parse_times(start_source, fmt=fmt, dayfirst=dayfirst, tz=tz,
                                            notes=notes, label="start timestamp")

    lifecycle = None
    if "lifecycle:transition" in parts:
        lifecycle = _combined(frame, parts["lifecycle:transition"])[0]
        values = pd.unique(lifecycle.dropna())
        odd = [v for v in values if str(v).strip().lower() not in STANDARD_TRANSITIONS]
        if odd:
            source = mapping.pop("lifecycle:transition")
            parts.pop("lifecycle:transition")
            if "lifecycle:transition" in detected:
                detected.remove("lifecycle:transition")
            examples = _quote_list(sorted(map(str, odd))[:3])
            within = [mapping[k] for k, p in parts.items() if len(p) > 1 and source in p]
            use = f"used only in {within[0]!r}" if within else "kept as a plain column"
            notes.append(f"lifecycle column {source!r} holds values that are not XES "
                         f"transitions (e.g. {examples}): {use}, not as lifecycle")
            lifecycle = None

    # reason codes index REASONS (0 = kept); the first reason that applies wins
    code = np.zeros(n, dtype=np.int8)
    for number, mask in reversed(list(enumerate(
            [case_missing, activity_missing, time_missing, time_bad, start_bad], start=1))):
        code[mask] = number
    ok_idx = np.flatnonzero(code == 0)
    rows_read = n + len(raw.malformed)
    if not len(ok_idx):
        rejected = _rejected(raw, np.arange(n), np.asarray(REASONS, dtype=object)[code])
        raise LogError(_all_rejected_message(rows_read, rejected, parts), path=shown)

    everything = len(ok_idx) == n
    case_ok = case if everything else case.iloc[ok_idx]
    if not pd.api.types.is_string_dtype(case_ok.dtype) or case_ok.dtype == object:
        case_ok = case_ok.astype(str)
    stamp = _i8(times if everything else times.iloc[ok_idx])
    codes, uniques = pd.factorize(case_ok)
    # Issue #3: events sorted by case, then time: a file already in that
    # order (the common export) is taken as it is, without a reorder.
    if uniques.is_monotonic_increasing and _grouped_in_time_order(codes, stamp, len(uniques)):
        order = ok_idx
    else:
        # Sort by case, then time, then file order (np.lexsort is stable):
        # ordering by time alone changes 14 directly-follows arrows of the
        # Helpdesk log (pm4py #166).
        codes, uniques = pd.factorize(case_ok, sort=True)
        perm = np.lexsort((stamp, codes))
        order, codes, stamp = ok_idx[perm], codes[perm], stamp[perm]
    # from here codes and stamp follow `order`
    same = (codes[1:] == codes[:-1]) & (stamp[1:] == stamp[:-1])

    dup_rows = _duplicate_rows(frame, order, same)
    duplicates = len(dup_rows)
    if duplicates:
        what = "rows are exact duplicates" if duplicates != 1 else "row is an exact duplicate"
        notes.append(f"{duplicates:,} {what} of an earlier row: "
                     + ("dropped" if drop_duplicates else
                        "kept (--drop-duplicates, or drop_duplicates=True, sets them aside)"))
        if drop_duplicates:
            code[dup_rows] = REASONS.index("duplicate")
            dropped = np.zeros(n, dtype=bool)
            dropped[dup_rows] = True
            keep = ~dropped[order]
            order, codes, stamp = order[keep], codes[keep], stamp[keep]
            same = (codes[1:] == codes[:-1]) & (stamp[1:] == stamp[:-1])

    bad_idx = np.flatnonzero(code != 0)
    rejected = _rejected(raw, bad_idx, np.asarray(REASONS, dtype=object)[code[bad_idx]])

    step = np.diff(order)
    if len(order) == n and not (step != 1).any():
        def pick(series: pd.Series) -> pd.Series:
            return series.reset_index(drop=True)
    elif not (step <= 0).any():
        # rows only left out: filtering copies less than taking
        kept = np.zeros(n, dtype=bool)
        kept[order] = True

        def pick(series: pd.Series) -> pd.Series:
            return pd.Series(series.array[kept], name=series.name)
    else:
        def pick(series: pd.Series) -> pd.Series:
            return pd.Series(series.array.take(order), name=series.name)

    jobs = {CASE: lambda: pick(case).astype(str), ACTIVITY: lambda: pick(activity).astype(str),
            TIME: lambda: pick(times)}
    for key in [r[1] for r in _ROLES][3:]:
        if key not in parts:
            continue
        if key == "start_timestamp":
            jobs[key] = lambda: pick(starts)
        elif key == "lifecycle:transition":
            jobs[key] = lambda: pick(lifecycle)
        else:
            cols = parts[key]
            value = frame[cols[0]] if len(cols) == 1 else _combined(frame, cols)[0]
            jobs[key] = (lambda v: lambda: _infer(pick(v)) if raw.format == "csv"
                         else pick(v))(value)
    single = {p[0] for k, p in parts.items() if len(p) == 1}
    for col in columns:
        if col in single:
            continue
        target = col if col not in jobs and col not in _OUTPUTS else f"{col}_original"
        jobs[target] = (lambda v: lambda: _infer(pick(v)) if raw.format == "csv"
                        else pick(v))(frame[col])
    out = dict(zip(jobs, _each_column(list(jobs.values()), len(order))))
    events = pd.DataFrame(out)

    some = _some_rejected_note(rows_read, rejected, parts)
    if some:
        notes.insert(0, some)
    tied = len(np.unique(codes[1:][same]))
    if tied:
        notes.append(f"{tied:,} case{'s have' if tied != 1 else ' has'} events with equal "
                     "timestamps: file order breaks ties")
    report = dict(
        source=name, format=raw.format, rows_read=rows_read, events_kept=len(events),
        rejected=rejected, duplicate_rows=duplicates, duplicates_dropped=drop_duplicates,
        cases=len(uniques), activities=int(events[ACTIVITY].nunique()),
        start=pd.Timestamp(int(stamp.min()), unit="us", tz="UTC"),
        end=pd.Timestamp(int(stamp.max()), unit="us", tz="UTC"),
        mapping=mapping, detected=detected, warnings=notes)
    return events, report


def _grouped_in_time_order(codes: np.ndarray, stamp: np.ndarray, n_cases: int) -> bool:
    """Whether each case's events are contiguous and in time order (codes by first appearance)."""
    same = codes[1:] == codes[:-1]
    return int(np.count_nonzero(~same)) + 1 == n_cases and \
        not bool((stamp[1:][same] < stamp[:-1][same]).any())


def _duplicate_rows(frame: pd.DataFrame, order: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Rows of `frame` equal in every column to an earlier row among `order`.

    `order` lists rows grouped by case in time order; ``same[i]`` says whether
    rows ``order[i]`` and ``order[i + 1]`` share case and timestamp.  Equal rows
    share both, so they sit in one such run: only rows in runs are compared.
    """
    in_run = np.zeros(len(order), dtype=bool)
    in_run[1:] = same
    in_run[:-1] |= same
    candidates = np.sort(order[in_run])
    if not len(candidates):
        return candidates
    return candidates[frame.iloc[candidates].duplicated(keep="first").to_numpy()]


def _rejected(raw: _Raw, bad_idx: np.ndarray, reason: np.ndarray) -> pd.DataFrame:
    if len(bad_idx):
        part = raw.frame.iloc[bad_idx].copy()
        for col in part.columns:
            if not (pd.api.types.is_string_dtype(part[col].dtype) and part[col].dtype != object):
                part[col] = part[col].astype(object).where(part[col].notna()).map(
                    lambda v: v if v is None or isinstance(v, str) else str(v))
        positions = bad_idx
        part["row"] = (raw.rows(positions) if callable(raw.rows) else positions + 1)
        part["row"] = part["row"].astype("int64")
        part["reason"] = reason
        frames = [f for f in (raw.malformed, part) if len(f)]
    else:
        frames = [raw.malformed]
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
    out = out.sort_values("row", kind="stable").reset_index(drop=True)
    for col in out.columns[:-2]:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["row"] = out["row"].astype("int64")
    out["reason"] = out["reason"].astype(object)
    return out


def _why_rejected(rejected: pd.DataFrame, parts: dict) -> str:
    """Counts by reason and the first rejected row, with its field and value."""
    counts = rejected["reason"].value_counts()
    by_reason = ", ".join(f"{r} {counts[r]:,}" for r in REASONS if r in counts)
    first = rejected.iloc[0]
    detail = f"first at row {first['row']}"
    role = {"missing_case_id": CASE, "missing_activity": ACTIVITY, "missing_timestamp": TIME,
            "unparsable_timestamp": TIME,
            "unparsable_start_timestamp": "start_timestamp"}.get(first["reason"])
    if role in parts:
        column, value = parts[role][0], first[parts[role][0]]
        empty = value is None or (isinstance(value, float) and value != value) or value == ""
        detail += f", column {column!r} " + ("is empty" if empty else f"= {value!r}")
    return f"{by_reason}; {detail}"


def _all_rejected_message(rows_read: int, rejected: pd.DataFrame, parts: dict) -> str:
    return f"no usable rows: all {rows_read:,} rows rejected ({_why_rejected(rejected, parts)})"


def _some_rejected_note(rows_read: int, rejected: pd.DataFrame, parts: dict) -> str | None:
    """A note on the rows set aside for a reason other than being a duplicate."""
    bad = rejected[rejected["reason"] != "duplicate"]
    if bad.empty:
        return None
    n = len(bad)
    return (f"{n:,} of {rows_read:,} {'row' if rows_read == 1 else 'rows'} "
            f"({n / rows_read:.1%}) rejected and left out of the analysis "
            f"({_why_rejected(bad, parts)}); --rejected-out FILE or .report.rejected lists them")
