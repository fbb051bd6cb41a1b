"""Reductions.  ``axis`` is normalised to a sorted tuple of non-negative axes before
dispatch; rules expand ``g`` back with negative axes so batch axes in front are kept.

Output dtypes are TensorFlow's: a sum, product or cumsum keeps its input's dtype (int8 wraps
in int8, as TF's kernels do; NumPy would promote small integers to int64).  On NumPy the
forwards call ``ufunc.reduce`` themselves, so a RuntimeWarning (inf - inf in a sum) is
attributed to gputape and silenced by op.py's filter, not to NumPy's ``fromnumeric``."""
import numpy as np

from ..op import defop, ensure_warning_filter
from ..tensor import Tensor, Variable, _Base
from ..checks import normalize_axes, normalize_axis, as_tensor
from ..errors import InvalidArgumentError
from .. import dtype_rules as _rules
from .shape import reshape, _nb, transpose, _broadcast_to_fwd
from .math import multiply, divide, cast, equal, add, where, sqrt, square, abs, exp, log, subtract


def _axes(x, axis, op="reduction"):
    """``axis`` (None, an int, a list or an integer tensor) as a sorted tuple of axes of ``x``; out of
    range or repeated axes raise InvalidArgumentError (TF: "Invalid reduction dimension",
    "Axes contains duplicate dimension"), float axes TypeError."""
    r = x._v.ndim
    if axis is None:
        return tuple(range(r))
    return tuple(sorted(normalize_axes(axis, r, op)))


def _tensor(x):
    """``x`` as a tensor (lists and arrays converted, as TF): ``checks.as_tensor``."""
    if type(x) is Tensor or type(x) is Variable:      # as_tensor's pass-through, without its import
        ensure_warning_filter()
        return x
    return as_tensor(x)


def _ureduce(xp, fn, x, axes, keepdims, dtype=None):
    """``xp.<fn>.reduce`` over ``axes`` (``fn`` 'add', 'multiply', 'maximum', 'minimum'), in ``dtype``."""
    if xp is np:
        return getattr(np, fn).reduce(x, axis=axes, dtype=dtype, keepdims=keepdims)
    name = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}[fn]
    kw = {} if dtype is None else {"dtype": dtype}
    return getattr(xp, name)(x, axis=axes, keepdims=keepdims, **kw)


def _kept(x, axes):
    return tuple(1 if i in axes else d for i, d in enumerate(x._v.shape))


def _expand(g, out, x, axes, keepdims):
    """g reshaped so it broadcasts against x (batch axes kept in front)."""
    nb = _nb(g, out)
    if keepdims:
        return g
    return reshape(g, tuple(g._v.shape[:nb]) + _kept(x, axes))


_PACKET = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}


def _eigen_sum_last(xp, a, w):
    """Sum over the last axis in the order TensorFlow's CPU kernel (Eigen, AVX packets) uses:
    packets accumulated in sequence, reduced by halving, plus the tail summed on its own.
    Measured equal to TF 2.21 bit for bit while the axis holds fewer than 8 packets.  Elementwise
    adds only, so CuPy gives the same bits as NumPy (a CuPy reduction kernel would not)."""
    n = a.shape[-1]
    k = n // w
    p = a[..., :w]
    for i in range(1, k):              # packets added in order (as numpy reduces a non-inner axis)
        p = p + a[..., i * w:(i + 1) * w]
    while p.shape[-1] > 1:
        h = p.shape[-1] // 2
        p = p[..., :h] + p[..., h:]
    p = p[..., 0]
    if k * w == n:
        return p
    s = a[..., k * w]
    for j in range(k * w + 1, n):
        s = s + a[..., j]
    return s + p


def _sum_fwd(xp, x, axes, keepdims):
    w = _PACKET.get(x.dtype)
    if w is not None and axes and w <= x.shape[axes[-1]] < 8 * w and axes[-1] == x.ndim - 1:
        # only full reductions and last-axis reductions follow Eigen's inner-most-dimension path
        if len(axes) == x.ndim:
            r = _eigen_sum_last(xp, xp.ascontiguousarray(x).reshape(-1), w) if x.size < 8 * w else None
        elif len(axes) == 1:
            r = _eigen_sum_last(xp, x, w)
        else:
            r = None
        if r is not None:
            r = xp.asarray(r, dtype=x.dtype)
            if keepdims:
                r = r.reshape(tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
            return r
    return _ureduce(xp, "add", x, axes, keepdims, dtype=x.dtype)


_sum = defop("reduce_sum", _sum_fwd, linear=True)
def _sum_grad_fwd(xp, g, shape, kept, nb):
    """g (with nb batch axes) reshaped to the kept-dims shape, then broadcast to ``shape``: one op."""
    g = g.reshape(tuple(g.shape[:nb]) + kept)
    return _broadcast_to_fwd(xp, g, tuple(g.shape[:nb]) + shape)


sum_grad = defop("sum_grad", _sum_grad_fwd, linear=True)


def sum_grad_vjp(gg, out, g, shape, kept, nb):
    """d g = the sum of gg over the broadcast axes, in g's shape"""
    lead = gg._v.ndim - len(shape)
    axes = tuple(lead + i for i in range(len(shape)) if kept[i] == 1 and shape[i] != 1)
    r = _sum(gg, axes=axes, keepdims=True) if axes else gg
    return reshape(r, tuple(gg._v.shape[:lead]) + tuple(g._v.shape[nb:]))


sum_grad.def_vjp(sum_grad_vjp)
_sum.def_vjp(lambda g, out, x, axes, keepdims: sum_grad(g, shape=tuple(x._v.shape), kept=_kept(x, axes),
                                                        nb=_nb(g, out)))



def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum over ``axis`` (all by default); the input's dtype (int8 stays int8, as TF)."""
    x = _tensor(input_tensor)
    return _sum(x, axes=_axes(x, axis, "reduce_sum"), keepdims=bool(keepdims))


def _mean_fwd(xp, x, axes, keepdims):
    n = _count(x.shape, axes)
    if x.dtype.kind in "iu":       # TF: the exact mean truncated toward 0 (no wrap in the sum); empty: 0
        wide = np.dtype(np.int64 if x.dtype.kind == "i" else np.uint64)
        s = _ureduce(xp, "add", x, axes, keepdims, dtype=wide)
        if n == 0:
            return xp.zeros_like(s).astype(x.dtype)
        if x.dtype.kind == "u":
            return (s // wide.type(n)).astype(x.dtype)
        return (xp.sign(s) * (xp.abs(s) // wide.type(n))).astype(x.dtype)
    # floats: sum / n, so an empty mean is 0/0 = NaN (TF); float16 accumulates in float32
    if x.dtype in _PACKET:
        return xp.asarray(_sum_fwd(xp, x, axes, keepdims) / x.dtype.type(n), dtype=x.dtype)
    acc = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
    s = _ureduce(xp, "add", x, axes, keepdims, dtype=acc)
    return (s / acc.type(n)).astype(x.dtype, copy=False)


_mean = defop("reduce_mean", _mean_fwd, linear=True)


def _count(shape, axes):
    """How many elements a reduction over ``axes`` of ``shape`` combines (a Python int)."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def mean_vjp(g, out, x, axes, keepdims):
    """dx = broadcast(g) / N"""
    n = _count(x._v.shape, axes)
    return divide(sum_grad(g, shape=tuple(x._v.shape), kept=_kept(x, axes), nb=_nb(g, out)), float(n))


_mean.def_vjp(mean_vjp)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean over ``axis``; integers are summed in their dtype and truncated, an empty float mean is
    NaN and an empty integer mean 0 (TF)."""
    x = _tensor(input_tensor)
    return _mean(x, axes=_axes(x, axis, "reduce_mean"), keepdims=bool(keepdims))


def _identity_of(fn, dtype):
    """TF's value for a max/min over nothing: -inf/inf for floats, the dtype's lowest/highest for ints."""
    if dtype.kind == "f":
        return -np.inf if fn == "maximum" else np.inf
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:
        return fn == "minimum"
    return info.min if fn == "maximum" else info.max


def _minmax(name, fn):
    def fwd(xp, x, axes, keepdims):
        if x.size:
            return _ureduce(xp, fn, x, axes, keepdims)
        shape = tuple(1 if (i in axes and keepdims) else d for i, d in enumerate(x.shape)
                      if keepdims or i not in axes)
        return xp.full(shape, _identity_of(fn, x.dtype), dtype=x.dtype)

    op = defop(name, fwd)

    def minmax_vjp(g, out, x, axes, keepdims):
        """dx = g * (x == out) / count(x == out): ties share the gradient evenly (TF)"""
        y = out if keepdims else reshape(out, _kept(x, axes))
        ind = cast(equal(y, x), x._v.dtype)
        num = _sum(ind, axes=axes, keepdims=True)
        return multiply(divide(ind, num), _expand(g, out, x, axes, keepdims))

    op.def_vjp(minmax_vjp)
    return op


_max = _minmax("reduce_max", "maximum")
_min = _minmax("reduce_min", "minimum")


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """Largest element over ``axis``; over nothing: -inf, or an integer dtype's lowest value (TF)."""
    x = _tensor(input_tensor)
    return _max(x, axes=_axes(x, axis, "reduce_max"), keepdims=bool(keepdims))


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """Smallest element over ``axis``; over nothing: inf, or an integer dtype's highest value (TF)."""
    x = _tensor(input_tensor)
    return _min(x, axes=_axes(x, axis, "reduce_min"), keepdims=bool(keepdims))


# ---- reduce_prod: the gradient is the product of the *other* elements, computed without division
def _to_last(xp, x, axes):
    """x with the reduced axes moved last and flattened: (kept..., n)."""
    keep = [i for i in range(x.ndim) if i not in axes]
    t = xp.transpose(x, keep + list(axes))
    return t.reshape(tuple(x.shape[i] for i in keep) + (-1,)), keep


def _prod_fwd(xp, x, axes, keepdims):
    return _ureduce(xp, "multiply", x, axes, keepdims, dtype=x.dtype)


_prod = defop("reduce_prod", _prod_fwd)


def _prod_others_fwd(xp, x):
    """Along the last axis: out[i] = prod_{j != i} x[j], by exclusive cumprods from both ends."""
    n = x.shape[-1]
    one = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    left = xp.cumprod(xp.concatenate([one, x[..., :-1]], axis=-1), axis=-1) if n else x
    right = xp.flip(xp.cumprod(xp.concatenate([one, xp.flip(x, -1)[..., :-1]], axis=-1), axis=-1), -1) if n else x
    return left * right


prod_others = defop("prod_others", _prod_others_fwd)


def prod_others_vjp(g, out, x):
    """dx_j = sum_{i != j} g_i * prod_{k != i, j} x_k  (row i of M is x with x_i set to 1)"""
    n = x._v.shape[-1]
    from .creation import eye
    e = cast(eye(n), x._v.dtype)
    xb = expand_last(x)                                           # (..., 1, n)
    m = add(multiply(xb, subtract(1.0, e)), e)                    # (..., n, n)
    r = prod_others(m)                                            # r[i, j] = prod_{k != i, j} x_k (j != i)
    r = multiply(r, subtract(1.0, e))
    return reduce_sum(multiply(r, reshape(g, tuple(g._v.shape) + (1,))), axis=-2)


def expand_last(x):
    s = tuple(x._v.shape)
    return reshape(x, s[:-1] + (1,) + s[-1:])


prod_others.def_vjp(prod_others_vjp)


def prod_vjp(g, out, x, axes, keepdims):
    """dx = g * prod of the other reduced elements (exact at zeros)"""
    keep = [i for i in range(x._v.ndim) if i not in axes]
    perm = keep + list(axes)
    t = transpose(x, perm)
    kshape = tuple(x._v.shape[i] for i in keep)
    rshape = tuple(x._v.shape[i] for i in axes)
    others = prod_others(reshape(t, kshape + (-1,)))               # (kept..., n)
    nb = _nb(g, out)
    gk = reshape(g, tuple(g._v.shape[:nb]) + kshape + (1,))
    d = multiply(gk, others)                                       # (batch, kept..., n)
    d = reshape(d, tuple(g._v.shape[:nb]) + kshape + rshape)
    inv = [int(i) for i in np.argsort(perm)]
    return transpose(d, tuple(range(nb)) + tuple(nb + i for i in inv))


_prod.def_vjp(prod_vjp)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """Product over ``axis``; the input's dtype (TF)."""
    x = _tensor(input_tensor)
    return _prod(x, axes=_axes(x, axis, "reduce_prod"), keepdims=bool(keepdims))


# ---- composites
def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) over ``axis``, shifted by the (finite) max as TF does: all -inf gives -inf,
    any +inf gives inf.  Floats only."""
    from .math import stop_gradient, zeros_like
    x = _tensor(input_tensor)
    _rules.check("reduce_logsumexp", x)
    axes = _axes(x, axis, "reduce_logsumexp")
    m = stop_gradient(_max(x, axes=axes, keepdims=True))
    m = where(equal(abs(m), float("inf")), zeros_like(m), m)      # not m * 0: inf * 0 is NaN
    r = add(log(_sum(exp(subtract(x, m)), axes=axes, keepdims=True)), m)
    return r if keepdims else reshape(r, [d for i, d in enumerate(x.shape) if i not in axes])


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """mean(|x - mean(x)|**2) over ``axis``; floats only (integers: TypeError, as TF)."""
    x = _tensor(input_tensor)
    _rules.check("reduce_variance", x)
    axes = _axes(x, axis, "reduce_variance")
    m = _mean(x, axes=axes, keepdims=True)
    return _mean(square(subtract(x, m)), axes=axes, keepdims=bool(keepdims))


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(reduce_variance); floats only (integers: TypeError, as TF)."""
    x = _tensor(input_tensor)
    _rules.check("reduce_std", x)
    return sqrt(reduce_variance(x, axis=axis, keepdims=keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x**2)) over ``axis``; integers give the truncated root in their own dtype (TF)."""
    x = _tensor(input_tensor)
    d = _rules.check("reduce_euclidean_norm", x)
    if d.kind in "iu":
        s = cast(_sum(square(x), axes=_axes(x, axis, "reduce_euclidean_norm"), keepdims=bool(keepdims)),
                 np.float64)
        return cast(sqrt(s), d)
    return sqrt(reduce_sum(square(x), axis=axis, keepdims=keepdims))


def _svd_top(xp, x):
    """Largest singular value of each matrix over the last two axes (``xp.linalg.svd``, stacked)."""
    if x.shape[-1] == 0 or x.shape[-2] == 0:
        return xp.zeros(x.shape[:-2], x.dtype)
    return xp.linalg.svd(x, compute_uv=False)[..., 0].astype(x.dtype, copy=False)


def _svd_top_pair(xp, x):
    """u1 v1^T of the top singular pair of each matrix (the spectral norm's gradient, as TF's SVD
    gradient gives it); zeros for an empty matrix."""
    if x.shape[-1] == 0 or x.shape[-2] == 0:
        return xp.zeros_like(x)
    u, _, vh = xp.linalg.svd(x, full_matrices=False)
    return (u[..., :, :1] * vh[..., :1, :]).astype(x.dtype, copy=False)


_spectral = defop("norm_spectral", _svd_top)
_spectral_dir = defop("norm_spectral_direction", _svd_top_pair, nondiff=True)
_spectral.def_vjp(lambda g, out, x: multiply(reshape(g, tuple(g._v.shape) + (1, 1)), _spectral_dir(x)))

_AXIS_MSG = "'axis' must be None, an integer, or a tuple of 2 unique integers, got {}"
_MATRIX_ORDS = ["euclidean", "fro", 1, 2, np.inf]


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """Vector and matrix norms, as TF 2.21's ``tf.norm``.

    ``axis`` None or an int: a vector norm over all entries or that axis; ``ord`` 'euclidean' (or 2),
    1, np.inf or any real p > 0: sum(|x|**p)**(1/p) ('fro', 0, negative or -inf: ValueError, as TF).
    ``axis`` a pair of distinct axes: a matrix norm over those axes (the first the rows): ``ord`` 1 the
    largest column abs-sum, np.inf the largest row abs-sum, 'fro'/'euclidean' the Frobenius norm, 2 the
    largest singular value (``xp.linalg.svd``; gradient u1 v1^T of the top singular pair, as TF's);
    other ``ord`` ValueError.  Any other ``axis`` ValueError; axes out of range InvalidArgumentError.
    ``keepdims`` keeps the reduced axes as 1s.  Like TF, the 2-norm's gradient at 0 is NaN.
    """
    tensor = _tensor(tensor)
    _rules.check("norm", tensor)
    keepdims = bool(keepdims)
    r = tensor._v.ndim
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        ax = tuple(axis)
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in ax):
            raise ValueError(_AXIS_MSG.format(ax))
        a0, a1 = (normalize_axis(a, r, "norm") for a in ax)
        if a0 == a1:
            raise ValueError(_AXIS_MSG.format(ax))
        if isinstance(ord, str) or ord not in (1, 2, np.inf):
            if ord not in ("euclidean", "fro"):
                raise ValueError(f"'ord' must be a supported matrix norm in {_MATRIX_ORDS}, got {ord}")
        if ord in ("euclidean", "fro"):
            res = sqrt(reduce_sum(multiply(tensor, tensor), axis=[a0, a1], keepdims=True))
        elif ord == 1:
            res = reduce_max(reduce_sum(abs(tensor), axis=a0, keepdims=True), axis=a1, keepdims=True)
        elif ord == np.inf:
            res = reduce_max(reduce_sum(abs(tensor), axis=a1, keepdims=True), axis=a0, keepdims=True)
        else:
            rest = [i for i in range(r) if i not in (a0, a1)]
            s = _spectral(transpose(tensor, rest + [a0, a1]))
            kept = tuple(1 if i in (a0, a1) else d for i, d in enumerate(tensor._v.shape))
            return reshape(s, kept) if keepdims else s
        if keepdims:
            return res
        return reshape(res, [d for i, d in enumerate(res._v.shape) if i not in (a0, a1)])
    if not (axis is None or (isinstance(axis, (int, np.integer)) and not isinstance(axis, bool))):
        raise ValueError(_AXIS_MSG.format(axis))
    if isinstance(ord, str) or not np.isreal(ord) or ord <= 0:
        if ord != "euclidean":
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    if ord in ("euclidean", 2):
        return sqrt(reduce_sum(multiply(tensor, tensor), axis=axis, keepdims=keepdims))
    if ord == 1:
        return reduce_sum(abs(tensor), axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return reduce_max(abs(tensor), axis=axis, keepdims=keepdims)
    from .math import pow
    return pow(reduce_sum(pow(abs(tensor), ord), axis=axis, keepdims=keepdims), 1.0 / ord)


def global_norm(t_list, name=None):
    """sqrt(sum of squares of every element of every tensor in ``t_list``); None entries are skipped."""
    ts = [_tensor(t) for t in t_list if t is not None]
    if not ts:
        raise ValueError("global_norm: t_list holds no tensors")
    for t in ts:
        _rules.check("global_norm", t)
    total = None
    for t in ts:
        sq = reduce_sum(square(t))
        total = sq if total is None else add(total, sq)
    return sqrt(total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """([t * scale for t], global_norm) with scale = clip_norm * min(1/global_norm, 1/clip_norm), all on
    the device (no host sync); a non-finite norm makes every result NaN, as in TF."""
    from .math import minimum
    t_list = [None if t is None else _tensor(t) for t in t_list]
    for t in t_list:
        if t is not None:
            _rules.check("clip_by_global_norm", t)
    norm = global_norm(t_list) if use_norm is None else use_norm
    norm = as_tensor(norm, "clip_by_global_norm", "use_norm", dtype=np.float32)
    c = float(clip_norm)
    scale = add(multiply(minimum(divide(1.0, norm), 1.0 / c), c), subtract(norm, norm))
    return [None if t is None else multiply(t, cast(scale, t._v.dtype)) for t in t_list], norm


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t * clip_norm / max(||t||, clip_norm) over ``axes``, written as TF does so t == 0 is safe."""
    from .math import maximum, greater
    from .creation import ones_like
    t = _tensor(t)
    _rules.check("clip_by_norm", t)
    l2sum = reduce_sum(multiply(t, t), axis=axes, keepdims=True)
    pred = greater(l2sum, 0.0)
    l2norm = where(pred, sqrt(where(pred, l2sum, ones_like(l2sum))), l2sum)
    return divide(multiply(t, clip_norm), maximum(l2norm, clip_norm))


def _arg_fwd(xp, x, axis, dtype, big):
    """TF's CPU rule (Eigen's ArgMax/ArgMinTupleReducer): start from (index 0, lowest) -- (0, highest)
    for argmin -- and take an element only when it compares strictly better, ties to the smaller
    index.  So NaN never wins, and when no element beats the start (all NaN, or nothing above the
    dtype's lowest value) the answer is 0.  On device arrays, three passes and no host read."""
    if x.dtype.kind != "f":
        return (xp.argmax(x, axis=axis) if big else xp.argmin(x, axis=axis)).astype(dtype)
    fi = np.finfo(x.dtype)
    fill = x.dtype.type(-np.inf if big else np.inf)
    y = xp.where(xp.isnan(x), fill, x)
    i = xp.argmax(y, axis=axis) if big else xp.argmin(y, axis=axis)
    best = xp.max(y, axis=axis) if big else xp.min(y, axis=axis)
    found = best > fi.min if big else best < fi.max
    return xp.where(found, i, 0).astype(dtype)


_argmax = defop("argmax", lambda xp, x, axis, dtype: _arg_fwd(xp, x, axis, dtype, True), nondiff=True)
_argmin = defop("argmin", lambda xp, x, axis, dtype: _arg_fwd(xp, x, axis, dtype, False), nondiff=True)


_ARG_TYPES = (np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64))


def _arg(op, name, input, axis, output_type):
    from ..dtypes import np_dtype
    x = _tensor(input)
    if axis is not None and not isinstance(axis, _Base) and not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be int or Tensor with integer datatype, got {axis!r}")
    ax = normalize_axis(0 if axis is None else axis, x._v.ndim, name)
    if x._v.shape[ax] == 0:
        raise InvalidArgumentError(f"{name}: Reduction axis {ax} is empty in shape {list(x._v.shape)}")
    dt = np.dtype(np.int64) if output_type is None else np_dtype(output_type)
    if dt not in _ARG_TYPES:
        raise InvalidArgumentError(f"{name}: Value for attr 'output_type' of {dt.name} is not in the "
                                          f"list of allowed values: int16, uint16, int32, int64")
    return op(x, axis=ax, dtype=dt)


def argmax(input, axis=None, output_type=None, name=None):
    """Index of the largest element along ``axis`` (default 0) as ``output_type`` (int64; int16/int32 too)."""
    return _arg(_argmax, "argmax", input, axis, output_type)


def argmin(input, axis=None, output_type=None, name=None):
    """Index of the smallest element along ``axis`` (default 0) as ``output_type`` (int64; int16/int32 too)."""
    return _arg(_argmin, "argmin", input, axis, output_type)


_any = defop("reduce_any", lambda xp, x, axes, keepdims: xp.any(x, axis=axes, keepdims=keepdims), nondiff=True)
_all = defop("reduce_all", lambda xp, x, axes, keepdims: xp.all(x, axis=axes, keepdims=keepdims), nondiff=True)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    x = _tensor(input_tensor)
    return _any(x, axes=_axes(x, axis, "reduce_any"), keepdims=bool(keepdims))


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    x = _tensor(input_tensor)
    return _all(x, axes=_axes(x, axis, "reduce_all"), keepdims=bool(keepdims))


def _cumsum_fwd(xp, x, axis, exclusive, reverse):
    if reverse:
        x = xp.flip(x, axis)
    c = np.add.accumulate(x, axis=axis, dtype=x.dtype) if xp is np else xp.cumsum(x, axis=axis, dtype=x.dtype)
    if exclusive:
        c = c - x
    return xp.flip(c, axis) if reverse else c


_cumsum = defop("cumsum", _cumsum_fwd, linear=True)
_cumsum.def_vjp(lambda g, out, x, axis, exclusive, reverse: _cumsum(
    g, axis=axis - x._v.ndim, exclusive=exclusive, reverse=not reverse))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sum along ``axis`` in the input's dtype (TF); a list is converted first."""
    x = _tensor(x)
    return _cumsum(x, axis=normalize_axis(axis, x._v.ndim, "cumsum"), exclusive=bool(exclusive),
                   reverse=bool(reverse))


def count_nonzero(input, axis=None, keepdims=False, dtype=None, name=None):
    from .math import not_equal
    input = _tensor(input)
    return reduce_sum(cast(not_equal(input, 0), dtype or np.int64), axis=axis, keepdims=keepdims)


__all__ = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_logsumexp",
           "reduce_variance", "reduce_std", "reduce_euclidean_norm", "norm", "argmax", "argmin", "reduce_any",
           "reduce_all", "cumsum", "count_nonzero", "prod_others", "global_norm", "clip_by_global_norm",
           "clip_by_norm"]
