"""Benchmark: the 128x128 Jacobian by tape.jacobian."""
from conftest import run_bench


def test_w5_jacobian(benchmark, peer):
    run_bench(benchmark, "W5", peer)
