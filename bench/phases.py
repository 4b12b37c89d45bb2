"""Where one `compare` run spends its time: `python bench/phases.py LOG FLOWCHART`.

Prints the wall time of each phase of what `python -m cs_mining compare
--format json` does, in one process: imports, reading the flowchart, loading
the log, the work before replay starts, the work done while the forked
workers replay, the wait for them, the rest of compare, and the JSON.
The replay timings wrap cs_mining.compare's private _replay, so this is a
tool for developers, not part of the package.
"""

import importlib
import sys
import time
import warnings

START = time.perf_counter()
_last = [START]


def lap(name: str) -> None:
    now = time.perf_counter()
    print(f"{name:<34} {now - _last[0]:6.2f} s   (at {now - START:5.2f} s)", flush=True)
    _last[0] = now


def main(log_path: str, chart_path: str) -> None:
    warnings.simplefilter("ignore")
    import cs_mining

    lap("import cs_mining")
    chart = cs_mining.read_flowchart(chart_path)
    lap("read flowchart (imports pm4py)")
    log = cs_mining.load_log(log_path)
    lap("load_log")
    compare_module = importlib.import_module("cs_mining.compare")
    start_replay = compare_module._replay

    def timed_replay(*args, **kwargs):
        lap("compare: before replay starts")
        wait = start_replay(*args, **kwargs)

        def timed_wait():
            lap("compare: work beside the replay")
            results = wait()
            lap("compare: waiting for the replay")
            return results

        return timed_wait

    compare_module._replay = timed_replay
    result = cs_mining.compare(log, chart)
    lap("compare: after the replay")
    result.to_json(indent=2)
    lap("JSON")


if __name__ == "__main__":
    main(*sys.argv[1:3])
