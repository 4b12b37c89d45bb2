"""What does a cell hold: blank or not, a text id, a number or a boolean?

Also the value of a combined ``"a+b"`` column, with the rows where any part is blank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
