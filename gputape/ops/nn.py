"""Activations, softmax, losses and the fused forward/backward ops behind them.

Each ``*_grad`` op is one kernel on the GPU (``kernels/activation.cu``,
``kernels/nn.cu``) and its xp twin here; it is an op with its own VJP, so
derivatives of any order go through it.
"""
import math as _m

import numpy as np

from ..op import defop, _const
from ..kernels import kernel
from ..tensor import _Base, convert_to_tensor
from ..errors import InvalidArgumentError
from ..checks import normalize_axis
from .. import dtype_rules as _rules
from .. import backend as _b
from .math import (multiply, add, subtract, negative, where, greater, greater_equal, exp, log, log1p, abs,
                   maximum, sigmoid, tanh, softplus, tanh_grad, sigmoid_grad, select_grad, cast, erf,
                   square, divide, _sigmoid, _k, zeros_like, stop_gradient, squared_difference, ones_like_)
from .reduce import reduce_sum, reduce_max, reduce_mean, _ureduce, _axes, _tensor
from .shape import reshape, _nb, one_hot

E = dict(elementwise=True)


# ---------------------------------------------------------------- relu family
relu = defop("relu", lambda xp, x: xp.maximum(x, _k(xp, 0, x.dtype)), **E)
relu.def_vjp(lambda g, out, x: relu_grad(out, g))

relu_grad = defop("relu_grad", lambda xp, y, g: g * (y > _k(xp, 0, y.dtype)), cuda=kernel("activation.cu", "relu_grad"), **E)
relu_grad.def_vjp(None, lambda gg, out, y, g: relu_grad(y, gg))


def relu6(features, name=None):
    """min(max(x, 0), 6); the derivative is 0 at both 0 and 6 (TF).  Floats and integers (TF).
    Written with ``where`` (not a 0/1 mask times x), so +-inf give 6 and 0 as in TF, and NaN
    stays NaN (TF 2.21; its gradient there is 0)."""
    x = _tensor(features)
    six = 6 if _rules.check("relu6", x).kind in "iu" else 6.0
    return where(greater_equal(x, six), six, relu(x))


def _leaky(xp, x, alpha):
    return xp.where(x > 0, x, x * _k(xp, alpha, x.dtype))


_leaky_relu = defop("leaky_relu", _leaky, **E)
_leaky_relu.def_vjp(lambda g, out, x, alpha: leaky_relu_grad(x, g, alpha=alpha))

leaky_relu_grad = defop("leaky_relu_grad", lambda xp, x, g, alpha: xp.where(x > 0, g, g * _k(xp, alpha, g.dtype)),
                        cuda=kernel("activation.cu", "leaky_relu_grad"), **E)
leaky_relu_grad.def_vjp(None, lambda gg, out, x, g, alpha: leaky_relu_grad(x, gg, alpha=alpha))


def leaky_relu(features, alpha=0.2, name=None):
    """x if x > 0 else alpha*x; the derivative at 0 is alpha (TF).  Integer features are cast to
    float32 first, as TF does; bool is refused."""
    x = _tensor(features)
    if _rules.check("leaky_relu", x).kind in "iu":
        x = cast(x, np.float32)
    return _leaky_relu(x, alpha=float(alpha))


def _elu(xp, x):
    return xp.where(x > 0, x, xp.expm1(xp.minimum(x, _k(xp, 0, x.dtype))))


elu = defop("elu", _elu, **E)
elu.def_vjp(lambda g, out, x: elu_grad(out, g))

elu_grad = defop("elu_grad", lambda xp, y, g: xp.where(y > 0, g, g * (y + 1)),
                 cuda=kernel("activation.cu", "elu_grad"), **E)
elu_grad.def_vjp(lambda gg, out, y, g: select_grad(greater(y, 0.0), multiply(g, gg), take=False),
                 lambda gg, out, y, g: elu_grad(y, gg))

_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(features, name=None):
    """scale * (x if x >= 0 else alpha * (exp(x) - 1)); floats only (TF)."""
    x = _tensor(features)
    _rules.check("selu", x)
    # x == 0 takes the linear branch, so selu'(0) = scale as in TF's SeluGrad
    return multiply(_SELU_S, where(greater_equal(x, 0.0), x, multiply(_SELU_A, elu(x))))


def _gelu(xp, x, approximate):
    if approximate:
        c = _k(xp, _m.sqrt(2 / _m.pi), x.dtype)
        return 0.5 * x * (1 + xp.tanh(c * (x + _k(xp, 0.044715, x.dtype) * x * x * x)))
    from .math import _erf
    return 0.5 * x * (1 + _erf(xp, x * _k(xp, 1 / _m.sqrt(2), x.dtype)))


_gelu_op = defop("gelu", _gelu, **E)
_gelu_op.def_vjp(lambda g, out, x, approximate: gelu_grad(x, g, approximate=approximate))


def _gelu_grad(xp, x, g, approximate):
    if approximate:
        c = _m.sqrt(2 / _m.pi)
        inner = c * (x + 0.044715 * x ** 3)
        t = xp.tanh(inner)
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
        return g * d.astype(x.dtype, copy=False)
    from .math import _erf
    cdf = 0.5 * (1 + _erf(xp, x * _k(xp, 1 / _m.sqrt(2), x.dtype)))
    pdf = xp.exp(-0.5 * x * x) * _k(xp, 1 / _m.sqrt(2 * _m.pi), x.dtype)
    return g * (cdf + x * pdf)


gelu_grad = defop("gelu_grad", _gelu_grad, cuda=kernel("activation.cu", "gelu_grad"), **E)


def gelu_grad_dx(gg, out, x, g, approximate):
    """dx = gg * g * gelu''(x), written with ops so that it differentiates again"""
    return multiply(multiply(gg, g), _gelu_second(x, approximate))


def _gelu_second(x, approximate):
    """gelu''(x): pdf(x) (2 - x^2) exactly; for the tanh form, with u = c (x + k x^3) and
    t = tanh(u), (1 - t^2) (u' + x (3 c k x - t u'^2))"""
    x2 = square(x)
    if approximate:
        c, k = _m.sqrt(2 / _m.pi), 0.044715
        du = multiply(c, add(1.0, multiply(3 * k, x2)))
        t = tanh(multiply(c, add(x, multiply(k, multiply(x, x2)))))
        s = subtract(1.0, square(t))
        return multiply(s, add(du, multiply(x, subtract(multiply(3 * c * k, x), multiply(t, square(du))))))
    pdf = multiply(1 / _m.sqrt(2 * _m.pi), exp(multiply(-0.5, x2)))
    return multiply(pdf, subtract(2.0, x2))


gelu_grad.def_vjp(gelu_grad_dx, lambda gg, out, x, g, approximate: gelu_grad(x, gg, approximate=approximate))


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit (exact erf form, or the tanh approximation); floats only
    (others: ValueError, as TF's wrapper)."""
    x = _tensor(features)
    _rules.check("gelu", x)
    return _gelu_op(x, approximate=bool(approximate))


def silu(features, beta=1.0, name=None):
    """x * sigmoid(beta * x); floats only (TF)."""
    features = _tensor(features)
    _rules.check("silu", features)
    return multiply(features, sigmoid(multiply(features, beta) if beta != 1.0 else features))


swish = silu


def softsign(features, name=None):
    """x / (|x| + 1); floats only (TF)."""
    features = _tensor(features)
    _rules.check("softsign", features)
    return divide(features, add(abs(features), 1.0))


# ---------------------------------------------------------------- softmax
def _softmax_fwd(xp, x, axis):
    if x.size == 0:
        return xp.empty_like(x)
    e = xp.exp(x - _ureduce(xp, "maximum", x, (axis,), True))
    return e / _ureduce(xp, "add", e, (axis,), True)


_softmax = defop("softmax", _softmax_fwd)


def softmax_vjp(g, out, x, axis):
    """dx = (g - sum(g * y, axis)) * y"""
    return softmax_grad(out, g, axis=axis - x._v.ndim if axis >= 0 else axis)


_softmax.def_vjp(softmax_vjp)


def _from_end(axis, ndim):
    """A non-negative axis of y counted from the end, so that leading batch axes of g keep it valid."""
    return axis if axis < 0 else axis - ndim


def _softmax_grad_fwd(xp, y, g, axis):
    axis = _from_end(axis, y.ndim)
    return (g - xp.sum(g * y, axis=axis, keepdims=True)) * y


softmax_grad = defop("softmax_grad", _softmax_grad_fwd, cuda=kernel("nn.cu", "softmax_grad"))


def softmax_grad_dy(gg, out, y, g, axis):
    """dy = gg (g - sum(g y)) - g sum(gg y)"""
    axis = _from_end(axis, y._v.ndim)
    return subtract(multiply(gg, subtract(g, reduce_sum(multiply(g, y), axis=axis, keepdims=True))),
                    multiply(g, reduce_sum(multiply(gg, y), axis=axis, keepdims=True)))


softmax_grad.def_vjp(softmax_grad_dy, lambda gg, out, y, g, axis: softmax_grad(y, gg, axis=_from_end(axis, y._v.ndim)))


def _softmax_axis(x, axis, op):
    """``axis`` (default -1) of ``x`` as a non-negative int; a 0-d input or an axis outside
    [-rank, rank) raises InvalidArgumentError (TF: "`dim` must be in the range [-2, 2)",
    and for a scalar "logits must have >= 1 dimension")."""
    if x._v.ndim == 0:
        raise InvalidArgumentError(f"{op}: logits must have >= 1 dimension, got a scalar (shape ())")
    return normalize_axis(-1 if axis is None else axis, x._v.ndim, op, "axis")


def softmax(logits, axis=None, name=None):
    """exp(x) / sum(exp(x)) along ``axis`` (default -1); floats only, rank >= 1 (TF)."""
    x = _tensor(logits)
    return _softmax(x, axis=_softmax_axis(x, axis, "softmax"))


def _log_softmax_fwd(xp, x, axis):
    if x.size == 0:
        return xp.empty_like(x)
    s = x - _ureduce(xp, "maximum", x, (axis,), True)
    return s - xp.log(_ureduce(xp, "add", xp.exp(s), (axis,), True))


_log_softmax = defop("log_softmax", _log_softmax_fwd)
_log_softmax.def_vjp(lambda g, out, x, axis: subtract(
    g, multiply(reduce_sum(g, axis=axis - x._v.ndim, keepdims=True), exp(out))))


def log_softmax(logits, axis=None, name=None):
    """x - log(sum(exp(x))) along ``axis`` (default -1); floats only, rank >= 1 (TF)."""
    x = _tensor(logits)
    return _log_softmax(x, axis=_softmax_axis(x, axis, "log_softmax"))


# ---------------------------------------------------------------- cross-entropy (fused: loss and softmax in one pass)
def _xent_fwd(xp, labels, logits):
    m = _ureduce(xp, "maximum", logits, (-1,), True)
    s = logits - m
    e = xp.exp(s)
    z = _ureduce(xp, "add", e, (-1,), True)
    logp = s - xp.log(z)
    loss = -_ureduce(xp, "add", labels * logp, (-1,), False)     # a 0 label at a -inf logit: NaN, as TF
    return loss, e / z


def _shape_repr(s):
    return repr(tuple(int(d) for d in s))


def _xent_check(labels, logits):
    if labels.shape != logits.shape:
        raise InvalidArgumentError(f"softmax_cross_entropy_with_logits: logits and labels must be broadcastable: "
                                   f"logits_size={_dims(logits.shape)} labels_size={_dims(labels.shape)}")


softmax_xent = defop("softmax_cross_entropy_with_logits", _xent_fwd, nout=2, same_dtype=(0, 1),
                     cuda=kernel("nn.cu", "softmax_xent"), check=_xent_check)


@softmax_xent.def_vjp_all
def softmax_xent_vjp(gs, outs, inputs, needs, **params):
    """dlogits = g * (softmax - labels) [+ softmax VJP of g_probs]; dlabels = -g * log_softmax"""
    g, gp = gs
    loss, probs = outs
    labels, logits = inputs
    dlab = dlog = None
    if g is not None:
        gx = reshape(g, tuple(g._v.shape) + (1,))
        if needs[1]:
            dlog = xent_grad(probs, labels, gx)
        if needs[0]:
            dlab = multiply(negative(gx), log_softmax(logits))
    if gp is not None and needs[1]:
        d = softmax_grad(probs, gp, axis=-1)
        dlog = d if dlog is None else add(dlog, d)
    return [dlab, dlog]


xent_grad = defop("xent_grad", lambda xp, p, labels, g: g * (p - labels), cuda=kernel("nn.cu", "xent_grad"), **E)
xent_grad.def_vjp(lambda gg, out, p, labels, g: multiply(gg, g),
                  lambda gg, out, p, labels, g: negative(multiply(gg, g)),
                  lambda gg, out, p, labels, g: multiply(gg, subtract(p, labels)))


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """Per-example ``-sum(labels * log_softmax(logits))``; differentiable in both arguments (TF).

    As TF 2.21, ``labels`` broadcast to the shape of ``logits`` (labels [C] against logits [N, C]:
    each row against the same labels); logits never broadcast to labels, and shapes that do not
    broadcast raise InvalidArgumentError ("logits and labels must be broadcastable")."""
    logits = logits if isinstance(logits, _Base) else convert_to_tensor(logits)
    labels = labels if isinstance(labels, _Base) else convert_to_tensor(labels, dtype=logits._v.dtype)
    ls, gs = tuple(labels._v.shape), tuple(logits._v.shape)
    if ls != gs:
        try:
            ok = np.broadcast_shapes(ls, gs) == gs
        except ValueError:
            ok = False
        if not ok:
            _xent_check(labels._v, logits._v)
        from .shape import broadcast_to
        labels = broadcast_to(labels, gs)
    _rules.check("softmax_cross_entropy_with_logits", logits)
    nd = logits._v.ndim
    ax = _softmax_axis(logits, axis, "softmax_cross_entropy_with_logits")
    if ax != nd - 1:
        from .shape import transpose
        perm = [i for i in range(nd) if i != ax] + [ax]
        logits, labels = transpose(logits, perm), transpose(labels, perm)
    return softmax_xent(labels, logits)[0]


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """Per-example cross-entropy with integer class labels (labels get no gradient)."""
    logits = logits if isinstance(logits, _Base) else convert_to_tensor(logits)
    labels = labels if isinstance(labels, _Base) else convert_to_tensor(labels)
    if labels._v.dtype.kind not in "iu":
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be int32 or int64, "
                        f"got {labels._v.dtype}")
    if tuple(labels._v.shape) != tuple(logits._v.shape[:-1]):
        raise InvalidArgumentError(f"sparse_softmax_cross_entropy_with_logits: logits and labels must have "
                                   f"the same first dimension, got logits shape {tuple(logits._v.shape)} and "
                                   f"labels shape {tuple(labels._v.shape)}")
    if _b.get_xp() is np and labels._v.size:
        n = logits._v.shape[-1]
        lv = labels._v
        if int(lv.max()) >= n or int(lv.min()) < 0:
            raise InvalidArgumentError(f"Received a label value of {int(lv.max()) if int(lv.max()) >= n else int(lv.min())} "
                                       f"which is outside the valid range of [0, {n}).")
    return sparse_xent(labels, logits)[0]


def _sparse_xent_fwd(xp, labels, logits):
    """TF's SparseSoftmaxXentWithLogits: loss = log(sum(exp(s))) - s[label] with s = logits - max, so a
    -inf logit of another class adds nothing (no 0 * -inf).

    Labels outside [0, classes): NumPy raises before this runs (the host check in
    ``sparse_softmax_cross_entropy_with_logits``, as TF on CPU).  On CuPy, which wraps out-of-range
    indices silently, they give NaN in that row's loss and softmax (so in its gradient too), as TF's GPU
    kernel does: checked on the device, with no host sync."""
    m = _ureduce(xp, "maximum", logits, (-1,), True)
    s = logits - m
    e = xp.exp(s)
    z = _ureduce(xp, "add", e, (-1,), True)
    if xp is np:
        if s.ndim == 2:                                 # the same gather, without take_along_axis's index build
            picked = s[xp.arange(s.shape[0]), labels]
        else:
            picked = xp.take_along_axis(s, labels[..., None].astype(np.intp), axis=-1)[..., 0]
        return xp.log(z[..., 0]) - picked, e / z
    idx = labels[..., None].astype(np.intp)
    n = logits.shape[-1]
    bad = (idx < 0) | (idx >= n)                        # [..., 1]
    picked = xp.take_along_axis(s, xp.where(bad, 0, idx), axis=-1)
    nan = _const(_m.nan, logits.dtype, xp)             # cached on the device: no copy per call
    loss = xp.where(bad, nan, xp.log(z) - picked)[..., 0]
    return loss, xp.where(bad, nan, e / z)


def _sparse_check(labels, logits):
    if logits.dtype not in _rules.RULES["sparse_softmax_cross_entropy_with_logits"].allowed:
        _rules.raise_for("sparse_softmax_cross_entropy_with_logits", logits.dtype, logits.shape, arg=1)


sparse_xent = defop("sparse_softmax_cross_entropy_with_logits", _sparse_xent_fwd, nout=2, check=_sparse_check)


def _sparse_xent_grad_fwd(xp, p, labels, g):
    """g[..., None] * (p - one_hot(labels)) in one pass; ``g`` may carry leading batch axes."""
    hit = xp.arange(p.shape[-1]) == labels[..., None]
    return (p - hit) * g[..., None]           # bool - float keeps p's dtype


sparse_xent_grad = defop("sparse_xent_grad", _sparse_xent_grad_fwd)
sparse_xent_grad.def_vjp(
    lambda gg, out, p, labels, g: multiply(gg, reshape(g, tuple(g._v.shape) + (1,))),
    None,
    lambda gg, out, p, labels, g: reduce_sum(multiply(gg, sparse_xent_grad(p, labels, ones_like_(g))), axis=-1))


@sparse_xent.def_vjp_all
def sparse_xent_vjp(gs, outs, inputs, needs, **params):
    """dlogits = g * (softmax - one_hot(labels)) [+ softmax VJP of g_probs]; labels get none"""
    g, gp = gs
    loss, probs = outs
    labels, logits = inputs
    dlog = None
    if needs[1]:
        if g is not None:
            dlog = sparse_xent_grad(probs, labels, g)
        if gp is not None:
            d = softmax_grad(probs, gp, axis=-1)
            dlog = d if dlog is None else add(dlog, d)
    return [None, dlog]


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(x, 0) - x*z + log1p(exp(-|x|)), written as TF does so the gradient at 0 is sigmoid(0) - z
    and a -inf logit gives inf (not NaN).  Floats only."""
    x = logits if isinstance(logits, _Base) else convert_to_tensor(logits)
    z = labels if isinstance(labels, _Base) else convert_to_tensor(labels, dtype=x._v.dtype)
    _rules.check("sigmoid_cross_entropy_with_logits", x)
    if tuple(x._v.shape) != tuple(z._v.shape):
        raise ValueError(f"sigmoid_cross_entropy_with_logits: `logits` and `labels` must have the same shape, "
                         f"received ({_shape_repr(x._v.shape)} vs {_shape_repr(z._v.shape)}).")
    cond = greater_equal(x, 0.0)
    relu_logits = where(cond, x, zeros_like(x))            # not x * 0: -inf * 0 is NaN
    neg_abs = where(cond, negative(x), x)
    return add(subtract(relu_logits, multiply(x, z)), log1p(exp(neg_abs)))


# ---------------------------------------------------------------- bias + activation, fused both ways
_ACTS = ("linear", "relu", "tanh", "sigmoid")


def _act_fwd(xp, z, activation):
    if activation == "relu":
        return xp.maximum(z, _k(xp, 0, z.dtype))
    if activation == "tanh":
        return xp.tanh(z)
    if activation == "sigmoid":
        return _sigmoid(xp, z)
    return z


def _bias_act_fwd(xp, x, b, activation):
    return _act_fwd(xp, x + b, activation)


def _dims(s):
    return "[" + ",".join(str(d) for d in s) + "]"


def _bias_check(x, b, activation, channel_axis=-1):
    """TF's BiasAdd checks (its messages, InvalidArgumentError), before any compute."""
    if b.ndim != 1:
        raise InvalidArgumentError(f"bias_add: Biases must be 1D: {_dims(b.shape)} "
                                   f"(input {tuple(x.shape)}, bias {tuple(b.shape)})")
    if x.ndim < 2:
        raise InvalidArgumentError(f"bias_add: Input tensor must be at least 2D: {_dims(x.shape)}")
    if x.shape[channel_axis] != b.shape[0]:
        raise InvalidArgumentError(
            f"bias_add: Must provide as many biases as the last dimension of the input tensor: "
            f"{_dims(b.shape)} vs. {_dims(x.shape)} (the channel axis is {channel_axis % x.ndim})")


bias_act = defop("bias_act", _bias_act_fwd, same_dtype=(0, 1), check=_bias_check,
                 cuda=kernel("nn.cu", "bias_act"))


@bias_act.def_vjp_all
def bias_act_vjp(g, out, inputs, needs, activation):
    """dz = act'(out) * g; dx = dz; db = sum of dz over all but the last axis -- one kernel"""
    x, b = inputs
    dz, db = act_bias_grad(out, g, activation=activation)
    return [dz if needs[0] else None, db if needs[1] else None]


def _act_bias_grad_fwd(xp, y, g, activation):
    if activation == "relu":
        dz = g * (y > 0)
    elif activation == "tanh":
        dz = g * (1 - y * y)
    elif activation == "sigmoid":
        dz = g * (y * (1 - y))
    else:
        dz = g
    nb = g.ndim - y.ndim
    axes = tuple(range(nb, g.ndim - 1))
    return dz, _ureduce(xp, "add", dz, axes, False)


act_bias_grad = defop("act_bias_grad", _act_bias_grad_fwd, nout=2, cuda=kernel("nn.cu", "act_bias_grad"))


@act_bias_grad.def_vjp_all
def act_bias_grad_vjp(gs, outs, inputs, needs, activation):
    """(dz, db) are linear in g through dz = act'(y) g; gg = gg_dz + broadcast(gg_db)"""
    from .shape import broadcast_to
    gdz, gdb = gs
    y, g = inputs
    gg = gdz
    if gdb is not None:
        nbb = gdb._v.ndim - 1
        shape = tuple(gdb._v.shape[:nbb]) + tuple(g._v.shape)
        extra = reshape(gdb, tuple(gdb._v.shape[:nbb]) + (1,) * (g._v.ndim - 1) + tuple(gdb._v.shape[nbb:]))
        extra = broadcast_to(extra, shape)
        gg = extra if gg is None else add(gg, extra)
    if gg is None:
        return [None, None]
    if activation == "relu":
        return [None, relu_grad(y, gg) if needs[1] else None]
    if activation == "tanh":
        return [multiply(multiply(y, -2.0), multiply(g, gg)) if needs[0] else None,
                tanh_grad(y, gg) if needs[1] else None]
    if activation == "sigmoid":
        return [multiply(multiply(gg, g), subtract(1.0, multiply(2.0, y))) if needs[0] else None,
                sigmoid_grad(y, gg) if needs[1] else None]
    return [None, gg if needs[1] else None]


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis, as TF 2.21's ``tf.nn.bias_add``.

    ``data_format`` None or a string "N...C" (starting with N, ending with C: NHWC, NWC, NDHWC): the
    channel is the last axis; "NC..." (starting with NC: NCHW, NCW, NCDHW): the channel is axis 1 for
    inputs of rank 3 or more (rank 2: the last axis, as TF).  Any other string: ValueError (TF's
    message).  ``bias`` must be 1-D with the channel axis's size, ``value`` at least 2-D
    (InvalidArgumentError, TF's messages); the dtypes must agree.
    """
    if data_format is not None:
        if not isinstance(data_format, str):
            raise TypeError(f"bias_add: data_format must be a string, got {data_format!r}")
        if data_format.startswith("NC"):
            nc = True
        elif data_format.startswith("N") and data_format.endswith("C"):
            nc = False
        else:
            raise ValueError("`data_format` must be of the form `N...C` or `NC...`. "
                             f"Received: data_format={data_format}")
    else:
        nc = False
    value, bias = _tensor(value), _tensor(bias)
    if nc and value._v.ndim >= 3:
        _bias_check(value._v, bias._v, "linear", channel_axis=1)
        return add(value, reshape(bias, (bias._v.shape[0],) + (1,) * (value._v.ndim - 2)))
    return bias_act(value, bias, activation="linear")


def dense_activation(x, b, activation):
    """act(x + b) in one fused op when ``activation`` is linear/relu/tanh/sigmoid."""
    if activation not in _ACTS:
        raise ValueError(f"dense_activation: activation must be one of {_ACTS}, got {activation!r}")
    return bias_act(x, b, activation=activation)


# ---------------------------------------------------------------- misc
def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero each element with probability ``rate``, scale the rest by 1/(1-rate)."""
    from .creation import random
    if not 0 <= float(rate) < 1:
        raise ValueError(f"dropout: `rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}")
    if float(rate) == 0:
        return x
    shape = tuple(x.shape) if noise_shape is None else tuple(noise_shape)
    keep = greater_equal(random.uniform(shape, dtype=x.dtype, seed=seed), float(rate))
    scaled = multiply(x, 1.0 / (1.0 - float(rate)))
    return where(keep, scaled, zeros_like(scaled))        # as TF (where, not * mask): a dropped inf is 0


def l2_loss(t, name=None):
    """sum(t**2) / 2; floats only (TF)."""
    t = _tensor(t)
    _rules.check("l2_loss", t)
    return multiply(reduce_sum(square(t)), 0.5)


def moments(x, axes, shift=None, keepdims=False, name=None):
    """(mean, variance) over ``axes``, as TF: float16 is computed in float32 and cast back, the
    variance is mean(squared_difference(x, mean)); int32/int64 truncate; ``shift`` is unused (as in
    TF).  Out-of-range or repeated axes raise InvalidArgumentError.  TF puts a stop_gradient on the
    mean inside the variance; first derivatives are the same without it (the mean's path adds
    sum(x - mean) = 0) and second derivatives stay exact, so it is left out here."""
    x = _tensor(x)
    d = _rules.check("moments", x)
    ax = _axes(x, axes, "moments")
    y = cast(x, np.float32) if d == np.float16 else x
    mean = reduce_mean(y, axis=ax, keepdims=True)
    var = reduce_mean(squared_difference(y, mean), axis=ax, keepdims=True)
    if not keepdims:
        kept = [n for i, n in enumerate(x.shape) if i not in ax]
        mean, var = reshape(mean, kept), reshape(var, kept)
    if d == np.float16:
        mean, var = cast(mean, d), cast(var, d)
    return mean, var


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """x / sqrt(max(sum(x**2, axis), epsilon)); floats only (TF)."""
    from .math import rsqrt
    x = _tensor(x)
    _rules.check("l2_normalize", x)
    sq = reduce_sum(square(x), axis=axis, keepdims=True)
    return multiply(x, rsqrt(maximum(sq, epsilon)))


__all__ = ["relu", "relu6", "relu_grad", "leaky_relu", "leaky_relu_grad", "elu", "elu_grad", "selu", "gelu",
           "gelu_grad", "silu", "swish", "softsign", "softmax", "softmax_grad", "log_softmax",
           "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
           "sigmoid_cross_entropy_with_logits", "softmax_xent", "sparse_xent", "xent_grad", "bias_act", "act_bias_grad",
           "bias_add", "dense_activation", "dropout", "l2_loss", "moments", "l2_normalize"]
