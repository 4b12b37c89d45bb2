"""Run a Python command as a child process; print its wall time and peak RSS as JSON.

Usage: python bench/measure.py -m module args... | -c code args...
"""

import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
proc = subprocess.run([sys.executable, *sys.argv[1:]], stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
if proc.returncode != 0:
    sys.exit(proc.returncode)
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024}))
