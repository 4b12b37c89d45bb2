"""Event logs played out of a flowchart, with planted problems and their ground truth.

:func:`simulate` walks every case through the chart (branch probabilities,
lognormal waits and processing times, working hours, agents in teams,
channels, repeat customers) and plants deviations in disjoint sets of cases,
so that every later stage can be tested against a known answer: the
:class:`GroundTruth` names each planted deviation, its exact case ids, the
slowed transition and the ping-pong cases.

How it stays fast: the chart's runs (loops bounded by ``max_loops``) are
enumerated once with their probabilities; every planted deviation is a
modified copy of a run.  Each case then picks one run with a single numpy
call, and timestamps are computed position by position for all cases at once.

The parts live in private modules, one question each: ``_runs`` (the chart's
runs), ``_plant`` (what to plant where), ``_playout`` (runs into timed events),
``_hours`` (working hours) and ``_truth`` (the answer key).

Examples
--------
>>> from cs_mining.flowchart import read_flowchart
>>> chart = read_flowchart('''
... name: Phone order
... touchpoint: phone
... steps:
...   - {id: start, kind: start}
...   - {id: take, label: Take order}
...   - {id: check, label: Check stock}
...   - {id: confirm, label: Confirm order}
...   - {id: end, kind: end}
... arrows:
...   - start -> take -> check -> confirm -> end
... ''')
>>> sim = simulate(chart, cases=200, seed=1, plant="skip:check=0.1")
>>> sim
<SimulatedLog 'Phone order': 200 cases, 580 events, 1 planted deviation in 20 cases>
>>> sim.truth.planted[["kind", "activity", "source", "target", "cases"]]
           kind     activity      source         target  cases
0  skipped_step  Check stock  Take order  Confirm order     20
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._plant import _PLANT_HELP, _Chart, _plant_item, _planted_runs, _resolve_plants
from ._playout import _choose_runs, _columns, _event_times, _run_table
from ._runs import _enumerate_runs, _Run
from ._truth import _truth_fields, _warn_natural_pingpong
from .errors import ConfigError, FlowchartError
from .flowchart.model import Flowchart

__all__ = ["simulate", "SimulatedLog", "GroundTruth", "parse_plant", "make_samples", "SAMPLES"]

SCHEMA_VERSION = 1
_ONE_LINE_LISTS = re.compile(r'\[\s+("[^"\\]*"(?:,\s+"[^"\\]*")*)\s+\]')


# ----------------------------------------------------------------------------- plant spec

def parse_plant(spec) -> list:
    """Read a plant specification into a list of planted problems.

    Parameters
    ----------
    spec : str, dict or None
        ``"kind[:argument]=value"`` items separated by commas, or the same as a
        dict ``{"kind[:argument]": value}``.  Kinds: ``skip:STEP``,
        ``rework:STEP`` (done twice in a row) or ``rework:LATER->EARLIER`` (jump
        back and redo), ``unknown:NAME[@STEP]``, ``unexpected:FROM->TO``,
        ``wrong_end[:STEP]``, ``pingpong[:STEP]`` (values are shares of cases,
        0..1) and ``slow:FROM->TO`` (value: the factor, ``x6`` or ``6``).
        Steps are named by id or label.

    Returns
    -------
    list
        One entry per item, in the order written (used by :func:`simulate`).

    Raises
    ------
    ConfigError
        On an unknown kind, a missing argument or a value that is not a number.

    Examples
    --------
    >>> [(p.kind, p.step, p.value) for p in parse_plant("skip:record=0.05,pingpong:0.02")]
    [('skipped_step', 'record', 0.05), ('pingpong', None, 0.02)]
    >>> parse_plant({"slow:triage->diagnose": "x6"})[0].value
    6.0
    >>> parse_plant("skipp:record=0.1")
    Traceback (most recent call last):
    ...
    cs_mining.errors.ConfigError: simulate(): unknown plant kind 'skipp' in 'skipp:record=0.1' (kinds: skip, rework, unknown, unexpected, wrong_end, slow, pingpong)
    """
    if spec is None:
        return []
    if isinstance(spec, str):
        items = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            key, sep, value = part.rpartition("=")
            if not sep:
                key, sep, value = part.rpartition(":")
            if not sep or not key:
                raise ConfigError(f"simulate(): plant item {part!r} has no value; {_PLANT_HELP}")
            items.append((key.strip(), value.strip(), part))
    elif isinstance(spec, dict):
        items = [(str(k).strip(), v, f"{k}={v}") for k, v in spec.items()]
    else:
        raise ConfigError(f"simulate(): plant must be a string or a dict; "
                          f"got {type(spec).__name__}")
    return [_plant_item(key, value, text) for key, value, text in items]


# ----------------------------------------------------------------------------- results

class GroundTruth:
    """What :func:`simulate` planted: the answer every later stage should find.

    Attributes
    ----------
    planted : pandas.DataFrame
        One row per planted deviation: ``kind``, ``activity``, ``source``,
        ``target`` (step labels, ``None`` where the kind has none; see Notes
        of :func:`simulate`), ``cases`` and ``case_ids`` (a sorted list).
    slow_transition : dict or None
        ``source``, ``target``, ``factor``, ``cases`` (cases that pass it),
        ``median_wait_s`` on it and ``others_median_wait_s`` on all other
        transitions, measured from each step's start to the end of the one before.
    pingpong : dict or None
        ``activity`` (the repeated step), ``teams``, ``min_handoffs`` (3),
        ``cases`` and ``case_ids``.
    seed, cases, events, flowchart, conforming_cases : int or str

    Examples
    --------
    >>> truth = GroundTruth.from_dict({"schema_version": 1, "seed": 0, "cases": 10, "events": 40,
    ...     "flowchart": "x", "planted": [{"kind": "wrong_end", "activity": "Triage",
    ...     "source": None, "target": None, "cases": 2, "case_ids": ["T03", "T07"]}],
    ...     "slow_transition": None, "pingpong": None})
    >>> truth
    <GroundTruth 'x': 1 planted deviation in 2 of 10 cases, no slow transition, no ping-pong>
    >>> truth.case_ids(kind="wrong_end")
    ['T03', 'T07']
    """

    def __init__(self, *, seed: int, cases: int, events: int, flowchart: str, planted: list,
                 slow_transition: dict | None = None, pingpong: dict | None = None,
                 conforming_cases: int | None = None, plant: str | None = None):
        self.seed, self.cases, self.events, self.flowchart = seed, cases, events, flowchart
        columns = ["kind", "activity", "source", "target", "cases", "case_ids"]
        self.planted = pd.DataFrame({c: pd.Series([row.get(c) for row in planted], dtype=object)
                                     for c in columns})
        self.planted["cases"] = self.planted["cases"].astype("int64")
        self.slow_transition = slow_transition
        self.pingpong = pingpong
        planted_cases = int(self.planted["cases"].sum()) + (pingpong["cases"] if pingpong else 0)
        self.conforming_cases = cases - planted_cases if conforming_cases is None \
            else conforming_cases
        self.plant = plant

    def case_ids(self, kind: str | None = None, activity: str | None = None,
                 source: str | None = None, target: str | None = None) -> list:
        """Sorted ids of the cases planted with deviations matching every given field.

        ``kind="pingpong"`` returns the ping-pong cases.
        """
        if kind == "pingpong":
            return list(self.pingpong["case_ids"]) if self.pingpong else []
        rows = self.planted
        for col, value in (("kind", kind), ("activity", activity), ("source", source),
                           ("target", target)):
            if value is not None:
                rows = rows[rows[col] == value]
        return sorted(i for ids in rows["case_ids"] for i in ids)

    def to_dict(self) -> dict:
        """JSON-native dict in the documented truth schema (``schema_version`` 1)."""
        planted = [{k: _none(v) for k, v in row.items()}
                   for row in self.planted.to_dict("records")]
        for row in planted:
            row["cases"] = int(row["cases"])
            row["case_ids"] = [str(c) for c in row["case_ids"]]
        return {"schema_version": SCHEMA_VERSION, "seed": self.seed, "cases": self.cases,
                "events": self.events, "flowchart": self.flowchart, "plant": self.plant,
                "conforming_cases": self.conforming_cases, "planted": planted,
                "slow_transition": self.slow_transition, "pingpong": self.pingpong}

    def to_json(self, indent: int | None = 1) -> str:
        """The truth as JSON (UTF-8 text); lists of ids stay on one line."""
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
        return _ONE_LINE_LISTS.sub(lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)

    @classmethod
    def from_dict(cls, data: dict) -> "GroundTruth":
        """Rebuild a truth from :meth:`to_dict` output (or a ``.truth.json`` file's content)."""
        keys = ("seed", "cases", "events", "flowchart", "planted", "slow_transition", "pingpong",
                "conforming_cases", "plant")
        return cls(**{k: data.get(k) for k in keys})

    @classmethod
    def read(cls, path) -> "GroundTruth":
        """Read a ``.truth.json`` file written by :meth:`SimulatedLog.write`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def _headline(self):
        n = len(self.planted)
        cases = int(self.planted["cases"].sum())
        slow = (f"slow {self.slow_transition['source']} -> {self.slow_transition['target']} "
                f"x{self.slow_transition['factor']:g}" if self.slow_transition
                else "no slow transition")
        ping = f"ping-pong in {self.pingpong['cases']} cases" if self.pingpong else "no ping-pong"
        return (f"{n} planted deviation{'s' * (n != 1)} in {cases:,} of {self.cases:,} cases, "
                f"{slow}, {ping}")

    def __repr__(self) -> str:
        return f"<GroundTruth {self.flowchart!r}: {self._headline()}>"

    def _rows(self):
        return [(r.kind, _none(r.activity) or "-", _none(r.source) or "-",
                 _none(r.target) or "-", f"{r.cases:,}") for r in self.planted.itertuples()]

    def __str__(self) -> str:
        lines = [f"Ground truth for {self.flowchart!r} (seed {self.seed}): {self.cases:,} cases, "
                 f"{self.events:,} events, {self.conforming_cases:,} conforming"]
        rows = [("kind", "activity", "source", "target", "cases")] + self._rows()
        widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
        lines += ["  " + "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()
                  for r in rows] if len(rows) > 1 else ["  nothing planted"]
        if self.slow_transition:
            s = self.slow_transition
            lines.append(f"Slow transition: {s['source']} -> {s['target']} x{s['factor']:g} "
                         f"({s['cases']:,} cases; median wait {_fmt(s['median_wait_s'])} "
                         f"against {_fmt(s['others_median_wait_s'])} elsewhere)")
        if self.pingpong:
            p = self.pingpong
            lines.append(f"Ping-pong: {p['cases']:,} cases bounce between {p['teams'][0]} and "
                         f"{p['teams'][1]} at {p['activity']!r}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _html_block(f"Ground truth: {self.flowchart}", str(self))


def _none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _fmt(seconds):
    from .flowchart.model import format_duration
    return format_duration(seconds)


def _html_block(title, text):
    return (f"<div><strong>{html.escape(title)}</strong><pre>{html.escape(text)}</pre></div>")


class SimulatedLog:
    """An event log played out of a flowchart, with its :class:`GroundTruth`.

    Attributes
    ----------
    events : pandas.DataFrame
        One row per event, ordered by case, then time: ``case:concept:name``,
        ``concept:name``, ``time:timestamp`` (completion, UTC),
        ``start_timestamp`` (UTC), ``org:resource`` (agent), ``org:group``
        (team), ``channel``, ``request_type``, ``customer``.  Text columns are
        pandas categoricals, which keeps 10M events in memory.
    truth : GroundTruth
    flowchart : Flowchart

    Examples
    --------
    >>> from cs_mining.flowchart import read_flowchart
    >>> sim = simulate(read_flowchart("sample_logs/service_request_phone.yaml"), cases=50,
    ...                seed=3, plant="skip:record=0.1")
    >>> sim
    <SimulatedLog 'Service request by phone': 50 cases, 361 events, 1 planted deviation in 5 cases>
    >>> sim.truth.planted[["kind", "activity", "cases"]]
               kind                activity  cases
    0  skipped_step  Record request details      5
    """

    def __init__(self, events: pd.DataFrame, truth: GroundTruth, flowchart: Flowchart):
        self.events, self.truth, self.flowchart = events, truth, flowchart

    def write(self, path) -> Path:
        """Write the log (``.csv``, ``.csv.gz``, ``.parquet``) and ``<stem>.truth.json`` beside it.

        Returns the path of the log.  CSV is UTF-8 without BOM.
        """
        path = Path(path)
        name = path.name.lower()
        if name.endswith(".parquet"):
            stem = path.name[:-len(".parquet")]
            self.events.to_parquet(path, index=False)
        elif name.endswith(".csv") or name.endswith(".csv.gz"):
            stem = path.name[:-len(".csv")] if name.endswith(".csv") \
                else path.name[:-len(".csv.gz")]
            self.events.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        else:
            raise ConfigError(f"write a log as .csv, .csv.gz or .parquet; got {path.suffix!r}",
                              path=path)
        truth = path.with_name(stem + ".truth.json")
        truth.write_text(self.truth.to_json() + "\n", encoding="utf-8")
        return path

    def __repr__(self) -> str:
        t = self.truth
        n, cases = len(t.planted), int(t.planted["cases"].sum())
        ping = f", ping-pong in {t.pingpong['cases']:,} cases" if t.pingpong else ""
        return (f"<SimulatedLog {t.flowchart!r}: {t.cases:,} cases, {t.events:,} events, "
                f"{n} planted deviation{'s' * (n != 1)} in {cases:,} cases{ping}>")

    def __str__(self) -> str:
        ev = self.events
        if len(ev):
            span = (f"{ev['time:timestamp'].min():%Y-%m-%d} .. "
                    f"{ev['time:timestamp'].max():%Y-%m-%d}")
        else:
            span = "-"
        customers = ev.groupby("customer", observed=True)["case:concept:name"].nunique()
        teams = ev.groupby("org:group", observed=True)["org:resource"].nunique()
        lines = [f"Simulated log of {self.truth.flowchart!r}: {self.truth.cases:,} cases, "
                 f"{self.truth.events:,} events, seed {self.truth.seed}",
                 f"  period     {span}",
                 f"  channels   {', '.join(map(str, ev['channel'].unique()))}",
                 "  teams      " + ", ".join(f"{k} ({v} agents)" for k, v in teams.items()),
                 f"  customers  {len(customers):,} ({int((customers > 1).sum()):,} "
                 f"contacted again)", str(self.truth)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _html_block(f"Simulated log: {self.truth.flowchart}", str(self))

    def to_dict(self) -> dict:
        """JSON-native summary: size, columns and the ground truth."""
        return {"schema_version": SCHEMA_VERSION, "flowchart": self.truth.flowchart,
                "cases": self.truth.cases, "events": self.truth.events,
                "columns": list(self.events.columns), "truth": self.truth.to_dict()}

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


# ----------------------------------------------------------------------------- simulate

def simulate(flowchart, *, cases: int = 1000, seed: int = 0, plant=None,
             start: str = "2024-01-01", arrivals_per_day: float = 100.0,
             wait="30min", wait_sigma: float = 1.0, waits: dict | None = None,
             duration="5min", duration_sigma: float = 0.5, durations: dict | None = None,
             working_hours: str | None = None, timezone: str = "UTC",
             teams: dict | None = None, agents_per_team: int = 4,
             pingpong_team: str | None = None, outside_team: str | None = None,
             channels=None, repeat_customer_share: float = 0.2, max_loops: int = 3,
             max_runs: int = 20_000, case_prefix: str = "T",
             customer_prefix: str = "C") -> SimulatedLog:
    """Play a flowchart out into an event log, planting known problems.

    Parameters
    ----------
    flowchart : Flowchart, str or pathlib.Path
        The chart, or a YAML/BPMN file read with :func:`cs_mining.read_flowchart`.
    cases : int, default=1000
    seed : int, default=0
        Same seed, same log (identical DataFrame); another seed, another log.
    plant : str, dict or None
        Problems to plant, e.g. ``"skip:record=0.05,slow:triage->diagnose=x6"``
        (see :func:`parse_plant`).  Each share-valued plant goes to exactly
        ``round(share * cases)`` cases, disjoint from the other plants' cases.
    start : str, default="2024-01-01"
        When the first case may arrive (read in ``timezone`` when naive).
    arrivals_per_day : float, default=100.0
        Cases arrive as a Poisson stream at this rate.
    wait, duration : str or float, default="30min", "5min"
        Median wait before a step and median processing time of a step
        (lognormal, with ``wait_sigma`` and ``duration_sigma``).  A step with a
        ``wait_target`` waits half its target by default.
    waits, durations : dict, optional
        Per step id: a median (``"4h"``) or ``(median, sigma)``.
    working_hours : str, optional
        E.g. ``"Mon-Fri 08:00-18:00"``: every step starts and ends inside
        these hours in ``timezone``; a wait that ends outside them moves to the
        next opening.  Default: round the clock.
    timezone : str, default="UTC"
    teams : dict, optional
        Step id -> team name (default: every step in ``"Service desk"``).
        Each case keeps one agent per team, drawn from ``agents_per_team``.
    pingpong_team : str, optional
        The team that ping-pong cases bounce to (default: another team of the
        chart, else ``"Back office"``).
    outside_team : str, optional
        Team of planted unknown activities (default: read off the name,
        ``"Transfer to billing"`` -> ``"Billing"``).
    channels : str, dict or None
        One channel, or ``{channel: weight}``; default the chart's touchpoint.
    repeat_customer_share : float, default=0.2
        Share of cases opened by a customer who had an earlier case.
    max_loops : int, default=3
        A node is visited at most ``1 + max_loops`` times per case.
    max_runs : int, default=20000
        Refuse charts with more distinct runs than this.
    case_prefix, customer_prefix : str, default="T", "C"

    Returns
    -------
    SimulatedLog
        ``.events`` and ``.truth``; ``.write(path)`` saves both.

    Raises
    ------
    ConfigError
        On a bad option or a plant the chart cannot carry (the message says why).
    FlowchartError
        When the chart has problems (:meth:`Flowchart.check`).

    Notes
    -----
    The planted kinds and the deviation compare must report for each
    (labels of steps; a case gets at most one):

    - ``skip:S`` -> ``skipped_step`` (activity S, source/target the steps
      around the gap): one occurrence of S removed where S lies on every way
      between its neighbours.
    - ``rework:S`` -> ``rework`` (activity S, source S, target S): S done
      twice in a row; ``rework:C->B`` -> ``rework`` (activity B, source C,
      target B): after C the case goes back to B and redoes B..C.
    - ``unknown:NAME[@S]`` -> ``unknown_activity`` (activity NAME): an
      activity no step claims, inserted (after S), done by an outside team.
    - ``unexpected:X->Y`` -> ``unexpected_transition`` (source X, target Y):
      Y inserted after X, where Y can never follow X and Y was not done
      before (e.g. both branches of a decision).
    - ``wrong_end[:S]`` -> ``wrong_end`` (activity = the new last step):
      the case stops before a designed last step.
    - ``slow:X->Y=xF``: every wait on X -> Y is F times longer (all cases).
    - ``pingpong[:S]``: cases whose run repeats S (a loop the chart allows)
      get teams alternating event by event between S's first and last
      occurrence: ``org:group`` alternates between two teams at least 3
      times in a row.  Their activities conform.

    Examples
    --------
    >>> from cs_mining.flowchart import FlowchartBuilder
    >>> chart = (FlowchartBuilder("Ticket").start("s").step("open", "Open").step("fix", "Fix")
    ...          .step("close", "Close").end("e").chain("s", "open", "fix", "close", "e").build())
    >>> sim = simulate(chart, cases=3, seed=7, wait="1h", duration="10min")
    >>> sim.events[["case:concept:name", "concept:name", "org:group"]].head(4)
      case:concept:name concept:name     org:group
    0                T1         Open  Service desk
    1                T1          Fix  Service desk
    2                T1        Close  Service desk
    3                T2         Open  Service desk
    >>> simulate(chart, cases=3, seed=7).events.equals(simulate(chart, cases=3, seed=7).events)
    True
    """
    if isinstance(flowchart, (str, Path)):
        from .flowchart import read_flowchart
        flowchart = read_flowchart(flowchart)
    chart = flowchart
    problems = chart.check()
    if problems:
        raise FlowchartError.from_problems(problems)
    if not isinstance(cases, (int, np.integer)) or isinstance(cases, bool) or cases < 1:
        raise ConfigError(f"simulate(): cases must be a positive whole number; got {cases!r}")
    if not 0 <= repeat_customer_share < 1:
        raise ConfigError(f"simulate(): repeat_customer_share must be in [0, 1); got "
                          f"{repeat_customer_share!r}")
    if agents_per_team < 1 or arrivals_per_day <= 0:
        raise ConfigError("simulate(): agents_per_team and arrivals_per_day must be positive")
    cases = int(cases)
    rng = np.random.default_rng(seed)
    info = _Chart(chart)
    step_ids = info.steps
    teams = dict(teams or {})
    for sid in teams:
        if sid not in chart.nodes:
            info.step_id(sid, f"teams[{sid!r}]")
    team_of = {s: teams.get(s, "Service desk") for s in step_ids}
    names = {}
    for n in chart.steps:
        names[n.id] = n.label if n.matches(n.label) else (n.activities[0] if n.activities else None)
        if names[n.id] is None:
            raise ConfigError(f"simulate(): step {n.id!r} has a pattern that its label "
                              f"{n.label!r} does not match; add an activities: name to log")

    base_frags = _enumerate_runs(chart, max_loops, max_runs)
    base = [_Run(list(f[0]), [names[s] for s in f[0]], list(f[1]), list(f[2]),
                 [team_of[s] for s in f[0]], q) for f, q in base_frags]

    plants, slow, pingpong = _resolve_plants(parse_plant(plant), info, base, cases)
    all_teams = list(dict.fromkeys(team_of[s] for s in step_ids))
    groups, home, partner = _planted_runs(plants, base, info, names, team_of, all_teams,
                                          outside_team, pingpong_team, cases)
    runs = base + [r for _, d in groups for r in d]
    order, run_of, n_planted = _choose_runs(rng, cases, base, groups)
    tab = _run_table(chart, runs, all_teams, slow, wait, wait_sigma, waits, duration,
                     duration_sigma, durations)
    n_events, case_of, row, begin, end, ready, order_ev = _event_times(
        rng, tab, runs, run_of, cases, start, arrivals_per_day, working_hours, timezone)
    events, case_ids = _columns(rng, chart, tab, cases, n_events, case_of, row, begin, end,
                                order_ev, agents_per_team, channels, repeat_customer_share,
                                case_prefix, customer_prefix)
    truth = GroundTruth(**_truth_fields(
        chart, seed, cases, n_events, groups, n_planted, order, run_of, len(base), case_ids,
        slow, tab.t_slow[row], begin - ready, case_of, info, plant, (home, partner)))
    _warn_natural_pingpong(events, truth)
    return SimulatedLog(events, truth, chart)


# ----------------------------------------------------------------------------- samples

_DESK = "Mon-Fri 08:00-18:00"
SAMPLES = {
    "service_request_phone": dict(
        cases=1000, seed=11, start="2024-03-04", arrivals_per_day=60, wait_sigma=0.5,
        working_hours=_DESK, timezone="Europe/London",
        plant="skip:record=0.04,rework:record=0.03,unknown:Transfer to billing@account=0.03,"
              "slow:create->advise=x8",
        teams={"waitlist": "Scheduling", "report": "Field service", **{
            s: "Call centre" for s in ("answer", "account", "record", "create", "advise",
                                       "close")}}),
    "service_request_phone_lv": dict(
        cases=1000, seed=12, start="2024-03-04", arrivals_per_day=60, wait_sigma=0.5,
        working_hours=_DESK, timezone="Europe/Riga",
        plant="skip:record=0.04,rework:record=0.03,"
              "unknown:Pārsūtīt uz grāmatvedību@account=0.03,slow:create->advise=x8",
        outside_team="Grāmatvedība",
        teams={"waitlist": "Plānošana", "report": "Lauka serviss", **{
            s: "Zvanu centrs" for s in ("answer", "account", "record", "create", "advise",
                                        "close")}}),
    "order_out_of_stock": dict(
        cases=1000, seed=21, start="2024-05-06", arrivals_per_day=80, wait_sigma=0.5,
        channels={"web": 0.6, "phone": 0.4},
        plant="unexpected:reserve->backorder=0.04,unexpected:backorder->alternative=0.02,"
              "wrong_end=0.05",
        teams={"receive": "Order desk", "check": "Order desk", "alternative": "Order desk",
               "cancel": "Order desk", "reserve": "Warehouse", "confirm": "Warehouse",
               "ship": "Warehouse", "backorder": "Purchasing", "invoice": "Accounts"}),
    "complaint_email": dict(
        cases=1000, seed=31, start="2024-09-02", arrivals_per_day=40, wait_sigma=0.5,
        working_hours=_DESK, timezone="Europe/Dublin",
        plant="unknown:Forward to billing@investigate=0.05,"
              "unknown:Forward to logistics@assign=0.02,"
              "pingpong:investigate=0.05,rework:reply->resolve=0.03,slow:assign->investigate=x5",
        pingpong_team="Product support",
        teams={"log": "Service desk", "acknowledge": "Service desk", "assign": "Service desk",
               "close": "Service desk", "investigate": "Complaints", "reassign": "Complaints",
               "resolve": "Complaints", "reply": "Complaints", "escalate": "Supervisors"}),
    "technical_query_chat": dict(
        cases=1000, seed=41, start="2024-11-04", arrivals_per_day=120, wait_sigma=0.5,
        working_hours="Mon-Sat 08:00-20:00", timezone="Asia/Kolkata",
        plant="skip:kb=0.06,wrong_end=0.03,unknown:Transfer to sales@identify=0.02,"
              "slow:consult->callback=x4",
        teams={"accept": "Chat agents", "identify": "Chat agents", "kb": "Chat agents",
               "answer": "Chat agents", "close": "Chat agents", "consult": "Specialists",
               "callback": "Chat agents"}),
}


def make_samples(folder, *, flowcharts=None) -> list:
    """Rebuild every synthetic sample log in ``folder`` from its flowchart, deterministically.

    For each name in :data:`SAMPLES`, reads ``<name>.yaml`` from ``flowcharts``
    (default: ``folder``), calls :func:`simulate` with the recorded arguments and
    writes ``<name>.csv`` and ``<name>.truth.json`` into ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
    flowcharts : str or pathlib.Path, optional

    Returns
    -------
    list of pathlib.Path
        The CSV files written.

    Examples
    --------
    >>> sorted(SAMPLES)  # doctest: +NORMALIZE_WHITESPACE
    ['complaint_email', 'order_out_of_stock', 'service_request_phone',
     'service_request_phone_lv', 'technical_query_chat']
    >>> make_samples("sample_logs")  # doctest: +SKIP
    """
    from .flowchart import read_flowchart
    folder = Path(folder)
    source = Path(flowcharts) if flowcharts is not None else folder
    written = []
    for name, kwargs in SAMPLES.items():
        chart = read_flowchart(source / f"{name}.yaml")
        written.append(simulate(chart, **kwargs).write(folder / f"{name}.csv"))
    return written
