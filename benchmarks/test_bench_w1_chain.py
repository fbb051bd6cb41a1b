"""Benchmark: the 100-op elementwise chain (per-op tape overhead)."""
from conftest import run_bench


def test_w1_chain(benchmark, peer):
    run_bench(benchmark, "W1", peer)
