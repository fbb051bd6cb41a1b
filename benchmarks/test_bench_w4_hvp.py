"""Benchmark: the Hessian-vector product by nested tapes."""
from conftest import run_bench


def test_w4_hvp(benchmark, peer):
    run_bench(benchmark, "W4", peer)
