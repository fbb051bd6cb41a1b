"""Issue 10's speed check: gputape eager against PyTorch eager (when it imports) on two workloads.

- ``attention``: einsum attention, batch 32, heads 4, length 64, dim 32, float32:
  ``s = einsum('bhqd,bhkd->bhqk', q, k) / sqrt(d)``, ``p = softmax(s)``, ``o = einsum('bhqk,bhkd->bhqd', p, v)``,
  loss ``sum(o * o)``; forward and backward to q, k, v.
- ``scatter``: ``gather_nd`` and ``tensor_scatter_nd_add`` on a [1e5, 16] float32 table with 1e5 random
  row indices: ``g = gather_nd(t, idx)``, ``out = tensor_scatter_nd_add(t, idx, 2 g)``, loss
  ``sum(out * out)``; forward and backward to t (PyTorch: ``t[idx]``, ``index_add``).

Both peers start from the same arrays, their gradients are compared before timing, and rounds
interleave the peers (one sample of each per round, the order alternating), so the reported ratio
(median over rounds of torch time / gputape time; > 1 means gputape is faster) sees the same machine
load on both sides.

    python benchmarks/ops_bench.py                        # gputape only when torch does not import
    /path/to/venv-with-torch/bin/python benchmarks/ops_bench.py --rounds 30 --json out.json

PyTorch is optional and never a dependency of gputape: install it (CPU) in a separate virtualenv
made with ``--system-site-packages`` so that gputape and NumPy import there too.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import gputape as gt  # noqa: E402

try:
    import torch
except ImportError:             # optional peer
    torch = None

B, H, L, D = 32, 4, 64, 32
ROWS, WIDTH = 100_000, 16


def _data(seed=0):
    rng = np.random.default_rng(seed)
    qkv = [rng.standard_normal((B, H, L, D)).astype(np.float32) * 0.5 for _ in range(3)]
    table = rng.standard_normal((ROWS, WIDTH)).astype(np.float32)
    idx = rng.integers(0, ROWS, (ROWS, 1)).astype(np.int64)
    return qkv, table, idx


# ---------------------------------------------------------------- gputape
def gt_attention(qkv):
    q, k, v = [gt.constant(a) for a in qkv]
    scale = 1.0 / math.sqrt(D)

    def step():
        with gt.GradientTape() as tape:
            tape.watch([q, k, v])
            s = gt.einsum("bhqd,bhkd->bhqk", q, k) * scale
            p = gt.nn.softmax(s)
            o = gt.einsum("bhqk,bhkd->bhqd", p, v)
            loss = gt.reduce_sum(o * o)
        return [g.numpy() for g in tape.gradient(loss, [q, k, v])]
    return step


def gt_scatter(table, idx):
    t = gt.constant(table)
    i = gt.constant(idx)

    def step():
        with gt.GradientTape() as tape:
            tape.watch(t)
            g = gt.gather_nd(t, i)
            out = gt.tensor_scatter_nd_add(t, i, g * 2.0)
            loss = gt.reduce_sum(out * out)
        return [tape.gradient(loss, t).numpy()]
    return step


# ---------------------------------------------------------------- torch
def torch_attention(qkv):
    q, k, v = [torch.tensor(a, requires_grad=True) for a in qkv]
    scale = 1.0 / math.sqrt(D)

    def step():
        for x in (q, k, v):
            x.grad = None
        s = torch.einsum("bhqd,bhkd->bhqk", q, k) * scale
        p = torch.softmax(s, dim=-1)
        o = torch.einsum("bhqk,bhkd->bhqd", p, v)
        (o * o).sum().backward()
        return [x.grad.numpy() for x in (q, k, v)]
    return step


def torch_scatter(table, idx):
    t = torch.tensor(table, requires_grad=True)
    i = torch.tensor(idx[:, 0])

    def step():
        t.grad = None
        g = t[i]
        out = t.index_add(0, i, g * 2.0)
        (out * out).sum().backward()
        return [t.grad.numpy()]
    return step


def _time(step):
    t0 = time.perf_counter()
    step()
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15, help="timed rounds per workload (default 15)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed calls of each peer first (default 2)")
    ap.add_argument("--workloads", default="attention,scatter", help="comma-separated: attention, scatter")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave torch's default)")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    try:
        from tqdm import tqdm
    except ImportError:         # progress bar only
        def tqdm(it, **k):
            return it
    if torch is not None and args.threads:
        torch.set_num_threads(args.threads)
    qkv, table, idx = _data()
    builders = {"attention": (lambda: gt_attention(qkv), lambda: torch_attention(qkv)),
                "scatter": (lambda: gt_scatter(table, idx), lambda: torch_scatter(table, idx))}
    results = {"gputape_backend": gt.backend_name(), "torch": None if torch is None else torch.__version__,
               "load_avg": os.getloadavg()[0], "workloads": {}}
    for name in args.workloads.split(","):
        gstep, tstep = builders[name][0](), (builders[name][1]() if torch is not None else None)
        ref = gstep()
        if tstep is not None:
            for a, b in zip(ref, tstep()):
                np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-3 * float(np.abs(b).max()))
        for _ in range(args.warmup):
            gstep()
            if tstep is not None:
                tstep()
        gts, tts, ratios = [], [], []
        for r in tqdm(range(args.rounds), desc=name, leave=False):
            order = [gstep, tstep] if r % 2 == 0 else [tstep, gstep]
            times = {}
            for s in order:
                if s is not None:
                    times[s] = _time(s)
            gts.append(times[gstep])
            if tstep is not None:
                tts.append(times[tstep])
                ratios.append(times[tstep] / times[gstep])
        res = {"gputape_ms": round(statistics.median(gts) * 1e3, 2)}
        if ratios:
            res.update(torch_ms=round(statistics.median(tts) * 1e3, 2),
                       torch_over_gputape=round(statistics.median(ratios), 3))
        results["workloads"][name] = res
    print(f"gputape backend {results['gputape_backend']}, torch {results['torch'] or 'not importable'}, "
          f"load average {results['load_avg']:.2f}")
    print("| workload | gputape ms | torch ms | torch / gputape (median of rounds; > 1: gputape faster) |")
    print("|---|---|---|---|")
    for name, r in results["workloads"].items():
        print(f"| {name} | {r['gputape_ms']} | {r.get('torch_ms', '-')} | {r.get('torch_over_gputape', '-')} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
