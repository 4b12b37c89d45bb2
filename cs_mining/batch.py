"""The scheduled report job: several logs, each against its flowchart, one folder of reports.

A batch config (YAML, see ``docs/batch.md``) lists the jobs; its keys are the
command line's flags with underscores (``--case-column`` is ``case_column``).
:func:`run_batch` loads each log, compares it with its flowchart, and writes
``<name>.html``, ``<name>.json``, ``<name>.md`` (the formats asked for) and
``<name>.rejected.csv`` when rows were rejected, then ``index.html`` and
``summary.json`` over every job.  A job that fails with a
:class:`~cs_mining.errors.CsMiningError` is listed as failed with its message;
the other jobs still run.

Exit codes follow the command line: 2 when a job failed, 1 when a job's
fitness is under ``fail_under_fitness``, else 0.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import cs_mining
>>> samples = Path(cs_mining.__file__).parents[1] / "sample_logs"
>>> config = read_batch_config('''
... formats: [json]
... fail_under_fitness: 0.95
... jobs:
...   - name: phone
...     log: service_request_phone.csv
...     flowchart: service_request_phone.yaml
...   - name: broken
...     log: service_request_phone.csv
...     flowchart: service_request_phone.yaml
...     case_column: ticket_id
... ''', base=samples)
>>> with tempfile.TemporaryDirectory() as folder:
...     run = run_batch(config, out_dir=folder, now="2024-05-06")
...     written = sorted(p.name for p in Path(folder).iterdir())
>>> run
<BatchRun 2024-05-06: 2 jobs, 1 ok, 0 below threshold, 1 failed, exit 2>
>>> written
['index.html', 'phone.json', 'summary.json']
>>> run.jobs[["name", "status", "cases", "deviations"]]
     name  status  cases  deviations
0   phone      ok   1000           3
1  broken  failed   <NA>        <NA>
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ._batch_config import (CALENDAR_KEYS, COMPARE_KEYS, FORMATS, JOB_KEYS, MAPPING_KEYS,
                            READ_KEYS, TOP_KEYS, _DEFAULT_OUTPUT, _read_config)
from ._batch_job import _run_job
from ._batch_pages import _deviation_text, _headline, _index_page, _notebook_html, _summary_text
from .errors import ConfigError, check_choice

# the config keys live in _batch_config; tests and docs/batch.md import them from here
__all__ = ["BatchConfig", "BatchJob", "BatchRun", "read_batch_config", "run_batch",
           "FORMATS", "TOP_KEYS", "JOB_KEYS", "MAPPING_KEYS", "READ_KEYS", "COMPARE_KEYS",
           "CALENDAR_KEYS"]

SCHEMA_VERSION = 1


# ----------------------------------------------------------------------------- config

@dataclass(frozen=True)
class BatchJob:
    """One log compared with one flowchart.

    Parameters
    ----------
    name : str
        Names the report files (``<name>.html``, ...): letters, digits,
        ``.``, ``_``, ``-``.
    log, flowchart : pathlib.Path
        The event log and the flowchart.
    load_options : dict
        Keyword arguments for :func:`cs_mining.load_log` (``case_column``, ...).
    compare_options : dict
        Keyword arguments for :func:`cs_mining.compare` (``open_cases``, ...).
    fail_under_fitness : float or None
        Overrides the config's threshold for this job.

    Examples
    --------
    >>> BatchJob("helpdesk", Path("helpdesk.csv"), Path("helpdesk.yaml"),
    ...          load_options={"case_column": "Case ID"})
    <BatchJob 'helpdesk': helpdesk.csv against helpdesk.yaml>
    """

    name: str
    log: Path
    flowchart: Path
    load_options: dict = field(default_factory=dict)
    compare_options: dict = field(default_factory=dict)
    fail_under_fitness: float | None = None

    def __repr__(self) -> str:
        return f"<BatchJob {self.name!r}: {self.log} against {self.flowchart}>"


@dataclass(frozen=True)
class BatchConfig:
    """A validated batch config: where reports go, in which formats, and the jobs.

    Read one with :func:`read_batch_config`; build one in code for tests.

    Parameters
    ----------
    jobs : tuple of BatchJob
    output : str, default="reports/{date}"
        Output folder; ``{date}`` becomes the run date (``YYYY-MM-DD``).  A
        relative folder is taken from ``base``.
    formats : tuple of str, default=("html", "json", "markdown")
        Any of ``html``, ``json``, ``markdown``, ``text``.
    fail_under_fitness : float or None
        A job whose fitness is under this makes the run exit 1.
    base : pathlib.Path, default=Path(".")
        Folder that relative paths are read from (the config file's folder).
    path : str or None
        The config file, for messages.

    Examples
    --------
    >>> config = BatchConfig(jobs=(BatchJob("a", Path("a.csv"), Path("a.yaml")),),
    ...                      base=Path("/srv/cs_mining"))
    >>> config
    <BatchConfig: 1 job, formats html, json, markdown, output reports/{date}>
    >>> config.output_dir("2024-05-06").as_posix()
    '/srv/cs_mining/reports/2024-05-06'
    """

    jobs: tuple
    output: str = _DEFAULT_OUTPUT
    formats: tuple = ("html", "json", "markdown")
    fail_under_fitness: float | None = None
    base: Path = Path(".")
    path: str | None = None

    def output_dir(self, date: str) -> Path:
        """The output folder of a run on ``date`` (``YYYY-MM-DD``)."""
        # '..' is taken from the config's folder as written, not from where a symlink points
        return Path(os.path.normpath(self.base / self.output.replace("{date}", date)))

    def __repr__(self) -> str:
        n = len(self.jobs)
        return (f"<BatchConfig{' ' + self.path if self.path else ''}: {n} job{'s' * (n != 1)}, "
                f"formats {', '.join(self.formats) or 'none'}, output {self.output}>")


def read_batch_config(source, *, base=None) -> BatchConfig:
    """Read and validate a batch config (YAML), reporting every problem at once.

    Parameters
    ----------
    source : str or pathlib.Path
        A YAML file, or YAML text (a string with a line break).
    base : str or pathlib.Path, optional
        Folder that the relative paths of ``output``, ``log`` and
        ``flowchart`` are read from.  Default: the config file's folder (the
        current folder for text).

    Returns
    -------
    BatchConfig

    Raises
    ------
    ConfigError
        Listing every problem, one line each, as ``file:line: message``:
        unknown keys (with the nearest known one), missing keys, values of
        the wrong type, unknown formats, log and flowchart files not found,
        job names used twice.  ``.problems`` holds the lines.

    Notes
    -----
    Top-level keys: ``output`` (default ``reports/{date}``), ``formats``
    (default ``[html, json, markdown]``), ``fail_under_fitness``, ``jobs``.
    Job keys: ``name``, ``log``, ``flowchart``, the column mapping
    (``case_column``, ``activity_column``, ... as :func:`cs_mining.load_log`),
    reading options (``encoding``, ``delimiter``, ``timezone``,
    ``timestamp_format``, ``dayfirst``, ``drop_duplicates``), compare options
    (``open_after``, ``open_cases``, ``alignments``, ``max_variants``,
    ``clock_stopped``, ``min_cases``, ``targets_in``), working time (``hours``,
    ``holidays``: a :class:`~cs_mining.Calendar` in the job's ``timezone``) and
    ``fail_under_fitness`` for that job alone.

    Examples
    --------
    >>> import cs_mining
    >>> from pathlib import Path
    >>> samples = Path(cs_mining.__file__).parents[1] / "sample_logs"
    >>> config = read_batch_config('''
    ... jobs:
    ...   - name: helpdesk
    ...     log: helpdesk.csv
    ...     flowchart: helpdesk.yaml
    ...     case_column: Case ID
    ... ''', base=samples)
    >>> config.jobs[0].load_options
    {'case_column': 'Case ID'}
    >>> read_batch_config('''
    ... formats: [html, pdf]
    ... jobs:
    ...   - name: helpdesk
    ...     log: helpdesk.cvs
    ...     flowchart: helpdesk.yaml
    ...     case_colum: Case ID
    ... ''', base=samples)
    Traceback (most recent call last):
    ...
    cs_mining.errors.ConfigError: line 2: formats: unknown format 'pdf' (formats: 'html', 'json', 'markdown', 'text')
    line 5: job 'helpdesk': log file 'helpdesk.cvs' not found (did you mean 'helpdesk.csv'?)
    line 7: job 'helpdesk': unknown key 'case_colum' (did you mean 'case_column'?)
    """
    fields = _read_config(source, base)
    jobs = tuple(BatchJob(**job) for job in fields.pop("jobs"))
    return BatchConfig(jobs=jobs, **fields)


# ----------------------------------------------------------------------------- run

def _run_date(now) -> str:
    if now is None:
        return _dt.date.today().isoformat()
    if isinstance(now, (_dt.datetime, _dt.date)):
        return now.strftime("%Y-%m-%d")
    try:
        return _dt.date.fromisoformat(str(now)).isoformat()
    except ValueError:
        raise ConfigError(f"run_batch(): now must be a date (YYYY-MM-DD); got {now!r}") from None


def run_batch(config: BatchConfig, *, out_dir=None, now=None) -> "BatchRun":
    """Run every job of a batch config and write the reports, an index and a summary.

    Parameters
    ----------
    config : BatchConfig
        From :func:`read_batch_config`.
    out_dir : str or pathlib.Path, optional
        Output folder, instead of the config's ``output`` (``{date}`` is
        replaced here too).
    now : datetime.date, datetime.datetime or str, optional
        The run date (default: today), which names the folder.

    Returns
    -------
    BatchRun
        ``.exit_code`` is 2 when a job failed, 1 when a job's fitness is under
        its threshold, else 0.

    Raises
    ------
    ConfigError
        When ``config.formats`` holds an unknown format or ``now`` is not a date.

    Notes
    -----
    In the output folder: per job ``<name>.html``, ``.json``, ``.md``,
    ``.txt`` (the formats asked for) and ``<name>.rejected.csv`` when rows
    were rejected; ``index.html`` (a table of every job, linking its
    reports) and ``summary.json`` (:meth:`BatchRun.to_dict`).  Only
    :class:`~cs_mining.errors.CsMiningError` is caught per job; any other
    exception is a bug and stops the run.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import cs_mining
    >>> samples = Path(cs_mining.__file__).parents[1] / "sample_logs"
    >>> job = BatchJob("phone", samples / "service_request_phone.csv",
    ...                samples / "service_request_phone.yaml")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     run = run_batch(BatchConfig(jobs=(job,), formats=("markdown",)), out_dir=folder,
    ...                     now="2024-05-06")
    ...     sorted(p.name for p in Path(folder).iterdir())
    ['index.html', 'phone.md', 'summary.json']
    >>> run.exit_code, round(float(run.jobs.loc[0, "fitness"]), 3)
    (0, 0.992)
    """
    for fmt in config.formats:
        check_choice("run_batch()", "format", fmt, FORMATS)
    date = _run_date(now)
    folder = Path(str(out_dir).replace("{date}", date)) if out_dir is not None \
        else config.output_dir(date)
    folder.mkdir(parents=True, exist_ok=True)
    records, results = [], {}
    for job in config.jobs:
        threshold = job.fail_under_fitness if job.fail_under_fitness is not None \
            else config.fail_under_fitness
        record, result = _run_job(job, folder, config.formats, threshold)
        records.append(record)
        if result is not None:
            results[job.name] = result
    run = BatchRun(date=date, out_dir=folder, formats=tuple(config.formats),
                   fail_under_fitness=config.fail_under_fitness, records=records,
                   results=results, config_path=config.path)
    (folder / "summary.json").write_text(json.dumps(run.to_dict(), ensure_ascii=False,
                                                    indent=2) + "\n", encoding="utf-8")
    (folder / "index.html").write_text(run.to_html(), encoding="utf-8")
    return run

# ----------------------------------------------------------------------------- result

_COLUMNS = ["name", "status", "events", "cases", "rejected_rows", "fitness",
            "conforming_case_share", "deviations", "top_deviation", "message"]


class BatchRun:
    """What :func:`run_batch` did: one row per job, the files written, the exit code.

    Attributes
    ----------
    date : str
        The run date, ``YYYY-MM-DD``.
    out_dir : pathlib.Path
        The folder the reports were written to.
    jobs : pandas.DataFrame
        One row per job, in config order: ``name``, ``status`` (``ok``,
        ``below_threshold``, ``failed``), ``events``, ``cases``,
        ``rejected_rows``, ``fitness``, ``conforming_case_share``,
        ``deviations``, ``top_deviation`` (in words), ``message`` (why a job
        failed or is below its threshold).
    results : dict
        Job name -> :class:`~cs_mining.Comparison`, for the jobs that ran.
    exit_code : int
        2 when a job failed, 1 when a job is below its fitness threshold, else 0.

    Examples
    --------
    >>> run = BatchRun(date="2024-05-06", out_dir=Path("reports/2024-05-06"),
    ...                formats=("html",), fail_under_fitness=None, records=[
    ...                    {"name": "phone", "status": "failed", "message": "phone.csv: file "
    ...                     "not found", "reports": {}}])
    >>> run
    <BatchRun 2024-05-06: 1 job, 0 ok, 0 below threshold, 1 failed, exit 2>
    >>> print(run)
    Batch run 2024-05-06: 1 job, 0 ok, 0 below threshold, 1 failed (exit 2)
    Reports in reports/2024-05-06
      job    status  events  cases  rejected  fitness  conforming  deviations  top deviation
      phone  failed       -      -         -        -           -           -  -
    Failed:
      phone: phone.csv: file not found
    """

    def __init__(self, *, date: str, out_dir: Path, formats: tuple,
                 fail_under_fitness: float | None, records: list[dict],
                 results: dict | None = None, config_path: str | None = None):
        self.date = date
        self.out_dir = Path(out_dir)
        self.formats = tuple(formats)
        self.fail_under_fitness = fail_under_fitness
        self.records = [dict(r) for r in records]
        self.results = dict(results or {})
        self.config_path = config_path

    @property
    def jobs(self) -> pd.DataFrame:
        rows = [{**{c: r.get(c) for c in _COLUMNS},
                 "top_deviation": _deviation_text(r.get("top_deviation"))}
                for r in self.records]
        frame = pd.DataFrame(rows, columns=_COLUMNS)
        return frame.astype({"events": "Int64", "cases": "Int64", "rejected_rows": "Int64",
                             "deviations": "Int64", "fitness": "Float64",
                             "conforming_case_share": "Float64"})

    @property
    def failed(self) -> list[str]:
        """Names of the jobs that failed."""
        return [r["name"] for r in self.records if r["status"] == "failed"]

    @property
    def below_threshold(self) -> list[str]:
        """Names of the jobs whose fitness is under their threshold."""
        return [r["name"] for r in self.records if r["status"] == "below_threshold"]

    @property
    def exit_code(self) -> int:
        return 2 if self.failed else 1 if self.below_threshold else 0

    def __repr__(self) -> str:
        return f"<BatchRun {self.date}: {_headline(self.records)}, exit {self.exit_code}>"

    def __str__(self) -> str:
        return _summary_text(self)

    def _repr_html_(self) -> str:
        return _notebook_html(self)

    def to_html(self) -> str:
        """``index.html``: a whole page with a table of every job, linking its reports."""
        return _index_page(self)

    def to_dict(self) -> dict:
        """JSON-native summary (``summary.json``, ``schema_version`` 1)."""
        from .report.json import to_jsonable

        return to_jsonable({
            "schema_version": SCHEMA_VERSION, "date": self.date, "output": str(self.out_dir),
            "config": self.config_path, "formats": list(self.formats),
            "fail_under_fitness": self.fail_under_fitness, "exit_code": self.exit_code,
            "jobs": [{**r, "warnings": list(r.get("warnings", [])),
                      "reports": dict(r.get("reports", {}))} for r in self.records]})

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

