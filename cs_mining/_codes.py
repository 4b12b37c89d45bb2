"""Which activity instances does a log hold, and how are they grouped?

The integer-code machinery under :func:`cs_mining.bottlenecks.bottlenecks`:
events become activity instances (case numbers, activity codes, int64
nanoseconds), the ``by`` column and the period become codes per instance, and
:class:`_Grouped` computes per-group counts and statistics on those codes, so
strings and timestamps are built only for the small result tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .workload import MISSING

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
LIFECYCLE, START = "lifecycle:transition", "start_timestamp"
NO_START = "no start times: waiting and processing cannot be told apart"
_CAP_QUANTILE = 0.9


def _i8(series) -> np.ndarray:
    return pd.DatetimeIndex(series).tz_convert("UTC").as_unit("ns").asi8


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]")).tz_localize("UTC")


@dataclass
class _Instances:
    """Activity instances as arrays, ordered by case, start, complete, file order."""

    code: np.ndarray          # case number (0, 1, ... in log order)
    act: np.ndarray           # activity code, an index into ``activities``
    begin: np.ndarray         # start, int64 nanoseconds UTC
    end: np.ndarray           # complete
    processing_s: np.ndarray  # NaN where unknown
    row: np.ndarray           # the event's row (the complete's, else the start's)
    case_start: np.ndarray    # first instance of each case
    case_ids: pd.Series       # case id of each case number
    activities: list          # activity name of each code


def _instances(events: pd.DataFrame) -> tuple[_Instances, str, list[str]]:
    """Activity instances; the timing mode; caveats."""
    n = len(events)
    pos = np.arange(n)
    caveats: list[str] = []
    # as_events() groups events by case: a case starts where the id changes.
    new_case = events[CASE].ne(events[CASE].shift()).to_numpy(dtype=bool, na_value=True)
    event_case = np.cumsum(new_case) - 1
    case_ids = events[CASE].iloc[np.flatnonzero(new_case)].reset_index(drop=True)
    act_codes, act_names = pd.factorize(events[ACTIVITY], sort=False)
    times = _i8(events[TIME])
    is_start = None
    if LIFECYCLE in events.columns:
        codes, kinds = pd.factorize(events[LIFECYCLE])
        starts = [i for i, k in enumerate(kinds) if str(k).casefold() == "start"]
        if starts:
            is_start = np.isin(codes, starts)
    if is_start is not None:
        frame = pd.DataFrame({"case": event_case, "act": act_codes, "pos": pos})
        # Starts pair with completes of the same activity in the same case,
        # first with first (a FIFO queue per activity, as pm4py's to_interval).
        frame["k"] = frame.groupby([is_start, event_case, act_codes], sort=False).cumcount()
        both = frame[~is_start].merge(frame[is_start], on=["case", "act", "k"], how="outer",
                                      suffixes=("", "_start"))
        end_pos = both["pos"].to_numpy(dtype=float)
        start_pos = both["pos_start"].to_numpy(dtype=float)
        has_end, has_start = ~np.isnan(end_pos), ~np.isnan(start_pos)
        row = np.where(has_end, end_pos, start_pos).astype(np.int64)
        completed = times[np.nan_to_num(end_pos).astype(np.int64)]
        started = times[np.nan_to_num(start_pos).astype(np.int64)]
        begin, end = np.where(has_start, started, completed), np.where(has_end, completed, started)
        paired = has_start & has_end
        lone_starts, lone_ends = int((~has_end).sum()), int((~has_start).sum())
        first = np.fmin(end_pos, start_pos).astype(np.int64)
        mode = "lifecycle"
        if lone_starts or lone_ends:
            caveats.append(f"{lone_starts:,} start events without a complete and {lone_ends:,} "
                           "completes without a start: their processing time is unknown")
    elif START in events.columns and events[START].notna().any():
        row, first, end = pos, pos, times
        raw = pd.to_datetime(events[START], utc=True, errors="coerce")
        paired = raw.notna().to_numpy()
        begin = np.where(paired, _i8(raw.fillna(events[TIME])), end)
        mode = "start_timestamp"
        if (~paired).any():
            caveats.append(f"{int((~paired).sum()):,} events without a start time: their "
                           "processing time is unknown")
    else:
        # Already in order: by case, then time, then file order.
        row, begin, end, paired, mode = pos, times, times, np.zeros(n, dtype=bool), "none"
        caveats.append(NO_START)
    if mode != "none":
        order = np.lexsort((first, end, begin, event_case[row]))
        row, begin, end, paired = row[order], begin[order], end[order], paired[order]
    code = event_case[row]
    processing = np.where(paired, (end - begin) / 1e9, np.nan)
    if mode != "none" and (processing < 0).any():
        caveats.append(f"{int((processing < 0).sum()):,} instances complete before "
                       "they start: their processing time is left out")
        processing[processing < 0] = np.nan
    case_start = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) \
        else np.zeros(0, dtype=np.int64)
    return _Instances(code=code, act=act_codes[row], begin=begin, end=end,
                      processing_s=processing, row=row, case_start=case_start,
                      case_ids=case_ids, activities=[str(a) for a in act_names]), mode, caveats


def _period_codes(ns: np.ndarray, period: str, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Local day, week (from Monday) or month of each instant: codes and ISO start dates."""
    days = _utc(ns).tz_convert(timezone).tz_localize(None).to_numpy().astype("datetime64[D]")
    if period == "W":
        days = days - (days.astype(np.int64) + 3) % 7   # 1970-01-01 was a Thursday
    elif period == "M":
        days = days.astype("datetime64[M]").astype("datetime64[D]")
    codes, uniques = pd.factorize(days.astype(np.int64), sort=False)
    labels = np.datetime_as_string(uniques.astype("datetime64[D]"), unit="D").astype(object)
    return codes, labels


class _Segments:
    """The ``by`` column and the period, as integer codes per instance."""

    def __init__(self, events: pd.DataFrame, inst: _Instances, column: str | None,
                 period: str | None, timezone: str):
        self.column, self.period, self.timezone = column, period, timezone
        self.names = ([column] if column else []) + (["period"] if period else [])
        if column:
            self.codes, self.labels = self._column_codes(events, inst, column)

    @staticmethod
    def _column_codes(events, inst, column):
        """Per instance: the case's value for case attributes, else the event's."""
        values = events[column]
        if not pd.api.types.is_string_dtype(values):
            values = values.astype("string")
        codes, uniques = pd.factorize(values, sort=False)
        codes = codes[inst.row]
        if len(codes):
            top = np.maximum.reduceat(codes, inst.case_start)
            low = np.minimum.reduceat(np.where(codes < 0, np.iinfo(codes.dtype).max, codes),
                                      inst.case_start)
            if ((top < 0) | (low == top)).all():
                codes = np.repeat(top, np.diff(np.r_[inst.case_start, len(codes)]))
        labels = np.array([str(u) for u in uniques] + [MISSING], dtype=object)
        return np.where(codes < 0, len(uniques), codes), labels

    def keys(self, at: np.ndarray, times: np.ndarray) -> list:
        """``(name, codes, labels)`` for instances ``at``, periods of instants ``times``."""
        out = []
        if self.column:
            out.append((self.column, self.codes[at], self.labels))
        if self.period:
            out.append(("period", *_period_codes(times, self.period, self.timezone)))
        return out


# --------------------------------------------------------------------------- grouped statistics

class _Grouped:
    """Rows grouped by integer keys, groups numbered in order of first appearance.

    ``keys`` holds ``(column, codes, labels)``; ``case`` the case number of
    each row.  Rows come ordered by case, so after one stable sort by group
    the distinct cases of a group are where the case number changes.
    """

    def __init__(self, keys: list, case: np.ndarray):
        self.keys, self.case = keys, case
        n = len(case)
        combined, size = np.zeros(n, dtype=np.int64), 1
        for _, codes, labels in keys:
            width = max(len(labels), 1)
            if size * width >= 2 ** 62:
                combined, uniques = pd.factorize(combined, sort=False)
                size = max(len(uniques), 1)
            combined, size = combined * width + codes, size * width
        self.ids = pd.factorize(combined, sort=False)[0] if n else np.zeros(0, dtype=np.int64)
        self.n = int(self.ids.max()) + 1 if n else 0
        # numpy sorts 16-bit integers stably by radix: much faster than int64
        self._narrow = self.ids.astype(np.uint16) if self.n <= 2 ** 16 else self.ids
        self.order = np.argsort(self._narrow, kind="stable")
        self.size = np.bincount(self.ids, minlength=self.n)
        self.first = self.order[np.cumsum(self.size) - self.size]

    def frame(self) -> pd.DataFrame:
        """The key columns, one row per group."""
        return pd.DataFrame({name: labels[codes[self.first]] for name, codes, labels in self.keys}
                            | ({} if self.keys else {"_all": np.zeros(self.n, dtype=int)}))

    def cases(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Distinct cases per group, among the rows where ``mask``."""
        o = self.order if mask is None else self.order[mask[self.order]]
        g, c = self.ids[o], self.case[o]
        new = np.ones(len(o), dtype=bool)
        new[1:] = (g[1:] != g[:-1]) | (c[1:] != c[:-1])
        return np.bincount(g[new], minlength=self.n)

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.ids, weights=np.nan_to_num(values.astype(float)),
                           minlength=self.n)

    def stats(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """count, mean, min, median, p90 (linear), cap (lower p90), max, total; NaN skipped."""
        idx = np.flatnonzero(~np.isnan(values))
        o = idx[np.argsort(values[idx])]
        o = o[np.argsort(self._narrow[o], kind="stable")]
        v = values[o]
        count = np.bincount(self.ids[o], minlength=self.n)
        start, has = np.cumsum(count) - count, count > 0

        def at(q: float, lower: bool = False, mid: bool = False) -> np.ndarray:
            pos = (count[has] - 1) * q
            lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
            a, b = v[start[has] + lo], v[start[has] + hi]
            out = np.full(self.n, np.nan)
            out[has] = a if lower else (a + b) / 2 if mid else a + (b - a) * (pos - lo)
            return out

        total = np.bincount(self.ids[o], weights=v, minlength=self.n)
        return {"count": count, "total": total,
                "mean": np.where(has, total / np.maximum(count, 1), np.nan),
                "min": at(0.0, lower=True), "median": at(0.5, mid=True),
                "p90": at(0.9), "cap": at(_CAP_QUANTILE, lower=True), "max": at(1.0)}

    def worst(self, score: np.ndarray, mask: np.ndarray, case_ids: pd.Series,
              limit: int = 5) -> list[list]:
        """Up to ``limit`` case ids per group among rows where ``mask``, largest score first."""
        idx = np.flatnonzero(mask)
        o = idx[np.argsort(-score[idx], kind="stable")]
        seen = pd.Series(self.ids[o] * max(len(case_ids), 1) + self.case[o]).duplicated()
        o = o[~seen.to_numpy()]
        o = o[np.argsort(self._narrow[o], kind="stable")]
        g = self.ids[o]
        start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else g
        rank = np.arange(len(g)) - np.repeat(start, np.diff(np.r_[start, len(g)]))
        o, g = o[rank < limit], g[rank < limit]
        out: list[list] = [[] for _ in range(self.n)]
        for group, case in zip(g.tolist(), case_ids.iloc[self.case[o]].tolist()):
            out[group].append(case)
        return out

