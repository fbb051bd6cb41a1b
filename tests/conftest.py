"""Backend selection for the whole run: ``pytest --backend numpy|cupy|auto``.

The default comes from ``GPUTAPE_BACKEND`` (else numpy).  The backend is set in
``pytest_configure``, before any test module is imported, so no tensor exists yet;
the choice is exported to the environment so subprocesses (the seed programs) use
it too.  Tests marked ``gpu`` run only on the CuPy backend.
"""
import os

import pytest

import gputape


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("numpy", "cupy", "auto"),
                     default=os.environ.get("GPUTAPE_BACKEND", "numpy").strip().lower() or "numpy",
                     help="array backend for gputape (default: $GPUTAPE_BACKEND, else numpy)")


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs CuPy and a CUDA device (skipped otherwise)")
    name = gputape.set_backend(config.getoption("--backend"))
    os.environ["GPUTAPE_BACKEND"] = name
    if name == "cupy" and os.environ.get("GPUTAPE_CUPY_NO_POOL"):
        # compute-sanitizer's memcheck sees only cudaMalloc'd blocks: without CuPy's pool an
        # out-of-bounds access is past a real allocation (benchmarks/gpu/prove.sh, stage 4)
        import cupy
        cupy.cuda.set_allocator(None)


def pytest_report_header(config):
    return f"gputape backend: {gputape.backend_name()}"


def pytest_collection_modifyitems(config, items):
    if gputape.backend_name() == "cupy":
        return
    skip = pytest.mark.skip(reason="needs the CuPy backend and a CUDA device (run with --backend cupy)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
