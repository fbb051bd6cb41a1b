"""Scatters, segment reductions and scans on the CuPy path (the H200 run of 189535aa: 80 failures of
test_ops_indexing.py under ``--backend cupy``).

CuPy's rules that bit, taught to the stand-in (tests/cupy_standin.py, h-fixidx's block): ``ufunc.at``
takes only int32/int64/uint32/uint64/float16/32/64 (min/max: not float16); its float max/min run
fmaxf/fminf (float64 rounded to float32, NaN dropped); a repeated index in ``a[idx] = v`` stores an
undefined one of the values; ``logaddexp`` is NaN at equal infinities.  The first group checks the
stand-in follows those rules; the second runs gputape's ops on the CuPy path -- the stand-in (NOT A GPU)
in a NumPy run, the real CuPy under ``--backend cupy`` -- against NumPy's answers.
"""
import numpy as np
import pytest

import cupy_standin as S
import gputape as tf
from gputape import backend, errors

_REAL_CUPY = backend.get_xp() is not np and not getattr(backend.xp, "NOT_A_GPU", False)


@pytest.fixture
def dev(monkeypatch):
    """gputape on its CuPy path: the real CuPy under --backend cupy, else the stand-in (whole NumPy API)."""
    if _REAL_CUPY or getattr(backend.xp, "NOT_A_GPU", False):
        yield backend.xp
        return
    had = "__getattr__" in S.cupy.__dict__
    cp = S.install(monkeypatch)
    S.full_api(True)
    yield cp
    S.full_api(had)
    monkeypatch.undo()
    S.restore()


standin_only = pytest.mark.skipif(_REAL_CUPY, reason="checks the stand-in itself")


# ================================================================ the stand-in follows CuPy's rules
@standin_only
@pytest.mark.parametrize("dt", ["int8", "int16", "uint8", "bool", "complex64"])
def test_standin_add_at_refuses_what_cupy_refuses(dt):
    a = S.cupy.asarray(np.zeros(3, dt))
    with pytest.raises(TypeError, match=r"cupy\.add\.at only supports int32, int64, float16"):
        S.cupy.add.at(a, S.cupy.asarray(np.array([0, 0])), S.cupy.asarray(np.ones(2, dt)))
    with pytest.raises(TypeError, match=r"cupy\.add\.at only supports"):
        S.cupyx.scatter_add(a, S.cupy.asarray(np.array([0, 0])), S.cupy.asarray(np.ones(2, dt)))


@standin_only
@pytest.mark.parametrize("uf", ["maximum", "minimum"])
def test_standin_minmax_at(uf):
    cp = S.cupy
    with pytest.raises(TypeError, match=rf"cupy\.{uf}\.at only supports int32, int64, float32"):
        getattr(cp, uf).at(cp.asarray(np.zeros(2, np.float16)), cp.asarray(np.array([0])), cp.asarray(np.ones(1, np.float16)))
    x = 1 + 2.0 ** -40                                    # not a float32
    a = cp.asarray(np.array([0.0 if uf == "maximum" else 9.0, 7.0]))
    getattr(cp, uf).at(a, cp.asarray(np.array([0, 0])), cp.asarray(np.array([x, x])))
    assert a[0] == np.float32(x) and a[0] != x and a[1] == 7.0      # touched: rounded to float32; untouched: kept
    b = cp.asarray(np.array([1.0, 2.0], np.float32))
    getattr(cp, uf).at(b, cp.asarray(np.array([0])), cp.asarray(np.array([np.nan], np.float32)))
    assert b[0] == 1.0                                    # fmaxf/fminf drop NaN
    with pytest.raises(NotImplementedError):
        cp.multiply.at(cp.asarray(np.ones(2)), cp.asarray(np.array([0])), cp.asarray(np.ones(1)))


@standin_only
def test_standin_repeated_index_assignment_keeps_the_first():
    a = S.cupy.asarray(np.zeros(2))
    a[S.cupy.asarray(np.arange(10) % 2)] = S.cupy.asarray(np.arange(10.0))
    assert list(S.asnumpy(a)) == [0.0, 1.0]               # NumPy: [8, 9]; CuPy: undefined


@standin_only
def test_standin_logaddexp_nan_at_equal_infinities():
    cp = S.cupy
    r = S.asnumpy(cp.logaddexp(cp.asarray(np.array([-np.inf, np.inf, 0.0])), cp.asarray(np.array([-np.inf, np.inf, 0.0]))))
    assert np.isnan(r[0]) and np.isnan(r[1]) and r[2] == np.log(2)


# ================================================================ gputape's ops on the CuPy path
@pytest.mark.parametrize("dt", ["bool", "int8", "int16", "uint8", "float16"])
def test_scatter_nd_small_dtypes(dev, dt):
    idx = np.array([[1], [1], [3], [0]], np.int32)
    u = np.array([1, 3, 250, 7]).astype(dt) if dt != "bool" else np.array([True, False, True, False])
    got = tf.scatter_nd(idx, u, [5])
    assert type(got._v) is not np.ndarray or not _on_device(dev)
    want = np.zeros(5, dt)
    np.add.at(want, idx[:, 0], u)
    np.testing.assert_array_equal(got.numpy(), want)


def _on_device(dev):
    return dev is not np


@pytest.mark.parametrize("dt", ["int8", "uint8", "int16", "float16", "float32", "float64"])
@pytest.mark.parametrize("op", ["segment_max", "segment_min", "unsorted_segment_max", "unsorted_segment_min",
                                "segment_sum", "unsorted_segment_sum"])
def test_segments_exact_for_every_dtype(dev, op, dt):
    rng = np.random.default_rng(7)
    data = (rng.standard_normal((40, 3)) * 50).astype(dt)
    ids = np.sort(rng.integers(0, 9, 40)).astype(np.int32)
    ids[ids == 4] = 5                                      # an empty segment
    f = getattr(tf.math, op)
    got = f(data, ids) if op.startswith("segment") else f(data, ids, 10)
    num = 10 if op.startswith("unsorted") else int(ids[-1]) + 1
    kind = op.split("_")[-1]
    uf = {"max": np.maximum, "min": np.minimum, "sum": np.add}[kind]
    if kind == "sum":
        init = 0
    else:
        init = (np.finfo(dt) if dt.startswith("float") else np.iinfo(dt))
        init = init.min if kind == "max" else init.max
    want = np.full((num, 3), init, dt)
    uf.at(want, ids, data)
    if op.startswith("segment") and kind != "sum":
        want[np.bincount(ids, minlength=num) == 0] = 0     # TF: an empty sorted segment is 0
    if kind == "sum" and dt.startswith("float"):
        np.testing.assert_allclose(got.numpy(), want, rtol=2e-3 if dt == "float16" else 1e-5)
    else:
        np.testing.assert_array_equal(got.numpy(), want)  # max/min: exact (CuPy's fmaxf would round float64)


@pytest.mark.parametrize("mode", ["max", "min"])
def test_tensor_scatter_minmax_float64_exact_and_nan(dev, mode):
    t = np.array([0.1, -0.2, np.nan, 5.0, 1e300])
    idx = np.array([[0], [0], [1], [2], [4], [3]], np.int32)
    u = np.array([0.1 + 1e-12, -0.3, np.nan, 1.0, -1e300, np.nan])
    got = getattr(tf, f"tensor_scatter_nd_{mode}")(t, idx, u).numpy()
    want = t.copy()
    {"max": np.maximum, "min": np.minimum}[mode].at(want, idx[:, 0], u)
    np.testing.assert_array_equal(got, want)             # NaN wins, as NumPy's and TF's CPU kernel
    # and the gradient splits ties (needs the exact forward: equal(t, out) with out rounded is never true)
    x = tf.constant(t[:2])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = getattr(tf, f"tensor_scatter_nd_{mode}")(x, np.array([[0]], np.int32), tf.constant([0.1], tf.float64))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.5, 1.0])


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int32])
def test_tensor_scatter_update_last_repeat_wins(dev, dt):
    rng = np.random.default_rng(3)
    t = (rng.standard_normal((50, 3)) * 10).astype(dt)
    idx = rng.integers(0, 50, (200, 1))
    u = (rng.standard_normal((200, 3)) * 10).astype(dt)
    got = tf.tensor_scatter_nd_update(t, idx.astype(np.int32), u).numpy()
    want = t.copy()
    want[idx[:, 0]] = u                                    # NumPy / TF's CPU kernel: the last repeat wins
    np.testing.assert_array_equal(got, want)
    v = tf.Variable(t)
    v.scatter_nd_update(idx.astype(np.int32), u)
    np.testing.assert_array_equal(v.numpy(), want)


def test_cumulative_logsumexp_far_below_the_maximum_and_float16(dev):
    x = np.array([-1000.0, 0.0, -2000.0, 1.0, -np.inf])
    for dt in (np.float32, np.float64):
        np.testing.assert_allclose(tf.math.cumulative_logsumexp(x.astype(dt)).numpy(),
                                   np.logaddexp.accumulate(x.astype(dt)), rtol=1e-6)
    np.testing.assert_array_equal(tf.math.cumulative_logsumexp(-np.full(3, np.inf)).numpy(), -np.full(3, np.inf))
    np.testing.assert_array_equal(tf.math.cumulative_logsumexp(np.ones(3, np.float16)).numpy(),
                                  np.array([1.0, 1.693359375, 2.099609375], np.float16))   # TF 2.21's bits
    m = np.random.default_rng(1).standard_normal((3, 37))
    for ax in (0, 1):
        np.testing.assert_allclose(tf.math.cumulative_logsumexp(m, axis=ax).numpy(),
                                   np.logaddexp.accumulate(m, axis=ax), rtol=1e-13)


def test_bad_gather_index_raises_at_the_read(dev):
    r = tf.gather(tf.reshape(tf.range(24.0), [2, 3, 4]), [[0, 3], [1, 1]], axis=1, batch_dims=1)
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0,1\] = 3 is not in \[0, 3\)"):
        r.numpy()
    np.testing.assert_array_equal(tf.gather_nd(tf.reshape(tf.range(6.0), [2, 3]), [[1, 2], [0, 0]]).numpy(), [5, 0])


def test_gather_from_an_empty_axis_raises_at_the_op_and_leaves_nothing_pending(dev):
    """Every index is out of [0, 0): raised at once with TF's message (no deferred check left to fire at
    an unrelated later read, as one did on the H200 run)."""
    from gputape import checks
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0\] = 0 is not in \[0, 0\)"):
        tf.gather(tf.ones([0]), [0])
    assert not checks._pending
    np.testing.assert_array_equal(tf.range(0, 3, 1).numpy(), [0, 1, 2])


def test_unique_keeps_every_nan_apart(dev):
    """TF 2.21: each NaN is its own value; CuPy's unique collapses NaNs unless told equal_nan=False."""
    y, idx, cnt = tf.unique_with_counts(tf.constant([np.nan, 1.0, np.nan, 1.0]))
    np.testing.assert_array_equal(y.numpy(), [np.nan, 1.0, np.nan])
    np.testing.assert_array_equal(idx.numpy(), [0, 1, 2, 1])
    np.testing.assert_array_equal(cnt.numpy(), [1, 2, 1])
