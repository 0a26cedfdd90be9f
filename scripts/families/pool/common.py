"""scripts/families/pool/common.py: what to_csv.py and summary.py share --
the pool results of a run, and speedup/efficiency computed from them.

  load(rundir)       (context, [Result]) of RUNDIR/pool.json
  per_task_us(r)     median wall-clock time per task, microseconds
  speedup(rs, r)     time per task at W = 1 / at W, same kind, grain, chunk
                     (bench_pool's counter; None without a W = 1 run);
                     efficiency = speedup / W
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import results as R  # noqa: E402


def load(rundir):
    return R.load(os.path.join(rundir, "pool.json"))


def name(family, kind, workers, grain, chunk):
    return "%s/%s/workers:%d/grain_us:%d/chunk:%s" % (family, kind, workers, grain, chunk)


def per_task_us(r):
    if r is None or r.error or not r.real_ns:
        return None
    return r.real_ns / 1e3


def overhead_us(r):
    if r is None or r.error:
        return None
    return r.counter("overhead_us_per_task")


def speedup(rs, r):
    """bench_pool's own counter when it has one (median of repetitions, each
    against the median W = 1 time), else computed from the two medians."""
    if per_task_us(r) is None:
        return None
    if r.param("workers") == 1:
        return 1.0
    if r.counter("speedup") is not None:
        return r.counter("speedup")
    one = R.find(rs, name(r.family, r.variant, 1, r.param("grain_us"), r.params.get("chunk")))
    if per_task_us(one) is None:
        return None
    return per_task_us(one) / per_task_us(r)


def efficiency(rs, r):
    s = speedup(rs, r)
    return None if s is None else s / r.param("workers")
