"""How does each variant replay on the flowchart's net? pm4py's token replay and alignments.

Each distinct trace is replayed once, by pm4py; with thousands, forked
processes replay them while the caller goes on with its own work.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

_job_numbers = itertools.count()
_KEEP = ("trace_is_fit", "trace_fitness", "missing_tokens", "consumed_tokens",
         "remaining_tokens", "produced_tokens")
# Replay jobs by number: forked workers inherit them instead of receiving a
# pickled copy, so they replay on the very net objects the caller built.
_JOBS: dict[int, tuple] = {}
_PARALLEL_FROM = 2000


def _replay_slice(job: int, start: int, stop: int) -> list[dict]:
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay
    from pm4py.objects.log.obj import Event, EventLog, Trace

    traces, net, initial, final = _JOBS[job]
    log = EventLog([Trace([Event({"concept:name": a}) for a in t]) for t in traces[start:stop]])
    return [{k: r[k] for k in _KEEP} for r in token_replay.apply(
        log, net, initial, final, parameters={"show_progress_bar": False})]


def _replay(traces: list[tuple[str, ...]], petri) -> Callable[[], list[dict]]:
    """Start pm4py's token replay of the traces; return a function that waits for the results.

    Activities without a transition in the net are dropped first: pm4py's
    replay passes over them (#435), so traces equal without them replay alike
    and each distinct one is replayed once, by pm4py.  With thousands, the
    replays run in forked processes, which inherit the net and pm4py's
    import, while the caller goes on with work that does not need them.

    A net without silent transitions is replayed on a copy whose places and
    transitions hash faster (:mod:`cs_mining.flowchart._net_objects`): replay
    then never walks silent paths, so the order in which it meets the net's
    objects, the one thing the copy changes, cannot change its result.
    """
    import multiprocessing
    import os
    import sys

    labels = {t.label for t in petri.net.transitions if t.label is not None}
    distinct: dict[tuple[str, ...], int] = {}
    index = [distinct.setdefault(tuple(a for a in t if a in labels), len(distinct))
             for t in traces]
    net = (petri.net, petri.initial_marking, petri.final_marking)
    if all(t.label is not None for t in petri.net.transitions):
        from .flowchart._net_objects import replay_copy

        net = replay_copy(*net)
    job = next(_job_numbers)
    _JOBS[job] = (list(distinct), *net)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cores or 1, 4)
    # fork only where it is safe with the libraries already loaded (macOS
    # system frameworks are not); elsewhere the replay stays in this process
    if len(distinct) < _PARALLEL_FROM or workers < 2 or not sys.platform.startswith("linux"):
        def in_process() -> list[dict]:
            try:
                done = _replay_slice(job, 0, len(distinct))
            finally:
                del _JOBS[job]
            return [done[i] for i in index]

        return in_process
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    size = -(-len(distinct) // (4 * workers))
    futures = [pool.submit(_replay_slice, job, i, i + size)
               for i in range(0, len(distinct), size)]

    def results() -> list[dict]:
        try:
            done = list(itertools.chain.from_iterable(f.result() for f in futures))
        finally:
            pool.shutdown(cancel_futures=True)
            del _JOBS[job]
        return [done[i] for i in index]

    return results


def _align(trace: tuple[str, ...], petri) -> dict:
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.objects.log.obj import Event, Trace

    return alignments.apply_trace(Trace([Event({"concept:name": a}) for a in trace]),
                                  petri.net, petri.initial_marking, petri.final_marking,
                                  parameters={"show_progress_bar": False})
