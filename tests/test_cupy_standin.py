"""The CuPy path on a CPU, through the NumPy-backed stand-in in ``cupy_standin.py`` (NOT a GPU).

Issue 11's bugs A-E: float16 erf on CuPy, backend helpers dispatching on the array's module rather
than the backend's name, the constant caches keyed by array module, ``random.shuffle`` without
``Generator.permutation``, and the ``gpu`` / ``gpu-cuda13`` extras; and F's sparse cross-entropy
labels out of range.  Nothing here is a GPU result.
"""
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import cupy_standin as S
import gputape as tf
from gputape import backend, op, tensor
from gputape.ops import creation, math as M, nn as N
import gputape.ops.reduce as _red

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
ROOT = Path(__file__).resolve().parent.parent
# tests of the NumPy process itself (a real CuPy backend run, --backend cupy, cannot be one)
numpy_process = pytest.mark.skipif(tf.backend_name() != "numpy", reason="needs the NumPy backend")


@pytest.fixture
def standin(monkeypatch):
    """The stand-in as gputape's CuPy backend for one test."""
    cp = S.install(monkeypatch)
    yield cp
    monkeypatch.undo()
    S.restore()


def _erf_ref(x):
    return np.array([math.erf(float(v)) for v in np.asarray(x).ravel()]).reshape(np.shape(x))


# ---------------------------------------------------------------- A: erf keeps float16 on CuPy

def test_erf_of_a_float16_cupy_array_is_float16(standin):
    x = standin.asarray(np.linspace(-3, 3, 13).astype(F16))
    y = backend.erf(x)
    assert type(y) is S.StandinArray and y.dtype == F16
    np.testing.assert_allclose(S.asnumpy(y), _erf_ref(x).astype(F16), rtol=1e-3, atol=1e-3)
    for dt in (F32, F64):       # cupyx's f->f and d->d loops: unchanged
        assert backend.erf(standin.asarray(np.ones(3, dt))).dtype == dt


def test_float16_erf_and_exact_gelu_stay_float16_on_cupy(standin):
    x = tf.constant(np.linspace(-2, 2, 9).astype(F16))
    assert type(x._v) is S.StandinArray
    assert tf.math.erf(x).dtype == tf.float16
    assert tf.nn.gelu(x, approximate=False).dtype == tf.float16
    g = standin.asarray(np.ones(9, F16))
    assert N.gelu_grad.fwd(standin, x._v, g, approximate=False).dtype == F16     # the twin


# ---------------------------------------------------------------- B: dispatch on the array's module

def test_helpers_give_numpy_arrays_numpy_work_in_a_cupy_process(standin):
    """The GPU kernel tests' oracle runs ``op.fwd(np, ...)`` with CuPy as the backend."""
    x = np.linspace(-2, 2, 7).astype(F32)
    y = backend.erf(x)
    assert type(y) is np.ndarray and y.dtype == F32
    z = np.zeros(3, F32)
    backend.scatter_add(z, np.array([0, 2, 2]), np.ones(3, F32))
    assert type(z) is np.ndarray and z.tolist() == [1, 0, 2]
    assert backend.to_host(x) is x
    g = np.ones(7, F32)
    twin = N.gelu_grad.fwd(np, x, g, approximate=False)       # as test_gpu_kernels' oracle calls it
    assert type(twin) is np.ndarray and twin.dtype == F32
    assert S.calls == []                                        # cupyx never saw a NumPy array


@numpy_process
def test_helpers_give_cupy_arrays_cupyx_in_a_numpy_process(monkeypatch):
    """A CuPy array meets a NumPy-backend process: cupyx does its work, chosen by the array."""
    monkeypatch.setattr(backend, "_cupy", S.cupy, raising=False)
    monkeypatch.setattr(backend, "_cupyx", S.cupyx, raising=False)
    S.calls.clear()
    assert backend.backend_name() == "numpy"
    x = S.cupy.asarray(np.linspace(-2, 2, 7).astype(F16))
    y = backend.erf(x)
    assert type(y) is S.StandinArray and y.dtype == F16
    z = S.cupy.zeros(3, F32)
    backend.scatter_add(z, S.cupy.asarray(np.array([1, 1, 2])), S.cupy.asarray(np.ones(3, F32)))
    assert z.tolist() == [0, 2, 1]
    assert [c[0] for c in S.calls] == ["erf", "scatter_add"]
    h = backend.to_host(x)
    assert type(h) is np.ndarray and h.dtype == F16
    assert backend.array_module(x) is S.cupy and backend.array_module(h) is np


# ---------------------------------------------------------------- C: constants keyed by module

def test_const_cache_never_crosses_modules(standin):
    f32 = F32
    a = op._const(2.0625, f32, standin)         # CuPy first, then NumPy (values no other test uses)
    b = op._const(2.0625, f32, np)
    assert type(a) is S.StandinArray and type(b) is np.ndarray and not b.flags.writeable
    c = op._const(3.0625, f32, np)              # NumPy first, then CuPy
    d = op._const(3.0625, f32, standin)
    assert type(c) is np.ndarray and type(d) is S.StandinArray
    assert type(M._k(np, 4.0625, f32)) is np.ndarray        # the twins' constants
    assert type(M._k(np, 2.0625, f32)) is np.ndarray
    assert M._k(standin, 2.0625, f32) == 2.0625              # a Python number on CuPy


@numpy_process
def test_constant_tensors_follow_the_backend(monkeypatch):
    x = tf.constant([1.0, 2.0])
    assert type(tensor._operand(1.0, x)._v) is np.ndarray           # cached for NumPy first
    cp = S.install(monkeypatch)
    try:
        t = tf.constant([1.0, 2.0])
        assert type(t._v) is S.StandinArray
        assert type(tensor._operand(1.0, t)._v) is S.StandinArray   # not NumPy's cached one
        assert type(op._const_tensor(1.0, F32)._v) is S.StandinArray
        assert type(cp.multiply(t._v, 2)) is S.StandinArray
        assert (t * 2.0).numpy().tolist() == [2.0, 4.0]
    finally:
        monkeypatch.undo()
        S.restore()
    assert type(tensor._operand(1.0, x)._v) is np.ndarray           # NumPy's again
    assert (x + 1.0).numpy().tolist() == [2.0, 3.0]


# ---------------------------------------------------------------- D: shuffle without permutation

def test_shuffle_on_a_generator_without_permutation(standin):
    assert not hasattr(standin.random.default_rng(0), "permutation")
    x = tf.constant(np.arange(20, dtype=np.int32).reshape(10, 2))
    y = tf.random.shuffle(x, seed=5)
    assert type(y._v) is S.StandinArray and y.shape == (10, 2)
    rows = S.asnumpy(y._v)
    assert sorted(map(tuple, rows)) == [(2 * i, 2 * i + 1) for i in range(10)]
    assert not np.array_equal(rows, S.asnumpy(x._v))
    tf.random.set_seed(3)                      # the global generator too, reproducibly
    a = S.asnumpy(tf.random.shuffle(x)._v)
    tf.random.set_seed(3)
    assert np.array_equal(a, S.asnumpy(tf.random.shuffle(x)._v))


@numpy_process
def test_shuffle_on_numpy_gives_the_numbers_it_always_gave(monkeypatch):
    monkeypatch.setattr(creation.random, "_op_gens", {})
    x = np.arange(12, dtype=np.float32)
    got = tf.random.shuffle(tf.constant(x), seed=1234).numpy()
    assert np.array_equal(got, x[np.random.default_rng(1234).permutation(12)])


# ---------------------------------------------------------------- E: the gpu extras

def test_gpu_extras_bring_the_cuda_components():
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not a source checkout")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["gpu"] == ["cupy-cuda12x[ctk]>=14.1"]
    assert extras["gpu-cuda13"] == ["cupy-cuda13x[ctk]>=14.1"]
    readme = (ROOT / "README.md").read_text()
    backends = readme[readme.index("## Backends"):readme.index("### Tests against live TensorFlow")]
    assert re.search(r'\.\[gpu\]".*CUDA 12', backends) and re.search(r'\.\[gpu-cuda13\]".*CUDA 13', backends)


# ---------------------------------------------------------------- F: sparse labels out of range

def test_out_of_range_sparse_labels_give_nan_rows_not_a_wrapped_loss(standin):
    """CuPy wraps out-of-range indices: label 3 of 3 classes would silently read class 0.  As TF on
    a GPU, the row's loss and gradient are NaN instead (no host sync); the other rows are exact."""
    x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [3.0, 1.0, 0.0]], F32)
    lab = np.array([0, 3, -1, 2], np.int32)
    logits = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(lab), logits)
    g = tape.gradient(loss, logits)
    assert type(loss._v) is S.StandinArray
    lv, gv = loss.numpy(), g.numpy()
    assert np.isnan(lv[1]) and np.isnan(lv[2]) and np.isnan(gv[1:3]).all()
    p = np.exp(x - x.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    for r in (0, 3):
        np.testing.assert_allclose(lv[r], -np.log(p[r, lab[r]]), rtol=1e-6)
        np.testing.assert_allclose(gv[r], p[r] - np.eye(3, dtype=F32)[lab[r]], rtol=1e-6, atol=1e-7)


@numpy_process
def test_out_of_range_sparse_labels_still_raise_on_numpy():
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the valid range"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant([0, 3]), tf.zeros((2, 3)))


# ---------------------------------------------------------------- G, H: found by the first device run

@pytest.fixture
def standin_full(standin, monkeypatch):
    """The stand-in with every NumPy function (``full_api``) for whole-op tests; the fused kernels
    decline, so each op runs its twin on the stand-in; no deferred device check left over."""
    from gputape import checks, kernels
    S.full_api()
    monkeypatch.setattr(kernels.KernelRef, "__call__", lambda self, *a, **k: None)
    checks._pending.clear()
    yield standin
    checks._pending.clear()
    S.full_api(False)


def test_clip_by_value_with_min_above_max_raises_on_cupy(standin_full):
    """The device run (benchmarks/results/gpu-*) clipped [1, 5] to [2, 2] silently: the check ran on NumPy only."""
    x = tf.constant([1.0, 5.0])
    assert type(x._v) is S.StandinArray
    with pytest.raises(tf.errors.InvalidArgumentError, match="clip_value_min must be <= clip_value_max"):
        tf.clip_by_value(x, 3.0, 2.0)
    S.reset_counts()
    with pytest.raises(tf.errors.InvalidArgumentError, match="clip_value_min"):
        tf.clip_by_value(x, tf.constant(3.0), tf.constant([2.0, 4.0]))       # device bounds: one read
    assert tf.clip_by_value(x, 2.0, 4.0).numpy().tolist() == [2.0, 4.0]


def test_small_reductions_follow_tensorflows_order_on_cupy(standin_full):
    """reduce_sum/mean over a last axis of 8..63 float32 (TF's Eigen order) give NumPy's bits on CuPy too:
    the first device run printed a seed's loss as 11.000020 where TF prints 11.000027."""
    rng = np.random.default_rng(3)
    for shape, axis in [((64, 10), -1), ((10,), None), ((3, 37), 1), ((5, 9), None)]:
        x = rng.normal(size=shape).astype(F32) * 100
        d = tf.constant(x)
        assert type(d._v) is S.StandinArray
        for f in (tf.reduce_sum, tf.reduce_mean):
            got = S.asnumpy(f(d, axis=axis)._v)
            want = _red._sum_fwd(np, x, _red._axes(tf.constant(x), axis, "t"), False)
            if f is tf.reduce_mean:
                want = _red._mean_fwd(np, x, _red._axes(tf.constant(x), axis, "t"), False)
            np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- K: the step counter lives on the device

def test_iterations_advance_on_the_device_not_from_a_host_count():
    """apply_gradients adds 1 to ``iterations``' buffer in place; it never writes the host count into it,
    which a captured CUDA graph would freeze (issue 11 K).  A change made on the device (as a graph replay
    makes) is therefore kept and advanced."""
    v = tf.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.SGD(0.1)
    opt.apply_gradients([(tf.constant([1.0, 1.0]), v)])
    buf = opt.iterations._v
    assert int(opt.iterations.numpy()) == 1
    buf[...] = 41                                   # as a replayed device step would leave it
    opt.apply_gradients([(tf.constant([1.0, 1.0]), v)])
    assert opt.iterations._v is buf and int(opt.iterations.numpy()) == 42


# ---------------------------------------------------------------- F: index checks on the device, raised at the next read

def test_gather_index_check_is_deferred_to_the_next_host_read(standin_full):
    """On CuPy, gather checks its indices on the device without a sync; the next host read raises TF's
    InvalidArgumentError naming the op and the bad index (issue 11 F)."""
    from gputape import checks
    p = tf.constant([1.0, 2.0, 3.0])
    S.reset_counts()
    ok = tf.gather(p, tf.constant([0, 2]))
    bad = tf.gather(p, tf.constant([1, 5, 0]))        # no error yet, and no sync
    assert S.syncs == [] and len(checks._pending) == 2
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"gather: indices\[1\] = 5 is not in \[0, 3\) \(checked on the device"):
        bad.numpy()
    assert checks._pending == []
    assert ok.numpy().tolist() == [1.0, 3.0]            # later reads are not blocked
    with tf.GradientTape() as tape:
        tape.watch(p)
        y = tf.reduce_sum(tf.gather(p, tf.constant([0, 0, 2])))
    assert tape.gradient(y, p).numpy().tolist() == [2.0, 0.0, 1.0]


def test_many_deferred_checks_are_read_back_together(standin_full):
    from gputape import checks
    p = tf.constant([1.0, 2.0])
    S.reset_counts()
    for _ in range(checks._PENDING_MAX - 1):
        tf.gather(p, tf.constant([1]))
    assert S.syncs == []
    tf.gather(p, tf.constant([0]))                      # the 256th: one read of all their flags
    assert len(S.syncs) == 1 and checks._pending == []


def test_tensor_index_stays_on_the_device_and_is_checked_there(standin_full):
    """x[t] with a scalar index tensor: no read back of t on CuPy (issue 11 I); an index out of range is
    raised at the next host read (deferred, as gather's)."""
    x = tf.constant([1.0, 2.0, 3.0])
    S.reset_counts()
    y, z = x[tf.constant(1)], x[tf.constant(-1)]
    assert S.syncs == []
    assert float(y) == 2.0 and float(z) == 3.0
    bad = x[tf.constant(7)]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"getitem: index of dimension 0 = 7 is not in \[-3, 3\)"):
        bad.numpy()
    with tf.GradientTape() as tape:
        tape.watch(x)
        s = x[tf.constant(2)] * 2.0
    assert tape.gradient(s, x).numpy().tolist() == [0.0, 0.0, 2.0]
