"""Read an event log, map its columns, set bad rows aside, and say what happened.

``load_log`` reads CSV (also ``.csv.gz``), Parquet, XES (also ``.xes.gz``) or a
pandas DataFrame, finds the case, activity and timestamp columns (or takes them
from keyword arguments), parses timestamps to UTC, and returns a ``LoadedLog``:
``.events`` in pm4py's column conventions and ``.report``, a ``LoadReport``
that accounts for every row read (rows read = events kept + rows rejected).

How CSV files are read
----------------------
The whole file is read into memory and parsed by pyarrow's CSV reader (all
columns as text, in parallel; a file without any quote character is split
into blocks at every newline, which is faster).  Rows with the wrong number
of fields are caught by pyarrow's ``invalid_row_handler`` and set aside as
``malformed_row``; only when there are some is the file parsed again on one
thread, because only then does pyarrow report their line numbers.  The C
engine of ``pandas.read_csv`` was not used because it pads rows with too few
fields with NaN instead of reporting them.

What keeps it fast on large logs (about 0.5 s for the Helpdesk log
replicated to 1M rows on 2 cores, against about 3.5 s for ``pandas.read_csv``
plus ``pm4py.format_dataframe``; see ``bench/``): text columns stay pyarrow
arrays (pandas' ``str`` dtype) and are not converted; timestamps that repeat
are parsed once per distinct text; events already sorted by case and time
are not reordered; and exact duplicates are looked for only
among rows that share case and timestamp with a neighbour.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"Ticket": ["T1", "T1", "T2", "T2"],
...                       "Step": ["open", "close", "open", "close"],
...                       "Timestamp": ["2024-01-01 09:00", "2024-01-01 10:00",
...                                     "2024-01-01 09:30", "not a time"]})
>>> log = load_log(frame, case_column="Ticket", activity_column="Step")
>>> log.report
<LoadReport DataFrame: 4 rows read, 3 kept, 1 rejected (see .rejected)>
>>> log.report.rejected[["Ticket", "Timestamp", "row", "reason"]]
  Ticket   Timestamp  row                reason
0     T2  not a time    4  unparsable_timestamp
"""

from __future__ import annotations

import html
import json
import sys
import warnings
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import _columns
from ._columns import ACTIVITY, CASE, REQUIRED, TIME, _quote_list
from ._read import (_declared_classifiers, _empty_rejected, _kind, _Raw, _read_bytes, _read_csv,
                    _read_parquet, _read_xes)
from ._rows import REASONS, _build
from ._timestamps import _i8
from .errors import ConfigError, CsMiningWarning, LogError

__all__ = ["load_log", "as_events", "LoadedLog", "LoadReport", "REASONS"]

#: Lifecycle transitions of the XES standard lifecycle extension.
STANDARD_TRANSITIONS = _columns.STANDARD_TRANSITIONS

#: Cell values read as missing, besides empty cells.
DEFAULT_NA_VALUES = ("NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "?")


# --------------------------------------------------------------------------- results

@dataclass(repr=False)
class LoadReport:
    """What ``load_log`` read, kept and set aside.

    Attributes
    ----------
    source : str
        File name (or ``"DataFrame"``).
    format : str
        ``"csv"``, ``"parquet"``, ``"xes"`` or ``"dataframe"``.
    rows_read, events_kept : int
        Rows (CSV, Parquet, DataFrame) or events (XES) read, and those kept.
        ``rows_read == events_kept + len(rejected)`` always.
    rejected : pandas.DataFrame
        The rejected rows as read: every source column as text, then ``row``
        and ``reason`` (one of `REASONS`).  ``row`` is the physical line
        number where the record starts for CSV (the header is line 1), and
        the 1-based row or event number for other sources.
    duplicate_rows : int
        Rows identical in every source column to an earlier kept row.
    duplicates_dropped : bool
        Whether those rows were dropped (then they are in ``rejected``).
    cases, activities : int
        Distinct case ids and activity labels among the kept events.
    start, end : pandas.Timestamp or None
        First and last event time (UTC).
    mapping : dict
        Output column -> source column (or ``"a+b"`` for combined columns).
    detected : list of str
        Output columns whose source column was found by name.
    warnings : list of str
        Caveats about the data.

    Examples
    --------
    >>> report = load_log("tests/data/load/bad_rows.csv").report
    >>> report
    <LoadReport bad_rows.csv: 8 rows read, 2 kept, 6 rejected (see .rejected)>
    >>> {k: n for k, n in report.rejected_by_reason.items() if n}
    {'malformed_row': 2, 'missing_case_id': 1, 'missing_activity': 1, 'missing_timestamp': 1, 'unparsable_timestamp': 1}
    >>> report.rows_read == report.events_kept + len(report.rejected)
    True
    """

    source: str
    format: str
    rows_read: int
    events_kept: int
    rejected: pd.DataFrame
    duplicate_rows: int
    duplicates_dropped: bool
    cases: int
    activities: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    mapping: dict
    detected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Number of rejected rows."""
        return len(self.rejected)

    @property
    def rejected_by_reason(self) -> dict:
        """Counts of rejected rows by reason code, every code included, in `REASONS` order."""
        counts = self.rejected["reason"].value_counts() if len(self.rejected) else {}
        return {r: int(counts.get(r, 0)) for r in REASONS}

    def __repr__(self) -> str:
        text = (f"<LoadReport {self.source}: {self.rows_read:,} rows read, "
                f"{self.events_kept:,} kept, {self.rows_rejected:,} rejected")
        return text + (" (see .rejected)>" if self.rows_rejected else ">")

    def _lines(self):
        counts = [("rows read", f"{self.rows_read:,}"), ("events kept", f"{self.events_kept:,}"),
                  ("rows rejected", f"{self.rows_rejected:,}")]
        counts += [(f"  {r}", f"{n:,}") for r, n in self.rejected_by_reason.items() if n]
        kept = "dropped" if self.duplicates_dropped else "kept"
        counts += [("duplicate rows", f"{self.duplicate_rows:,} ({kept})"),
                   ("cases", f"{self.cases:,}"), ("activities", f"{self.activities:,}"),
                   ("time span", self._span())]
        mapping = [(out, src + (" (detected)" if out in self.detected else ""))
                   for out, src in self.mapping.items()]
        return counts, mapping

    def _span(self) -> str:
        if self.start is None:
            return "-"
        fmt = "%Y-%m-%d %H:%M:%S"
        return f"{self.start.strftime(fmt)} to {self.end.strftime(fmt)} UTC"

    def __str__(self) -> str:
        counts, mapping = self._lines()
        width = max(len(k) for k, _ in counts + mapping)
        out = [f"Event log {self.source} ({self.format})"]
        out += [f"  {k:<{width}}  {v}" for k, v in counts]
        out.append("Columns")
        out += [f"  {k:<{width}}  <- {v}" for k, v in mapping]
        out.append("Warnings" if self.warnings else "Warnings: none")
        out += [f"  - {w}" for w in self.warnings]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        e = html.escape
        counts, mapping = self._lines()
        rows = "".join(f"<tr><th style='text-align:left'>{e(k)}</th><td>{e(v)}</td></tr>"
                       for k, v in counts)
        maps = "".join(f"<tr><td>{e(k)}</td><td>&larr; {e(v)}</td></tr>" for k, v in mapping)
        warns = "".join(f"<li>{e(w)}</li>" for w in self.warnings)
        return (f"<div><strong>Event log {e(self.source)}</strong> ({e(self.format)})"
                f"<table>{rows}</table><table>{maps}</table>"
                + (f"<ul>{warns}</ul>" if warns else "") + "</div>")

    def to_dict(self) -> dict:
        """Return the report as JSON-native types (schema_version 1); rejected rows are not included."""
        iso = (lambda t: None if t is None else t.isoformat())
        return {
            "schema_version": 1,
            "source": self.source,
            "format": self.format,
            "rows_read": int(self.rows_read),
            "events_kept": int(self.events_kept),
            "rows_rejected": int(self.rows_rejected),
            "rejected_by_reason": self.rejected_by_reason,
            "duplicate_rows": int(self.duplicate_rows),
            "duplicates_dropped": bool(self.duplicates_dropped),
            "cases": int(self.cases),
            "activities": int(self.activities),
            "time_span": {"start": iso(self.start), "end": iso(self.end)},
            "mapping": dict(self.mapping),
            "detected": list(self.detected),
            "warnings": list(self.warnings),
        }

    def to_json(self, **kwargs) -> str:
        """Return `to_dict` as a JSON string (keyword arguments go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    def write_rejected(self, path) -> Path:
        """Write the rejected rows to a UTF-8 CSV file and return its path."""
        path = Path(path)
        self.rejected.to_csv(path, index=False, encoding="utf-8")
        return path


@dataclass(repr=False)
class LoadedLog:
    """An event log as loaded: ``events`` (DataFrame) and ``report`` (LoadReport).

    Every cs_mining verb accepts it where it takes a log.

    Examples
    --------
    >>> log = load_log("tests/data/load/bad_rows.csv")
    >>> log
    <LoadedLog bad_rows.csv: 2 events, 1 cases, 2 activities>
    >>> list(log.events.columns[:3])
    ['case:concept:name', 'concept:name', 'time:timestamp']
    """

    events: pd.DataFrame
    report: LoadReport

    def to_dict(self) -> dict:
        """JSON-native summary: the report (the events are a table: use ``events``)."""
        return self.report.to_dict()

    def to_json(self, **kwargs) -> str:
        return self.report.to_json(**kwargs)

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        r = self.report
        return (f"<LoadedLog {r.source}: {r.events_kept:,} events, {r.cases:,} cases, "
                f"{r.activities:,} activities>")

    def __str__(self) -> str:
        return str(self.report)

    def _repr_html_(self) -> str:
        return self.report._repr_html_()


# --------------------------------------------------------------------------- load_log

def load_log(source, *, case_column: str | None = None, activity_column: str | None = None,
             timestamp_column: str | None = None, resource_column: str | None = None,
             channel_column: str | None = None, request_type_column: str | None = None,
             team_column: str | None = None, customer_column: str | None = None,
             priority_column: str | None = None, satisfaction_column: str | None = None,
             lifecycle_column: str | None = None, start_timestamp_column: str | None = None,
             timestamp_format: str | None = None, dayfirst: bool = False,
             timezone: str = "UTC", encoding: str = "utf-8", delimiter: str | None = None,
             na_values=DEFAULT_NA_VALUES, drop_duplicates: bool = False,
             progress: bool = False) -> LoadedLog:
    """Read an event log, map its columns, and set aside the rows that cannot be used.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV file (``.csv``, ``.csv.gz``, any delimiter among ``, ; tab |``),
        a Parquet file, an XES file (``.xes``, ``.xes.gz``, read with pm4py),
        or a DataFrame.
    case_column, activity_column, timestamp_column : str, optional
        Source columns for ``case:concept:name``, ``concept:name`` and
        ``time:timestamp``.  When not given they are found by name (e.g.
        ``Case ID``, ``ticket_id``, ``number``; ``Activity``, ``status``;
        ``Complete Timestamp``, ``sys_updated_at``), ignoring case, spaces and
        underscores.  ``"a+b"`` joins the values of columns ``a`` and ``b``
        with ``+`` (a row with either missing is rejected).
    resource_column, team_column, channel_column, request_type_column, customer_column, \
priority_column, satisfaction_column, lifecycle_column, start_timestamp_column : str or False, optional
        Optional columns, output as ``org:resource``, ``org:group``,
        ``channel``, ``request_type``, ``customer``, ``priority``,
        ``satisfaction``, ``lifecycle:transition``, ``start_timestamp``.
        Found by name when not given; ``False`` maps nothing.
    timestamp_format : str, optional
        A ``strftime`` format.  Without it ISO 8601 is tried first, then a
        format guessed from the values that failed, then each remaining
        value on its own.
    dayfirst : bool, default=False
        Read ``1/3/2016`` as 1 March.
    timezone : str, default="UTC"
        Time zone of timestamps written without an offset (IANA name).
    encoding : str, default="utf-8"
        Text encoding of CSV files; a UTF-8 or UTF-16 byte-order mark is honoured.
    delimiter : str, optional
        CSV field separator; sniffed when not given.
    na_values : sequence of str, default=DEFAULT_NA_VALUES
        Cell values read as missing besides empty cells (``"?"`` included).
    drop_duplicates : bool, default=False
        Move rows identical to an earlier row to ``rejected`` (reason
        ``duplicate``).  They are always counted.
    progress : bool, default=False
        Show a progress bar on stderr.

    Returns
    -------
    LoadedLog
        ``.events``: the kept events, mapped columns first (``case:concept:name``
        and ``concept:name`` as text, ``time:timestamp`` tz-aware UTC), then the
        source's other columns (names that would clash with a mapped column get
        the suffix ``_original``), sorted by case id (as text), then time,
        with ties in file order, index 0..n-1.  A file already in that order
        is not reordered.
        ``.report``: a `LoadReport`.

    Raises
    ------
    LogError
        The file cannot be read (not found, empty, binary, wrong encoding,
        malformed or hostile XES), a required column is missing, a named
        column does not exist, or every row is rejected.

    Notes
    -----
    A row is rejected, with the first reason that applies, for wrong field
    count (CSV), missing case id, missing activity, missing timestamp,
    unparsable timestamp, unparsable start timestamp, or (with
    ``drop_duplicates``) duplicate.  ``LoadReport.rejected.row`` is the
    physical line number where the CSV record starts (header = line 1) and
    the 1-based row or event number for other sources.  A lifecycle column is
    mapped only when every value is a standard XES transition (``start``,
    ``complete``, ...); otherwise it is kept as a plain column and a warning
    says so.  No start/complete pairing is done here.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "Case ID": ["T2", "T1", "T1", "T1"],
    ...     "Activity": ["open", "close", "open", None],
    ...     "Complete Timestamp": ["2024-03-01T10:00:00+01:00", "2024-03-01 12:00",
    ...                            "2024-03-01 08:00", "2024-03-01 09:00"]})
    >>> log = load_log(frame)
    >>> log.events
      case:concept:name concept:name            time:timestamp
    0                T1         open 2024-03-01 08:00:00+00:00
    1                T1        close 2024-03-01 12:00:00+00:00
    2                T2         open 2024-03-01 09:00:00+00:00
    >>> log.report.rejected_by_reason["missing_activity"]
    1
    >>> log.report.mapping["time:timestamp"]
    'Complete Timestamp'
    """
    given = dict(case_column=case_column, activity_column=activity_column,
                 timestamp_column=timestamp_column, resource_column=resource_column,
                 channel_column=channel_column, request_type_column=request_type_column,
                 team_column=team_column, customer_column=customer_column,
                 priority_column=priority_column, satisfaction_column=satisfaction_column,
                 lifecycle_column=lifecycle_column,
                 start_timestamp_column=start_timestamp_column)
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"timezone (--timezone) must be an IANA name such as 'UTC' or "
                          f"'Europe/Rome'; got {timezone!r}") from None

    from tqdm import tqdm
    bar = tqdm(total=3, desc="loading", unit="step", disable=not progress, file=sys.stderr)

    hints: list[str] = []
    if isinstance(source, pd.DataFrame):
        shown = name = "DataFrame"
        if source.empty:
            raise LogError("the DataFrame has no rows", path=shown)
        frame = source.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        raw = _Raw(frame, None, _empty_rejected(frame.columns), "dataframe")
    else:
        path = Path(source)
        shown, name = str(source), path.name
        data = _read_bytes(path, shown)
        kind = _kind(path, data)
        if kind == "parquet":
            raw = _read_parquet(path, shown)
        elif kind == "xes":
            if not data.strip():
                raise LogError("file is empty", path=shown)
            del data
            raw = _read_xes(path, shown, progress)
            for label, keys in _declared_classifiers(path):
                if (len(keys) > 1 and ACTIVITY in keys and given["activity_column"] is None
                        and all(k in raw.frame.columns for k in keys)):
                    hints.append(f"the file declares the classifier {label!r} = "
                                 f"{' '.join(keys)}; activities here are {ACTIVITY!r} alone "
                                 f"(use --activity-column {'+'.join(keys)!r} for the declared "
                                 "one)")
        else:
            raw = _read_csv(data, shown, encoding=encoding, delimiter=delimiter,
                            na_values=na_values)
            del data
    bar.update()
    events, fields = _build(raw, name=name, shown=shown, given=given, fmt=timestamp_format,
                            dayfirst=dayfirst, tz=timezone, drop_duplicates=drop_duplicates)
    log = LoadedLog(events, LoadReport(**fields))
    bar.update(2)
    bar.close()
    log.report.warnings[:0] = hints
    for note in log.report.warnings:
        warnings.warn(f"{shown}: {note}", CsMiningWarning, stacklevel=2)
    return log


# --------------------------------------------------------------------------- as_events

def as_events(log) -> pd.DataFrame:
    """Return the events of a LoadedLog, or check a DataFrame in pm4py's conventions.

    Parameters
    ----------
    log : LoadedLog or pandas.DataFrame
        A DataFrame needs ``case:concept:name``, ``concept:name`` and
        ``time:timestamp``.

    Returns
    -------
    pandas.DataFrame
        The events with ``time:timestamp`` tz-aware UTC, grouped by case and in
        time order within each case (ties in file order).  The DataFrame given
        is returned itself when nothing needs changing; otherwise a sorted
        copy (by case id, then time) with index 0..n-1.

    Raises
    ------
    LogError
        A required column is missing, or has missing or unparsable values.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"case:concept:name": ["T1", "T1"],
    ...                       "concept:name": ["close", "open"],
    ...                       "time:timestamp": ["2024-01-01 10:00", "2024-01-01 09:00"]})
    >>> as_events(frame)
      case:concept:name concept:name            time:timestamp
    0                T1         open 2024-01-01 09:00:00+00:00
    1                T1        close 2024-01-01 10:00:00+00:00
    >>> as_events(frame[["concept:name"]])
    Traceback (most recent call last):
    ...
    cs_mining.errors.LogError: DataFrame: missing column 'case:concept:name', 'time:timestamp' (columns are 'concept:name'; use load_log() to map columns)
    """
    if isinstance(log, LoadedLog):
        return log.events
    if not isinstance(log, pd.DataFrame):
        raise LogError(f"expected a LoadedLog or a pandas DataFrame; got {type(log).__name__}")
    absent = [c for c in REQUIRED if c not in log.columns]
    if absent:
        raise LogError(f"missing column {_quote_list(absent)} (columns are "
                       f"{_quote_list(log.columns)}; use load_log() to map columns)",
                       path="DataFrame", column=absent[0])
    events = log
    for col in (CASE, ACTIVITY):
        if events[col].isna().any():
            raise LogError(f"column {col!r} has {int(events[col].isna().sum()):,} missing "
                           "values (use load_log() to set them aside)", path="DataFrame",
                           column=col)
    for col in (CASE, ACTIVITY):
        if not pd.api.types.is_string_dtype(events[col].dtype):
            events = events.copy() if events is log else events
            events[col] = events[col].astype(str)
    stamp = events[TIME]
    if not (isinstance(stamp.dtype, pd.DatetimeTZDtype) and str(stamp.dt.tz) == "UTC"):
        if isinstance(stamp.dtype, pd.DatetimeTZDtype):
            stamp = stamp.dt.tz_convert("UTC")
        elif pd.api.types.is_datetime64_dtype(stamp.dtype):
            stamp = stamp.dt.tz_localize("UTC")
        else:
            stamp = pd.to_datetime(stamp, utc=True, format="ISO8601", errors="coerce")
        events = events.copy() if events is log else events
        events[TIME] = stamp
    if stamp.isna().any():
        bad = log[TIME][stamp.isna().to_numpy()].iloc[0]
        raise LogError(f"column 'time:timestamp' has {int(stamp.isna().sum()):,} missing or "
                       f"unparsable values, e.g. {bad!r} (use load_log() to set them aside)",
                       path="DataFrame", column=TIME)
    codes, _ = pd.factorize(events[CASE], sort=False)
    values = _i8(stamp)
    same = codes[1:] == codes[:-1]
    grouped = int((~same).sum()) + 1 == codes.max() + 1 if len(codes) else True
    if grouped and not (values[1:][same] < values[:-1][same]).any():
        return events
    codes, _ = pd.factorize(events[CASE].astype(str), sort=True)
    order = np.lexsort((values, codes))
    return events.take(order).reset_index(drop=True)
