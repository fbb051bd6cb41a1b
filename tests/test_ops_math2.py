"""tf.math special functions and composites, and the tf.nn ops of issue 10's math list: spec-table
rows (test_ops_spec.py's harness: forward vs NumPy/SciPy-free references, first and second order vs
finite differences in float64), kinks and infinities with TF 2.21's values, and the NumPy fallbacks
used where SciPy is absent."""
import math

import numpy as np
import pytest

import gputape as tf
from gputape.ops import special as S
from test_ops_spec import Spec, real, pos, away0, prob, _join, _ajoin
from test_ops_spec import (test_forward_matches_numpy as _forward, test_vjp_jvp_second_order as _second,
                           test_jacobian_matches_finite_differences as _jacobian,
                           test_hessian_as_jacobian_of_gradient as _hessian, _grads)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

_lgamma = np.vectorize(math.lgamma)
_erfc = np.vectorize(math.erfc)
_erf = np.vectorize(math.erf)
_digamma = S._digamma_np


def _trigamma(a):
    return S._polygamma_series(np, 1, np.asarray(a, dtype=np.float64))


def _erfinv(a):
    return S._erfinv_np(a)


def _np_windows(a, k, s, pads):
    """Window sums and counts of a [N, H, W, C] array, by loops (the reference for avg_pool)."""
    n, h, w, c = a.shape
    (pt, pb), (pl, pr) = pads
    ap = np.pad(a, [(0, 0), (pt, pb), (pl, pr), (0, 0)])
    ones = np.pad(np.ones((1, h, w, 1)), [(0, 0), (pt, pb), (pl, pr), (0, 0)])
    ho, wo = (h + pt + pb - k[0]) // s[0] + 1, (w + pl + pr - k[1]) // s[1] + 1
    out = np.zeros((n, ho, wo, c))
    cnt = np.zeros((1, ho, wo, 1))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j] = ap[:, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]].sum((1, 2))
            cnt[:, i, j] = ones[:, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]].sum((1, 2))
    return out / cnt


def _np_depthwise(a, w, s=(1, 1), pads=((0, 0), (0, 0))):
    n, h, wd, c = a.shape
    kh, kw, _, m = w.shape
    ap = np.pad(a, [(0, 0), pads[0], pads[1], (0, 0)])
    ho, wo = (ap.shape[1] - kh) // s[0] + 1, (ap.shape[2] - kw) // s[1] + 1
    out = np.zeros((n, ho, wo, c, m))
    for i in range(ho):
        for j in range(wo):
            win = ap[:, i * s[0]:i * s[0] + kh, j * s[1]:j * s[1] + kw]          # n, kh, kw, c
            out[:, i, j] = np.einsum("nhwc,hwcm->ncm", win, w)
    return out.reshape(n, ho, wo, c * m)


def _np_conv1d(a, w, pads=(0, 0)):
    ap = np.pad(a, [(0, 0), pads, (0, 0)])
    k = w.shape[0]
    wo = ap.shape[1] - k + 1
    return np.stack([np.einsum("nkc,kcd->nd", ap[:, i:i + k], w) for i in range(wo)], 1)


SPECS = []


def row(*a, **k):
    SPECS.append(Spec(*a, **k))


S2 = (2, 3)
row("lgamma", tf.math.lgamma, _lgamma, [S2], pos)
row("lgamma_negative", tf.math.lgamma, _lgamma, [(3,)], lambda r, s: np.array([-0.5, -1.5, -2.3]))
row("digamma", tf.math.digamma, _digamma, [S2], pos)
row("digamma_negative", tf.math.digamma, _digamma, [(2,)], lambda r, s: np.array([-0.5, -1.3]))
row("polygamma_1", lambda x: tf.math.polygamma(tf.ones_like(x), x), _trigamma, [S2], pos)
row("erfc", tf.math.erfc, _erfc, [S2])
row("erfinv", tf.math.erfinv, _erfinv, [S2], lambda r, s: r.uniform(-0.9, 0.9, s))
row("xlog1py", tf.math.xlog1py, lambda a, b: a * np.log1p(b), [S2, S2], (real, pos))
row("xlog1py_bcast", tf.math.xlog1py, lambda a, b: a * np.log1p(b), [(2, 1), (3,)], (real, pos))
row("log_sigmoid", tf.math.log_sigmoid, lambda a: -np.logaddexp(0, -a), [S2])
row("log_sigmoid_large", tf.math.log_sigmoid, lambda a: -np.logaddexp(0, -a), [(4,)],
    lambda r, s: np.array([-60.0, -20.0, 20.0, 60.0]))
row("polyval", lambda x: tf.math.polyval([tf.constant(c, x.dtype) for c in (2.0, -1.0, 0.5)], x),
    lambda a: 2 * a * a - a + 0.5, [S2])
row("polyval_tensor_coeffs", lambda c, x: tf.math.polyval([c, 3.0 * c, tf.constant(1.0, c.dtype)], x),
    lambda c, a: c * a * a + 3 * c * a + 1, [(), S2])
row("reciprocal_no_nan", tf.math.reciprocal_no_nan, lambda a: 1 / a, [S2], away0)
row("reduce_logsumexp_axis0_keep", lambda x: tf.reduce_logsumexp(x, axis=0, keepdims=True),
    lambda a: np.log(np.exp(a).sum(0, keepdims=True)), [S2])
row("reduce_std_axis1", lambda x: tf.math.reduce_std(x, axis=1), lambda a: a.std(1), [S2])
row("softplus_extreme", tf.math.softplus, lambda a: np.logaddexp(0, a), [(4,)],
    lambda r, s: np.array([-100.0, -30.0, 30.0, 100.0]))

# ---- nn
X4 = (2, 5, 4, 3)
row("nn.relu6_mid", tf.nn.relu6, lambda a: np.clip(a, 0, 6), [S2], lambda r, s: r.uniform(0.2, 5.8, s))
row("nn.swish", tf.nn.swish, lambda a: a / (1 + np.exp(-a)), [S2])
row("nn.silu_beta", lambda x: tf.nn.silu(x, beta=2.0), lambda a: a / (1 + np.exp(-2 * a)), [S2])
row("nn.l2_normalize_axis0", lambda x: tf.nn.l2_normalize(x, axis=0),
    lambda a: a / np.sqrt((a * a).sum(0, keepdims=True)), [S2])
row("nn.moments_keepdims", lambda x: _join(*tf.nn.moments(x, axes=[0, 2], keepdims=True)),
    lambda a: _ajoin(a.mean((0, 2), keepdims=True), a.var((0, 2), keepdims=True)), [(2, 3, 4)])
row("nn.batch_normalization", lambda x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
    lambda x, m, v, o, s: (x - m) / np.sqrt(v + 1e-3) * s + o, [(4, 3), (3,), (3,), (3,), (3,)],
    (real, real, pos, real, real))
row("nn.batch_normalization_no_affine", lambda x, m, v: tf.nn.batch_normalization(x, m, v, None, None, 0.01),
    lambda x, m, v: (x - m) / np.sqrt(v + 0.01), [(4, 3), (3,), (3,)], (real, real, pos))
row("nn.log_poisson_loss", tf.nn.log_poisson_loss, lambda t, c: np.exp(c) - c * t, [S2, S2], (pos, real))
row("nn.log_poisson_loss_full", lambda t, c: tf.nn.log_poisson_loss(t, c, compute_full_loss=True),
    lambda t, c: np.exp(c) - c * t + np.where(t <= 1, 0, t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)),
    [(4,), (4,)], (lambda r, s: np.array([0.5, 1.5, 3.0, 7.0]), real))
row("nn.weighted_xent", lambda z, x: tf.nn.weighted_cross_entropy_with_logits(z, x, 2.5),
    lambda z, x: (1 - z) * x + (1 + 1.5 * z) * np.log1p(np.exp(-x)), [S2, S2], (prob, away0))
row("nn.embedding_lookup", lambda p: tf.nn.embedding_lookup(p, [[0, 3], [3, 1]]),
    lambda a: a[np.array([[0, 3], [3, 1]])], [(4, 3)])
row("nn.embedding_lookup_max_norm", lambda p: tf.nn.embedding_lookup(p, [2, 0, 2], max_norm=1.0),
    lambda a: (a / np.maximum(np.sqrt((a * a).sum(1, keepdims=True)), 1.0))[[2, 0, 2]], [(3, 4)])
row("nn.avg_pool2d_valid", lambda x: tf.nn.avg_pool2d(x, 2, 2, "VALID"),
    lambda a: _np_windows(a, (2, 2), (2, 2), ((0, 0), (0, 0))), [X4])
row("nn.avg_pool2d_same", lambda x: tf.nn.avg_pool2d(x, 3, [1, 2], "SAME"),
    lambda a: _np_windows(a, (3, 3), (1, 2), ((1, 1), (0, 1))), [X4])
row("nn.avg_pool1d", lambda x: tf.nn.avg_pool1d(x, 3, 2, "SAME"),
    lambda a: _np_windows(a[:, None], (1, 3), (1, 2), ((0, 0), (0, 1)))[:, 0], [(2, 6, 2)])
row("nn.max_pool1d", lambda x: tf.nn.max_pool1d(x, 2, 2, "VALID"),
    lambda a: a.reshape(2, 3, 2, 2).max(2), [(2, 6, 2)])
row("nn.max_pool_3d_input", lambda x: tf.nn.max_pool(x, 3, 3, "VALID"),
    lambda a: a.reshape(2, 2, 3, 2).max(2), [(2, 6, 2)])
row("nn.conv1d_valid", lambda x, w: tf.nn.conv1d(x, w, 1, "VALID"), _np_conv1d, [(2, 6, 3), (3, 3, 2)])
row("nn.conv1d_same", lambda x, w: tf.nn.conv1d(x, w, 1, "SAME"), lambda a, w: _np_conv1d(a, w, (1, 1)),
    [(2, 5, 2), (3, 2, 4)])
row("nn.depthwise_conv2d", lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"), _np_depthwise,
    [(2, 4, 4, 3), (2, 2, 3, 2)])
row("nn.depthwise_conv2d_same_stride", lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME"),
    lambda a, w: _np_depthwise(a, w, (2, 2), ((0, 1), (0, 1))), [(1, 5, 5, 2), (2, 2, 2, 1)])
row("nn.conv2d_transpose", lambda g, w: tf.nn.conv2d_transpose(g, w, [1, 4, 4, 2], 1, "VALID"),
    lambda g, w: _np_conv_t(g, w), [(1, 3, 3, 3), (2, 2, 2, 3)])


def _np_conv_t(g, w):
    out = np.zeros((1, 4, 4, 2))
    for i in range(3):
        for j in range(3):
            out[:, i:i + 2, j:j + 2] += np.einsum("no,hwco->nhwc", g[:, i, j], w)
    return out


_IDS = [s.id for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=_IDS)
def test_forward_matches_numpy(spec):
    _forward(spec)


@pytest.mark.parametrize("spec", SPECS, ids=_IDS)
def test_vjp_jvp_second_order(spec):
    _second(spec)


@pytest.mark.parametrize("spec", SPECS, ids=_IDS)
def test_jacobian_matches_finite_differences(spec):
    _jacobian(spec)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order > 1], ids=[s.id for s in SPECS if s.order > 1])
def test_hessian_as_jacobian_of_gradient(spec):
    _hessian(spec)


# ---------------------------------------------------------------- kinks, zeros and infinities (TF 2.21, float32)
KINKS = [
    ("xlog1py_at_x0", tf.math.xlog1py, [[0.0, 0.0], [-1.0, 2.0]], [[0, 0], [0, 0]]),
    ("xlogy_at_x0_y0", tf.math.xlogy, [[0.0], [0.0]], [[0], [0]]),
    ("reciprocal_no_nan_at_0", tf.math.reciprocal_no_nan, [[0.0, 2.0]], [[0, -0.25]]),
    ("log_sigmoid_at_0", tf.math.log_sigmoid, [[0.0]], [[0.5]]),
    ("softplus_large", tf.math.softplus, [[100.0, -100.0]], [[1, 0]]),
    ("lgamma_at_1_2", tf.math.lgamma, [[1.0, 2.0]], [[-0.5772157, 0.42278433]]),
    ("erfinv_at_0", tf.math.erfinv, [[0.0]], [[math.sqrt(math.pi) / 2]]),
    ("erfc_at_0", tf.math.erfc, [[0.0]], [[-2 / math.sqrt(math.pi)]]),
    ("logsumexp_neg_inf", lambda x: tf.reduce_logsumexp(x), [[-np.inf, 0.0]], [[0, 1]]),
    ("relu6_at_6", tf.nn.relu6, [[6.0, 0.0]], [[0, 0]]),
    ("max_pool1d_ties_first", lambda x: tf.nn.max_pool1d(tf.reshape(x, [1, 4, 1]), 2, 2, "VALID"),
     [[1.0, 1.0, 2.0, 2.0]], [[1, 0, 1, 0]]),
]


@pytest.mark.parametrize("fn,inputs,want", [r[1:] for r in KINKS], ids=[r[0] for r in KINKS])
def test_kink_values_match_tensorflow(fn, inputs, want):
    for g, w in zip(_grads(fn, *inputs), want):
        np.testing.assert_allclose(g, np.asarray(w, dtype=np.float64), rtol=1e-5, atol=1e-6, equal_nan=True)


def test_forward_edge_values():
    f = lambda v: tf.constant(v, tf.float32)     # noqa: E731
    assert tf.math.lgamma(f([0.0, -1.0])).numpy().tolist() == [np.inf, np.inf]
    assert tf.math.erfinv(f([1.0, -1.0])).numpy().tolist() == [np.inf, -np.inf]
    assert np.isnan(tf.math.erfinv(f([1.5])).numpy()).all()
    assert tf.reduce_logsumexp(f([-np.inf, -np.inf])).numpy() == -np.inf
    assert tf.reduce_logsumexp(f([np.inf, 1.0])).numpy() == np.inf
    assert tf.math.softplus(f([100.0])).numpy().tolist() == [100.0]
    assert tf.math.log_sigmoid(f([-100.0])).numpy().tolist() == [-100.0]
    assert tf.math.xlog1py(f([0.0]), f([-1.0])).numpy().tolist() == [0.0]
    assert tf.math.polyval([], f([1.0, 2.0])).numpy().tolist() == [0.0, 0.0]
    assert tf.math.lgamma(tf.constant([2.5], tf.float16)).dtype == tf.float16


def test_errors_as_tf():
    with pytest.raises(ValueError, match="coeffs must be list"):
        tf.math.polyval((1.0, 2.0), 1.0)
    for fn in (tf.math.lgamma, tf.math.digamma, tf.math.erfc, tf.math.erfinv, tf.math.log_sigmoid):
        with pytest.raises(tf.errors.InvalidArgumentError, match="not in the list of allowed values"):
            fn(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="must have the same shape"):
        tf.nn.log_poisson_loss(tf.ones([2]), tf.ones([3]))
    with pytest.raises(ValueError, match="must have the same shape"):
        tf.nn.weighted_cross_entropy_with_logits(tf.ones([2]), tf.ones([3]), 1.0)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.embedding_lookup(tf.ones([3, 2]), [3]).numpy()      # on CuPy the index check raises at the read
    with pytest.raises(NotImplementedError, match="sharded"):
        tf.nn.embedding_lookup([tf.ones([3, 2]), tf.ones([3, 2])], [0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="depth"):
        tf.nn.depthwise_conv2d(tf.ones([1, 3, 3, 2]), tf.ones([2, 2, 3, 1]), [1, 1, 1, 1], "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.avg_pool2d(tf.ones([1, 3, 3, 1], tf.int32), 2, 2, "VALID")


def test_numpy_fallbacks_without_scipy(monkeypatch):
    """Where SciPy is absent the NumPy formulas serve; they agree with the SciPy path."""
    x = tf.constant([0.3, 1.7, 5.5, 12.0, -0.5], tf.float64)
    u = tf.constant([-0.99, -0.3, 0.0, 0.6, 0.999], tf.float64)
    want = [tf.math.lgamma(x), tf.math.digamma(x), tf.math.erfc(x), tf.math.erfinv(u),
            tf.math.polygamma(tf.constant([1.0, 2.0, 3.0, 1.0, 0.0], tf.float64), x)]
    monkeypatch.setattr(S, "_scipy_special", lambda: None)
    got = [tf.math.lgamma(x), tf.math.digamma(x), tf.math.erfc(x), tf.math.erfinv(u),
           tf.math.polygamma(tf.constant([1.0, 2.0, 3.0, 1.0, 0.0], tf.float64), x)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- TF 2.21's record (tf_fixtures/opsmath.json)
from opsmath_fixture import check as _tf_check, names as _tf_names  # noqa: E402

_TF_CASES = _tf_names("math/") + _tf_names("nn/") + _tf_names("dtype/math.") + _tf_names("dtype/nn.")


@pytest.mark.parametrize("name", _TF_CASES)
def test_matches_tensorflow_record(name):
    _tf_check(name)
