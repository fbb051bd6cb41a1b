"""Benchmark: the large MLP training step (SGD); gputape vs the NumPy floor here is the matmul overhead."""
from conftest import run_bench


def test_w3_mlp_large(benchmark, peer):
    run_bench(benchmark, "W3", peer)
