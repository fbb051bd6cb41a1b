"""More of ``tf.nn``: average pooling, 1-D convolution and pooling, depthwise convolution, embedding
lookup, batch normalization, Poisson and weighted logistic losses.

Average pooling and depthwise convolution are new primitives built on conv.py's window views
(``_windows``/``_col2im``); like conv2d they come as closed families of linear/bilinear ops, so
derivatives of any order stay inside them:

    pool_sum(x)                      y = sum of each window, per channel
    pool_sum_transpose(g)            dx = every window's g spread back (col2im)
    depthwise(x, w)                  y[..., c*M + m] = sum_window x[..., c] w[..., c, m]
    depthwise_backprop_input(g, w)   dx = col2im(g w^T)
    depthwise_backprop_filter(x, g)  dw = sum over positions of windows(x) g

1-D ops are the 2-D ones on an [N, 1, W, C] view (as TF itself computes them).
"""
import numpy as np

from ..op import defop
from ..errors import InvalidArgumentError
from .. import checks
from .. import dtype_rules as _rules
from .. import backend as _b
from ..tensor import _wrap
from .conv import (_windows, _col2im, _pair, _pads, _check_out, _out_size, _bilinear_jvp, _nchw_to_nhwc,
                   _nhwc_to_nchw, max_pool2d, conv2d)
from .math import (add, subtract, multiply, divide, exp, log, log1p, abs, negative, where, greater_equal,
                   less_equal, logical_and, zeros_like, rsqrt, cast)
from .nn import relu
from .shape import reshape, expand_dims, squeeze


def _tensor(v, op, arg, dtype=None):
    return checks.as_tensor(v, op, arg, dtype=dtype)


# ---------------------------------------------------------------- window sums (average pooling)
def _pool_sum_fwd(xp, x, ksize, strides, pads):
    win = _windows(xp, x, ksize, strides, (1, 1), pads, 0)
    return win.sum(axis=(-3, -2))


def _pool_sum_t_fwd(xp, g, in_hw, ksize, strides, pads):
    kh, kw = ksize
    cols = xp.broadcast_to(g[..., None, None, :], g.shape[:-1] + (kh, kw, g.shape[-1]))
    return _col2im(xp, cols, in_hw, strides, (1, 1), pads)


pool_sum = defop("pool_sum", _pool_sum_fwd, linear=True)
pool_sum_transpose = defop("pool_sum_transpose", _pool_sum_t_fwd, linear=True)
pool_sum.def_vjp(lambda g, out, x, ksize, strides, pads: pool_sum_transpose(
    g, in_hw=tuple(x._v.shape[-3:-1]), ksize=ksize, strides=strides, pads=pads))
pool_sum_transpose.def_vjp(lambda g, out, x, in_hw, ksize, strides, pads: pool_sum(
    g, ksize=ksize, strides=strides, pads=pads))


def _window_counts(xp, hw, ksize, strides, pads, dtype):
    """How many real (unpadded) elements each window holds: TF's avg_pool divides by this."""
    ones = xp.ones((1,) + tuple(hw) + (1,), dtype=dtype)
    return _pool_sum_fwd(xp, ones, ksize, strides, pads)


def _nd_format(data_format, op, rank):
    """True for channels-first (NCW / NCHW), False for channels-last; others ValueError."""
    last = {1: ("NWC", "NHWC"), 2: ("NHWC",)}[rank]
    first = {1: ("NCW", "NCHW"), 2: ("NCHW",)}[rank]
    if data_format is None or data_format in last:
        return False
    if data_format in first:
        return True
    raise ValueError(f"{op}: data_format must be one of {last + first}, got {data_format!r}")


def _pool_arg(v, what, op, rank):
    """ksize/strides for a rank-``rank`` pool: an int or a list of 1, rank or rank + 2 ints."""
    v = list(checks.as_shape(v, op, what, TypeError))
    if len(v) == 1:
        v = v * rank
    elif len(v) == rank + 2:
        if v[0] != 1 or v[-1] != 1:
            raise InvalidArgumentError(f"{op}: {what} in the batch and depth dimensions must be 1, got {what}={v}")
        v = v[1:-1]
    elif len(v) != rank:
        raise ValueError(f"{op}: {what} should be of length 1, {rank} or {rank + 2}. Received: {what}={v} of "
                         f"length {len(v)}")
    if any(e <= 0 for e in v):
        raise InvalidArgumentError(f"{op}: {what} must be positive, got {what}={v}")
    return tuple(v) if rank == 2 else (1,) + tuple(v)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Mean over each window of ``input`` [N, H, W, C] (NCHW too); with SAME padding the mean is over the
    window's real elements only (TF).  Floats only (TF's AvgPool)."""
    x = _tensor(input, "avg_pool2d", "input")
    _rules.check("avg_pool", x)
    nchw = _nd_format(data_format, "avg_pool2d", 2)
    if x._v.ndim != 4:
        raise InvalidArgumentError(f"avg_pool2d: input must be 4-dimensional, got shape {tuple(x.shape)}")
    if nchw:
        x = _nchw_to_nhwc(x)
    k = _pool_arg(ksize, "ksize", "avg_pool2d", 2)
    s = _pool_arg(strides, "strides", "avg_pool2d", 2)
    y = _avg_pool_nhwc(x, k, s, padding, "avg_pool2d")
    return _nhwc_to_nchw(y) if nchw else y


def _avg_pool_nhwc(x, k, s, padding, op):
    hw = tuple(x.shape[1:3])
    pads = _pads(padding, hw, k, s, (1, 1), op, allow_explicit=False)
    _check_out(op, hw, k, s, (1, 1), pads, x, f"ksize {list(k)}")
    counts = _window_counts(_b.get_xp(), hw, k, s, pads, x._v.dtype)
    return divide(pool_sum(x, ksize=k, strides=s, pads=pads), _wrap(counts))


def _to_2d(x, nc):
    """[N, W, C] (or [N, C, W]) as [N, 1, W, C]."""
    if nc:
        from .shape import transpose
        x = transpose(x, (0, 2, 1))
    return expand_dims(x, 1)


def _from_2d(y, nc):
    y = squeeze(y, 1)
    if nc:
        from .shape import transpose
        y = transpose(y, (0, 2, 1))
    return y


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Mean over each window of ``input`` [N, W, C] (NCW too), as ``tf.nn.avg_pool1d``."""
    x = _tensor(input, "avg_pool1d", "input")
    _rules.check("avg_pool", x)
    nc = _nd_format(data_format, "avg_pool1d", 1)
    if x._v.ndim != 3:
        raise InvalidArgumentError(f"avg_pool1d: input must be 3-dimensional, got shape {tuple(x.shape)}")
    k = _pool_arg(ksize, "ksize", "avg_pool1d", 1)
    s = _pool_arg(strides, "strides", "avg_pool1d", 1)
    return _from_2d(_avg_pool_nhwc(_to_2d(x, nc), k, s, padding, "avg_pool1d"), nc)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    """``tf.nn.avg_pool`` for 3-D (1-D pooling) and 4-D (2-D pooling) input; 5-D: NotImplementedError."""
    x = _tensor(input, "avg_pool", "input")
    if x._v.ndim == 3:
        return avg_pool1d(x, ksize, strides, padding, data_format=data_format or "NWC")
    if x._v.ndim == 4:
        return avg_pool2d(x, ksize, strides, padding, data_format=data_format or "NHWC")
    if x._v.ndim == 5:
        raise NotImplementedError("avg_pool: 3-D pooling (5-D input) is not implemented")
    raise ValueError(f"avg_pool: `input.shape.rank` must be 3, 4 or 5. Received: input.shape={list(x.shape)} of "
                     f"rank {x._v.ndim}")


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Max over each window of ``input`` [N, W, C] (NCW too), as ``tf.nn.max_pool1d``; the gradient goes
    to each window's first maximum (TF)."""
    x = _tensor(input, "max_pool1d", "input")
    nc = _nd_format(data_format, "max_pool1d", 1)
    if x._v.ndim != 3:
        raise InvalidArgumentError(f"max_pool1d: input must be 3-dimensional, got shape {tuple(x.shape)}")
    k = _pool_arg(ksize, "ksize", "max_pool1d", 1)
    s = _pool_arg(strides, "strides", "max_pool1d", 1)
    return _from_2d(max_pool2d(_to_2d(x, nc), k, s, padding), nc)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """1-D convolution (cross-correlation): ``input`` [N, W, Cin] (NCW too), ``filters`` [k, Cin, Cout],
    as ``tf.nn.conv1d`` (which computes it as conv2d on [N, 1, W, C], as here)."""
    x = _tensor(input, "conv1d", "input")
    w = _tensor(filters, "conv1d", "filters", dtype=x._v.dtype)
    nc = _nd_format(data_format, "conv1d", 1)
    if x._v.ndim != 3 or w._v.ndim != 3:
        raise InvalidArgumentError(f"conv1d: input must be 3-dimensional and filters [width, in_channels, "
                                   f"out_channels], got shapes {tuple(x.shape)} and {tuple(w.shape)}")
    s = _pool_arg(stride, "stride", "conv1d", 1)
    d = _pool_arg(1 if dilations is None else dilations, "dilations", "conv1d", 1)
    if not isinstance(padding, str):
        raise NotImplementedError("conv1d: explicit padding lists are not supported (use 'SAME' or 'VALID')")
    y = conv2d(_to_2d(x, nc), expand_dims(w, 0), strides=list(s), padding=padding, dilations=list(d))
    return _from_2d(y, nc)


# ---------------------------------------------------------------- depthwise convolution
def _dw_fwd(xp, x, w, strides, dilations, pads):
    kh, kw, c, m = w.shape[-4:]
    win = _windows(xp, x, (kh, kw), strides, dilations, pads, 0)           # (..., N, Ho, Wo, kh, kw, C)
    y = xp.einsum("...nijhwc,...hwcm->...nijcm", win, w)
    return y.reshape(y.shape[:-2] + (c * m,))


def _dw_input_fwd(xp, g, w, in_hw, strides, dilations, pads):
    kh, kw, c, m = w.shape[-4:]
    g5 = g.reshape(g.shape[:-1] + (c, m))
    cols = xp.einsum("...nijcm,...hwcm->...nijhwc", g5, w)
    return _col2im(xp, cols, in_hw, strides, dilations, pads)


def _dw_filter_fwd(xp, x, g, k_hw, strides, dilations, pads):
    c = x.shape[-1]
    m = g.shape[-1] // c
    win = _windows(xp, x, k_hw, strides, dilations, pads, 0)
    g5 = g.reshape(g.shape[:-1] + (c, m))
    return xp.einsum("...nijhwc,...nijcm->...hwcm", win, g5)


_C = dict(same_dtype=(0, 1))
depthwise_op = defop("depthwise_conv2d", _dw_fwd, **_C)
depthwise_backprop_input = defop("depthwise_conv2d_backprop_input", _dw_input_fwd, **_C)
depthwise_backprop_filter = defop("depthwise_conv2d_backprop_filter", _dw_filter_fwd, **_C)
depthwise_op.def_vjp(
    lambda g, out, x, w, **p: depthwise_backprop_input(g, w, in_hw=tuple(x._v.shape[-3:-1]), **p),
    lambda g, out, x, w, **p: depthwise_backprop_filter(x, g, k_hw=tuple(w._v.shape[-4:-2]), **p))
depthwise_backprop_input.def_vjp(
    lambda gg, out, g, w, in_hw, **p: depthwise_op(gg, w, **p),
    lambda gg, out, g, w, in_hw, **p: depthwise_backprop_filter(gg, g, k_hw=tuple(w._v.shape[-4:-2]), **p))
depthwise_backprop_filter.def_vjp(
    lambda gg, out, x, g, k_hw, **p: depthwise_backprop_input(g, gg, in_hw=tuple(x._v.shape[-3:-1]), **p),
    lambda gg, out, x, g, k_hw, **p: depthwise_op(x, gg, **p))
for _op in (depthwise_op, depthwise_backprop_input, depthwise_backprop_filter):
    _op.def_jvp(_bilinear_jvp(_op))


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):
    """Depthwise 2-D convolution, as ``tf.nn.depthwise_conv2d``: ``input`` [N, H, W, C] (NCHW too),
    ``filter`` [kh, kw, C, M] -> [N, Ho, Wo, C*M] (channel c*M + m is input channel c through filter
    m).  ``strides`` a list of 4 with strides[0] == strides[3] == 1; ``dilations`` a pair (then the
    strides must be 1, as TF)."""
    x = _tensor(input, "depthwise_conv2d", "input")
    w = _tensor(filter, "depthwise_conv2d", "filter", dtype=x._v.dtype)
    nchw = _nd_format(data_format, "depthwise_conv2d", 2)
    if x._v.ndim != 4 or w._v.ndim != 4:
        raise InvalidArgumentError(f"depthwise_conv2d: input and filter must be 4-dimensional, got shapes "
                                   f"{tuple(x.shape)} and {tuple(w.shape)}")
    st = list(checks.as_shape(strides, "depthwise_conv2d", "strides", TypeError))
    if len(st) != 4:
        raise ValueError(f"depthwise_conv2d: strides must be a list of 4 ints, got {st}")
    if nchw:
        x = _nchw_to_nhwc(x)
        st = [st[0], st[2], st[3], st[1]]
    s = _pair(st, "strides", "depthwise_conv2d")
    d = _pair(1 if dilations is None else dilations, "dilations", "depthwise_conv2d", allow_four=False)
    if d != (1, 1) and s != (1, 1):
        raise ValueError(f"depthwise_conv2d: strides > 1 not supported in conjunction with dilation_rate > 1 "
                         f"(strides {list(s)}, dilations {list(d)})")
    if x.shape[-1] != w.shape[2]:
        raise InvalidArgumentError(f"depthwise_conv2d: input depth must equal the filter's in_channels: "
                                   f"{x.shape[-1]} vs {w.shape[2]} (input {tuple(x.shape)}, filter {tuple(w.shape)})")
    k = tuple(w.shape[:2])
    hw = tuple(x.shape[1:3])
    pads = _pads(padding, hw, k, s, d, "depthwise_conv2d")
    _check_out("depthwise_conv2d", hw, k, s, d, pads, x, f"filter shape {tuple(w.shape)}")
    ho, wo = (_out_size(n, kk, ss, dd, *p) for n, kk, ss, dd, p in zip(hw, k, s, d, pads))
    checks.check_size((x.shape[0], ho, wo, w.shape[2] * w.shape[3]), x._v.dtype, "depthwise_conv2d", "output shape")
    y = depthwise_op(x, w, strides=s, dilations=d, pads=pads)
    return _nhwc_to_nchw(y) if nchw else y


# ---------------------------------------------------------------- embeddings, normalization, losses
def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows ``params[ids]`` (``ids`` any shape, int32/int64, each in [0, rows): InvalidArgumentError
    otherwise, as TF's CPU gather); the gradient scatters back, summing repeated ids (dense, not
    IndexedSlices).  ``max_norm``: each looked-up row with l2 norm above it is scaled down to it (TF).
    ``params`` a list of one tensor works; several shards raise NotImplementedError."""
    from .shape import gather
    from .reduce import clip_by_norm
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError(f"embedding_lookup: sharded params (a list of {len(params)} tensors) is not "
                                      f"supported; concatenate them first")
        params = params[0]
    p = _tensor(params, "embedding_lookup", "params")
    i = _tensor(ids, "embedding_lookup", "ids")
    if i._v.dtype.kind not in "iu":
        raise TypeError(f"embedding_lookup: ids must be int32 or int64, got {i._v.dtype.name}")
    out = gather(p, i)
    if max_norm is not None:
        axes = list(range(i._v.ndim, out._v.ndim))
        out = clip_by_norm(out, max_norm, axes=axes) if axes else out
    return out


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + eps) + offset, written as TF does:
    inv = rsqrt(variance + eps) * scale; x * inv + (offset - mean * inv).  ``offset``/``scale`` may be
    None; all broadcast against x."""
    x = _tensor(x, "batch_normalization", "x")
    dt = x._v.dtype
    mean = _tensor(mean, "batch_normalization", "mean", dtype=dt)
    variance = _tensor(variance, "batch_normalization", "variance", dtype=dt)
    inv = rsqrt(add(variance, _tensor(variance_epsilon, "batch_normalization", "variance_epsilon", dtype=dt)))
    if scale is not None:
        inv = multiply(inv, _tensor(scale, "batch_normalization", "scale", dtype=dt))
    shift = negative(multiply(mean, inv))
    if offset is not None:
        shift = subtract(_tensor(offset, "batch_normalization", "offset", dtype=dt), multiply(mean, inv))
    return add(multiply(x, inv), shift)


def _same_shape(a, b, what_a, what_b):
    if tuple(a._v.shape) != tuple(b._v.shape):
        raise ValueError(f"`{what_a}` and `{what_b}` must have the same shape, received "
                         f"({tuple(a._v.shape)} vs {tuple(b._v.shape)}).")


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """exp(log_input) - log_input * targets, plus (``compute_full_loss``) Stirling's approximation
    t log t - t + 0.5 log(2 pi t) where t > 1, as ``tf.nn.log_poisson_loss``; shapes must agree
    (ValueError, TF's message)."""
    c = _tensor(log_input, "log_poisson_loss", "log_input")
    z = _tensor(targets, "log_poisson_loss", "targets", dtype=c._v.dtype)
    _same_shape(c, z, "log_input", "targets")
    result = subtract(exp(c), multiply(c, z))
    if compute_full_loss:
        stirling = add(subtract(multiply(z, log(z)), z), multiply(0.5, log(multiply(2 * np.pi, z))))
        cond = logical_and(greater_equal(z, 0.0), less_equal(z, 1.0))
        result = add(result, where(cond, zeros_like(z), stirling))
    return result


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """(1 - z) x + (1 + (q - 1) z) (log1p(exp(-|x|)) + relu(-x)), as TF's
    ``tf.nn.weighted_cross_entropy_with_logits`` (stable for large |x|); shapes must agree."""
    x = _tensor(logits, "weighted_cross_entropy_with_logits", "logits")
    z = _tensor(labels, "weighted_cross_entropy_with_logits", "labels", dtype=x._v.dtype)
    _rules.check("weighted_cross_entropy_with_logits", x)
    _same_shape(x, z, "logits", "labels")
    q = _tensor(pos_weight, "weighted_cross_entropy_with_logits", "pos_weight", dtype=x._v.dtype)
    log_weight = add(1.0, multiply(subtract(q, 1.0), z))
    return add(multiply(subtract(1.0, z), x),
               multiply(log_weight, add(log1p(exp(negative(abs(x)))), relu(negative(x)))))


__all__ = ["avg_pool", "avg_pool1d", "avg_pool2d", "max_pool1d", "conv1d", "depthwise_conv2d", "embedding_lookup",
           "batch_normalization", "log_poisson_loss", "weighted_cross_entropy_with_logits"]
