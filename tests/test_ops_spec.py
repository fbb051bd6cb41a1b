"""One table of op specs, one harness.

Each ``Spec`` row names an op (a callable on gputape tensors), the shapes of its
float inputs, where to sample them, and its reference formula in numpy.  The
harness checks, for every row:

- the forward against the numpy formula, in float64 (tight) and float32 (dtype kept);
- the VJP and the JVP against float64 central differences in a random direction, to
  second order (``gputape.testing.check_grads``), unless the row says otherwise.

Samples avoid kinks (``away0``, positive domains) so that finite differences are
meaningful; the kinks themselves are in ``KINKS`` below, with TensorFlow 2.21's values
(docs/TF_SEMANTICS.md section 2.1).  Adding an op is adding a row.
"""
import math

import numpy as np
import pytest

import gputape as tf
from gputape import ops as O
from gputape.testing import check_grads

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")   # kinks divide by zero on purpose


# ---------------------------------------------------------------- samplers
def real(rng, s):
    return rng.uniform(-2, 2, s)


def pos(rng, s):
    return rng.uniform(0.5, 2, s)


def away0(rng, s):
    return rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 2, s)


def unit(rng, s):
    return rng.uniform(-0.9, 0.9, s)


def prob(rng, s):
    return rng.uniform(0.1, 0.9, s)


def with_zeros(rng, s):
    """Products at exact zeros are smooth (polynomials), so finite differences still work."""
    a = rng.uniform(0.5, 2, s)
    a.reshape(-1)[::3] = 0.0
    return a


class Spec:
    def __init__(self, id, fn, ref, shapes, sample=real, order=2, modes=("rev", "fwd"), rtol=1e-5, atol=1e-6,
                 f32=True):
        self.id, self.fn, self.ref, self.shapes = id, fn, ref, shapes
        self.sample = sample if isinstance(sample, (list, tuple)) else [sample] * len(shapes)
        self.order, self.modes, self.rtol, self.atol, self.f32 = order, modes, rtol, atol, f32

    def args(self):
        rng = np.random.default_rng(sum(map(ord, self.id)))
        return [s(rng, sh) for s, sh in zip(self.sample, self.shapes)]


def _erf(a):
    return np.vectorize(math.erf)(a)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _softmax(a, axis=-1):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _gelu(a, approximate):
    if approximate:
        return 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))
    return 0.5 * a * (1 + _erf(a / math.sqrt(2)))


def _gelu_d(a, approximate):
    if approximate:
        c = math.sqrt(2 / math.pi)
        t = np.tanh(c * (a + 0.044715 * a ** 3))
        return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * c * (1 + 3 * 0.044715 * a * a)
    return 0.5 * (1 + _erf(a / math.sqrt(2))) + a * np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)


def _join(*ts):
    """Several outputs as one flat tensor, for multi-output ops."""
    return tf.concat([tf.reshape(t, [-1]) for t in ts], 0)


def _ajoin(*arrays):
    return np.concatenate([np.reshape(a, -1) for a in arrays])


S = (2, 3)
SPECS = []


def row(*a, **k):
    SPECS.append(Spec(*a, **k))


# ---------------------------------------------------------------- elementwise, one argument
row("negative", tf.negative, np.negative, [S])
row("square", tf.square, np.square, [S])
row("sqrt", tf.sqrt, np.sqrt, [S], pos)
row("rsqrt", tf.math.rsqrt, lambda a: 1 / np.sqrt(a), [S], pos)
row("reciprocal", tf.math.reciprocal, lambda a: 1 / a, [S], away0)
row("exp", tf.exp, np.exp, [S])
row("expm1", tf.math.expm1, np.expm1, [S])
row("log", tf.math.log, np.log, [S], pos)
row("log1p", tf.math.log1p, np.log1p, [S], lambda r, s: r.uniform(-0.5, 2, s))
row("abs", tf.abs, np.abs, [S], away0)
row("sign", tf.sign, np.sign, [S], away0)
row("sin", tf.sin, np.sin, [S])
row("cos", tf.cos, np.cos, [S])
row("tan", tf.tan, np.tan, [S], lambda r, s: r.uniform(-1.2, 1.2, s))
row("tanh", tf.tanh, np.tanh, [S])
row("sigmoid", tf.sigmoid, _sigmoid, [S])
row("sigmoid_large", tf.sigmoid, _sigmoid, [(4,)], lambda r, s: np.array([-40.0, -8.0, 8.0, 40.0]))
row("softplus", tf.math.softplus, lambda a: np.log1p(np.exp(a)), [S])
row("softplus_large", tf.math.softplus, lambda a: np.logaddexp(0, a), [(3,)],
    lambda r, s: np.array([-60.0, 30.0, 60.0]))
row("erf", tf.math.erf, _erf, [S])
row("pow_scalar_exp", lambda x: x ** 3.0, lambda a: a ** 3, [S])
row("pow_half", lambda x: tf.pow(x, 0.5), np.sqrt, [S], pos)
row("rpow", lambda x: 2.0 ** x, lambda a: 2.0 ** a, [S])
row("cast_f64_f64", lambda x: tf.cast(x, tf.float64), lambda a: a, [S], f32=False)
row("identity", tf.identity, lambda a: a, [S])
row("nn.relu", tf.nn.relu, lambda a: np.maximum(a, 0), [S], away0)
row("nn.relu6", tf.nn.relu6, lambda a: np.clip(a, 0, 6), [(8,)],
    lambda r, s: np.array([-1.0, 0.5, 2.0, 5.5, 6.5, 8.0, -3.0, 3.0]))
row("nn.leaky_relu", tf.nn.leaky_relu, lambda a: np.where(a > 0, a, 0.2 * a), [S], away0)
row("nn.leaky_relu_0.1", lambda x: tf.nn.leaky_relu(x, alpha=0.1), lambda a: np.where(a > 0, a, 0.1 * a), [S],
    away0)
row("nn.elu", tf.nn.elu, lambda a: np.where(a > 0, a, np.expm1(a)), [S], away0)
row("nn.selu", tf.nn.selu, lambda a: 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * np.expm1(a)),
    [S], away0)
row("nn.gelu", tf.nn.gelu, lambda a: _gelu(a, False), [S])
row("nn.gelu_tanh", lambda x: tf.nn.gelu(x, approximate=True), lambda a: _gelu(a, True), [S])
row("nn.silu", tf.nn.silu, lambda a: a * _sigmoid(a), [S])
row("nn.softsign", tf.nn.softsign, lambda a: a / (1 + np.abs(a)), [S], away0)
row("nn.sigmoid", tf.nn.sigmoid, _sigmoid, [S])
row("nn.tanh", tf.nn.tanh, np.tanh, [S])
row("nn.softmax", tf.nn.softmax, _softmax, [S])
row("nn.softmax_axis0", lambda x: tf.nn.softmax(x, axis=0), lambda a: _softmax(a, 0), [(3, 2, 2)])
row("nn.log_softmax", tf.nn.log_softmax, lambda a: np.log(_softmax(a)), [S])
row("nn.log_softmax_axis1", lambda x: tf.nn.log_softmax(x, axis=1), lambda a: np.log(_softmax(a, 1)), [(2, 3, 2)])

# ---------------------------------------------------------------- elementwise, two arguments, broadcasting
PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)), ((), (2, 2)), ((2, 2), ()),
         ((2, 2), (2, 1)), ((4, 1, 3), (2, 1))]
BINARY = [
    ("add", tf.add, np.add, (real, real)),
    ("subtract", tf.subtract, np.subtract, (real, real)),
    ("multiply", tf.multiply, np.multiply, (real, real)),
    ("divide", tf.divide, np.divide, (real, away0)),
    ("pow", tf.pow, np.power, (pos, real)),
    ("maximum", tf.maximum, np.maximum, (real, real)),
    ("minimum", tf.minimum, np.minimum, (real, real)),
    ("squared_difference", tf.math.squared_difference, lambda a, b: (a - b) ** 2, (real, real)),
    ("atan2", tf.math.atan2, np.arctan2, (away0, away0)),
]
for _n, _f, _r, _s in BINARY:
    for _a, _b in PAIRS:
        row(f"{_n}{_a}{_b}", _f, _r, [_a, _b], _s)
row("operators", lambda x, y: (x + y) * x - y / 2.0 + (-x) ** 2.0 - 1.0 / y,
    lambda a, b: (a + b) * a - b / 2 + a ** 2 - 1 / b, [S, S], (real, away0))
row("floormod", tf.math.floormod, np.mod, [(4,), (4,)],
    (lambda r, s: np.array([7.3, -7.3, 5.5, -1.2]), lambda r, s: np.array([2.0, 2.0, -3.0, 0.7])))
row("divide_no_nan", tf.math.divide_no_nan, lambda a, b: a / b, [S, S], (real, away0))
row("xlogy", tf.math.xlogy, lambda a, b: a * np.log(b), [S, S], (real, pos))

# max/min ties and clip bounds are kinks: see KINKS
row("clip_by_value", lambda x: tf.clip_by_value(x, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), [(3, 4)])
row("clip_by_value_tensor_bounds", lambda x, lo, hi: tf.clip_by_value(x, lo, hi),
    lambda a, lo, hi: np.clip(a, lo, hi), [(3, 4), (), ()],
    (real, lambda r, s: np.array(-0.55), lambda r, s: np.array(0.65)))
_C = np.array([[True, False, True], [False, False, True]])
row("where", lambda x, y: tf.where(tf.constant(_C), x, y), lambda a, b: np.where(_C, a, b), [S, S])
row("where_broadcast", lambda x, y: tf.where(tf.constant(_C), x, y), lambda a, b: np.where(_C, a, b), [S, (3,)])

# ---------------------------------------------------------------- matmul
MATMULS = [
    ("matmul", {}, (2, 3), (3, 4)),
    ("matmul_ta", dict(transpose_a=True), (3, 2), (3, 4)),
    ("matmul_tb", dict(transpose_b=True), (2, 3), (4, 3)),
    ("matmul_ta_tb", dict(transpose_a=True, transpose_b=True), (3, 2), (4, 3)),
    ("matmul_batched", {}, (3, 2, 4), (3, 4, 5)),
    ("matmul_batch_bcast", {}, (3, 2, 4), (4, 5)),
    ("matmul_bcast_left", {}, (2, 4), (3, 4, 5)),
    ("matmul_bcast_both", {}, (2, 1, 2, 3), (3, 3, 2)),
    ("matmul_batched_ta", dict(transpose_a=True), (2, 4, 3), (2, 4, 2)),
]


def _np_mm(a, b, transpose_a=False, transpose_b=False):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return a @ b


for _n, _k, _a, _b in MATMULS:
    row(_n, lambda x, y, k=_k: tf.matmul(x, y, **k), lambda a, b, k=_k: _np_mm(a, b, **k), [_a, _b])
row("matmul_operator", lambda x, y: x @ y, lambda a, b: a @ b, [(2, 3), (3, 2)])
row("matvec", lambda x, y: tf.linalg.matvec(x, y), lambda a, b: a @ b, [(2, 3), (3,)])
row("matvec_ta", lambda x, y: tf.linalg.matvec(x, y, transpose_a=True), lambda a, b: a.T @ b, [(3, 2), (3,)])
row("matvec_batched", lambda x, y: tf.linalg.matvec(x, y), lambda a, b: (a @ b[..., None])[..., 0],
    [(4, 2, 3), (4, 3)])
row("matvec_bcast", lambda x, y: tf.linalg.matvec(x, y), lambda a, b: (a @ b[..., None])[..., 0],
    [(2, 3), (4, 3)])
row("outer", lambda x, y: tf.linalg.outer(x, y) if hasattr(tf.linalg, "outer") else O.outer(x, y),
    lambda a, b: np.outer(a, b), [(2,), (3,)])
row("tensordot", lambda x, y: tf.tensordot(x, y, 1), lambda a, b: np.tensordot(a, b, 1), [(2, 3), (3, 4)])

# ---------------------------------------------------------------- reductions
R3 = (2, 3, 4)
for _name, _f, _r, _s in [("reduce_sum", tf.reduce_sum, np.sum, real), ("reduce_mean", tf.reduce_mean, np.mean, real),
                          ("reduce_max", tf.reduce_max, np.max, real), ("reduce_min", tf.reduce_min, np.min, real),
                          ("reduce_prod", tf.reduce_prod, np.prod, real)]:
    for _ax, _kd in [(None, False), (0, False), (1, True), (-1, False), ((0, 2), False), ((0, 2), True)]:
        row(f"{_name}_axis{_ax}_keep{_kd}", lambda x, f=_f, a=_ax, k=_kd: f(x, axis=a, keepdims=k),
            lambda x, r=_r, a=_ax, k=_kd: r(x, axis=a, keepdims=k), [R3], _s)
row("reduce_prod_zeros", tf.reduce_prod, np.prod, [(2, 3)], with_zeros)
row("reduce_prod_zeros_axis1", lambda x: tf.reduce_prod(x, axis=1), lambda a: np.prod(a, axis=1), [(3, 4)],
    lambda r, s: np.array([[0.0, 2, 3, 1.5], [0, 0, 3, 2], [1, 2, 0.5, -1]]))
row("reduce_logsumexp", lambda x: tf.reduce_logsumexp(x, axis=1), lambda a: np.log(np.exp(a).sum(1)), [S])
row("reduce_variance", lambda x: tf.math.reduce_variance(x, axis=0), lambda a: a.var(0), [S])
row("reduce_std", tf.math.reduce_std, np.std, [S])
row("reduce_euclidean_norm", tf.math.reduce_euclidean_norm, lambda a: np.sqrt((a * a).sum()), [S], away0)
row("norm", tf.norm, lambda a: np.sqrt((a * a).sum()), [S], away0)
row("norm_axis1", lambda x: tf.norm(x, axis=1), lambda a: np.sqrt((a * a).sum(1)), [S], away0)
row("norm_ord1", lambda x: tf.norm(x, ord=1), lambda a: np.abs(a).sum(), [S], away0)
row("cumsum", lambda x: tf.cumsum(x, axis=1), lambda a: np.cumsum(a, 1), [S])
row("cumsum_rev_excl", lambda x: tf.cumsum(x, exclusive=True, reverse=True),
    lambda a: np.flip(np.cumsum(np.flip(a, 0), 0), 0) - a, [(4,)])

# ---------------------------------------------------------------- shape ops
row("reshape", lambda x: tf.reshape(x, [3, -1]), lambda a: a.reshape(3, -1), [S])
row("transpose", tf.transpose, lambda a: a.T, [S])
row("transpose_perm", lambda x: tf.transpose(x, [1, 2, 0]), lambda a: a.transpose(1, 2, 0), [R3])
row("concat_axis0", lambda x, y: tf.concat([x, y], 0), lambda a, b: np.concatenate([a, b], 0), [(2, 3), (1, 3)])
row("concat_axis1_three", lambda x, y, z: tf.concat([x, y, z], axis=-1),
    lambda a, b, c: np.concatenate([a, b, c], -1), [(2, 1), (2, 3), (2, 2)])
row("concat_same_twice", lambda x: tf.concat([x, x * 2.0], 0), lambda a: np.concatenate([a, 2 * a], 0), [S])
row("stack", lambda x, y: tf.stack([x, y]), lambda a, b: np.stack([a, b]), [S, S])
row("stack_axis1", lambda x, y: tf.stack([x, y], axis=1), lambda a, b: np.stack([a, b], 1), [S, S])
row("stack_axis_neg", lambda x, y: tf.stack([x, y], axis=-1), lambda a, b: np.stack([a, b], -1), [S, S])
row("unstack", lambda x: _join(*tf.unstack(x, axis=1)), lambda a: _ajoin(*[a[:, i] for i in range(3)]), [S])
row("split", lambda x: _join(*tf.split(x, [1, 2], axis=1)), lambda a: _ajoin(a[:, :1], a[:, 1:]), [S])
row("expand_dims", lambda x: tf.expand_dims(x, 1), lambda a: a[:, None], [S])
row("expand_dims_neg", lambda x: tf.expand_dims(x, -1), lambda a: a[..., None], [S])
row("squeeze", tf.squeeze, np.squeeze, [(2, 1, 3, 1)])
row("squeeze_axis", lambda x: tf.squeeze(x, axis=1), lambda a: a.squeeze(1), [(2, 1, 3, 1)])
row("broadcast_to", lambda x: tf.broadcast_to(x, (2, 3)), lambda a: np.broadcast_to(a, (2, 3)), [(3,)])
row("tile", lambda x: tf.tile(x, [2, 3]), lambda a: np.tile(a, (2, 3)), [S])
row("tile_3d", lambda x: tf.tile(x, [1, 2, 2]), lambda a: np.tile(a, (1, 2, 2)), [(2, 1, 3)])
row("pad", lambda x: tf.pad(x, [[1, 0], [2, 1]]), lambda a: np.pad(a, [(1, 0), (2, 1)]), [S])
row("reverse", lambda x: tf.reverse(x, [1]), lambda a: a[:, ::-1], [S])
row("gather", lambda x: tf.gather(x, [0, 0, 2]), lambda a: a[[0, 0, 2]], [(3, 2)])
row("gather_axis1", lambda x: tf.gather(x, [2, 0, 2, 1], axis=1), lambda a: a[:, [2, 0, 2, 1]], [S])
row("gather_2d_indices", lambda x: tf.gather(x, [[0, 1], [1, 1]]), lambda a: a[np.array([[0, 1], [1, 1]])],
    [(2, 3)])
row("gather_last_first", lambda x: tf.gather(x, [2, 0]), lambda a: a[[2, 0]], [(3,)])   # [-1, 0] raises, as TF
row("getitem_strided", lambda x: x[1:, ::2], lambda a: a[1:, ::2], [S])
row("getitem_int", lambda x: x[1], lambda a: a[1], [S])
row("getitem_newaxis_ellipsis", lambda x: x[:, None, ..., -1], lambda a: a[:, None, ..., -1], [R3])
row("getitem_tensor_index", lambda x: x[tf.constant(1)] * x[-1], lambda a: a[1] * a[-1], [(3,)])
row("getitem_negative_step", lambda x: x[::-2], lambda a: a[::-2], [(5,)])

# ---------------------------------------------------------------- losses and nn composites
_LAB = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])
_SPARSE = np.array([2, 0], dtype=np.int32)


def simplex(axis=-1):
    """Rows that sum to 1: TF's fused xent gradient, softmax - labels, assumes it."""
    def sample(rng, s):
        a = rng.uniform(0.1, 1, s)
        return a / a.sum(axis, keepdims=True)
    return sample


# Both arguments are differentiable (TF); TF's d/dlogits = softmax - labels is exact only on the simplex,
# so second order is checked with the labels held constant.
row("softmax_xent", lambda lab, z: tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=z),
    lambda lab, z: -(lab * np.log(_softmax(z))).sum(-1), [S, S], (simplex(), real), order=1)
row("softmax_xent_axis0", lambda lab, z: tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=z, axis=0),
    lambda lab, z: -(lab * np.log(_softmax(z, 0))).sum(0), [S, S], (simplex(0), real), order=1)
row("softmax_xent_logits", lambda z: tf.nn.softmax_cross_entropy_with_logits(labels=tf.cast(_LAB, z.dtype), logits=z),
    lambda z: -(_LAB * np.log(_softmax(z))).sum(-1), [S])
row("sparse_softmax_xent", lambda z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=_SPARSE, logits=z),
    lambda z: -np.log(_softmax(z))[[0, 1], _SPARSE], [S])
row("sigmoid_xent", lambda lab, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=z),
    lambda lab, z: np.maximum(z, 0) - z * lab + np.log1p(np.exp(-np.abs(z))), [S, S], (prob, away0))
row("bias_add", tf.nn.bias_add, lambda a, b: a + b, [S, (3,)])
row("bias_add_3d", tf.nn.bias_add, lambda a, b: a + b, [R3, (4,)])
row("l2_loss", tf.nn.l2_loss, lambda a: 0.5 * (a * a).sum(), [S])
row("l2_normalize", lambda x: tf.math.l2_normalize(x, axis=1), lambda a: a / np.sqrt((a * a).sum(1, keepdims=True)),
    [S])
row("moments", lambda x: _join(*tf.nn.moments(x, axes=[0])), lambda a: _ajoin(a.mean(0), a.var(0)), [S])

# ---------------------------------------------------------------- fused gradient ops (each differentiable again)
_ACT = {"linear": lambda z: z, "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": _sigmoid}
_DACT = {"linear": lambda y: np.ones_like(y), "relu": lambda y: (y > 0) * 1.0, "tanh": lambda y: 1 - y * y,
         "sigmoid": lambda y: y * (1 - y)}
row("tanh_grad", O.tanh_grad, lambda y, g: g * (1 - y * y), [S, S], (unit, real))
row("sin_grad", O.sin_grad, lambda x, g: g * np.cos(x), [S, S], (real, real))
row("cos_grad", O.cos_grad, lambda x, g: -g * np.sin(x), [S, S], (real, real))
row("sigmoid_grad", O.sigmoid_grad, lambda y, g: g * y * (1 - y), [S, S], (prob, real))
row("relu_grad", O.relu_grad, lambda y, g: g * (y > 0), [S, S], (away0, real))
row("leaky_relu_grad", lambda x, g: O.leaky_relu_grad(x, g, alpha=0.2), lambda x, g: np.where(x > 0, g, 0.2 * g),
    [S, S], (away0, real))
row("elu_grad", O.elu_grad, lambda y, g: np.where(y > 0, g, g * (y + 1)), [S, S],
    (lambda r, s: r.choice([-1, 1], s) * r.uniform(0.2, 0.9, s), real))
row("softplus_grad", O.softplus_grad, lambda x, g: g * _sigmoid(x), [S, S])
row("gelu_grad", lambda x, g: O.gelu_grad(x, g, approximate=False), lambda x, g: g * _gelu_d(x, False), [S, S])
row("gelu_grad_tanh", lambda x, g: O.gelu_grad(x, g, approximate=True), lambda x, g: g * _gelu_d(x, True), [S, S])
row("sqrt_grad", O.sqrt_grad, lambda y, g: 0.5 * g / y, [S, S], (pos, real))
row("log_grad", O.log_grad, lambda x, g: g / x, [S, S], (pos, real))
row("abs_grad", O.abs_grad, lambda x, g: g * np.sign(x), [S, S], (away0, real))
row("div_grad_y", O.div_grad_y, lambda x, y, g: g * (-x / y) / y, [S, S, S], (real, away0, real))
row("pow_grad_x", O.pow_grad_x, lambda x, y, g: g * y * x ** (y - 1), [S, S, S], (pos, real, real))
row("pow_grad_y", O.pow_grad_y, lambda x, o, g: g * o * np.log(x), [S, S, S], (pos, real, real))
row("select_grad", lambda g: O.select_grad(tf.constant(_C), g, take=True), lambda g: np.where(_C, g, 0), [S])
row("select_grad_not", lambda g: O.select_grad(tf.constant(_C), g, take=False), lambda g: np.where(_C, 0, g), [S])
row("clip_grad", lambda x, g: O.clip_grad(x, tf.constant(-0.5, tf.float64), tf.constant(0.5, tf.float64), g),
    lambda x, g: np.where((x >= -0.5) & (x <= 0.5), g, 0), [S, S])
row("softmax_grad", lambda y, g: O.softmax_grad(y, g, axis=-1),
    lambda y, g: (g - (g * y).sum(-1, keepdims=True)) * y, [S, S], (prob, real))
row("softmax_grad_axis0", lambda y, g: O.softmax_grad(y, g, axis=0),
    lambda y, g: (g - (g * y).sum(0, keepdims=True)) * y, [S, S], (prob, real))
row("xent_grad", O.xent_grad, lambda p, lab, g: g * (p - lab), [S, S, (2, 1)], (prob, prob, real))
row("softmax_xent_op", lambda lab, z: _join(*O.softmax_xent(lab, z)),
    lambda lab, z: _ajoin(-(lab * np.log(_softmax(z))).sum(-1), _softmax(z)), [S, S], (simplex(), real), order=1)
row("softmax_xent_op_logits", lambda z: _join(*O.softmax_xent(tf.cast(_LAB, z.dtype), z)),
    lambda z: _ajoin(-(_LAB * np.log(_softmax(z))).sum(-1), _softmax(z)), [S])
for _act in ("linear", "relu", "tanh", "sigmoid"):
    row(f"bias_act_{_act}", lambda x, b, a=_act: O.bias_act(x, b, activation=a),
        lambda x, b, a=_act: _ACT[a](x + b), [R3, (4,)], (away0, lambda r, s: r.uniform(-0.1, 0.1, s)))
    row(f"act_bias_grad_{_act}", lambda y, g, a=_act: _join(*O.act_bias_grad(y, g, activation=a)),
        lambda y, g, a=_act: _ajoin(g * _DACT[a](y), (g * _DACT[a](y)).sum(axis=(0, 1))), [R3, R3],
        (prob if _act == "sigmoid" else unit if _act == "tanh" else away0, real))
    row(f"dense_activation_{_act}", lambda x, w, b, a=_act: O.dense_activation(x @ w, b, a),
        lambda x, w, b, a=_act: _ACT[a](x @ w + b), [(4, 3), (3, 2), (2,)])
row("prod_others", O.prod_others, lambda x: np.prod(x, -1, keepdims=True) / x, [(2, 4)], pos)
row("gather_grad", lambda g: O.gather_grad(g, tf.constant([0, 2, 0]), shape=(3, 2), axis=0, nb=0),
    lambda g: np.stack([g[0] + g[2], 0 * g[0], g[1]]), [(3, 2)])
row("scatter_into", lambda g: O.scatter_into(g, shape=(2, 3), key=(slice(1, None), slice(None, None, 2)), nb=0),
    lambda g: np.pad(np.insert(g, 1, 0, axis=1), [(1, 0), (0, 0)]), [(1, 2)])

_IDS = [s.id for s in SPECS]
assert len(set(_IDS)) == len(_IDS), "duplicate spec ids"


@pytest.mark.parametrize("spec", SPECS, ids=_IDS)
def test_forward_matches_numpy(spec):
    xs = spec.args()
    got = spec.fn(*[tf.constant(x) for x in xs])
    assert got.dtype == tf.float64
    np.testing.assert_allclose(got.numpy(), spec.ref(*xs), rtol=1e-10, atol=1e-12)
    if spec.f32:
        got32 = spec.fn(*[tf.constant(x.astype(np.float32)) for x in xs])
        assert got32.dtype == tf.float32
        np.testing.assert_allclose(got32.numpy(), spec.ref(*xs), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order], ids=[s.id for s in SPECS if s.order])
def test_vjp_jvp_second_order(spec):
    check_grads(spec.fn, spec.args(), order=spec.order, modes=spec.modes, rtol=spec.rtol, atol=spec.atol)


def _fd_jacobian(fn, xs, i, eps=1e-6):
    """d fn(*xs) / d xs[i] by central differences, shape out.shape + xs[i].shape."""
    cols = []
    for k in np.ndindex(xs[i].shape):
        hi, lo = [a.copy() for a in xs], [a.copy() for a in xs]
        hi[i][k] += eps
        lo[i][k] -= eps
        cols.append((np.asarray(fn(*hi), dtype=np.float64) - np.asarray(fn(*lo), dtype=np.float64)) / (2 * eps))
    out = np.stack(cols, axis=-1) if cols else np.zeros(np.shape(fn(*xs)) + (0,))
    return out.reshape(out.shape[:-1] + xs[i].shape)


@pytest.mark.parametrize("spec", SPECS, ids=_IDS)
def test_jacobian_matches_finite_differences(spec):
    """tape.jacobian sends a batch of cotangents through every rule at once (extra leading axes)."""
    xs = [np.array(a, dtype=np.float64) for a in spec.args()]
    ts = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        y = spec.fn(*ts)
    js = tape.jacobian(y, ts, unconnected_gradients="zero")
    run = lambda *a: spec.fn(*[tf.constant(v) for v in a])    # noqa: E731
    for i, j in enumerate(js):
        np.testing.assert_allclose(j.numpy(), _fd_jacobian(run, xs, i), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order > 1], ids=[s.id for s in SPECS if s.order > 1])
def test_hessian_as_jacobian_of_gradient(spec):
    """Second order with batched cotangents: jacobian (outer tape) of a VJP (inner tape)."""
    xs = [np.array(a, dtype=np.float64) for a in spec.args()]
    v = tf.constant(np.random.default_rng(1).standard_normal(np.shape(spec.ref(*xs))))

    def vjp(*arrays, tape=None):
        ts = [a if isinstance(a, tf.Tensor) else tf.constant(a) for a in arrays]
        with tf.GradientTape() as inner:
            inner.watch(ts)
            y = spec.fn(*ts)
        return inner.gradient(y, ts, output_gradients=v, unconnected_gradients="zero")

    ts = [tf.constant(x) for x in xs]
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(ts)
        gs = vjp(*ts)
    for i, g in enumerate(gs):
        for j, h in enumerate(outer.jacobian(g, ts, unconnected_gradients="zero")):
            want = _fd_jacobian(lambda *a: vjp(*a)[i], xs, j)
            np.testing.assert_allclose(h.numpy(), want, rtol=1e-5, atol=1e-5)


def test_check_grads_catches_wrong_rules():
    """check_grads is shipped to users: it must fail loudly, naming the mode and the order."""
    from gputape.op import defop
    x = np.linspace(-1.0, 1.5, 4)
    bad_vjp = defop("sin_bad_vjp", lambda xp, a: xp.sin(a), elementwise=True)
    bad_vjp.def_vjp(lambda g, out, a: g * tf.cos(a) * 1.01)
    with pytest.raises(AssertionError, match=r"VJP of .*derivative order 1"):
        check_grads(bad_vjp, [x], order=1, modes=["rev"])
    bad_jvp = defop("sin_bad_jvp", lambda xp, a: xp.sin(a), elementwise=True)
    bad_jvp.def_vjp(lambda g, out, a: g * tf.cos(a))
    bad_jvp.def_jvp(lambda ts, out, a: ts[0] * tf.cos(a) + 0.01)
    check_grads(bad_jvp, [x], order=1, modes=["rev"])
    with pytest.raises(AssertionError, match=r"JVP of .*derivative order 1"):
        check_grads(bad_jvp, [x], order=1, modes=["fwd"])
    first_order_only = defop("sin_first_order_only", lambda xp, a: xp.sin(a), elementwise=True)
    first_order_only.def_vjp(lambda g, out, a: g * tf.cos(tf.stop_gradient(a)))
    check_grads(first_order_only, [x], order=1)
    with pytest.raises(AssertionError, match="derivative order 2"):
        check_grads(first_order_only, [x], order=2, modes=["rev"])
    with pytest.raises(ValueError, match="unknown modes"):
        check_grads(tf.sin, [x], modes=["backward"])


def test_third_order_through_fused_ops():
    x = np.linspace(-1.7, 1.9, 5)
    check_grads(lambda t: tf.tanh(t) * tf.nn.gelu(t, approximate=True) + tf.sigmoid(t) ** 2.0, [x], order=3)
    check_grads(lambda t: tf.nn.softmax_cross_entropy_with_logits(tf.constant([[0.1, 0.2, 0.3, 0.4]], tf.float64), t),
                [x[None, :4]], order=3)


# ---------------------------------------------------------------- ops without a gradient
NONDIFF = [
    ("floordiv", lambda x: tf.math.floordiv(x, 2.0), lambda a: np.floor_divide(a, 2.0)),
    ("floordiv_operator", lambda x: x // 0.7, lambda a: a // 0.7),
    ("round", tf.round, np.round),
    ("floor", tf.floor, np.floor),
    ("ceil", tf.math.ceil, np.ceil),
    ("argmax", lambda x: tf.argmax(x, axis=1), lambda a: np.argmax(a, 1)),
    ("argmin", lambda x: tf.argmin(x), lambda a: np.argmin(a, 0)),
    ("cast_int", lambda x: tf.cast(x, tf.int32), lambda a: np.trunc(a).astype(np.int32)),
    ("cast_bool", lambda x: tf.cast(x, tf.bool), lambda a: a != 0),
    ("one_hot_of_argmax", lambda x: tf.one_hot(tf.argmax(x, 1), 3), lambda a: np.eye(3)[np.argmax(a, 1)]),
    ("zeros_like", tf.zeros_like, np.zeros_like),
    ("stop_gradient", tf.stop_gradient, lambda a: a),
    ("greater", lambda x: x > 0.0, lambda a: a > 0),
]


@pytest.mark.parametrize("fn,ref", [(f, r) for _, f, r in NONDIFF], ids=[n for n, _, _ in NONDIFF])
def test_no_gradient(fn, ref):
    a = np.array([[1.5, -2.5, 0.3], [-0.7, 2.2, 3.9]], dtype=np.float32)
    x = tf.constant(a)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = fn(x)
    np.testing.assert_allclose(np.asarray(y), ref(a), rtol=1e-6)
    assert tape.gradient(y, x) is None
    zero = tape.gradient(y, x, unconnected_gradients="zero")
    assert zero.dtype == tf.float32 and zero.numpy().tolist() == np.zeros_like(a).tolist()


def test_argmax_argmin_dtypes_and_one_hot():
    x = tf.constant([[1.0, 3.0, 2.0], [4.0, 0.0, 4.0]])
    assert tf.argmax(x, 1).dtype == tf.int64 and tf.argmax(x, 1).numpy().tolist() == [1, 0]
    assert tf.argmin(x, 1, output_type=tf.int32).dtype == tf.int32
    oh = tf.one_hot([0, 2], 3)
    assert oh.dtype == tf.float32 and oh.numpy().tolist() == [[1, 0, 0], [0, 0, 1]]
    assert tf.one_hot([1], 3, on_value=5.0, off_value=-1.0).numpy().tolist() == [[-1, 5, -1]]


# ---------------------------------------------------------------- kinks: TensorFlow 2.21's values (float32)
def _grads(fn, *inputs, uncon="none"):
    ts = [tf.constant(np.asarray(x, dtype=np.float32)) for x in inputs]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        y = fn(*ts)
    return [None if g is None else g.numpy() for g in tape.gradient(y, ts, unconnected_gradients=uncon)]


_SQ = math.sqrt
KINKS = [
    # (id, fn, inputs, expected gradient per input)
    ("relu_at_0", tf.nn.relu, [[-1.0, 0.0, 2.0]], [[0, 0, 1]]),
    ("relu6_at_0_and_6", tf.nn.relu6, [[0.0, 3.0, 6.0, 7.0]], [[0, 1, 0, 0]]),
    ("leaky_relu_at_0", tf.nn.leaky_relu, [[-1.0, 0.0, 2.0]], [[0.2, 0.2, 1]]),
    ("elu_at_0", tf.nn.elu, [[-1.0, 0.0, 1.0]], [[math.exp(-1), 1, 1]]),
    ("selu_at_0", tf.nn.selu, [[0.0, -1.0, 1.0]], [[1.0507010, 0.64676857, 1.0507010]]),
    ("gelu_at_0", tf.nn.gelu, [[0.0]], [[0.5]]),
    ("gelu_tanh_at_0", lambda x: tf.nn.gelu(x, approximate=True), [[0.0]], [[0.5]]),
    ("softplus_at_0", tf.math.softplus, [[0.0]], [[0.5]]),
    ("sigmoid_at_0", tf.sigmoid, [[0.0]], [[0.25]]),
    ("silu_at_0", tf.nn.silu, [[0.0]], [[0.5]]),
    ("tanh_at_0", tf.tanh, [[0.0]], [[1.0]]),
    ("erf_at_0", tf.math.erf, [[0.0]], [[2 / _SQ(math.pi)]]),
    ("softsign_at_0", tf.nn.softsign, [[0.0]], [[1.0]]),
    ("abs_at_0", tf.abs, [[0.0, -2.0, 3.0]], [[0, -1, 1]]),
    ("sign_grad_is_zero_not_none", tf.sign, [[0.0, -2.0, 3.0]], [[0, 0, 0]]),
    ("maximum_ties_to_x", tf.maximum, [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]], [[1, 1, 0], [0, 0, 1]]),
    ("minimum_ties_to_x", tf.minimum, [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]], [[1, 0, 1], [0, 1, 0]]),
    ("reduce_max_ties_split", tf.reduce_max, [[1.0, 3.0, 3.0, 2.0]], [[0, 0.5, 0.5, 0]]),
    ("reduce_max_all_equal", tf.reduce_max, [[2.0, 2.0, 2.0]], [[1 / 3] * 3]),
    ("reduce_max_axis_ties", lambda x: tf.reduce_max(x, axis=1), [[[1.0, 3, 3], [5, 1, 5]]],
     [[[0, 0.5, 0.5], [0.5, 0, 0.5]]]),
    ("reduce_min_ties_split", tf.reduce_min, [[1.0, 0.0, 0.0, 2.0]], [[0, 0.5, 0.5, 0]]),
    ("clip_inclusive", lambda x: tf.clip_by_value(x, 0.0, 1.0), [[-0.5, 0.0, 0.5, 1.0, 1.5]], [[0, 1, 1, 1, 0]]),
    ("clip_bound_grads", tf.clip_by_value, [[-0.5, 0.0, 0.5, 1.0, 1.5], 0.0, 1.0], [[0, 1, 1, 1, 0], 1.0, 1.0]),
    ("where_sqrt_at_0", lambda x: tf.where(x > 0, tf.sqrt(x), 0.0), [[0.0, 4.0]], [[0, 0.25]]),
    ("where_log_at_0_nan", lambda x: tf.where(x > 0, tf.math.log(x), 0.0), [[0.0, 2.0]], [[np.nan, 0.5]]),
    ("where_branches", lambda x: tf.where(x > 0, x, x * x), [[-2.0, 0.0, 3.0]], [[-4, 0, 1]]),
    ("sqrt_at_0_inf", tf.sqrt, [[0.0]], [[np.inf]]),
    ("rsqrt_at_0", tf.math.rsqrt, [[0.0]], [[-np.inf]]),
    ("reciprocal_at_0", tf.math.reciprocal, [[0.0]], [[-np.inf]]),
    ("log_at_0_inf", tf.math.log, [[0.0]], [[np.inf]]),
    ("divide_by_0", tf.divide, [[1.0, 0.0], [0.0, 0.0]], [[np.inf, np.inf], [-np.inf, np.nan]]),
    ("divide_no_nan_at_0", tf.math.divide_no_nan, [[1.0, 0.0], [0.0, 0.0]], [[0, 0], [0, 0]]),
    ("xlogy_at_0", tf.math.xlogy, [[0.0], [0.0]], [[0], [0]]),
    ("pow_square_at_0", lambda x: x ** 2.0, [[0.0]], [[0.0]]),
    ("pow_cube_negative_base", lambda x: x ** 3.0, [[-2.0]], [[12.0]]),
    ("pow_zero_exponent_at_0_nan", lambda x: tf.pow(x, 0.0), [[0.0]], [[np.nan]]),
    ("pow_dy_nonpositive_base_is_0", tf.pow, [[0.0, -2.0, 2.0], [2.0, 3.0, 0.5]],
     [[0, 12, 0.35355339], [0, 0, 0.98025814]]),
    ("pow_base_2", lambda x: 2.0 ** x, [[3.0]], [[8 * math.log(2)]]),
    ("norm_at_0_nan", tf.norm, [[0.0, 0.0]], [[np.nan, np.nan]]),
    ("norm_axis_zero_row", lambda x: tf.norm(x, axis=1), [[[3.0, 4.0], [0.0, 0.0]]], [[[0.6, 0.8], [np.nan, np.nan]]]),
    ("euclidean_norm_at_0", tf.math.reduce_euclidean_norm, [[0.0, 0.0]], [[np.nan, np.nan]]),
    ("eps_norm_at_0", lambda x: tf.sqrt(tf.reduce_sum(x * x) + 1e-12), [[0.0, 0.0]], [[0, 0]]),
    ("l2_normalize_at_0", tf.math.l2_normalize, [[0.0, 0.0]], [[1e6, 1e6]]),
    ("reduce_std_constant_nan", tf.math.reduce_std, [[1.0, 1.0, 1.0]], [[np.nan] * 3]),
    ("reduce_prod_one_zero", tf.reduce_prod, [[0.0, 2.0, 3.0]], [[6, 0, 0]]),
    ("reduce_prod_two_zeros", tf.reduce_prod, [[0.0, 0.0, 3.0]], [[0, 0, 0]]),
    ("reduce_mean_1_over_n", tf.reduce_mean, [[1.0, 2.0, 3.0, 4.0]], [[0.25] * 4]),
    ("reduce_variance", tf.math.reduce_variance, [[1.0, 2.0, 3.0]], [[-2 / 3, 0, 2 / 3]]),
    ("cumsum_reverse", tf.cumsum, [[1.0, 2.0, 3.0]], [[3, 2, 1]]),
    ("logsumexp_softmax", tf.reduce_logsumexp, [[1.0, 2.0, 3.0]], [[0.09003057, 0.24472847, 0.66524096]]),
    ("floormod", tf.math.floormod, [[7.0], [2.0]], [[1], [-3]]),
    ("floormod_negative", lambda x, y: x % y, [[-7.0], [2.0]], [[1], [4]]),
    ("gather_duplicates_summed", lambda x: tf.gather(x, [0, 0, 2]), [[1.0, 2.0, 3.0]], [[2, 0, 1]]),
    ("strided_slice_scatter", lambda x: x[1:, ::2], [np.ones((2, 3))], [[[0, 0, 0], [1, 0, 1]]]),
    ("tensor_index", lambda x: x[tf.constant(1)] * x[-1], [[1.0, 2.0, 3.0]], [[0, 3, 2]]),
    ("bcast_add_row", tf.add, [np.ones((2, 3)), [1.0, 2.0, 3.0]], [np.ones((2, 3)), [2, 2, 2]]),
    ("bcast_mul_scalar", tf.multiply, [[[1.0, 2.0], [3.0, 4.0]], 2.0], [[[2, 2], [2, 2]], 10.0]),
    ("bcast_mul_column", tf.multiply, [[[1.0, 2.0], [3.0, 4.0]], [[1.0], [2.0]]], [[[1, 1], [2, 2]], [[3], [7]]]),
    ("bcast_1x3_2x1", tf.multiply, [[[1.0, 2.0, 3.0]], [[1.0], [2.0]]], [[[3, 3, 3]], [[6], [6]]]),
    ("broadcast_to", lambda x: tf.broadcast_to(x, (2, 3)), [[1.0, 2.0, 3.0]], [[2, 2, 2]]),
    ("xent_logits_and_labels",
     lambda z, lab: tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=z),
     [[[1.0, 2.0, 3.0]], [[0.0, 0.0, 1.0]]],
     [[[0.09003057, 0.24472847, -0.33475903]], [[2.4076059, 1.4076059, 0.40760595]]]),
    ("sparse_xent_logits", lambda z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2], logits=z),
     [[[1.0, 2.0, 3.0]]], [[[0.09003057, 0.24472847, -0.33475903]]]),
    ("sigmoid_xent", lambda z: tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([1.0, 0.0]), logits=z),
     [[0.5, -0.5]], [[-0.37754068, 0.37754068]]),
    ("sigmoid_xent_at_0", lambda z: tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant([1.0, 0.0, 0.3]),
                                                                             logits=z),
     [[0.0, 0.0, 0.0]], [[-0.5, 0.5, 0.2]]),
    ("cast_f32_to_f64_passes", lambda x: tf.cast(x, tf.float64) * 3.0, [[1.0, 2.0]], [[3, 3]]),
    ("cast_f32_to_f16_passes", lambda x: tf.cast(x, tf.float16) * 3.0, [[1.0, 2.0]], [[3, 3]]),
    ("cast_int_roundtrip_cuts", lambda x: tf.cast(tf.cast(x, tf.int32), tf.float32), [[1.5]], [None]),
    ("round_cuts", tf.round, [[1.5]], [None]),
    ("one_hot_cuts", lambda x: tf.one_hot(tf.cast(x, tf.int32), 3), [[1.0]], [None]),
    ("stop_gradient_product", lambda x: x * tf.stop_gradient(x), [[3.0]], [[3.0]]),
    ("stop_gradient_whole", lambda x: tf.stop_gradient(x * x), [[3.0]], [None]),
]


def _ids(rows):
    return [r[0] for r in rows]


@pytest.mark.parametrize("fn,inputs,want", [r[1:] for r in KINKS], ids=_ids(KINKS))
def test_kink_values_match_tensorflow(fn, inputs, want):
    got = _grads(fn, *inputs)
    for g, w in zip(got, want):
        if w is None:
            assert g is None
            continue
        assert g is not None and g.dtype == np.float32
        np.testing.assert_allclose(g, np.asarray(w, dtype=np.float64), rtol=1e-5, atol=1e-6, equal_nan=True)
        assert g.shape == np.shape(w)


def test_second_derivative_through_one_class_xent_is_zero():
    z = tf.constant([[1.5]])
    with tf.GradientTape() as outer:
        outer.watch(z)
        with tf.GradientTape() as inner:
            inner.watch(z)
            loss = tf.nn.softmax_cross_entropy_with_logits(labels=tf.constant([[1.0]]), logits=z)
        g = inner.gradient(loss, z)
    assert outer.gradient(g, z).numpy().tolist() == [[0.0]]


def test_sparse_xent_labels_get_no_gradient():
    labels = tf.constant([2, 0])
    z = tf.constant([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    with tf.GradientTape() as tape:
        tape.watch([labels, z])
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=z)
    dl, dz = tape.gradient(loss, [labels, z])
    assert dl is None and dz.shape == (2, 3)


def test_dropout_gradient_is_mask_over_keep():
    tf.random.set_seed(3)
    x = tf.ones((200,))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.dropout(x, 0.5)
    g = tape.gradient(y, x).numpy()
    assert set(np.unique(g).tolist()) == {0.0, 2.0}
    np.testing.assert_array_equal(g, y.numpy())


def test_integer_pow_has_no_gradient():
    x = tf.constant([2, 3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x ** 2
    assert y.numpy().tolist() == [4, 9] and tape.gradient(y, x) is None


def test_batched_matmul_gradient_shapes():
    a, b = tf.ones((3, 2, 4)), tf.ones((4, 5))
    da, db = _grads(lambda x, y: x @ y, a.numpy(), b.numpy())
    assert da.shape == (3, 2, 4) and db.shape == (4, 5)
    np.testing.assert_allclose(da, 5.0)
    np.testing.assert_allclose(db, 6.0)          # summed over the batch of 3 and the 2 rows
