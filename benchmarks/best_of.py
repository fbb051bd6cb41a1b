"""Best-of-N timing of gputape's own workloads (no peers), for before/after comparisons of two
checkouts on one machine.  Run this script (and its workloads.py) with each checkout's gputape on
PYTHONPATH, pinned to one core, interleaving the runs:

    git worktree add --detach /tmp/base <rev>
    for t in /tmp/base $PWD /tmp/base $PWD; do PYTHONPATH=$t taskset -c 1 python benchmarks/best_of.py; done

It prints one JSON line: microseconds per call of each workload's gputape case (the best of
``--batches`` timed batches after a warm-up).  ``benchmarks/compare.py`` is the full, peer-by-peer
comparison; this is the quick check of what a change costs.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402

CALLS = {"W1": 300, "W2": 100, "W2S": 100, "W3": 20, "W4": 300, "W5": 100}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default="W1,W2,W3", help="comma-separated (default W1,W2,W3)")
    ap.add_argument("--batches", type=int, default=15, help="timed batches; the best is reported (default 15)")
    ap.add_argument("--warmup", type=int, default=20, help="calls before timing (default 20)")
    args = ap.parse_args(argv)
    out = {}
    for key in args.workloads.split(","):
        case = W.build(key, "gputape")
        for _ in range(args.warmup):
            case.step()
        n = CALLS.get(key, 100)
        best = float("inf")
        for _ in range(args.batches):
            t0 = time.perf_counter()
            for _ in range(n):
                case.step()
            best = min(best, (time.perf_counter() - t0) / n)
        out[key] = round(best * 1e6, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
