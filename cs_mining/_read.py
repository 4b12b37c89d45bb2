"""How is a file read into a raw table, and which files are refused?

CSV (pyarrow, all columns as text; rows with the wrong field count set aside
with their line numbers), Parquet, and XES (pm4py, imported only here and only
when an XES file is read; XML with a DOCTYPE or ENTITY declaration is refused).
How CSV files are read and why is told in the docstring of `cs_mining.load`.
"""

from __future__ import annotations

import csv
import gzip
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._columns import CASE
from .errors import ConfigError, LogError


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
        raise ConfigError(f"unknown encoding {encoding!r} (--encoding): use a codec name such as "
                          "utf-8, cp1252, latin-1 or utf-16") from None
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
        odd, even = data[1:4096:2], data[0:4096:2]
        every_other = odd.count(b"\x00") > 0.9 * len(odd) or \
            even.count(b"\x00") > 0.9 * len(even)
        default = encoding.lower() in ("utf-8", "utf8", "utf-8-sig")
        hint = (" (it looks like UTF-16: try --encoding utf-16-le or utf-16-be)"
                if every_other and default else "; save it as CSV, Parquet or XES")
        raise LogError(f"not a text file (NUL byte at byte {nul + bom}){hint}", path=shown)
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
