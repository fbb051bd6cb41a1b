"""tf.linalg on the CuPy path, through the NumPy-backed stand-in (``cupy_standin.py``; NOT a GPU).

The H200 run of 189535aa (benchmarks/gpu/prove.sh, ``--backend cupy``) failed 13 linalg tests that pass on
NumPy; the stand-in now follows the CuPy 14.2 rules that bit (its h-fixmath block), and these tests keep
them in the default NumPy run:
- ``cupy.linalg.solve`` does not broadcast b's batch axes (the VJP of ``solve`` under ``jacobian``);
- CuPy ignores cuSOLVER's info flags by default, so a singular ``inv``/``solve`` gave numbers instead of
  TF's InvalidArgumentError, and ``cholesky`` of a matrix that is not positive definite a partial factor;
- ``triangular_solve`` by an LU solve gave other inf/NaN than TF's substitution (cuBLAS trsm gives TF's).
"""
import numpy as np
import pytest

import cupy_standin as S
import gputape as tf


@pytest.fixture
def cupy_standin(monkeypatch):
    """The stand-in as gputape's CuPy backend (every NumPy function, ``full_api``) for one test; the fused
    kernels decline, so each op runs its array twin; no deferred device check left over."""
    from gputape import checks, kernels
    cp = S.install(monkeypatch)
    S.full_api()
    monkeypatch.setattr(kernels.KernelRef, "__call__", lambda self, *a, **k: None)
    checks._pending.clear()
    S.reset_counts()
    yield cp
    checks._pending.clear()
    S.full_api(False)
    monkeypatch.undo()
    S.restore()


def _f64(v):
    return tf.constant(np.asarray(v, np.float64))


A = [[[2.0, 0.5, 0.1], [0.3, 3.0, 0.2], [0.1, 0.4, 1.5]], [[1.5, 0.2, 0.0], [0.1, 2.5, 0.3], [0.2, 0.1, 2.0]]]
B = [[[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]], [[0.0, 1.0], [2.0, 1.0], [-1.0, 0.5]]]


def _solve_jacobians():
    a, b = tf.Variable(_f64(A)), tf.Variable(_f64(B))
    for adjoint in (False, True):
        with tf.GradientTape(persistent=True) as tape:
            y = tf.linalg.solve(a, b, adjoint=adjoint)
        yield [j.numpy() for j in tape.jacobian(y, [a, b])]


def test_standin_solve_refuses_a_broadcast_rhs_as_cupy(cupy_standin):
    a = cupy_standin.asarray(np.eye(3))
    with pytest.raises(ValueError, match=r"b must have \(\.\.\., M, K\)"):
        cupy_standin.linalg.solve(a, cupy_standin.asarray(np.ones((4, 3, 2))))


def test_solve_jacobian_batched_cotangents_on_cupy(cupy_standin, monkeypatch):
    """The device: matrix_solve: a must have (..., M, M) shape and b must have (..., M, K) (inputs
    float64[2, 3, 3], float64[12, 2, 3, 2])."""
    got = list(_solve_jacobians())
    monkeypatch.undo()
    S.restore()
    want = list(_solve_jacobians())
    for g, w in zip(got, want):
        for gi, wi in zip(g, w):
            np.testing.assert_allclose(gi, wi, rtol=1e-12, atol=1e-12)


def test_standin_ignores_devinfo_by_default_as_cupy(cupy_standin):
    singular = cupy_standin.asarray(np.array([[1.0, 2.0], [2.0, 4.0]]))
    assert np.isnan(np.asarray(cupy_standin.linalg.inv(singular))).all()       # no error: CuPy's default
    with S.cupyx.errstate(linalg="raise"), pytest.raises(np.linalg.LinAlgError):
        cupy_standin.linalg.inv(singular)


@pytest.mark.parametrize("call", [
    lambda: tf.linalg.inv(tf.constant([[1.0, 2.0], [2.0, 4.0]])),
    lambda: tf.linalg.solve(tf.constant([[1.0, 2.0], [2.0, 4.0]]), tf.ones([2, 1])),
    lambda: tf.linalg.inv(tf.constant([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]])),
], ids=["inv", "solve", "inv_batched"])
def test_singular_raises_tf_error_on_cupy(cupy_standin, call):
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        call()
    assert any("devInfo" in what for what, _ in S.syncs)        # the one read back it costs


def test_det_gradient_of_singular_raises_on_cupy(cupy_standin):
    x = tf.Variable(tf.constant([[1.0, 2.0], [2.0, 4.0]]))
    with tf.GradientTape() as tape:
        d = tf.linalg.det(x)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        tape.gradient(d, x)


def test_cholesky_not_positive_definite_is_all_nan_on_cupy(cupy_standin):
    """The device gave [[1, 0], [2, nan]] (cuSOLVER's partial factor); TF's CPU kernel and gputape: NaN."""
    c = tf.linalg.cholesky(tf.constant([[[1.0, 2.0], [2.0, 1.0]], [[4.0, 2.0], [2.0, 3.0]]])).numpy()
    assert np.isnan(c[0]).all()
    np.testing.assert_allclose(c[1], np.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 3.0]])), rtol=1e-6)


def test_triangular_solve_singular_as_tf_without_a_sync_on_cupy(cupy_standin):
    """TF 2.21: [[1], [-inf]] (substitution); the device gave [[nan], [inf]] (an unchecked LU solve)."""
    x = tf.linalg.triangular_solve(tf.constant([[1.0, 0.0], [2.0, 0.0]]), tf.ones([2, 1]))
    assert not S.syncs
    assert x.numpy().tolist() == [[1.0], [-np.inf]]
    # batch shapes broadcast, as TF's triangular_solve
    a = tf.constant(np.tril(np.arange(1.0, 10.0).reshape(3, 3)))
    b = tf.constant(np.arange(12.0).reshape(2, 3, 2))
    got = tf.linalg.triangular_solve(a, b, adjoint=True).numpy()
    np.testing.assert_allclose(got, np.linalg.solve(np.tril(np.arange(1.0, 10.0).reshape(3, 3)).T, np.arange(12.0)
                                                    .reshape(2, 3, 2)), rtol=1e-12)
