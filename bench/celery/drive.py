"""Client side of the Celery baseline: `.delay().get()` against a warm worker.

Warms up, prints "ready", waits for a line on stdin (so the caller can start sampling CPU/RSS),
then measures sequential latency and a burst sent at once, and prints one JSON line:
{"sequentialMs": [...], "burstMs": [...], "burstWallMs": N}.
Burst latencies are read as each result's get() returns, in submission order: an upper bound for a
task that finished before an earlier one.
Run: REDIS_URL=... python drive.py WARMUP SEQUENTIAL BURST
"""

import json
import sys
import time

from noop_app import noop

warmup, sequential, burst = (int(a) for a in sys.argv[1:4])
ms = lambda start: (time.perf_counter() - start) * 1000

for _ in range(warmup):
    noop.delay().get(timeout=60)
print("ready", flush=True)
sys.stdin.readline()

sequential_ms = []
for _ in range(sequential):
    start = time.perf_counter()
    noop.delay().get(timeout=60)
    sequential_ms.append(ms(start))

burst_start = time.perf_counter()
pending = [noop.delay() for _ in range(burst)]
burst_ms = []
for result in pending:
    result.get(timeout=120)
    burst_ms.append(ms(burst_start))
print(json.dumps({"sequentialMs": sequential_ms, "burstMs": burst_ms, "burstWallMs": ms(burst_start)}), flush=True)
