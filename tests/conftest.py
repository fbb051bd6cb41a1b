"""Backend selection for the whole run: ``pytest --backend numpy|cupy|auto``.

The default comes from ``GPUTAPE_BACKEND`` (else numpy).  The backend is set in
``pytest_configure``, before any test module is imported, so no tensor exists yet;
the choice is exported to the environment so subprocesses (the seed programs) use
it too.  Tests marked ``gpu`` run only on the CuPy backend.
"""
import os

import pytest

import gputape
from gputape import backend as _backend


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("numpy", "cupy", "auto", "cupy-standin"),
                     default=os.environ.get("GPUTAPE_BACKEND", "numpy").strip().lower() or "numpy",
                     help="array backend for gputape (default: $GPUTAPE_BACKEND, else numpy); cupy-standin: "
                          "the NumPy-backed CuPy stand-in (tests/cupy_standin.py) with the kernels' host "
                          "builds -- NOT A GPU")


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs CuPy and a CUDA device (skipped otherwise)")
    choice = config.getoption("--backend")
    if choice == "cupy-standin":
        import tempfile
        import cupy_standin
        config._gputape_standin = tempfile.TemporaryDirectory(prefix="gputape-hostkernels-")
        cupy_standin.install_session(__import__("pathlib").Path(config._gputape_standin.name))
        os.environ["GPUTAPE_BACKEND"] = "numpy"       # subprocesses (seed programs) run on NumPy
        return
    name = gputape.set_backend(choice)
    os.environ["GPUTAPE_BACKEND"] = name
    if name == "cupy" and os.environ.get("GPUTAPE_CUPY_NO_POOL"):
        # compute-sanitizer's memcheck sees only cudaMalloc'd blocks: without CuPy's pool an
        # out-of-bounds access is past a real allocation (benchmarks/gpu/prove.sh, stage 4)
        import cupy
        cupy.cuda.set_allocator(None)


def standin_mode():
    """Whether this run is ``--backend cupy-standin`` (the CuPy stand-in, NOT a GPU)."""
    return getattr(_backend.xp, "NOT_A_GPU", False)


def pytest_report_header(config):
    if standin_mode():
        return "gputape backend: cupy-standin (NumPy on the CPU with host-built kernels; NOT A GPU)"
    return f"gputape backend: {gputape.backend_name()}"


def pytest_collection_modifyitems(config, items):
    if gputape.backend_name() == "cupy":
        return
    skip = pytest.mark.skip(reason="needs the CuPy backend and a CUDA device (run with --backend cupy)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_deferred_checks_across_tests():
    """On CuPy, index checks are deferred to the next host read (gputape.checks.check_indices); one a
    test leaves pending must not fire in the next test, so each test ends with none pending."""
    yield
    from gputape import checks
    checks._pending.clear()
