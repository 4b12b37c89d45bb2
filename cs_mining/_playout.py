"""How the runs chosen for the cases become timed events, done by agents in teams.

Each case picks one run with a single numpy call (:func:`_choose_runs`); the
runs are laid out as one table with a row per event (:func:`_run_table`);
timestamps are then computed position by position for all cases at once
(:func:`_event_times`) and the log's columns are filled in (:func:`_columns`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._hours import _DAY, _Hours, _zone
from .errors import ConfigError
from .flowchart.model import parse_duration


class _RunTable(NamedTuple):
    """One row per event of every run; run r's rows start at ``run_start[r]``."""

    act_names: list
    team_names: list
    width: int              # most predecessors of one event
    run_len: np.ndarray
    run_start: np.ndarray
    t_act: np.ndarray
    t_team: np.ndarray
    t_pred: np.ndarray      # predecessor positions in the run, -1 arrival, -2 none
    t_wait: np.ndarray      # (median, sigma) of the wait before the event
    t_dur: np.ndarray       # (median, sigma) of its processing time
    t_slow: np.ndarray      # the event ends the slowed transition


def _choose_runs(rng, cases, base, groups):
    """Return (order, run_of, n_planted): the run of each case.

    ``order`` is a permutation of the cases: the first ``n_planted[0]`` carry
    the first plant, and so on; the rest follow the chart.
    """
    n_planted = [round(p.value * cases) for p, _ in groups]
    order = rng.permutation(cases)
    run_of = np.empty(cases, dtype=np.int64)
    offset, first = 0, len(base)
    plain = order[sum(n_planted):]
    base_w = np.array([r.weight for r in base])
    run_of[plain] = rng.choice(len(base), size=len(plain), p=base_w / base_w.sum())
    for (p, derived), n in zip(groups, n_planted):
        who = order[offset:offset + n]
        if n:
            w = np.array([r.weight for r in derived])
            run_of[who] = first + rng.choice(len(derived), size=n, p=w / w.sum())
        offset += n
        first += len(derived)
    return order, run_of, n_planted


def _run_table(chart, runs, all_teams, slow, wait, wait_sigma, waits, duration, duration_sigma,
               durations):
    """The run table: one row per event of every run, with its codes and time parameters."""
    act_names = list(dict.fromkeys(a for r in runs for a in r.acts))
    team_names = list(dict.fromkeys(all_teams + [t for r in runs for t in r.teams]))
    act_code = {a: i for i, a in enumerate(act_names)}
    team_code = {t: i for i, t in enumerate(team_names)}
    width = max(max(len(ps) for r in runs for ps in r.preds), 1)
    run_len = np.array([len(r.steps) for r in runs], dtype=np.int64)
    run_start = np.concatenate([[0], np.cumsum(run_len)[:-1]])
    rows = int(run_len.sum())
    t_act = np.empty(rows, dtype=np.int32)
    t_team = np.empty(rows, dtype=np.int32)
    t_pred = np.full((rows, width), -2, dtype=np.int64)
    t_wait = np.empty((rows, 2))
    t_dur = np.empty((rows, 2))
    t_slow = np.zeros(rows, dtype=bool)
    wait_cfg = _step_times(chart, wait, wait_sigma, waits, "wait", half_target=True)
    dur_cfg = _step_times(chart, duration, duration_sigma, durations, "duration")
    k = 0
    for r in runs:
        for i, (s, a, ps, t) in enumerate(zip(r.steps, r.acts, r.preds, r.teams)):
            t_act[k], t_team[k] = act_code[a], team_code[t]
            t_pred[k, :len(ps)] = ps
            t_wait[k] = wait_cfg.get(s, wait_cfg[None])
            t_dur[k] = dur_cfg.get(s, dur_cfg[None])
            if slow and s == slow.target and any(p >= 0 and r.steps[p] == slow.source for p in ps):
                t_slow[k] = True
            k += 1
    if slow:
        t_wait[t_slow, 0] *= slow.value
    return _RunTable(act_names, team_names, width, run_len, run_start, t_act, t_team, t_pred,
                     t_wait, t_dur, t_slow)


def _event_times(rng, tab, runs, run_of, cases, start, arrivals_per_day, working_hours,
                 timezone):
    """Return (n_events, case_of, row, begin, end, ready, order_ev), one entry per event.

    ``row`` is the event's row in the run table, ``ready`` when its predecessors
    were done, ``order_ev`` the order of the events in the log (None: as they are).
    """
    run_len, run_start, width = tab.run_len, tab.run_start, tab.width
    t_pred, t_wait, t_dur = tab.t_pred, tab.t_wait, tab.t_dur
    lengths = run_len[run_of]
    n_events = int(lengths.sum())
    case_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    case_of = np.repeat(np.arange(cases, dtype=np.int64), lengths)
    pos = np.arange(n_events, dtype=np.int64) - case_start[case_of]
    row = run_start[run_of][case_of] + pos
    del pos
    wait_s = np.rint(t_wait[row, 0] * np.exp(t_wait[row, 1] * rng.standard_normal(n_events)))
    dur_s = np.maximum(1, np.rint(t_dur[row, 0] * np.exp(t_dur[row, 1]
                                                           * rng.standard_normal(n_events))))
    wait_s, dur_s = wait_s.astype(np.int64), dur_s.astype(np.int64)

    hours = _Hours(working_hours, _zone(timezone)) if working_hours else None
    t0 = pd.Timestamp(start)
    t0 = (t0.tz_localize(_zone(timezone)) if t0.tzinfo is None else t0).tz_convert("UTC")
    t0 = int(t0.value // 10**9)
    arrival = t0 + np.floor(np.cumsum(rng.exponential(_DAY / arrivals_per_day, cases))) \
        .astype(np.int64)
    if hours:
        arrival = hours.next_open(arrival)
    begin = np.empty(n_events, dtype=np.int64)
    end = np.empty(n_events, dtype=np.int64)
    ready = np.empty(n_events, dtype=np.int64)
    for k in range(int(run_len.max())):
        live = np.nonzero(lengths > k)[0]
        idx = case_start[live] + k
        preds = t_pred[row[idx]]
        at = np.full(len(idx), np.iinfo(np.int64).min)
        for c in range(width):
            p = preds[:, c]
            at = np.maximum(at, np.where(p == -1, arrival[live],
                                         np.where(p >= 0, end[case_start[live] + np.maximum(p, 0)],
                                                  np.iinfo(np.int64).min)))
        ready[idx] = at
        if hours:
            begin[idx], end[idx] = hours.place(at + wait_s[idx], dur_s[idx])
        else:
            begin[idx] = at + wait_s[idx]
            end[idx] = begin[idx] + dur_s[idx]
    del wait_s, dur_s
    if any(any(r.par) for r in runs):
        order_ev = np.lexsort((np.arange(n_events), end, case_of))
    else:
        order_ev = None
    return n_events, case_of, row, begin, end, ready, order_ev


def _columns(rng, chart, tab, cases, n_events, case_of, row, begin, end, order_ev,
             agents_per_team, channels, repeat_customer_share, case_prefix, customer_prefix):
    """Return (events, case_ids): the log's DataFrame and the case id of each case number."""
    act_names, team_names, t_act, t_team = tab.act_names, tab.team_names, tab.t_act, tab.t_team
    digits = len(str(cases))
    case_ids = [f"{case_prefix}{i:0{digits}d}" for i in range(1, cases + 1)]
    used = set()
    codes = [_short(t, used) for t in team_names]
    agent_names = [f"{c}-{a + 1}" for c in codes for a in range(agents_per_team)]
    agent_pick = rng.integers(0, agents_per_team, size=(cases, len(team_names)),
                              dtype=np.int16 if agents_per_team < 2**15 else np.int64)
    ch_names, ch_p = _channels(channels, chart)
    channel_of = rng.choice(len(ch_names), size=cases, p=ch_p)
    customer_of = _customers(rng, cases, repeat_customer_share)
    n_customers = int(customer_of.max()) + 1
    cust_digits = len(str(n_customers))
    customer_names = [f"{customer_prefix}{i:0{cust_digits}d}" for i in range(1, n_customers + 1)]
    ev_team = t_team[row]
    agent = ev_team.astype(np.int64) * agents_per_team + agent_pick[case_of, ev_team]

    def take(a):
        return a if order_ev is None else a[order_ev]

    def cat(codes, categories):
        return pd.Categorical.from_codes(take(codes), categories=pd.Index(categories))

    def stamp(seconds):
        return pd.to_datetime(take(seconds) * 1_000_000, unit="us", utc=True)

    events = pd.DataFrame({
        "case:concept:name": cat(case_of, case_ids),
        "concept:name": cat(t_act[row], act_names),
        "time:timestamp": stamp(end),
        "start_timestamp": stamp(begin),
        "org:resource": cat(agent, agent_names),
        "org:group": cat(ev_team, team_names),
        "channel": cat(channel_of[case_of], ch_names),
        "request_type": pd.Categorical.from_codes(np.zeros(n_events, dtype=np.int8),
                                                  categories=[chart.request_type or chart.name]),
        "customer": cat(customer_of[case_of], customer_names),
    })
    return events, case_ids


def _median_sigma(value, default_sigma, what, step):
    if isinstance(value, (tuple, list)):
        median, sigma = value
    else:
        median, sigma = value, default_sigma
    try:
        return parse_duration(median), float(sigma)
    except ValueError as e:
        raise ConfigError(f"simulate(): {what} for {step!r}: {e}") from None


def _step_times(chart, default, sigma, overrides, what, half_target=False):
    cfg = {None: _median_sigma(default, sigma, what, "default")}
    for n in chart.steps:
        if half_target and n.wait_target_s:
            cfg[n.id] = (n.wait_target_s / 2, sigma)
    for sid, value in (overrides or {}).items():
        if sid not in chart.nodes:
            raise ConfigError(f"simulate(): {what}s names {sid!r}, which is not a step of "
                              f"{chart.name!r}")
        cfg[sid] = _median_sigma(value, sigma, what, sid)
    return cfg


def _channels(channels, chart):
    if channels is None:
        channels = chart.touchpoint or "phone"
    if isinstance(channels, str):
        return [channels], np.array([1.0])
    names = list(channels)
    w = np.array([float(channels[c]) for c in names])
    if not len(w) or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(f"simulate(): channels needs positive weights; got {channels!r}")
    return names, w / w.sum()


def _customers(rng, cases, share):
    """Customer number per case: a share of cases come from a customer seen before."""
    again = rng.random(cases) < share
    again[0] = False
    new_so_far = np.cumsum(~again)                     # customers known when the case opens
    pick = np.floor(rng.random(cases) * new_so_far).astype(np.int64)
    return np.where(again, pick, new_so_far - 1)


def _short(team, used):
    letters = "".join(w[0] for w in re.findall(r"\w+", team)).upper() or "A"
    code, k = letters, 2
    while code in used:
        code, k = f"{letters}{k}", k + 1
    used.add(code)
    return code
