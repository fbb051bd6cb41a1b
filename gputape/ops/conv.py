"""2-D convolution and max pooling (NHWC), as im2col windows and one matmul.

Three bilinear ops are closed under differentiation, so derivatives of any order stay among them:

    conv2d(x, w)                  y = patches(x) @ w
    conv2d_backprop_input(g, w)   dx = col2im(g @ w^T)
    conv2d_backprop_filter(x, g)  dw = patches(x)^T @ g

Max pooling routes cotangents through ``max_pool_grad`` (a scatter to each window's first maximum,
TensorFlow's tie rule), whose own VJP is ``max_pool_gather`` (the matching gather), and back.

Every array argument may carry extra axes in front of the batch axis N; they broadcast like matmul
batch axes.  That is how vectorised jacobians (cotangents with leading batch axes) pass through.
"""
import numpy as np

from ..op import defop
from ..errors import InvalidArgumentError
from .. import checks
from .math import add
from .shape import transpose


# ---------------------------------------------------------------- geometry
def _out_size(n, k, s, d, p0, p1):
    """Output length along one axis; may be <= 0 (rejected by the callers)."""
    return (n + p0 + p1 - ((k - 1) * d + 1)) // s + 1


def _same_pads(n, k, s, d):
    """TensorFlow's SAME: ceil(n / s) outputs, the odd padding element goes after."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _windows(xp, x, ksize, strides, dilations, pads, fill):
    """A strided view (..., Ho, Wo, kh, kw, C) of every window of ``x`` (..., H, W, C), padded with ``fill``."""
    (pt, pb), (pl, pr) = pads
    if pt or pb or pl or pr:
        widths = [(0, 0)] * (x.ndim - 3) + [(pt, pb), (pl, pr), (0, 0)]
        x = xp.pad(x, widths, mode="constant", constant_values=fill)
    kh, kw = ksize
    sh, sw = strides
    dh, dw = dilations
    h, w = x.shape[-3], x.shape[-2]
    ho, wo = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dw - 1) // sw + 1
    s = x.strides
    shape = x.shape[:-3] + (ho, wo, kh, kw, x.shape[-1])
    strides_ = s[:-3] + (s[-3] * sh, s[-2] * sw, s[-3] * dh, s[-2] * dw, s[-1])
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides_)


def _lead_rows(win):
    """(..., N, Ho, Wo, kh, kw, C) windows as a (..., N*Ho*Wo, kh*kw*C) matrix (a copy)."""
    n, ho, wo, kh, kw, c = win.shape[-6:]
    return win.reshape(win.shape[:-6] + (n * ho * wo, kh * kw * c))


def _col2im(xp, cols, in_hw, strides, dilations, pads):
    """Sum (..., Ho, Wo, kh, kw, C) window values back onto an (..., H, W, C) grid (the adjoint of _windows)."""
    ho, wo, kh, kw, c = cols.shape[-5:]
    (pt, pb), (pl, pr) = pads
    h, w = in_hw
    sh, sw = strides
    dh, dw = dilations
    grid = xp.zeros(cols.shape[:-5] + (h + pt + pb, w + pl + pr, c), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            grid[..., i * dh:i * dh + (ho - 1) * sh + 1:sh, j * dw:j * dw + (wo - 1) * sw + 1:sw, :] += \
                cols[..., i, j, :]
    if pt or pb or pl or pr:
        grid = xp.ascontiguousarray(grid[..., pt:pt + h, pl:pl + w, :])
    return grid


# ---------------------------------------------------------------- conv2d and its two backprops
def _conv_fwd(xp, x, w, strides, dilations, pads):
    kh, kw, ci, co = w.shape[-4:]
    win = _windows(xp, x, (kh, kw), strides, dilations, pads, 0)
    n, ho, wo = win.shape[-6:-3]
    y = xp.matmul(_lead_rows(win), w.reshape(w.shape[:-4] + (kh * kw * ci, co)))
    return y.reshape(y.shape[:-2] + (n, ho, wo, co))


def _backprop_input_fwd(xp, g, w, in_hw, strides, dilations, pads):
    kh, kw, ci, co = w.shape[-4:]
    n, ho, wo = g.shape[-4:-1]
    wm = w.reshape(w.shape[:-4] + (kh * kw * ci, co))
    cols = xp.matmul(g.reshape(g.shape[:-4] + (n * ho * wo, co)), xp.swapaxes(wm, -1, -2))
    cols = cols.reshape(cols.shape[:-2] + (n, ho, wo, kh, kw, ci))
    return _col2im(xp, cols, in_hw, strides, dilations, pads)


def _backprop_filter_fwd(xp, x, g, k_hw, strides, dilations, pads):
    kh, kw = k_hw
    win = _windows(xp, x, k_hw, strides, dilations, pads, 0)
    ci, co = x.shape[-1], g.shape[-1]
    n, ho, wo = g.shape[-4:-1]
    dw = xp.matmul(xp.swapaxes(_lead_rows(win), -1, -2), g.reshape(g.shape[:-4] + (n * ho * wo, co)))
    return dw.reshape(dw.shape[:-2] + (kh, kw, ci, co))


_C = dict(same_dtype=(0, 1))
conv2d_op = defop("conv2d", _conv_fwd, **_C)
conv2d_backprop_input = defop("conv2d_backprop_input", _backprop_input_fwd, **_C)
conv2d_backprop_filter = defop("conv2d_backprop_filter", _backprop_filter_fwd, **_C)


def conv2d_dx(g, out, x, w, **p):
    """dx = conv2d_backprop_input(g, w)"""
    return conv2d_backprop_input(g, w, in_hw=tuple(x._v.shape[-3:-1]), **p)


def conv2d_dw(g, out, x, w, **p):
    """dw = conv2d_backprop_filter(x, g)"""
    return conv2d_backprop_filter(x, g, k_hw=tuple(w._v.shape[-4:-2]), **p)


def backprop_input_dg(gg, out, g, w, in_hw, **p):
    """dg = conv2d(gg, w)"""
    return conv2d_op(gg, w, **p)


def backprop_input_dw(gg, out, g, w, in_hw, **p):
    """dw = conv2d_backprop_filter(gg, g)"""
    return conv2d_backprop_filter(gg, g, k_hw=tuple(w._v.shape[-4:-2]), **p)


def backprop_filter_dx(gg, out, x, g, k_hw, **p):
    """dx = conv2d_backprop_input(g, gg)"""
    return conv2d_backprop_input(g, gg, in_hw=tuple(x._v.shape[-3:-1]), **p)


def backprop_filter_dg(gg, out, x, g, k_hw, **p):
    """dg = conv2d(x, gg)"""
    return conv2d_op(x, gg, **p)


conv2d_op.def_vjp(conv2d_dx, conv2d_dw)
conv2d_backprop_input.def_vjp(backprop_input_dg, backprop_input_dw)
conv2d_backprop_filter.def_vjp(backprop_filter_dx, backprop_filter_dg)


def _bilinear_jvp(op):
    """d op(a, b) = op(da, b) + op(a, db)"""
    def jvp(ts, out, a, b, **p):
        ta, tb = ts
        r = None if ta is None else op(ta, b, **p)
        if tb is not None:
            s = op(a, tb, **p)
            r = s if r is None else add(r, s)
        return r
    jvp.__name__ = f"{op.name}_jvp"
    return jvp


for _op in (conv2d_op, conv2d_backprop_input, conv2d_backprop_filter):
    _op.def_jvp(_bilinear_jvp(_op))


# ---------------------------------------------------------------- max pooling
def _lowest(xp, dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _argmax_windows(xp, x, ksize, strides, pads):
    """Index (row-major within the window) of the input each window's gradient goes to, as TF 2.21's
    CPU MaxPoolGrad picks it: the window's first (unpadded) element, replaced by each later element
    strictly greater than the one kept.  So ties go to the first, NaN never replaces, and a NaN first
    element keeps the gradient (TF's forward ignores that NaN; its gradient does not)."""
    win = _windows(xp, xp.where(xp.isnan(x), x.dtype.type(-np.inf), x) if x.dtype.kind == "f" else x,
                   ksize, strides, (1, 1), pads, _lowest(xp, x.dtype))
    kh, kw, c = win.shape[-3:]
    flat = win.reshape(win.shape[:-3] + (kh * kw, c))
    idx = xp.argmax(flat, axis=-2)
    if x.dtype.kind != "f":
        return idx
    # the first unpadded element of each window (host-built positions: no device read)
    (pt, _), (pl, _) = pads
    ho, wo = idx.shape[-3], idx.shape[-2]
    r0 = np.maximum(0, pt - np.arange(ho) * strides[0])
    c0 = np.maximum(0, pl - np.arange(wo) * strides[1])
    rows = np.arange(ho) * strides[0] - pt + r0
    cols = np.arange(wo) * strides[1] - pl + c0
    first = xp.asarray((r0[:, None] * kw + c0[None, :])[:, :, None])
    xf = x[..., xp.asarray(rows), :, :][..., xp.asarray(cols), :]
    keep_first = xp.isnan(xf) | (flat.max(axis=-2) == -np.inf)
    return xp.where(keep_first, first, idx)


def _max_pool_fwd(xp, x, ksize, strides, pads):
    """Each window's largest element, NaN ignored, as TF 2.21's CPU kernel: the max starts from the
    dtype's lowest finite value, so a window of only NaN and -inf gives that value (-3.4e38 in float32)."""
    if x.dtype.kind == "f":
        lo = x.dtype.type(np.finfo(x.dtype).min)
        x = xp.fmax(x, lo)
    else:
        lo = _lowest(xp, x.dtype)
    win = _windows(xp, x, ksize, strides, (1, 1), pads, lo)
    return win.max(axis=(-3, -2))


def _max_pool_grad_fwd(xp, x, g, ksize, strides, pads):
    idx = _argmax_windows(xp, x, ksize, strides, pads)
    kh, kw = ksize
    lead = tuple(np.broadcast_shapes(g.shape[:-3], idx.shape[:-3]))
    zero = xp.zeros((), dtype=g.dtype)
    cols = xp.empty(lead + g.shape[-3:-1] + (kh, kw, g.shape[-1]), dtype=g.dtype)
    for k in range(kh * kw):
        cols[..., k // kw, k % kw, :] = xp.where(idx == k, g, zero)
    return _col2im(xp, cols, x.shape[-3:-1], strides, (1, 1), pads)


def _max_pool_gather_fwd(xp, x, h, ksize, strides, pads):
    idx = _argmax_windows(xp, x, ksize, strides, pads)
    win = _windows(xp, h, ksize, strides, (1, 1), pads, 0)
    kh, kw, c = win.shape[-3:]
    flat = win.reshape(win.shape[:-3] + (kh * kw, c))
    lead = tuple(np.broadcast_shapes(flat.shape[:-2], idx.shape[:-1]))
    sel = xp.broadcast_to(idx[..., None, :], lead + (1, c))
    flat = xp.broadcast_to(flat, lead + (kh * kw, c))
    return xp.take_along_axis(flat, sel, axis=-2)[..., 0, :]


max_pool2d_op = defop("max_pool2d", _max_pool_fwd)
max_pool_grad = defop("max_pool_grad", _max_pool_grad_fwd)
max_pool_gather = defop("max_pool_gather", _max_pool_gather_fwd)

max_pool2d_op.def_vjp(lambda g, out, x, **p: max_pool_grad(x, g, **p))
max_pool_grad.def_vjp(None, lambda gg, out, x, g, **p: max_pool_gather(x, gg, **p))
max_pool_gather.def_vjp(None, lambda gg, out, x, h, **p: max_pool_grad(x, gg, **p))


@max_pool2d_op.def_jvp
def max_pool2d_jvp(ts, out, x, **p):
    """d max_pool(x) = dx at each window's first maximum"""
    return None if ts[0] is None else max_pool_gather(x, ts[0], **p)


@max_pool_grad.def_jvp
def max_pool_grad_jvp(ts, out, x, g, **p):
    """linear in g; piecewise constant in x"""
    return None if ts[1] is None else max_pool_grad(x, ts[1], **p)


@max_pool_gather.def_jvp
def max_pool_gather_jvp(ts, out, x, h, **p):
    """linear in h; piecewise constant in x"""
    return None if ts[1] is None else max_pool_gather(x, ts[1], **p)


# ---------------------------------------------------------------- public functions (tf.nn)
def _pair(v, what, opname, allow_four=True):
    """An (h, w) pair from an int or a list of 1, 2 or 4 ints (the 4-form is [1, h, w, 1] for NHWC)."""
    v = list(checks.as_shape(v, opname, what, TypeError))   # floats raise: TF truncates them
    if len(v) == 1:
        v = v * 2
    elif len(v) == 4 and allow_four:
        if v[0] != 1 or v[3] != 1:
            raise InvalidArgumentError(f"{opname}: {what} in the batch and depth dimensions must be 1 (NHWC), "
                                       f"got {what}={v}")
        v = v[1:3]
    elif len(v) != 2:
        raise ValueError(f"{opname}: {what} must be an int or a list of 1, 2 or 4 ints, got {v}")
    if any(e <= 0 for e in v):
        raise InvalidArgumentError(f"{opname}: {what} must be positive (each > 0), but got {min(v)} ({what}={v})")
    return tuple(v)


def _pads(padding, hw, ksize, strides, dilations, opname, allow_explicit=True):
    """((top, bottom), (left, right)) for 'SAME', 'VALID' or an explicit NHWC padding list."""
    if isinstance(padding, str):
        mode = padding
        if mode in ("valid", "same") or (mode.upper() in ("VALID", "SAME", "EXPLICIT") and mode != mode.upper()):
            raise InvalidArgumentError(f"{opname}: Value for attr 'padding' of \"{padding}\" is not in the list "
                                       f"of allowed values: \"SAME\", \"VALID\", \"EXPLICIT\" (TF's names are "
                                       f"upper case)")
        if mode == "VALID":
            return ((0, 0), (0, 0))
        if mode == "SAME":
            return tuple(_same_pads(n, k, s, d) for n, k, s, d in zip(hw, ksize, strides, dilations))
        raise ValueError(f"{opname}: padding must be 'SAME' or 'VALID'"
                         f"{' or an explicit list of 4 pairs' if allow_explicit else ''}, got {padding!r}")
    if not allow_explicit:
        raise ValueError(f"{opname}: padding must be 'SAME' or 'VALID', got {padding!r}")
    if not isinstance(padding, (list, tuple)):
        raise ValueError(f"{opname}: padding must be 'SAME', 'VALID' or a list of 4 pairs, got {padding!r}")
    p = [list(checks.as_shape(pair, opname, "padding", TypeError)) for pair in padding]
    if len(p) != 4 or any(len(pair) != 2 for pair in p) or p[0] != [0, 0] or p[3] != [0, 0] or \
            any(a < 0 for pair in p for a in pair):
        raise ValueError(f"{opname}: explicit padding must be [[0, 0], [top, bottom], [left, right], [0, 0]] "
                         f"with non-negative values, got {padding!r}")
    return tuple(tuple(pair) for pair in p[1:3])


def _check_out(opname, hw, ksize, strides, dilations, pads, x, w_desc):
    for axis, n, k, s, d, (p0, p1) in zip(("height", "width"), hw, ksize, strides, dilations, pads):
        o = _out_size(n, k, s, d, p0, p1)
        if o <= 0:
            raise InvalidArgumentError(
                f"{opname}: Computed output size would be negative: {o - 1} [input_size: {n}, "
                f"effective_filter_size: {(k - 1) * d + 1}, stride: {s}] along the {axis} (input shape "
                f"{tuple(x.shape)}, {w_desc}, dtype {x._v.dtype.name}); use padding='SAME' or a smaller window")


def _tensor(v, dtype=None):
    return checks.as_tensor(v, dtype=dtype)


def _nchw_to_nhwc(t):
    return transpose(t, (0, 2, 3, 1))


def _nhwc_to_nchw(t):
    return transpose(t, (0, 3, 1, 2))


def _data_format(data_format, opname):
    if data_format is None or data_format == "NHWC":
        return False
    if data_format == "NCHW":
        return True
    raise ValueError(f"{opname}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """2-D convolution (cross-correlation, as TensorFlow): ``input`` [N, H, W, Cin], ``filters`` [kh, kw, Cin, Cout].

    >>> x = gputape.ones([1, 4, 4, 1]); w = gputape.ones([3, 3, 1, 2])
    >>> gputape.nn.conv2d(x, w, strides=1, padding="SAME").shape
    TensorShape([1, 4, 4, 2])
    """
    x = _tensor(input)
    w = _tensor(filters, dtype=x.dtype)
    nchw = _data_format(data_format, "conv2d")
    if x.ndim != 4:
        raise InvalidArgumentError(f"conv2d: input must be 4-dimensional ({'NCHW' if nchw else 'NHWC'}), got "
                                   f"shape {tuple(x.shape)} (dtype {x._v.dtype.name}); filters shape "
                                   f"{tuple(w.shape)}")
    if w.ndim != 4:
        raise InvalidArgumentError(f"conv2d: filters must be 4-dimensional [height, width, in_channels, "
                                   f"out_channels], got shape {tuple(w.shape)} (dtype {w._v.dtype.name}); input "
                                   f"shape {tuple(x.shape)}")
    if nchw:
        x = _nchw_to_nhwc(x)
    strides_ = _pair(strides, "strides", "conv2d")
    dil = _pair(1 if dilations is None else dilations, "dilations", "conv2d")
    cin, fin = x.shape[-1], w.shape[2]
    if cin != fin:
        raise InvalidArgumentError(
            f"conv2d: input depth must equal filter depth: {cin} vs {fin} (input shape {tuple(x.shape)}, "
            f"filters shape {tuple(w.shape)}, dtypes {x._v.dtype.name}, {w._v.dtype.name}; grouped convolution "
            f"is not supported)")
    ksize = tuple(w.shape[:2])
    pads = _pads(padding, tuple(x.shape[1:3]), ksize, strides_, dil, "conv2d")
    _check_out("conv2d", tuple(x.shape[1:3]), ksize, strides_, dil, pads, x, f"filters shape {tuple(w.shape)}")
    ho, wo = (_out_size(n, k, s, d, *p) for n, k, s, d, p in zip(x.shape[1:3], ksize, strides_, dil, pads))
    # the im2col matrix [N*Ho*Wo, kh*kw*Cin] is the largest array conv2d allocates
    checks.check_size((x.shape[0] * ho * wo, ksize[0] * ksize[1] * cin), x._v.dtype, "conv2d", "patches shape")
    y = conv2d_op(x, w, strides=strides_, dilations=dil, pads=pads)
    return _nhwc_to_nchw(y) if nchw else y


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None,
                     name=None):
    """The transpose (gradient) of conv2d: ``filters`` is [kh, kw, out_channels, in_channels]."""
    g = _tensor(input)
    w = _tensor(filters, dtype=g.dtype)
    if _data_format(data_format, "conv2d_transpose"):
        raise ValueError("conv2d_transpose: only NHWC is supported")
    out_shape = checks.as_shape(output_shape, "conv2d_transpose", "output_shape", TypeError)
    if g.ndim != 4 or w.ndim != 4 or len(out_shape) != 4:
        raise InvalidArgumentError(f"conv2d_transpose: input, filters and output_shape must be 4-dimensional, got "
                                   f"{tuple(g.shape)}, {tuple(w.shape)} and {out_shape}")
    strides_ = _pair(strides, "strides", "conv2d_transpose")
    dil = _pair(1 if dilations is None else dilations, "dilations", "conv2d_transpose")
    ksize = tuple(w.shape[:2])
    hw = out_shape[1:3]
    pads = _pads(padding, hw, ksize, strides_, dil, "conv2d_transpose")
    want = tuple(_out_size(n, k, s, d, *p) for n, k, s, d, p in zip(hw, ksize, strides_, dil, pads))
    if (out_shape[0], out_shape[3]) != (g.shape[0], w.shape[2]) or want != tuple(g.shape[1:3]) or \
            g.shape[3] != w.shape[3]:
        raise InvalidArgumentError(f"conv2d_transpose: output_shape {list(out_shape)} does not match input shape "
                                   f"{tuple(g.shape)} and filters shape {tuple(w.shape)} (a conv2d of the output "
                                   f"would have spatial size {list(want)})")
    return conv2d_backprop_input(g, w, in_hw=hw, strides=strides_, dilations=dil, pads=pads)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Max over each window of ``input`` [N, H, W, C]; the gradient goes to the first maximum of a window.

    >>> x = gputape.reshape(gputape.range(16.0), [1, 4, 4, 1])
    >>> gputape.nn.max_pool2d(x, 2, 2, "VALID")[0, :, :, 0].numpy()
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    x = _tensor(input)
    nchw = _data_format(data_format, "max_pool2d")
    if x.ndim != 4:
        raise InvalidArgumentError(f"max_pool2d: input must be 4-dimensional ({'NCHW' if nchw else 'NHWC'}), "
                                   f"got shape {tuple(x.shape)} (dtype {x._v.dtype.name})")
    if x._v.dtype.kind == "b":
        raise InvalidArgumentError(f"max_pool2d: bool input is not supported (shape {tuple(x.shape)})")
    if nchw:
        x = _nchw_to_nhwc(x)
    k = _pair(ksize, "ksize", "max_pool2d")
    s = _pair(strides, "strides", "max_pool2d")
    pads = _pads(padding, tuple(x.shape[1:3]), k, s, (1, 1), "max_pool2d", allow_explicit=False)
    _check_out("max_pool2d", tuple(x.shape[1:3]), k, s, (1, 1), pads, x, f"ksize {list(k)}")
    y = max_pool2d_op(x, ksize=k, strides=s, pads=pads)
    return _nhwc_to_nchw(y) if nchw else y


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """tf.nn.max_pool for 3-D input (1-D pooling, ``max_pool1d``) and 4-D input (the 2-D case)."""
    if getattr(input, "ndim", 4) == 3:
        from .nn2 import max_pool1d
        return max_pool1d(input, ksize, strides, padding, data_format=data_format or "NWC", name=name)
    if getattr(input, "ndim", 4) != 4:
        raise InvalidArgumentError(f"max_pool: only 3-D and 4-D input (1-D and 2-D pooling) is supported, got shape "
                                   f"{tuple(input.shape)}")
    return max_pool2d(input, ksize, strides, padding, data_format=data_format or "NHWC", name=name)


__all__ = ["conv2d", "conv2d_transpose", "max_pool2d", "max_pool"]
