"""Benchmark: the small MLP training step (Adam)."""
from conftest import run_bench


def test_w2_mlp_small(benchmark, peer):
    run_bench(benchmark, "W2", peer)
