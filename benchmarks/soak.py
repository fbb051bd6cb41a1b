"""Memory soak: resident-memory (RSS) growth per step of long-running gputape loops (issue 7, kind 10).

    python benchmarks/soak.py                        # every scenario, 10,000 steps each (a few minutes on a CPU)
    python benchmarks/soak.py --steps 2000 --scenarios function_new_float,dropout_seeded
    python benchmarks/soak.py --save    # also write benchmarks/results/soak-<date>-<commit>-<machine>.{json,md}

Scenarios (each in a fresh Python process, so that one cannot inflate another's memory):

- ``eager_sgd`` / ``eager_adam``: an eager training step of an MLP 64-128-128-10 (batch 64, random data):
  GradientTape, SparseCategoricalCrossentropy, ``optimizer.apply_gradients``;
- ``function_adam``: the same Adam step under ``gputape.function``;
- ``dropout_seeded``: ``Dropout(0.5, seed=1)`` called with ``training=True`` on a float32[64, 128];
- ``function_new_float``: a ``gputape.function`` called with a new Python float each call (``x * lr``):
  a new trace each call, kept in an LRU cache of ``gputape.function.MAX_TRACES`` traces.

Method: ``--warmup`` steps first (default 500; 5,000 for ``function_new_float``, whose first ~4,400 calls fill
bounded caches: 256 traces, and gputape's cache of constants made from Python numbers, ``op._CONSTS``, at
most 4,096 entries), then RSS (``/proc/self/statm``)
is sampled every ``--sample-every`` steps after ``gc.collect()`` and glibc's ``malloc_trim(0)`` (memory that
is free but still held by malloc is returned first, so the samples see live memory; ``--no-trim`` keeps it).
``bytes_per_step`` is the least-squares slope of the samples; ``end_minus_start`` the plain difference over the
measured steps.  The goal is under 50 bytes/step for every scenario.  Runs on the backend that
``GPUTAPE_BACKEND`` selects (numpy by default here).
"""
import argparse
import ctypes
import datetime
import gc
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = ("eager_sgd", "eager_adam", "function_adam", "dropout_seeded", "function_new_float")
GOAL = 50.0     # bytes/step
WARMUP = {"function_new_float": 5000}     # default warm-up per scenario (others: DEFAULT_WARMUP)
DEFAULT_WARMUP = 500


# ---------------------------------------------------------------- measuring
def rss_bytes():
    """Resident set size of this process in bytes (Linux /proc; ru_maxrss elsewhere, a high-water mark)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _trimmer(enabled):
    if not enabled:
        return lambda: None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return lambda: libc.malloc_trim(0)
    except OSError:
        return lambda: None


def _slope(xs, ys):
    n = len(xs)
    if n < 2:
        return float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else float("nan")


# ---------------------------------------------------------------- scenarios
def _mlp_step(tf, optimizer, use_function):
    import numpy as np
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((64, 64)).astype(np.float32))
    y = tf.constant(rng.integers(0, 10, 64).astype(np.int32))
    tf.random.set_seed(0)
    L = tf.keras.layers
    net = tf.keras.Sequential([L.Dense(128, activation="relu"), L.Dense(128, activation="relu"), L.Dense(10)])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = tf.optimizers.SGD(0.01) if optimizer == "sgd" else tf.optimizers.Adam(1e-3)

    def step(i):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, net(x, training=True))
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
        return loss

    return tf.function(step) if use_function else step


def make_step(name):
    """A callable ``step(i)`` for scenario ``name``."""
    import gputape as tf
    if name == "eager_sgd":
        return _mlp_step(tf, "sgd", False)
    if name == "eager_adam":
        return _mlp_step(tf, "adam", False)
    if name == "function_adam":
        f = _mlp_step(tf, "adam", True)
        return lambda i: f(i * 0)          # one Python int value: one trace
    if name == "dropout_seeded":
        layer = tf.keras.layers.Dropout(0.5, seed=1)
        x = tf.ones([64, 128])
        return lambda i: layer(x, training=True)
    if name == "function_new_float":
        import logging
        logging.getLogger("gputape").setLevel(logging.ERROR)   # the retracing warning, twice: expected here
        f = tf.function(lambda x, lr: x * lr)
        x = tf.ones([16])
        return lambda i: f(x, 0.5 + i * 1e-6)
    raise SystemExit(f"soak.py: unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")


def run_scenario(name, steps, warmup, sample_every, trim, progress):
    """Run one scenario in this process; a dict of its figures."""
    step = make_step(name)
    free = _trimmer(trim)
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    bar = tqdm(total=warmup + steps, desc=name, unit="step", file=sys.stderr, disable=not progress,
               mininterval=0.5) if tqdm is not None else None
    t0 = time.perf_counter()
    for i in range(warmup):
        step(i)
        if bar is not None and i % 50 == 49:
            bar.update(50)
    xs, ys = [], []

    def sample(k):
        gc.collect()
        free()
        xs.append(k)
        ys.append(rss_bytes())

    sample(0)
    t1 = time.perf_counter()
    done = warmup - warmup % 50
    for k in range(1, steps + 1):
        step(warmup + k)
        if k % sample_every == 0 or k == steps:
            sample(k)
        if bar is not None and (warmup + k) % 50 == 0:
            bar.update(warmup + k - done)
            done = warmup + k
    if bar is not None:
        bar.update(warmup + steps - done)
        bar.close()
    t2 = time.perf_counter()
    slope = _slope(xs, ys)
    extra = {}
    if name == "function_new_float":
        f = step.__closure__ and [c.cell_contents for c in step.__closure__ if hasattr(c.cell_contents, "trace_count")]
        if f:
            extra = {"traces_kept": f[0].trace_count, "tracing_count": f[0].experimental_get_tracing_count()}
    return {"name": name, "steps": steps, "warmup": warmup, "samples": len(xs),
            "rss_start_bytes": ys[0], "rss_end_bytes": ys[-1], "end_minus_start": ys[-1] - ys[0],
            "bytes_per_step": slope, "end_minus_start_per_step": (ys[-1] - ys[0]) / steps,
            "ok": slope < GOAL, "warmup_s": round(t1 - t0, 2), "measure_s": round(t2 - t1, 2),
            "ms_per_step": round(1e3 * (t2 - t1) / steps, 4), **extra}


# ---------------------------------------------------------------- driver
def _git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _parser():
    p = argparse.ArgumentParser(
        prog="soak.py", description="RSS growth per step of long gputape loops (eager MLP, gputape.function, "
                                    "seeded Dropout, a new Python float per call); goal < 50 bytes/step.")
    p.add_argument("--steps", type=int, default=10000,
                   help="measured steps per scenario, after the warm-up (default 10000)")
    p.add_argument("--warmup", type=int, default=None,
                   help=f"steps before measuring (default {DEFAULT_WARMUP}; function_new_float "
                        f"{WARMUP['function_new_float']})")
    p.add_argument("--sample-every", type=int, default=100, help="steps between RSS samples (default 100)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated, from: " + ", ".join(SCENARIOS))
    p.add_argument("--no-trim", dest="trim", action="store_false", help="do not call malloc_trim(0) before samples")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no tqdm progress bars")
    p.add_argument("--json", default=None, help="write the results to this JSON file")
    p.add_argument("--save", action="store_true", help="write benchmarks/results/soak-<date>-<commit>-<machine>.{json,md}")
    p.add_argument("--check", action="store_true", help="exit with status 1 when a scenario is over the goal")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return p


def main(argv=None):
    a = _parser().parse_args(argv)
    if a.steps < 1 or a.sample_every < 1:
        raise SystemExit("soak.py: --steps and --sample-every must be positive")
    if a.warmup is not None and a.warmup < 0:
        raise SystemExit("soak.py: --warmup must not be negative")
    if a.child:
        warmup = a.warmup if a.warmup is not None else WARMUP.get(a.child, DEFAULT_WARMUP)
        print(json.dumps(run_scenario(a.child, a.steps, warmup, a.sample_every, a.trim, a.progress)))
        return 0
    names = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    bad = [n for n in names if n not in SCENARIOS]
    if bad:
        raise SystemExit(f"soak.py: unknown scenario(s) {bad}; choose from {', '.join(SCENARIOS)}")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("GPUTAPE_BACKEND", "numpy")
    results = []
    for n in names:
        cmd = [sys.executable, __file__, "--child", n, "--steps", str(a.steps),
               "--warmup", str(a.warmup if a.warmup is not None else WARMUP.get(n, DEFAULT_WARMUP)),
               "--sample-every", str(a.sample_every)] + ([] if a.trim else ["--no-trim"]) + \
              ([] if a.progress else ["--no-progress"])
        r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env)
        if r.returncode != 0:
            raise SystemExit(f"soak.py: scenario {n} failed (exit {r.returncode})")
        res = json.loads(r.stdout.strip().splitlines()[-1])
        results.append(res)
        print(f"{n:<20} {res['bytes_per_step']:9.1f} bytes/step (slope; end-start {res['end_minus_start_per_step']:8.1f})"
              f"  {res['ms_per_step']:.3f} ms/step  {'ok' if res['ok'] else 'OVER GOAL'}", flush=True)
    import gputape
    report = {
        "command": "python benchmarks/soak.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "HEAD"), "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version()},
        "backend": env["GPUTAPE_BACKEND"], "gputape": gputape.__version__, "goal_bytes_per_step": GOAL,
        "trim": a.trim, "scenarios": results,
    }
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=1) + "\n")
    if a.save:
        machine = f"{report['backend']}-{platform.machine()}-{os.cpu_count()}cpu"
        stem = HERE / "results" / f"soak-{datetime.date.today().isoformat()}-{report['commit'][:8] or 'nogit'}-{machine}"
        stem.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
        stem.with_suffix(".md").write_text(_markdown(report))
        print(f"wrote {stem}.json and {stem}.md")
    return 1 if a.check and not all(r["ok"] for r in results) else 0


def _markdown(rep):
    m = rep["machine"]
    lines = [f"# Memory soak, {rep['date']}", "",
             f"`{rep['command']}` at commit `{rep['commit'][:12]}`{' (with uncommitted changes)' if rep['dirty'] else ''}, "
             f"backend {rep['backend']}, gputape {rep['gputape']}, Python {m['python']}, "
             f"{m['platform']} ({m['processor']}, {m['cpus']} CPUs).", "",
             "RSS sampled after gc.collect()" + (" and malloc_trim(0)" if rep["trim"] else "") +
             f"; goal < {rep['goal_bytes_per_step']:g} bytes/step.", "",
             "| scenario | warm-up | steps | bytes/step (slope) | (end - start)/steps | RSS end (MiB) | ms/step | |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rep["scenarios"]:
        lines.append(f"| {r['name']} | {r['warmup']} | {r['steps']} | {r['bytes_per_step']:.1f} | "
                     f"{r['end_minus_start_per_step']:.1f} | {r['rss_end_bytes'] / 2 ** 20:.1f} | {r['ms_per_step']:.3f} | "
                     f"{'ok' if r['ok'] else 'over goal'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
