"""Shared helpers of the device proof's stages (``benchmarks/gpu/prove.sh``).

Each stage is a script that prints plain text lines, ``PASS``/``FAIL``/``SKIP`` first on its
verdict lines, so that ``prove.sh`` can count them.  A stage never dies on one failed item: each
item runs in ``item()``, which prints the traceback's last line and goes on.
"""
import os
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}


def say(verdict, what, detail=""):
    counts[verdict] += 1
    print(f"{verdict} {what}" + (f": {detail}" if detail else ""), flush=True)


@contextmanager
def item(what):
    """Run one probe; an exception is a FAIL line naming it (the stage goes on)."""
    t0 = time.perf_counter()
    try:
        yield
    except Exception as e:            # noqa: BLE001 - a probe's failure is its result
        tb = traceback.extract_tb(e.__traceback__)[-1]
        say("FAIL", what, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
                          f"[{Path(tb.filename).name}:{tb.lineno}] ({time.perf_counter() - t0:.2f} s)")


def cupy_or_exit(stage):
    """The real CuPy with a device, or print one SKIP line and exit 0."""
    try:
        import cupy
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:            # noqa: BLE001 - any failure means no GPU here
        say("SKIP", stage, f"no CuPy with a CUDA device ({type(e).__name__}: {e})")
        sys.exit(0)
    if n < 1:
        say("SKIP", stage, "CuPy sees no CUDA device")
        sys.exit(0)
    os.environ["GPUTAPE_BACKEND"] = "cupy"
    return cupy


def summary(stage):
    print(f"== {stage}: {counts['PASS']} pass, {counts['FAIL']} fail, {counts['SKIP']} skip", flush=True)
    return 1 if counts["FAIL"] else 0


def on_numpy(code):
    """Run ``code`` (which prints one JSON value last) in a fresh process on gputape's NumPy backend:
    a process keeps the backend of its first tensor, so the NumPy side of a comparison runs apart."""
    import json
    import subprocess
    env = dict(os.environ, GPUTAPE_BACKEND="numpy", PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    if r.returncode:
        raise RuntimeError(f"NumPy-backend process failed: {r.stderr.strip().splitlines()[-1:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])
