"""pytest-benchmark suites for gputape's side of each workload (run: python -m pytest benchmarks --benchmark-only).

They live outside ``tests/`` (pyproject's testpaths), so the normal test run never collects them.
"""
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for _p in (str(HERE.parent), str(HERE)):   # this working tree's gputape, and the workloads beside this file
    if _p not in sys.path:
        sys.path.insert(0, _p)

import workloads as W  # noqa: E402

pytest.importorskip("pytest_benchmark")


def peers():
    """gputape eager, gputape.function, and the hand-written floor on gputape's device (plus NumPy's)."""
    out = ["gputape", "gputape_fn", "numpy"]
    if W.floor_peer() == "cupy":
        out.append("cupy")
    return out


@pytest.fixture(params=peers())
def peer(request):
    return request.param


def run_bench(benchmark, key, peer):
    """Check one peer against the NumPy floor on a fresh instance, then benchmark another fresh one."""
    try:
        case = W.build(key, peer)
    except W.Unavailable as e:
        pytest.skip(str(e))
    if peer != "numpy":
        ref = W.run_for_check(key, W.build(key, "numpy"))
        ok, err = W.compare_results(key, W.run_for_check(key, W.build(key, peer)), ref)
        assert ok, f"{key} {peer}: result differs from the NumPy floor (max rel err {err:.3g})"
    for _ in range(2):
        case.step()
    benchmark.group = f"{key}: {W.WORKLOADS[key].title}"
    benchmark.extra_info["detail"] = W.WORKLOADS[key].detail
    benchmark.extra_info["peer"] = W.PEER_LABELS[peer]
    benchmark(case.step)
