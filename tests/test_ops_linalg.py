"""tf.linalg beyond products: spec-table rows (forward vs NumPy, first and second order vs finite
differences in float64, batched over leading axes), TF 2.21's values (``tf_fixtures/opsmath.json``),
and the errors TF raises.  The harness is test_ops_spec.py's."""
import numpy as np
import pytest

import gputape as tf
from test_ops_spec import Spec, real
from test_ops_spec import (test_forward_matches_numpy as _forward, test_vjp_jvp_second_order as _second,
                           test_jacobian_matches_finite_differences as _jacobian,
                           test_hessian_as_jacobian_of_gradient as _hessian)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
L = tf.linalg


def _sym_pd(x):
    """A symmetric positive definite matrix from any square x (batched)."""
    n = x.shape[-1]
    return tf.matmul(x, x, transpose_b=True) + n * tf.eye(n, dtype=x.dtype)


def _np_pd(a):
    return a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])


def _sign_fixed(v, ref_row):
    """Columns of v with the sign that makes ref_row's entries positive (eigen/singular vectors are
    defined up to sign; the sign is piecewise constant, so gradients pass through v)."""
    return v * tf.stop_gradient(tf.sign(ref_row))


def _np_sign_fixed(v, ref_row):
    return v * np.sign(ref_row)


def well(rng, s):
    """Well-conditioned square matrices: identity plus small noise."""
    return np.eye(s[-1]) * 2 + rng.uniform(-0.5, 0.5, s)


def spread(rng, s):
    """Symmetric matrices with well separated eigenvalues (1, 2.5, 4, ...) under a random rotation."""
    n = s[-1]
    q, _ = np.linalg.qr(rng.standard_normal(s))
    e = 1 + 1.5 * np.arange(n)
    return q @ (e[:, None] * np.swapaxes(q, -1, -2))


def lower_well(rng, s):
    return np.tril(well(rng, s))


SPECS = []


def row(*a, **k):
    SPECS.append(Spec(*a, **k))


B = (2, 3, 3)
row("inv", L.inv, np.linalg.inv, [(3, 3)], well)
row("inv_batched", L.inv, np.linalg.inv, [B], well)
row("inv_adjoint", lambda x: L.inv(x, adjoint=True), lambda a: np.linalg.inv(np.swapaxes(a, -1, -2)), [B], well)
row("det", L.det, np.linalg.det, [B], well)
row("det_4x4", L.det, np.linalg.det, [(4, 4)], well)
row("slogdet", lambda x: L.slogdet(x)[1], lambda a: np.linalg.slogdet(a)[1], [B], well)
row("slogdet_sign", lambda x: L.slogdet(-x)[0] * L.slogdet(x)[1], lambda a: np.linalg.slogdet(-a)[0] *
    np.linalg.slogdet(a)[1], [(3, 3)], well)
row("logdet", lambda x: L.logdet(_sym_pd(x)), lambda a: np.linalg.slogdet(_np_pd(a))[1], [B])
row("cholesky", lambda x: L.cholesky(_sym_pd(x)), lambda a: np.linalg.cholesky(_np_pd(a)), [B])
row("cholesky_lower_only", L.cholesky, lambda a: np.linalg.cholesky(np.tril(a) + np.tril(a, -1).T), [(3, 3)],
    lambda r, s: np.tril(_np_pd(r.uniform(-1, 1, s))) + np.triu(r.uniform(-1, 1, s), 1), order=0)
row("triangular_solve", L.triangular_solve, lambda a, b: np.linalg.solve(np.tril(a), b), [B, (2, 3, 2)],
    (well, real))
row("triangular_solve_upper_adjoint", lambda a, b: L.triangular_solve(a, b, lower=False, adjoint=True),
    lambda a, b: np.linalg.solve(np.swapaxes(np.triu(a), -1, -2), b), [B, (2, 3, 2)], (well, real))
row("triangular_solve_bcast", L.triangular_solve, lambda a, b: np.linalg.solve(np.tril(a), b), [(3, 3), (2, 3, 1)],
    (well, real))
row("cholesky_solve", lambda x, b: L.cholesky_solve(L.cholesky(_sym_pd(x)), b),
    lambda a, b: np.linalg.solve(_np_pd(a), b), [B, (2, 3, 2)])
row("solve", L.solve, np.linalg.solve, [B, (2, 3, 2)], (well, real))
row("solve_adjoint", lambda a, b: L.solve(a, b, adjoint=True), lambda a, b: np.linalg.solve(np.swapaxes(a, -1, -2), b),
    [(3, 3), (3, 4)], (well, real))
row("lstsq_tall", L.lstsq, lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], [(5, 3), (5, 2)])
row("lstsq_wide", L.lstsq, lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], [(2, 4), (2, 1)], rtol=1e-4)
row("lstsq_l2", lambda a, b: L.lstsq(a, b, l2_regularizer=0.5),
    lambda a, b: np.linalg.solve(a.T @ a + 0.5 * np.eye(3), a.T @ b), [(4, 3), (4, 2)])
row("trace", L.trace, lambda a: np.trace(a, axis1=-2, axis2=-1), [(2, 3, 4)])
row("diag_part", L.diag_part, lambda a: np.diagonal(a, 0, -2, -1), [(2, 3, 4)])
row("diag_part_k1", lambda x: L.diag_part(x, k=1), lambda a: np.diagonal(a, 1, -2, -1), [(3, 4)])
row("diag_part_k-1", lambda x: L.diag_part(x, k=-1), lambda a: np.diagonal(a, -1, -2, -1), [(2, 3, 3)])
row("diag", L.diag, lambda a: a[..., :, None] * np.eye(a.shape[-1]), [(2, 3)])
row("diag_k1", lambda x: L.diag(x, k=1), lambda a: np.diag(a, 1), [(3,)])
row("set_diag", L.set_diag, lambda a, d: a * (1 - np.eye(3, 4)) + np.pad(d[..., :, None] * np.eye(3), [(0, 0), (0, 0), (0, 1)]),
    [(2, 3, 4), (2, 3)])
row("band_part", lambda x: L.band_part(x, 1, 0), lambda a: a * (np.tri(3, 4, 0) - np.tri(3, 4, -2)), [(2, 3, 4)])
row("band_part_upper", lambda x: L.band_part(x, 0, -1), lambda a: np.triu(a), [(4, 4)])
row("matrix_transpose", L.matrix_transpose, lambda a: np.swapaxes(a, -1, -2), [(2, 3, 4)])
row("adjoint", L.adjoint, lambda a: np.swapaxes(a, -1, -2), [(3, 2)])
row("eigvalsh", L.eigvalsh, np.linalg.eigvalsh, [B], spread)
row("eigh_values", lambda x: L.eigh(x)[0], lambda a: np.linalg.eigh(a)[0], [(3, 3)], spread)
row("eigh_vectors", lambda x: _sign_fixed(L.eigh(x)[1], L.eigh(x)[1][..., :1, :]),
    lambda a: _np_sign_fixed(np.linalg.eigh(a)[1], np.linalg.eigh(a)[1][..., :1, :]), [B], spread)
row("eigh_reads_lower", lambda x: L.eigh(x)[0], lambda a: np.linalg.eigvalsh(np.tril(a) + np.tril(a, -1).T),
    [(3, 3)], lambda r, s: spread(r, s) + np.triu(r.uniform(-3, 3, s), 1))


def _svd_parts(x, full=False):
    s, u, v = L.svd(x, full_matrices=full)
    k = s.shape[-1]
    sg = tf.stop_gradient(tf.sign(u[..., :1, :k]))
    return tf.concat([tf.reshape(s, [-1]), tf.reshape(u[..., :k] * sg, [-1]), tf.reshape(v[..., :k] * sg, [-1])], 0)


def _np_svd_parts(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    sg = np.sign(u[..., :1, :])
    return np.concatenate([s.ravel(), (u * sg).ravel(), (np.swapaxes(vh, -1, -2) * sg).ravel()])


def distinct(rng, s):
    """Matrices with well separated singular values."""
    m, n = s[-2:]
    u, _ = np.linalg.qr(rng.standard_normal(s[:-2] + (m, m)))
    v, _ = np.linalg.qr(rng.standard_normal(s[:-2] + (n, n)))
    k = min(m, n)
    d = np.zeros(s)
    d[..., np.arange(k), np.arange(k)] = 3.0 - 0.8 * np.arange(k)
    return u @ d @ np.swapaxes(v, -1, -2)


row("svd_values", lambda x: L.svd(x, compute_uv=False), lambda a: np.linalg.svd(a, compute_uv=False), [(2, 4, 3)],
    distinct)
row("svd_square", _svd_parts, _np_svd_parts, [(3, 3)], distinct)
row("svd_wide", _svd_parts, _np_svd_parts, [(2, 3, 4)], distinct)
row("svd_tall", _svd_parts, _np_svd_parts, [(4, 2)], distinct)
row("qr_deep", lambda x: tf.concat([tf.reshape(t, [-1]) for t in L.qr(x)], 0),
    lambda a: np.concatenate([t.ravel() for t in np.linalg.qr(a)]), [(2, 4, 3)])
row("qr_square", lambda x: tf.concat([tf.reshape(t, [-1]) for t in L.qr(x)], 0),
    lambda a: np.concatenate([t.ravel() for t in np.linalg.qr(a)]), [(3, 3)], well)
row("qr_wide", lambda x: tf.concat([tf.reshape(t, [-1]) for t in L.qr(x)], 0),
    lambda a: np.concatenate([t.ravel() for t in np.linalg.qr(a)]), [(2, 4)], lambda r, s: r.uniform(0.5, 2, s))
row("pinv", L.pinv, np.linalg.pinv, [(2, 4, 3)], distinct)


def _np_expm(a):
    w, v = np.linalg.eig(a)
    return np.real(v @ (np.exp(w)[..., :, None] * np.linalg.inv(v)))


row("expm_small", L.expm, _np_expm, [(2, 3, 3)], lambda r, s: r.uniform(-0.1, 0.1, s))
row("expm_large", L.expm, _np_expm, [(3, 3)], lambda r, s: spread(r, s) * 1.5, rtol=1e-4, f32=False)

_IDS = [s.id for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=_IDS)
def test_forward_matches_numpy(spec):
    _forward(spec)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order], ids=[s.id for s in SPECS if s.order])
def test_vjp_jvp_second_order(spec):
    _second(spec)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order], ids=[s.id for s in SPECS if s.order])
def test_jacobian_matches_finite_differences(spec):
    _jacobian(spec)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order > 1], ids=[s.id for s in SPECS if s.order > 1])
def test_hessian_as_jacobian_of_gradient(spec):
    _hessian(spec)


# ---------------------------------------------------------------- TF 2.21's record (tf_fixtures/opsmath.json)
from opsmath_fixture import check as _tf_check, names as _tf_names  # noqa: E402

_TF_CASES = _tf_names("linalg/") + _tf_names("dtype/linalg.")


@pytest.mark.parametrize("name", _TF_CASES)
def test_matches_tensorflow_record(name):
    _tf_check(name)
