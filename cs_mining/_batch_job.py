"""How is one batch job run, and what does the run record about it?

A job reads its flowchart, loads its log and compares the two; then writes one
report per format asked for (``<name>.html``, ...) and ``<name>.rejected.csv``
when rows were rejected.  Its record (a dict, one row of `BatchRun.jobs` and of
``summary.json``) holds the counts, fitness, top deviation, warnings, files
written and, when the job failed or is under its fitness threshold, why.  Only
`~cs_mining.errors.CsMiningError` makes a job fail; anything else is a bug.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ._batch_config import FORMATS
from .errors import CsMiningError


def _top_deviation(result) -> dict | None:
    from .report.text import where

    if not len(result.deviations):
        return None
    row = result.deviations.iloc[0]
    return {"kind": row["kind"], "source": row["source"], "target": row["target"],
            "activity": row["activity"], "cases": int(row["cases"]),
            "case_share": float(row["case_share"]), "where": where(row)}


def _run_job(job, folder: Path, formats, threshold) -> tuple[dict, Any]:
    """(record, Comparison or None) of a `BatchJob`, its reports written to ``folder``."""
    from .compare import compare
    from .flowchart import read_flowchart
    from .load import load_log

    record = {"name": job.name, "status": "failed", "message": None, "log": str(job.log),
              "flowchart": str(job.flowchart), "events": None, "cases": None,
              "rejected_rows": None, "fitness": None, "conforming_case_share": None,
              "deviations": None, "top_deviation": None, "fail_under_fitness": threshold,
              "warnings": [], "reports": {}, "duration_s": None}
    started = time.perf_counter()
    try:
        chart = read_flowchart(job.flowchart)
        loaded = load_log(job.log, **job.load_options)
        result = compare(loaded, chart, progress=False, **job.compare_options)
    except CsMiningError as err:
        record["message"] = str(err).splitlines()[0]
        record["duration_s"] = round(time.perf_counter() - started, 3)
        return record, None

    render = {"html": result.to_html, "json": lambda: result.to_json(indent=2),
              "markdown": result.to_markdown, "text": lambda: str(result) + "\n"}
    for fmt in formats:
        name = job.name + FORMATS[fmt]
        (folder / name).write_text(render[fmt](), encoding="utf-8")
        record["reports"][fmt] = name
    report = loaded.report
    if report.rows_rejected:
        name = f"{job.name}.rejected.csv"
        report.write_rejected(folder / name)
        record["reports"]["rejected"] = name
    c = result.conformance
    record.update(
        events=int(result.log_summary["events"]), cases=int(c["cases"]),
        rejected_rows=int(report.rows_rejected), fitness=float(c["fitness"]),
        conforming_case_share=float(c["conforming_case_share"]),
        deviations=int(len(result.deviations)), top_deviation=_top_deviation(result),
        warnings=list(report.warnings),
        status="below_threshold" if threshold is not None and c["fitness"] < threshold
        else "ok",
        duration_s=round(time.perf_counter() - started, 3))
    if record["status"] == "below_threshold":
        record["message"] = f"fitness {c['fitness']:.3f} is under {threshold:g}"
    return record, result
