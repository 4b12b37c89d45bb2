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

import csv
import difflib
import gzip
import html
import json
import re
import sys
import warnings
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, CsMiningWarning, LogError

__all__ = ["load_log", "as_events", "LoadedLog", "LoadReport", "REASONS"]

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
REQUIRED = (CASE, ACTIVITY, TIME)

#: Reason codes of rejected rows, in the order they are checked.
REASONS = ("malformed_row", "missing_case_id", "missing_activity", "missing_timestamp",
           "unparsable_timestamp", "unparsable_start_timestamp", "duplicate")

# (keyword, output column, words used in messages, names detected when no keyword is given)
_ROLES = [
    ("case_column", CASE, "case",
     ["case:concept:name", "case_id", "Case ID", "CaseID", "case", "ticket_id", "ticket",
      "incident_id", "number", "SR Number", "request_id"]),
    ("activity_column", ACTIVITY, "activity",
     ["concept:name", "Activity", "ActivityID", "activity_name", "status", "incident_state",
      "event_name"]),
    ("timestamp_column", TIME, "timestamp",
     ["time:timestamp", "Complete Timestamp", "timestamp", "sys_updated_at",
      "Change Date+Time", "event_time", "end_timestamp", "end_time", "time", "datetime"]),
    ("resource_column", "org:resource", "resource",
     ["org:resource", "Resource", "agent", "assigned_to", "agent_id", "user"]),
    ("team_column", "org:group", "team",
     ["org:group", "team", "assignment_group", "group", "support_group", "queue"]),
    ("channel_column", "channel", "channel", ["channel", "contact_type", "contact_channel"]),
    ("request_type_column", "request_type", "request type",
     ["request_type", "ticket_type", "issue_type", "service_type", "category"]),
    ("customer_column", "customer", "customer",
     ["customer", "customer_id", "caller_id", "client", "requester"]),
    ("priority_column", "priority", "priority", ["priority", "severity"]),
    ("satisfaction_column", "satisfaction", "satisfaction",
     ["satisfaction", "csat", "satisfaction_score", "survey_score", "complaint"]),
    ("lifecycle_column", "lifecycle:transition", "lifecycle",
     ["lifecycle:transition", "lifecycle", "transition"]),
    ("start_timestamp_column", "start_timestamp", "start timestamp",
     ["start_timestamp", "Start Timestamp", "start_time", "time:start"]),
]

_OUTPUTS = frozenset(r[1] for r in _ROLES)

#: Lifecycle transitions of the XES standard lifecycle extension.
STANDARD_TRANSITIONS = frozenset({
    "schedule", "assign", "withdraw", "reassign", "start", "suspend", "resume",
    "pi_abort", "ate_abort", "complete", "autoskip", "manualskip", "unknown"})

#: Cell values read as missing, besides empty cells.
DEFAULT_NA_VALUES = ("NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "?")

# an offset after a time ("10:00:00+01:00", "T100000Z", "10:00 UTC"); in "2024-01-01"
# the "-01" is part of the date
_OFFSET = (r"(?:\d:\d\d(?::\d\d)?(?:[.,]\d+)?|T\d{4,6}(?:[.,]\d+)?)\s*"
           r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?|UTC|GMT)\s*$")
_DATE_LIKE = r"\d{1,4}\D{1,3}\d{1,2}\D{1,3}\d{1,4}"


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _quote_list(names) -> str:
    return ", ".join(repr(str(n)) for n in names)


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


# --------------------------------------------------------------------------- reading

@dataclass
class _Raw:
    frame: pd.DataFrame          # every source column; all text for CSV
    rows: Any                    # callable(positions) -> row numbers, or an array
    malformed: pd.DataFrame      # CSV rows with the wrong field count (columns as text)
    format: str


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LogError("file not found", path=shown) from None
    except IsADirectoryError:
        raise LogError("is a directory, not a file", path=shown) from None
    except OSError as exc:
        raise LogError(f"cannot be read ({exc.strerror})", path=shown) from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise LogError(f"not a readable gzip file ({exc})", path=shown) from None
    return data


def _kind(path: Path, data: bytes) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in (".parquet", ".pq") or data[:4] == b"PAR1":
        return "parquet"
    if last == ".xes" or data.lstrip()[:5] in (b"<?xml", b"<log ", b"<log>"):
        return "xes"
    return "csv"


def _to_utf8(data: bytes, encoding: str, shown: str) -> bytes:
    codec = encoding.lower().replace("_", "-")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") and codec in ("utf-8", "utf8", "utf-8-sig"):
        codec = "utf-16"
    if codec in ("utf-8", "utf8", "utf-8-sig"):
        return data[3:] if data[:3] == b"\xef\xbb\xbf" else data
    try:
        text = data.decode(codec)
    except LookupError:
        raise ConfigError(f"load_log(): unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise LogError(f"not valid {encoding} at byte {exc.start} (try --encoding utf-8)",
                       path=shown) from None
    return text.lstrip("\ufeff").encode("utf-8")


def _utf8_error(data: bytes, shown: str, offset: int) -> LogError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LogError(f"not valid UTF-8 at byte {exc.start + offset} (try --encoding cp1252)",
                        path=shown)
    return LogError("text could not be decoded as UTF-8 (try --encoding cp1252)", path=shown)


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", None
    for delim in (",", ";", "\t", "|"):
        widths = [len(r) for r in csv.reader(lines, delimiter=delim)]
        if not widths:
            continue
        agree = sum(w == widths[0] for w in widths) / len(widths)
        score = (widths[0] > 1, agree, widths[0])
        if best_score is None or score > best_score:
            best, best_score = delim, score
    return best


def _header_names(fields: list[str]) -> list[str]:
    """Name columns as pandas does: blanks become 'Unnamed: i', repeats get '.1', '.2'."""
    names: list[str] = []
    for i, name in enumerate(fields):
        base = name = name if name.strip() else f"Unnamed: {i}"
        n = 0
        while name in names:
            n += 1
            name = f"{base}.{n}"
        names.append(name)
    return names


def _read_csv(data: bytes, shown: str, *, encoding: str, delimiter: str | None,
              na_values) -> _Raw:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bom = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    data = _to_utf8(data, encoding, shown)
    if not data[:65536].strip() and not data.strip():
        raise LogError("file is empty", path=shown)
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise LogError(f"not a text file (NUL byte at byte {nul + bom}); "
                       "save it as CSV, Parquet or XES", path=shown)
    head = data[:65536]
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            raise _utf8_error(head, shown, bom) from None
        sample = head[:exc.start].decode("utf-8")
    lines = sample.splitlines()
    if len(head) == 65536 and len(lines) > 1:
        lines = lines[:-1]
    lines = [ln for ln in lines if ln.strip()][:50]
    delim = delimiter or _sniff_delimiter(lines)
    header_fields = next(csv.reader(lines[:1], delimiter=delim))
    names = _header_names(header_fields)

    # Without a quote character no value can hold a newline, and pyarrow then
    # splits the file into blocks at any newline (about 2.5 times faster).
    quoted = b'"' in data
    bad: list = []

    def on_bad(row):
        bad.append((row.number, row.text))
        return "skip"

    def parse(threads: bool):
        bad.clear()
        return pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           use_threads=threads, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=quoted,
                                             invalid_row_handler=on_bad),
            convert_options=pacsv.ConvertOptions(
                # large_string is what pandas' str dtype holds: to_pandas() copies nothing
                column_types={n: pa.large_string() for n in names}, strings_can_be_null=True,
                quoted_strings_can_be_null=False, null_values=[""] + list(na_values)))

    try:
        table = parse(True)
        if bad:
            table = parse(False)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise _utf8_error(data, shown, bom) from None
        raise LogError(f"not a readable CSV file ({exc})", path=shown) from None
    frame = table.to_pandas()
    if frame.empty and not bad:
        raise LogError("has a header but no data rows", path=shown)

    # pyarrow numbers records (header = 1, blank lines skipped), not lines
    bad_records = np.array([b[0] for b in bad], dtype=np.int64)
    cache: list = []

    def lines() -> np.ndarray:
        if not cache:
            cache.append(_record_lines(data, 1 + len(frame) + len(bad)))
        return cache[0]

    malformed = _malformed_frame(bad, names, delim)
    if len(bad):
        malformed["row"] = lines()[bad_records - 1]

    def rows(positions: np.ndarray) -> np.ndarray:
        return np.delete(lines()[1:], bad_records - 2)[positions]

    return _Raw(frame, rows, malformed, "csv")


def _malformed_frame(bad: list, names: list[str], delim: str) -> pd.DataFrame:
    records = []
    for number, text in bad:
        fields = next(csv.reader([text], delimiter=delim), [])
        if len(fields) > len(names):
            fields = fields[:len(names) - 1] + [delim.join(fields[len(names) - 1:])]
        records.append(fields + [None] * (len(names) - len(fields)))
    frame = pd.DataFrame(records, columns=names, dtype=object)
    frame["row"] = pd.array([b[0] for b in bad], dtype="int64")
    frame["reason"] = "malformed_row"
    return frame


def _record_lines(data: bytes, n_records: int) -> np.ndarray:
    """Physical line number where each non-blank record starts (header = line 1)."""
    total = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if total == n_records:
        return np.arange(1, total + 1)
    # Records may span lines (quoted newlines) and blank lines are skipped:
    # a newline ends a record only outside quotes, i.e. after an even number
    # of quote characters.
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    quotes = np.flatnonzero(buf == 34)
    ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    begins = np.concatenate(([0], ends + 1))
    begins = begins[begins < len(buf)]
    stops = np.concatenate((ends, [len(buf)]))[:len(begins)]
    # a record is blank when it holds only whitespace: few such, so compare lengths first
    short = np.flatnonzero(stops - begins <= 2)
    blank = np.zeros(len(begins), dtype=bool)
    blank[short] = [not data[begins[i]:stops[i]].strip() for i in short]
    starts = (np.searchsorted(newlines, begins) + 1)[~blank]
    if len(starts) != n_records:
        # Unusual quoting: fall back to record numbers.
        return np.arange(1, n_records + 1)
    return starts


def _read_parquet(path: Path, shown: str) -> _Raw:
    try:
        frame = pd.read_parquet(path)
    except FileNotFoundError:
        raise LogError("file not found", path=shown) from None
    except Exception as exc:  # pyarrow raises several unrelated types here
        raise LogError(f"not a readable Parquet file ({exc})", path=shown) from None
    if frame.empty:
        raise LogError("has columns but no rows", path=shown)
    return _Raw(frame.reset_index(drop=True), None, _empty_rejected(frame.columns), "parquet")


def _refuse_hostile_xml(path: Path, shown: str) -> None:
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    tail = b""
    with opener(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            window = (tail + chunk).upper()
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise LogError("refusing XML with a DOCTYPE or ENTITY declaration "
                               "(entity expansion is unsafe); remove it and retry", path=shown)
            tail = chunk[-16:]


_CLASSIFIER = re.compile(rb'<classifier\s+name="([^"]*)"\s+keys="([^"]*)"')


def _declared_classifiers(path: Path) -> list[tuple[str, list[str]]]:
    """The classifiers an XES header declares (name, attribute keys), from its first 64 KiB."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as stream:
        head = stream.read(1 << 16)
    return [(name.decode("utf-8", "replace"), keys.decode("utf-8", "replace").split())
            for name, keys in _CLASSIFIER.findall(head)]


def _read_xes(path: Path, shown: str, progress: bool) -> _Raw:
    _refuse_hostile_xml(path, shown)
    from lxml.etree import XMLSyntaxError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
        try:
            frame = pm4py.read_xes(str(path), variant="iterparse", show_progress_bar=progress)
        except XMLSyntaxError as exc:
            raise LogError(f"malformed XES ({exc.msg})", path=shown, row=exc.lineno) from None
        except Exception as exc:  # pm4py raises bare SyntaxError, IndexError, ...
            raise LogError(f"malformed XES ({type(exc).__name__}: {exc})", path=shown) from None
    if frame is None or len(frame) == 0:
        raise LogError("XES file has no events", path=shown)
    frame = frame.reset_index(drop=True)
    lead = [c for c in (CASE,) if c in frame.columns]
    frame = frame[lead + [c for c in frame.columns if c not in lead]]
    return _Raw(frame, None, _empty_rejected(frame.columns), "xes")


def _empty_rejected(columns) -> pd.DataFrame:
    frame = pd.DataFrame({str(c): pd.Series([], dtype=object) for c in columns})
    frame["row"] = pd.Series([], dtype="int64")
    frame["reason"] = pd.Series([], dtype=object)
    return frame


# --------------------------------------------------------------------------- mapping

def _resolve(expr: str, columns: list[str], role: str, keyword: str, shown: str) -> list[str]:
    if expr in columns:
        return [expr]
    parts = expr.split("+")

    def split(i: int):
        if i == len(parts):
            return []
        for j in range(len(parts), i, -1):
            name = "+".join(parts[i:j])
            if name in columns and (rest := split(j)) is not None:
                return [name] + rest
        return None

    found = split(0) if len(parts) > 1 else None
    if found:
        return found
    by_norm = {_norm(c): c for c in columns}
    guess = by_norm.get(_norm(expr)) or next(
        iter(difflib.get_close_matches(expr, columns, n=1, cutoff=0.6)), None)
    hint = f"did you mean {guess!r}?" if guess else f"columns are {_quote_list(columns)}"
    raise LogError(f"{role} column {expr!r} not found; {hint} "
                   f"(--{keyword.replace('_', '-')})", path=shown, column=expr)


def _map_columns(columns: list[str], given: dict, shown: str):
    mapping, parts, detected, used = {}, {}, [], set()
    for keyword, out, role, _ in _ROLES:
        expr = given.get(keyword)
        if expr:
            parts[out] = _resolve(str(expr), columns, role, keyword, shown)
            mapping[out] = str(expr)
            used.update(parts[out])
    for keyword, out, role, names in _ROLES:
        if out in mapping or given.get(keyword) is False:
            continue
        # a lifecycle column may also be part of a combined activity (BPIC 2013)
        combined = {c for p in parts.values() if len(p) > 1 for c in p}
        taken = used - combined if out == "lifecycle:transition" else used
        free = {}
        for c in columns:
            if c not in taken:
                free.setdefault(_norm(c), c)
        hit = next((free[_norm(n)] for n in names if _norm(n) in free), None)
        if hit is None:
            if out in REQUIRED:
                flag = "--" + keyword.replace("_", "-")
                raise LogError(f"no {role} column found; columns are {_quote_list(columns)} "
                               f"(use {flag})", path=shown, column=None)
            continue
        parts[out], mapping[out] = [hit], hit
        detected.append(out)
        used.add(hit)
    order = [r[1] for r in _ROLES]
    mapping = {k: mapping[k] for k in order if k in mapping}
    return mapping, parts, [d for d in order if d in detected]


# --------------------------------------------------------------------------- values

def _arrow_text(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"


def _blank(series: pd.Series) -> np.ndarray:
    """Missing, empty or whitespace-only values."""
    if _arrow_text(series):
        import pyarrow as pa
        import pyarrow.compute as pc
        arr = pa.array(series)
        blank = pc.or_kleene(pc.utf8_is_space(arr), pc.equal(pc.utf8_length(arr), 0))
        return pc.fill_null(blank, True).to_numpy(zero_copy_only=False)
    missing = series.isna().to_numpy(copy=True)
    if pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
        text = series[~missing]
        if len(text) and (series.dtype != object or isinstance(text.iloc[0], str)):
            stripped = text.astype(str).str.strip().eq("").to_numpy()
            missing[np.flatnonzero(~missing)[stripped]] = True
    return missing


def _i8(stamps: pd.Series) -> np.ndarray:
    """Microseconds since the epoch of tz-aware UTC timestamps."""
    naive = stamps.dt.tz_localize(None) if isinstance(stamps.dtype, pd.DatetimeTZDtype) else stamps
    return np.asarray(naive.dt.as_unit("us"), dtype="datetime64[us]").view("int64")


def _as_text(series: pd.Series) -> pd.Series:
    """Text ids: integral floats lose their '.0' (Parquet stores int ids with NaN as float)."""
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.dropna()
        if len(values) and (values % 1 == 0).all():
            series = series.astype("Int64")
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return series
    out = series.astype(str)
    return out.where(series.notna())


def _combined(frame: pd.DataFrame, cols: list[str]):
    texts = [_as_text(frame[c]) for c in cols]
    missing = np.zeros(len(frame), dtype=bool)
    for c in cols:
        missing |= _blank(frame[c])
    value = texts[0]
    for t in texts[1:]:
        value = value.str.cat(t, sep="+")
    return value, missing


def _parse_times(series: pd.Series, *, fmt: str | None, dayfirst: bool, tz: str,
                 notes: list, label: str):
    """Return (UTC timestamps as datetime64[us, UTC], missing mask, unparsable mask)."""
    missing = _blank(series)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.as_unit("us"), missing, np.zeros_like(missing)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return _localize(series, tz), missing, np.zeros_like(missing)
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        text = series
    elif series.dtype == object:
        text = series.where(series.isna(), series.astype(str))
    else:
        text = series.astype(str)
    # Many logs repeat timestamps (batch updates, replicated cases): then each
    # distinct text is parsed once, weighted by how often it occurs.  Finding
    # the distinct texts costs about as much as parsing, so only when a
    # sample shows repeats.
    sample = text.iloc[::max(1, len(text) // 20_000)]
    if len(pd.unique(sample)) < 0.9 * len(sample):
        codes, uniques = pd.factorize(text)
        weights = np.bincount(codes[codes >= 0], minlength=len(uniques))
        distinct = pd.Series(uniques)
    else:
        codes, weights = None, np.ones(len(text), dtype=np.int64)
        distinct = text.reset_index(drop=True)
    parsed, one_by_one = _parse_distinct(distinct, weights, fmt=fmt, dayfirst=dayfirst, tz=tz)
    if one_by_one:
        notes.append(f"{one_by_one:,} {label} values matched no single format and were "
                     "parsed one by one")
    stamps = _i8(parsed)
    if codes is not None:
        stamps = np.append(stamps, np.iinfo(np.int64).min)[codes]
    values = pd.Series(stamps.view("datetime64[us]"), index=series.index).dt.tz_localize("UTC")
    unparsable = values.isna().to_numpy() & ~missing
    return values, missing, unparsable


def _parse_distinct(text: pd.Series, weights: np.ndarray, *, fmt: str | None, dayfirst: bool,
                    tz: str) -> tuple[pd.Series, int]:
    """Parse timestamp texts; weights[i] counts the rows holding text[i].

    Returns the UTC timestamps and the number of rows parsed one value at a time.
    """
    missing = _blank(text)
    kwargs = dict(errors="coerce", utc=True)
    one_by_one = 0
    if fmt:
        parsed = pd.to_datetime(text, format=fmt, dayfirst=dayfirst, **kwargs)
    else:
        parsed = pd.to_datetime(text, format="ISO8601", **kwargs)
        todo = parsed.isna().to_numpy() & ~missing
        if todo.any():
            rest, rest_weights = text[todo], weights[todo]
            guesses = Counter()
            for value in pd.unique(rest)[:20]:
                guess = pd.tseries.api.guess_datetime_format(str(value), dayfirst=dayfirst)
                if guess:
                    guesses[guess] += 1
            best, best_n = None, 0
            for guess in guesses:
                trial = pd.to_datetime(rest, format=guess, **kwargs)
                n_parsed = int(rest_weights[trial.notna().to_numpy()].sum())
                if n_parsed > best_n:
                    best, best_n, got = guess, n_parsed, trial
            if best:
                parsed = parsed.copy()
                parsed[todo] = got
                todo = parsed.isna().to_numpy() & ~missing
            if todo.any():
                rest = text[todo]
                datey = rest.str.contains(_DATE_LIKE, regex=True, na=False).to_numpy()
                if datey.any():
                    uniq = pd.unique(rest[datey])
                    lookup = pd.Series(pd.to_datetime(pd.Series(uniq), format="mixed",
                                                      dayfirst=dayfirst, **kwargs).to_numpy(),
                                       index=uniq)
                    mixed = rest[datey].map(lookup)
                    if mixed.notna().any():
                        idx = np.flatnonzero(todo)[datey]
                        parsed = parsed.copy()
                        parsed.iloc[idx] = pd.to_datetime(mixed, utc=True).to_numpy()
                        one_by_one = int(weights[idx][mixed.notna().to_numpy()].sum())
    parsed = parsed.dt.as_unit("us")
    if tz != "UTC":
        unparsable = parsed.isna().to_numpy() & ~missing
        aware = text.str.contains(_OFFSET, regex=True, na=False).to_numpy()
        naive = ~aware & ~missing & ~unparsable
        if naive.any():
            parsed = parsed.copy()
            parsed[naive] = _localize(parsed[naive].dt.tz_localize(None), tz)
    return parsed, one_by_one


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    # DST: a wall time that occurs twice is read as the later (standard-time)
    # instant; one that never occurs is moved forward to the first valid one.
    local = naive.dt.tz_localize(tz, ambiguous=np.zeros(len(naive), dtype=bool),
                                 nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.as_unit("us")


def _infer(series: pd.Series) -> pd.Series:
    """Give text columns numbers or booleans when every value converts (as read_csv does)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = pa.array(series, from_pandas=True)
    if arr.null_count == len(arr):
        return series
    head = arr.drop_null().slice(0, 200)
    for target in (pa.int64(), pa.float64()):
        try:
            pc.cast(head, target)
            values = pc.cast(arr, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if values.null_count == 0:
            return pd.Series(values.to_numpy(zero_copy_only=False), index=series.index)
        return pd.Series(values.to_pandas(), index=series.index).astype(
            "float64" if target == pa.float64() else "Int64")
    words = pa.array(["true", "false"])
    if not pc.all(pc.is_in(pc.utf8_lower(head), words)).as_py():
        return series
    lowered = pc.utf8_lower(arr)
    if pc.all(pc.is_in(lowered.drop_null(), words)).as_py():
        return pd.Series(pc.equal(lowered, "true").to_pandas(), index=series.index)
    return series


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
        raise ConfigError(f"load_log(): timezone must be an IANA name such as 'UTC' or "
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
    log = _build(raw, name=name, shown=shown, given=given, fmt=timestamp_format,
                 dayfirst=dayfirst, tz=timezone, drop_duplicates=drop_duplicates)
    bar.update(2)
    bar.close()
    log.report.warnings[:0] = hints
    for note in log.report.warnings:
        warnings.warn(f"{shown}: {note}", CsMiningWarning, stacklevel=2)
    return log


def _build(raw: _Raw, *, name, shown, given, fmt, dayfirst, tz, drop_duplicates) -> LoadedLog:
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
        notes.append(f"{duplicates:,} rows are exact duplicates of an earlier row: "
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

    out = {CASE: pick(case).astype(str), ACTIVITY: pick(activity).astype(str),
           TIME: pick(times)}
    for key in [r[1] for r in _ROLES][3:]:
        if key not in parts:
            continue
        if key == "start_timestamp":
            out[key] = pick(starts)
        elif key == "lifecycle:transition":
            out[key] = pick(lifecycle)
        else:
            cols = parts[key]
            value = frame[cols[0]] if len(cols) == 1 else _combined(frame, cols)[0]
            value = pick(value)
            out[key] = _infer(value) if raw.format == "csv" else value
    single = {p[0] for k, p in parts.items() if len(p) == 1}
    for col in columns:
        if col in single:
            continue
        target = col if col not in out and col not in _OUTPUTS else f"{col}_original"
        value = pick(frame[col])
        out[target] = _infer(value) if raw.format == "csv" else value
    events = pd.DataFrame(out)

    tied = len(np.unique(codes[1:][same]))
    if tied:
        notes.append(f"{tied:,} cases have events with equal timestamps: "
                     "file order breaks ties")
    report = LoadReport(
        source=name, format=raw.format, rows_read=rows_read, events_kept=len(events),
        rejected=rejected, duplicate_rows=duplicates, duplicates_dropped=drop_duplicates,
        cases=len(uniques), activities=int(events[ACTIVITY].nunique()),
        start=pd.Timestamp(int(stamp.min()), unit="us", tz="UTC"),
        end=pd.Timestamp(int(stamp.max()), unit="us", tz="UTC"),
        mapping=mapping, detected=detected, warnings=notes)
    return LoadedLog(events, report)


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


def _all_rejected_message(rows_read: int, rejected: pd.DataFrame, parts: dict) -> str:
    counts = rejected["reason"].value_counts()
    by_reason = ", ".join(f"{r} {counts[r]:,}" for r in REASONS if r in counts)
    first = rejected.iloc[0]
    detail = f"first at row {first['row']}"
    role = {"missing_case_id": CASE, "missing_activity": ACTIVITY, "missing_timestamp": TIME,
            "unparsable_timestamp": TIME,
            "unparsable_start_timestamp": "start_timestamp"}.get(first["reason"])
    if role in parts:
        column = parts[role][0]
        detail += f", column {column!r} = {first[column]!r}"
    return f"no usable rows: all {rows_read:,} rows rejected ({by_reason}; {detail})"


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
