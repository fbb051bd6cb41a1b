"""gputape.distribute over MPI with 2 ranks (``mpiexec -n 2 python tests/dist_worker.py SCENARIO``), and
its NCCL path in-process under the CuPy stand-in with a stand-in NCCL (NOT a GPU, NOT NCCL).

The 2-rank tests need mpi4py and an MPI launcher (``pip install ".[distributed]"``; the ``test`` extra
installs them): without them they skip, saying so.  Each spawned run is bounded by a timeout.
"""
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import gputape as tf
import gputape.distribute as dist

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "dist_worker.py"


# Open MPI's mpiexec refuses to start as root unless told (the H200 machine runs tests as root and its
# /usr/bin/mpiexec is Open MPI's); MPICH's ignores these variables
_MPI_ROOT_OK = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def _mpiexec():
    here = Path(sys.executable).parent / "mpiexec"     # the mpich wheel installs it beside python
    return str(here) if here.exists() else shutil.which("mpiexec")


HAVE_MPI = importlib.util.find_spec("mpi4py") is not None and _mpiexec() is not None
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="needs mpi4py and mpiexec: pip install \".[distributed]\" "
                                                    "(mpi4py and the mpich wheel)")


def run2(scenario, tmp_path, timeout=60, expect_ok=True):
    """Run SCENARIO on 2 ranks; (returncode, stdout+stderr, [rank0 result, rank1 result or None], seconds)."""
    env = dict(os.environ, **_MPI_ROOT_OK, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               DIST_OUT=str(tmp_path), GPUTAPE_BACKEND="numpy", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    t0 = time.monotonic()
    p = subprocess.run([_mpiexec(), "-n", "2", sys.executable, str(WORKER), scenario], env=env,
                       capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    dt = time.monotonic() - t0
    out = p.stdout + p.stderr
    res = []
    for r in range(2):
        f = tmp_path / f"rank{r}.json"
        res.append(json.loads(f.read_text()) if f.exists() else None)
    if expect_ok:
        assert p.returncode == 0, out[-4000:]
    return p.returncode, out, res, dt


@needs_mpi
def test_two_ranks_train_like_one_process_on_the_whole_batch(tmp_path):
    """20 Adam steps (lr 1e-3) of the digits MLP, 128-example batches split 64/64 over 2 ranks, against
    one process on the whole batch: the only difference is float32 summation order (the two halves'
    means averaged vs one mean over 128), so the weights agree within 2e-6 absolute, about 100 float32
    ulps of the largest weight (~0.23; observed: 6e-8).  Both ranks hold bit-identical weights, and
    each step did ONE allreduce (one float32 buffer for all 6 gradients) plus its 16-byte agreement."""
    _, _, (r0, r1), _ = run2("mlp", tmp_path, timeout=120)
    assert r0["bit_equal"] and r1["bit_equal"]
    assert r0["max_abs_diff"] <= 2e-6, r0
    assert r0["counts"]["allreduce"] == 20 and r0["counts"]["gradient (agreement)"] == 20


@needs_mpi
def test_broadcast_variables_makes_differently_initialised_ranks_equal(tmp_path):
    _, _, (r0, r1), _ = run2("broadcast", tmp_path)
    assert r0["differed_before"] and r0["equal_after"] and r1["equal_after"]
    assert r0["n"] == 20          # 6 weights + 2 Adam slots each + iterations and learning rate


@needs_mpi
def test_none_gradients_stay_none_and_one_collective_per_dtype(tmp_path):
    _, _, (r0, r1), _ = run2("none", tmp_path)
    for r in (r0, r1):
        assert r["a"] == [3.0, 3.0] and r["b"] == [[3.0]] and r["b_dtype"] == "float64"   # Sum of 1x and 2x
        assert r["c_is_none"]
        assert r["counts"]["allreduce"] == 2          # float32 and float64 buffers


@needs_mpi
def test_mismatched_none_gradients_are_an_error_on_every_rank(tmp_path):
    _, _, (r0, r1), dt = run2("mismatch", tmp_path)
    for r in (r0, r1):
        assert "ranks disagree" in r["error"] and "source 1: rank 0: shape (1,) float32; rank 1: None" in r["error"]


@needs_mpi
def test_public_ops_and_their_gradients(tmp_path):
    _, _, (r0, r1), _ = run2("ops", tmp_path)
    for r in (r0, r1):
        assert r["sum"] == [3.0, 6.0, 9.0] and r["avg"] == [1.5, 3.0, 4.5] and r["maxed"] == [2.0, 4.0, 6.0]
        assert r["gathered"] == [1.0, 2.0, 4.0] and r["bcast"] == [2.0, 4.0, 6.0]
        assert r["grad_sum"] == [12.0, 24.0, 36.0]          # d/dx sum(allreduce(x)^2): allreduce of 2s
        assert r["obj"] == {"from": 1} and r["objs"] == [0, 10]
        assert r["fp16"] == [2.0] * 5
        assert "rank 0: shape (1,) float32, rank 1: shape (2,) float32" in r["shape_error"]
    assert r0["grad_gather"] == [2.0, 0.0, 0.0] and r1["grad_gather"] == [2.0, 2.0, 0.0]
    assert r0["grad_bcast"] == [0.0] * 3 and r1["grad_bcast"] == [2.0] * 3     # root_rank=1
    assert r0["shard"] == [0, 2, 4] and r1["shard"] == [1, 3]


@needs_mpi
def test_checkpoints_written_by_rank_0_only_and_restored_everywhere(tmp_path):
    _, _, (r0, r1), _ = run2("checkpoint", tmp_path)
    for r in (r0, r1):
        assert r["paths"] == ["ckpt-1", "ckpt-2", "ckpt-3"]
        assert r["restored"] == [1.0, 2.0]                  # rank 0's values, on rank 1 too
    assert r1["files"] == ["checkpoint", "ckpt-2.npz", "ckpt-3.npz"]   # max_to_keep=2, one writer


@needs_mpi
def test_a_rank_that_raises_stops_both_naming_it(tmp_path):
    code, out, (r0, _), dt = run2("raise", tmp_path, timeout=30, expect_ok=False)
    assert code != 0 and r0 is None                      # rank 0 never passed its barrier
    assert "gputape.distribute: rank 1 of 2 raised RuntimeError: boom on purpose; aborting all 2 ranks" in out
    assert dt < 20


@needs_mpi
def test_a_rank_that_never_arrives_times_out(tmp_path):
    code, out, _, dt = run2("timeout", tmp_path, timeout=30, expect_ok=False)
    assert code != 0
    assert "rank 0 of 2: collective barrier did not complete within 1.5 s" in out
    assert dt < 20                                       # rank 1 sleeps 30 s: the abort stopped it


# ---------------------------------------------------------------- in-process checks (no launcher)
def test_calls_before_init_and_bad_arguments():
    if dist.is_initialized():
        pytest.skip("a group is initialised in this process")
    with pytest.raises(ValueError, match="call gputape.distribute.init"):
        dist.rank()
    with pytest.raises(ValueError, match="backend must be"):
        dist.init(backend="gloo")
    with pytest.raises(ValueError, match="timeout must be a positive"):
        dist.init(timeout=0)
    with pytest.raises(TypeError, match="must be a gputape.GradientTape"):
        dist.DistributedGradientTape(object())
    with pytest.raises(NotImplementedError, match="Adasum"):
        dist.DistributedGradientTape(tf.GradientTape(), op=dist.Adasum)
    with pytest.raises(ValueError, match="Average or Sum"):
        dist.DistributedGradientTape(tf.GradientTape(), op=dist.Max)
    with pytest.raises(TypeError, match="compression"):
        dist.DistributedGradientTape(tf.GradientTape(), compression="fp16")


# ---------------------------------------------------------------- the NCCL path under the stand-ins
HAVE_MPI4PY = importlib.util.find_spec("mpi4py") is not None


@pytest.fixture
def nccl_standin(monkeypatch):
    """The CuPy stand-in as gputape's backend and tests/nccl_standin.py as ``cupy.cuda.nccl``: NOT A GPU."""
    if not HAVE_MPI4PY:
        pytest.skip("needs mpi4py (the unique id goes over MPI): pip install \".[distributed]\"")
    import cupy_standin
    import nccl_standin as fake
    if dist.is_initialized():
        dist.shutdown()
    from gputape import kernels
    cupy_standin.install(monkeypatch)
    cupy_standin.full_api()
    monkeypatch.setattr(kernels.KernelRef, "__call__", lambda self, xp, *arrays, **params: None)  # NumPy twins
    monkeypatch.setattr(dist, "_nccl_module", lambda: fake)
    fake.calls.clear()
    try:
        yield fake
    finally:
        dist.shutdown()
        cupy_standin.full_api(False)
        monkeypatch.undo()
        cupy_standin.restore()


def test_nccl_path_one_collective_per_dtype_buffer_under_the_standin(nccl_standin):
    import cupy_standin
    fake = nccl_standin
    dist.init()                                  # CuPy backend + NCCL available: nccl is chosen
    assert dist.backend() == "nccl" and dist.size() == 1 and dist.rank() == 0
    assert fake.calls[0] == ("init", 1, 0, None)
    ws = [tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3)), tf.Variable(np.ones(5, np.float32)),
          tf.Variable(np.ones((), np.float64)), tf.Variable([7.0])]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(ws[0] * ws[0]) + tf.reduce_sum(ws[1] * 3.0) + tf.cast(ws[2] * 2.0, tf.float32)
    grads = dist.DistributedGradientTape(tape).gradient(loss, ws)
    reduces = [c for c in fake.calls if c[0] == "allReduce"]
    # float32: segments of 6 and 5 elements, each padded to 64 (256 bytes): one call of 128; float64: the
    # one gradient reduced as it is (no packing copy), 1 element
    assert reduces == [("allReduce", 128, fake.NCCL_FLOAT32, fake.NCCL_SUM),
                       ("allReduce", 1, fake.NCCL_FLOAT64, fake.NCCL_SUM)]
    assert grads[3] is None
    assert all(isinstance(g._v, cupy_standin.StandinArray) for g in grads[:3])
    np.testing.assert_array_equal(np.asarray(grads[0]._v), 2 * np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(grads[1]._v), np.full(5, 3.0, np.float32))
    assert grads[2]._v.dtype == np.float64 and float(np.asarray(grads[2]._v)) == 2.0
    fake.calls.clear()
    dist.broadcast_variables(ws)
    assert [c[0] for c in fake.calls] == ["bcast", "bcast"]
    fake.calls.clear()
    y = dist.allreduce(tf.constant([1.0, 2.0]), dist.Sum)
    g = dist.allgather(tf.constant([[1.0, 2.0]]))
    assert [c[:3] for c in fake.calls] == [("allReduce", 2, fake.NCCL_FLOAT32), ("allGather", 2, fake.NCCL_FLOAT32)]
    assert isinstance(y._v, cupy_standin.StandinArray) and g.shape == (1, 2)
    dist.shutdown()
    assert fake.calls[-1][0] == "destroy"


def test_nccl_backend_refused_on_numpy():
    if not HAVE_MPI4PY:
        pytest.skip("needs mpi4py")
    if dist.is_initialized():
        pytest.skip("a group is initialised in this process")
    from gputape import backend
    if backend.name == "cupy":
        pytest.skip("this process runs on CuPy (the refusal is for a NumPy process)")
    with pytest.raises(RuntimeError, match="NCCL needs CuPy arrays"):
        dist.init(backend="nccl")


@needs_mpi
def test_nccl_path_two_ranks_under_the_standin(tmp_path):
    """The NCCL path on 2 ranks: the stand-in NCCL carries the data over MPI; gradients, broadcast and
    the digits-MLP weights after 5 steps equal the MPI path's."""
    _, _, (r0, r1), _ = run2("nccl", tmp_path)
    for r in (r0, r1):
        assert r["backend"] == "nccl" and r["allreduces"] == 5 and r["same_as_mpi"] and r["bit_equal"]


@needs_mpi
def test_gputape_train_ranks_2_matches_one_process(tmp_path):
    """`gputape train --ranks 2` (mpiexec under the hood) gives the single process's curves: identical
    accuracies, losses within 1e-5 (float32 summation order)."""
    env = dict(os.environ, **_MPI_ROOT_OK, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               GPUTAPE_BACKEND="numpy")
    hist = {}
    for ranks in (1, 2):
        out = tmp_path / f"r{ranks}"
        p = subprocess.run([sys.executable, "-m", "gputape", "train", "--epochs", "2", "--batch-size", "128",
                            "--quiet", "--ranks", str(ranks), "--out", str(out)], env=env, capture_output=True,
                           text=True, timeout=90, cwd=str(tmp_path))
        assert p.returncode == 0, p.stdout + p.stderr
        m = json.loads((out / "metrics.json").read_text())
        hist[ranks] = m["history"]
    assert "2 ranks over mpi: rank 0" in p.stdout and m["distributed"]["ranks"] == 2
    for k in hist[1]:
        np.testing.assert_allclose(hist[2][k], hist[1][k], rtol=0, atol=1e-5, err_msg=k)
    assert hist[2]["test_accuracy"] == hist[1]["test_accuracy"]


def test_train_ranks_without_mpi_says_what_to_install(tmp_path, monkeypatch):
    from gputape import cli
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mpi4py" else
                        importlib.machinery.PathFinder.find_spec(name))
    for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS", "HYDI_CONTROL_FD"):
        monkeypatch.delenv(k, raising=False)
    args = cli._parser().parse_args(["train", "--ranks", "2", "--out", str(tmp_path)])
    args.argv = ["train", "--ranks", "2"]
    assert cli._launch_ranks(args) == 2


def test_reused_output_buffers_never_overwrite_a_live_result():
    """On NumPy a collective's output array is reused only when no Tensor or view refers to it (or to
    the memory it is cut from): live results keep their values (1 rank, in-process)."""
    if not HAVE_MPI4PY:
        pytest.skip("needs mpi4py")
    if dist.is_initialized():
        pytest.skip("a group is initialised in this process")
    dist.init(backend="mpi")
    try:
        a = tf.constant([1.0, 2.0])
        b, c = dist.allreduce(a, dist.Sum), dist.allreduce(a * 2, dist.Sum)
        assert b.numpy().tolist() == [1.0, 2.0] and c.numpy().tolist() == [2.0, 4.0]
        g1 = dist.reduce_gradients([tf.constant([1.0]), tf.constant([2.0])])         # packed: views
        h = dist.reduce_gradients([tf.constant([3.0]), tf.constant([4.0])])[1]        # one view kept
        g2 = dist.reduce_gradients([tf.constant([5.0]), tf.constant([6.0])])
        lone = dist.reduce_gradients([tf.constant([7.0])])
        lone2 = dist.reduce_gradients([tf.constant([8.0])])
        assert [float(t.numpy()[0]) for t in g1 + [h] + g2 + lone + lone2] == [1, 2, 4, 5, 6, 7, 8]
        del g1, g2, h
        x = dist.reduce_gradients([tf.constant([9.0]), tf.constant([1.0])])          # may reuse now
        assert [float(t.numpy()[0]) for t in x] == [9, 1] and float(lone[0].numpy()[0]) == 7
    finally:
        dist.shutdown()
