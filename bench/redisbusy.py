#!/usr/bin/env python3
"""bench/redisbusy.py PID: samples the CPU time of a process's main thread
(/proc/PID/schedstat, nanoseconds) every 2 ms until SIGTERM or SIGINT, then
prints where it sat idle: before its first busy 20 ms window (start), after
its last (tail), and in between (middle), plus the wall time, busy time and
how much of the idle time it was runnable but waiting for a CPU (another
process had it: not a lack of work).
bench/warm.sh runs it around each A when TIMELINE=1: for Redis, whose one
thread executes every command, idle time is time no batch was waiting."""
import signal, sys, time

pid = sys.argv[1]
samples = []
stop = False

def on_signal(signum, frame):
    global stop
    stop = True

signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)

def sched():
    """(ns on a CPU, ns runnable but waiting for a CPU)"""
    with open(f"/proc/{pid}/schedstat") as f:
        run, wait = f.read().split()[:2]
    return int(run), int(wait)

first = sched()
# Tell the caller the sampling started (it waits for this line before timing).
print("ready", flush=True)
while not stop:
    samples.append((time.monotonic_ns(), sched()[0]))
    time.sleep(0.002)
samples.append((time.monotonic_ns(), sched()[0]))
last = sched()
runq = (last[1] - first[1]) / 1e9

# 20 ms windows; a window is busy when the thread ran more than half of it.
win = 20_000_000
t0 = samples[0][0]
windows = []
j = 0
for k in range((samples[-1][0] - t0) // win):
    lo, hi = t0 + k * win, t0 + (k + 1) * win
    while j + 1 < len(samples) and samples[j + 1][0] <= lo:
        j += 1
    i = j
    while i + 1 < len(samples) and samples[i][0] < hi:
        i += 1
    span = samples[i][0] - samples[j][0]
    busy = (samples[i][1] - samples[j][1]) / span if span else 0
    windows.append(min(busy, 1.0))
busy_idx = [k for k, b in enumerate(windows) if b > 0.5]
wall = (samples[-1][0] - t0) / 1e9
cpu = (samples[-1][1] - samples[0][1]) / 1e9
if not busy_idx:
    print(f"wall {wall:.3f}s busy {cpu:.3f}s (never busy)")
    sys.exit(0)
first, last = busy_idx[0], busy_idx[-1]
start = first * win / 1e9
tail = wall - (last + 1) * win / 1e9
middle = sum(1 - b for b in windows[first:last + 1]) * win / 1e9
print(f"wall {wall:.3f}s busy {cpu:.3f}s idle: start {start:.3f}s middle {middle:.3f}s "
      f"tail {tail:.3f}s; of the idle, {runq:.3f}s runnable waiting for a CPU")
