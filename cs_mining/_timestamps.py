"""How do timestamp values become UTC instants, and which cannot be read?

ISO 8601 first, then a format guessed from the values that failed, then each
remaining value on its own; times without an offset are read in the given
time zone.  A column that is all ISO 8601 with offsets, as most exports
write it, is read by Arrow in one pass.
"""

from __future__ import annotations

import warnings

from collections import Counter

import numpy as np
import pandas as pd

from ._cells import _blank

# an offset after a time ("10:00:00+01:00", "T100000Z", "10:00 UTC"); in "2024-01-01"
# the "-01" is part of the date
_OFFSET = (r"(?:\d:\d\d(?::\d\d)?(?:[.,]\d+)?|T\d{4,6}(?:[.,]\d+)?)\s*"
           r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?|UTC|GMT)\s*$")
_DATE_LIKE = r"\d{1,4}\D{1,3}\d{1,2}\D{1,3}\d{1,4}"


def _i8(stamps: pd.Series) -> np.ndarray:
    """Microseconds since the epoch of tz-aware UTC timestamps."""
    naive = stamps.dt.tz_localize(None) if isinstance(stamps.dtype, pd.DatetimeTZDtype) else stamps
    return np.asarray(naive.dt.as_unit("us"), dtype="datetime64[us]").view("int64")


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
    if fmt is None:
        instants = _iso_with_offsets(text)
        if instants is not None:
            values = pd.Series(instants.view("datetime64[us]"), index=series.index)
            return values.dt.tz_localize("UTC"), missing, np.zeros_like(missing)
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
    with warnings.catch_warnings():
        # pandas suggests its own keyword ("Pass dayfirst=True"); the note
        # below says what was guessed and names our flags instead.
        warnings.simplefilter("ignore", UserWarning)
        parsed, one_by_one, guessed = _parse_distinct(distinct, weights, fmt=fmt,
                                                      dayfirst=dayfirst, tz=tz)
    if guessed and not dayfirst and _ambiguous(guessed[0]):
        form, rows = guessed
        notes.append(f"{rows:,} {label} {'values are' if rows != 1 else 'value is'} not ISO 8601 "
                     f"and {'were' if rows != 1 else 'was'} read as {form!r} "
                     "(a guess: use --timestamp-format, or --dayfirst for day/month order, to "
                     "be sure)")
    if one_by_one:
        notes.append(f"{one_by_one:,} {label} values matched no single format and were "
                     "parsed one by one")
    stamps = _i8(parsed)
    if codes is not None:
        stamps = np.append(stamps, np.iinfo(np.int64).min)[codes]
    values = pd.Series(stamps.view("datetime64[us]"), index=series.index).dt.tz_localize("UTC")
    unparsable = values.isna().to_numpy() & ~missing
    return values, missing, unparsable


def _iso_with_offsets(text: pd.Series) -> np.ndarray | None:
    """Microseconds since the epoch when every non-null text is ISO 8601 with an offset, else None.

    Arrow's cast to a UTC timestamp accepts exactly those texts and fails on
    anything else (a blank, a time without offset, nanoseconds, another
    form), which then takes the general path; where it succeeds it gives
    the instants pandas' ISO 8601 parser gives, in a tenth of the time.

    >>> _iso_with_offsets(pd.Series(["2024-01-01 10:00:00+01:00", None, "2024-01-01T09:00:00.5Z"])
    ...                   ).tolist()
    [1704099600000000, -9223372036854775808, 1704099600500000]
    >>> _iso_with_offsets(pd.Series(["2024-01-01 10:00:00+01:00", "2024-01-01 10:00:00"])) is None
    True
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        strings = pa.array(text, type=pa.string(), from_pandas=True)
        stamps = pc.cast(strings, pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    micros = pc.fill_null(stamps.cast(pa.int64()), np.iinfo(np.int64).min)
    return micros.to_numpy()


def _ambiguous(form: str) -> bool:
    """True when a guessed format could as well have read days as months.

    >>> _ambiguous("%m/%d/%Y %H:%M"), _ambiguous("%Y/%m/%d %H:%M:%S.%f"), _ambiguous("%b %d %Y")
    (True, False, False)
    """
    return "%d" in form and "%m" in form and not form.startswith("%Y")


def _parse_distinct(text: pd.Series, weights: np.ndarray, *, fmt: str | None, dayfirst: bool,
                    tz: str) -> tuple[pd.Series, int, tuple[str, int] | None]:
    """Parse timestamp texts; weights[i] counts the rows holding text[i].

    Returns the UTC timestamps, the number of rows parsed one value at a
    time, and the guessed non-ISO format with the rows it read (or None).
    """
    guessed = None
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
                guessed = (best, best_n)
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
    return parsed, one_by_one, guessed


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    # DST: a wall time that occurs twice is read as the later (standard-time)
    # instant; one that never occurs is moved forward to the first valid one.
    local = naive.dt.tz_localize(tz, ambiguous=np.zeros(len(naive), dtype=bool),
                                 nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.as_unit("us")
