"""Segments and scans: math.segment_* and math.unsorted_segment_* (sum, mean, max, min, prod),
math.bincount, math.cumprod and math.cumulative_logsumexp.

Values are TF 2.21's, empty segments included: sum/mean 0, prod 1, sorted max/min 0, unsorted max
the dtype's lowest value and min its highest (``numeric_limits::lowest()/max()``, not infinities).
Negative ids in the unsorted ops drop the row (TF); an id at or past ``num_segments`` is an
InvalidArgumentError (TF's CPU kernel).  Sorted ops read their ids on the host (the output size is
the last id + 1, and TF checks they increase): one device-to-host copy on CuPy.

Gradients: sum and mean are linear; max/min split ties evenly (TF's rule); prod follows TF's rule
(exact with one zero in a segment, zero with two).  cumprod's gradient is exact at zeros (TF's is
not: its ``sum(cumprod([2., 0., 3., 4.]))`` gives ``[1, 0, 0, 0]``; the true gradient and gputape's is
``[1, 32, 0, 0]``): it is written with exclusive products and a linear recurrence, no division.
"""
import numpy as np

from ..op import defop
from ..tensor import _Base, _wrap
from ..errors import InvalidArgumentError
from .. import backend as _b
from .. import checks
from .. import dtype_rules as _rules

_tensor = checks.as_tensor


def _nb(g, out):
    return g._v.ndim - out._v.ndim


def _shape(t):
    return tuple(t._v.shape)


# ================================================================ the two linear primitives
def _flat_ids(xp, ids, num):
    f = ids.reshape(-1).astype(np.int64, copy=False)
    return xp.where(f < 0, num, f)            # negative ids go to a spare row that is cut off


def _seg_sum_fwd(xp, data, ids, num, nb):
    k = ids.ndim
    rest = data.shape[nb + k:]
    d2 = data.reshape(data.shape[:nb] + (-1,) + rest)
    z = xp.zeros(data.shape[:nb] + (num + 1,) + rest, data.dtype)
    from .indexing import _scatter_at
    f = _flat_ids(xp, ids, num)
    if nb == 0:
        _scatter_at(xp, z, f, d2, "add")
    else:
        _scatter_at(xp, xp.moveaxis(z, nb, 0), f, xp.moveaxis(d2, nb, 0), "add")
    return z[(slice(None),) * nb + (slice(0, num),)]


def _seg_take_fwd(xp, g, ids, num, nb):
    pad = xp.zeros(g.shape[:nb] + (1,) + g.shape[nb + 1:], g.dtype)
    gp = xp.concatenate([g, pad], axis=nb)
    f = _flat_ids(xp, ids, num)
    out = xp.take(gp, f, axis=nb)
    return out.reshape(g.shape[:nb] + ids.shape + g.shape[nb + 1:])


seg_sum = defop("unsorted_segment_sum", _seg_sum_fwd, linear=True)
seg_take = defop("segment_take", _seg_take_fwd, linear=True)
seg_sum.def_vjp(lambda g, out, d, ids, num, nb: seg_take(g, ids, num=num, nb=nb + _nb(g, out)), None)
seg_take.def_vjp(lambda g, out, x, ids, num, nb: seg_sum(g, ids, num=num, nb=nb + _nb(g, out)), None)


# ---------------------------------------------------------------- max / min / prod
def _limit(dtype, which):
    if dtype.kind == "f":
        fi = np.finfo(dtype)
        return fi.min if which == "lowest" else fi.max
    if dtype.kind == "b":
        return which != "lowest"
    ii = np.iinfo(dtype)
    return ii.min if which == "lowest" else ii.max


def _seg_reduce_fwd(xp, data, ids, num, mode, empty):
    from .indexing import _scatter_at
    k = ids.ndim
    rest = data.shape[k:]
    d2 = data.reshape((-1,) + rest)
    init = {"max": _limit(data.dtype, "lowest"), "min": _limit(data.dtype, "highest"), "mul": 1}[mode]
    z = xp.full((num + 1,) + rest, init, dtype=data.dtype)
    f = _flat_ids(xp, ids, num)
    _scatter_at(xp, z, f, d2, mode)
    z = z[:num]
    if empty is not None:                       # sorted max/min: an empty segment is 0 (TF)
        cnt = xp.zeros((num + 1,), np.int64)
        _b.scatter_add(cnt, f, xp.ones(f.shape, np.int64))
        z = xp.where((cnt[:num] == 0).reshape((num,) + (1,) * len(rest)), data.dtype.type(empty), z)
    return z


_seg_max = defop("segment_max", lambda xp, d, ids, num, empty: _seg_reduce_fwd(xp, d, ids, num, "max", empty))
_seg_min = defop("segment_min", lambda xp, d, ids, num, empty: _seg_reduce_fwd(xp, d, ids, num, "min", empty))
_seg_prod = defop("segment_prod", lambda xp, d, ids, num, empty: _seg_reduce_fwd(xp, d, ids, num, "mul", empty))


def _minmax_vjp(g, out, d, ids, num, empty):
    """TF's _SegmentMinOrMaxGrad: the selected entries share the segment's cotangent evenly."""
    from .math import equal, cast, divide, select_grad, maximum
    dt = g._v.dtype
    sel = equal(d, seg_take(out, ids, num=num, nb=0))
    n = maximum(seg_sum(cast(sel, dt), ids, num=num, nb=0), 1.0)     # empty segments: never gathered
    gd = seg_take(divide(g, n), ids, num=num, nb=_nb(g, out))
    return select_grad(sel, gd, take=True)


_seg_max.def_vjp(_minmax_vjp, None)
_seg_min.def_vjp(_minmax_vjp, None)


def _prod_vjp(g, out, d, ids, num, empty):
    """TF's _SegmentProdGrad / _UnsortedSegmentProdGrad: prod / x, with the product of the other
    entries where x is the one zero of its segment, and 0 where the segment has two zeros."""
    from .math import equal, cast, where, greater, divide, multiply, select_grad
    from .creation import ones_like
    dt = g._v.dtype
    is_zero = equal(d, 0.0)
    nz = seg_sum(cast(is_zero, dt), ids, num=num, nb=0)
    g = select_grad(greater(nz, 1.0), g, take=False)
    safe = where(is_zero, ones_like(d), d)
    nonzero_prod = _seg_prod(safe, ids, num=num, empty=empty)
    gathered = seg_take(out, ids, num=num, nb=0)
    partial = where(is_zero, seg_take(nonzero_prod, ids, num=num, nb=0), divide(gathered, safe))
    return multiply(seg_take(g, ids, num=num, nb=_nb(g, out)), partial)


_seg_prod.def_vjp(_prod_vjp, None)


# ================================================================ public segment ops
def _ids_tensor(segment_ids, op):
    ids = _tensor(segment_ids, op, "segment_ids")
    if ids._v.dtype.name not in ("int16", "int32", "int64"):
        raise InvalidArgumentError(f"{op}: Value for attr 'Tindices' of {ids._v.dtype.name} is not in the list of "
                                   f"allowed values: int16, int32, int64 (segment_ids)")
    return ids


def _sorted_args(data, segment_ids, op):
    data = _tensor(data, op, "data")
    _rules.check(op, data)
    ids = _ids_tensor(segment_ids, op)
    if ids._v.ndim != 1:
        raise InvalidArgumentError(f"{op}: segment_ids should be a vector. (shape {list(_shape(ids))})")
    if data._v.ndim == 0 or data._v.shape[0] != ids._v.shape[0]:
        raise InvalidArgumentError(f"{op}: segment_ids should be the same size as dimension 0 of input. "
                                   f"(data shape {list(_shape(data))}, segment_ids shape {list(_shape(ids))})")
    h = np.asarray(_b.to_host(ids._v)).astype(np.int64)
    num = int(h[-1]) + 1 if h.size else 0
    if h.size and np.any(np.diff(h) < 0):
        raise InvalidArgumentError(f"{op}: segment ids are not increasing")
    if h.size and h[0] < 0:
        raise InvalidArgumentError(f"{op}: Segment id {int(h[0])} out of range [0, {num}), possibly because "
                                   f"'segment_ids' input is not sorted.")
    return data, ids, num


def _unsorted_args(data, segment_ids, num_segments, op):
    data = _tensor(data, op, "data")
    _rules.check(op, data)
    ids = _ids_tensor(segment_ids, op)
    if isinstance(num_segments, (float, np.floating)) or (isinstance(num_segments, _Base)
                                                          and num_segments._v.dtype.kind == "f"):
        raise InvalidArgumentError(f"{op}: Value for attr 'Tnumsegments' of float is not in the list of allowed "
                                   f"values: int32, int64 (num_segments={num_segments!r})")
    num = checks.as_int(num_segments, op, "num_segments")
    if num < 0:
        raise InvalidArgumentError(f"{op}: Input num_segments == {num} must not be negative.")
    k = ids._v.ndim
    if _shape(data)[:k] != _shape(ids):
        raise InvalidArgumentError(f"{op}: data.shape = {list(_shape(data))} does not start with segment_ids.shape "
                                   f"= {list(_shape(ids))}")
    if ids._v.size:
        bad = ids._v >= num
        if bool(bad.any()):
            h = np.asarray(_b.to_host(ids._v)).reshape(-1)
            i = int(np.argmax(h >= num))
            pos = ",".join(str(int(p)) for p in np.unravel_index(i, ids._v.shape))
            raise InvalidArgumentError(f"{op}: segment_ids[{pos}] = {int(h[i])} is out of range [0, {num})")
    checks.check_size((num,) + _shape(data)[k:], data._v.dtype, op, "output shape")
    return data, ids, num


def segment_sum(data, segment_ids, name=None):
    """Sums of the rows of ``data`` sharing a (sorted, non-negative) id; ``max(id) + 1`` rows, empty ones 0.
    TF 2.21's errors: ids not increasing, negative, not a vector or not matching data's first axis."""
    data, ids, num = _sorted_args(data, segment_ids, "segment_sum")
    return seg_sum(data, ids, num=num, nb=0)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums of the entries of ``data`` by id, ``num_segments`` rows; ``segment_ids.shape`` is a prefix of
    ``data.shape``; negative ids are dropped, ids >= num_segments are an InvalidArgumentError (TF's CPU)."""
    data, ids, num = _unsorted_args(data, segment_ids, num_segments, "unsorted_segment_sum")
    return seg_sum(data, ids, num=num, nb=0)


def _count(ids, num, data):
    xp = _b.get_xp()
    c = _seg_sum_fwd(xp, xp.ones(ids._v.shape, np.int64), ids._v, num, 0)
    return c.reshape((num,) + (1,) * (data._v.ndim - ids._v.ndim))


def _mean(data, ids, num, int_out):
    from .math import divide, cast
    s = seg_sum(data, ids, num=num, nb=0)
    cnt = _count(ids, num, data)
    xp = _b.get_xp()
    cnt = xp.maximum(cnt, 1)
    if data._v.dtype.kind == "f":
        return divide(s, _wrap(cnt.astype(data._v.dtype)))
    if int_out:         # TF's SegmentMean kernel on integers: C++ division (truncates toward zero)
        v = s._v
        q = (xp.abs(v) // cnt) * xp.sign(v)
        return _wrap(q.astype(v.dtype))
    fd = np.float32 if data._v.dtype.itemsize < 4 else np.float64     # TF's truediv of integers
    return divide(cast(s, fd), _wrap(cnt.astype(fd)))


def segment_mean(data, segment_ids, name=None):
    """Means by sorted id (empty segments 0; integers divide as C++ does, truncating), as TF 2.21."""
    data, ids, num = _sorted_args(data, segment_ids, "segment_mean")
    return _mean(data, ids, num, True)


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """Means by id, ``sum / max(count, 1)`` as TF 2.21's Python function (integer data divide as TF's
    truediv: float32 for 8/16-bit integers, float64 for int32/int64)."""
    data, ids, num = _unsorted_args(data, segment_ids, num_segments, "unsorted_segment_mean")
    return _mean(data, ids, num, False)


def segment_max(data, segment_ids, name=None):
    """Maxima by sorted id (empty segments 0, TF); ties share the gradient evenly."""
    data, ids, num = _sorted_args(data, segment_ids, "segment_max")
    return _seg_max(data, ids, num=num, empty=0)


def segment_min(data, segment_ids, name=None):
    """Minima by sorted id (empty segments 0, TF); ties share the gradient evenly."""
    data, ids, num = _sorted_args(data, segment_ids, "segment_min")
    return _seg_min(data, ids, num=num, empty=0)


def segment_prod(data, segment_ids, name=None):
    """Products by sorted id (empty segments 1); gradient as TF's."""
    data, ids, num = _sorted_args(data, segment_ids, "segment_prod")
    return _seg_prod(data, ids, num=num, empty=None)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """Maxima by id; an empty segment is the dtype's lowest value (TF: -3.4028235e38 for float32)."""
    data, ids, num = _unsorted_args(data, segment_ids, num_segments, "unsorted_segment_max")
    return _seg_max(data, ids, num=num, empty=None)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """Minima by id; an empty segment is the dtype's highest value (TF)."""
    data, ids, num = _unsorted_args(data, segment_ids, num_segments, "unsorted_segment_min")
    return _seg_min(data, ids, num=num, empty=None)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """Products by id (empty segments 1); gradient as TF's.  On CuPy the scatter-multiply runs on the
    host (CuPy has no multiplying scatter)."""
    data, ids, num = _unsorted_args(data, segment_ids, num_segments, "unsorted_segment_prod")
    return _seg_prod(data, ids, num=num, empty=None)


# ================================================================ bincount
def _bincount_fwd(xp, arr, w, size, maxlength, binary, dtype, axis_last):
    a = arr.astype(np.int64, copy=False)
    if axis_last:
        rows = a.shape[0]
        flat = a + (xp.arange(rows, dtype=np.int64) * size)[:, None]
        keep = a < size
        flat = xp.where(keep, flat, rows * size)
        n = rows * size
    else:
        keep = a < size
        flat = xp.where(keep, a, size).reshape(-1)
        n = size
    wv = xp.ones(flat.shape, dtype) if w is None else w.reshape(-1).astype(dtype, copy=False)
    z = xp.zeros((n + 1,), dtype)
    _b.scatter_add(z, flat.reshape(-1), wv.reshape(-1))
    z = z[:n]
    if binary:
        z = (z != 0).astype(dtype)
    return z.reshape((a.shape[0], size) if axis_last else (size,))


_bincount = defop("bincount", lambda xp, arr, w, size, maxlength, binary, dtype, axis_last:
                  _bincount_fwd(xp, arr, w, size, maxlength, binary, dtype, axis_last), nondiff=True)
_bincount_nw = defop("bincount", lambda xp, arr, size, maxlength, binary, dtype, axis_last:
                     _bincount_fwd(xp, arr, None, size, maxlength, binary, dtype, axis_last), nondiff=True)


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=np.int32, name=None, axis=None,
             binary_output=False):
    """How often each value of the non-negative integer ``arr`` occurs (or the sum of ``weights`` there),
    as TF 2.21's ``math.bincount``: length ``max(max(arr) + 1, minlength)``, at most ``maxlength``
    (larger values dropped); ``axis=-1`` counts each row of a 2-D ``arr``; ``binary_output`` gives 1
    where the count is non-zero.  The output dtype is ``weights``' if given, else ``dtype``.  A
    negative value is an InvalidArgumentError.  No gradient (TF registers none).  The output length
    reads max(arr) back to the host (one copy on CuPy)."""
    from ..dtypes import np_dtype
    arr = _tensor(arr, "bincount", "arr")
    if arr._v.dtype.kind == "f":
        arr = _wrap(arr._v.astype(np.int32))        # TF casts arr to int32
    elif arr._v.dtype.kind not in "iu":
        raise InvalidArgumentError(f"bincount: arr must be integers, got {arr._v.dtype.name}")
    if axis not in (None, 0, -1):
        raise InvalidArgumentError(f"bincount: Unsupported axis value {axis}. Only 0 and -1 are supported.")
    axis_last = axis == -1
    if axis_last and arr._v.ndim != 2:
        if arr._v.ndim == 1:
            axis_last = False
        else:
            raise InvalidArgumentError(f"bincount: axis=-1 needs a 1-D or 2-D arr, got shape {list(_shape(arr))}")
    if arr._v.size and bool((arr._v < 0).any()):
        raise InvalidArgumentError("bincount: Input arr must be non-negative!")
    top = int(_b.to_host(arr._v.max())) + 1 if arr._v.size else 0
    size = top
    if minlength is not None:
        size = max(size, checks.as_int(minlength, "bincount", "minlength"))
    if maxlength is not None:
        size = min(size, checks.as_int(maxlength, "bincount", "maxlength"))
    w = None
    if weights is not None:
        w = _tensor(weights, "bincount", "weights")
        if _shape(w) != _shape(arr):
            raise InvalidArgumentError(f"bincount: weights shape {list(_shape(w))} must equal arr shape "
                                       f"{list(_shape(arr))}")
        out_dt = w._v.dtype
    else:
        out_dt = np_dtype(dtype)
        if out_dt.name not in ("int32", "int64", "float32", "float64"):
            raise InvalidArgumentError(f"bincount: Value for attr 'T' of {out_dt.name} is not in the list of allowed "
                                       f"values: int32, int64, float, double")
    if binary_output and w is not None:
        raise InvalidArgumentError("bincount: Arguments `binary_output` and `weights` are mutually exclusive. "
                                   "Please specify only one.")
    if w is None:
        return _bincount_nw(arr, size=size, maxlength=maxlength, binary=bool(binary_output), dtype=out_dt,
                            axis_last=axis_last)
    return _bincount(arr, w, size=size, maxlength=maxlength, binary=bool(binary_output), dtype=out_dt,
                     axis_last=axis_last)


# ================================================================ cumprod
def _cumprod_fwd(xp, x, axis):
    if xp is np:
        return np.multiply.accumulate(x, axis=axis, dtype=x.dtype)
    return xp.cumprod(x, axis=axis, dtype=x.dtype)


def _linrec_fwd(xp, g, a, axis, reverse):
    """S_k = g_k + a_k * S_{k-1} (S_{k+1} when ``reverse``) along ``axis`` (negative: batch axes in front)."""
    a = xp.broadcast_to(a, g.shape)
    gm = xp.moveaxis(g, axis, 0)
    am = xp.moveaxis(a, axis, 0)
    out = xp.empty(gm.shape, g.dtype)
    n = gm.shape[0]
    prev = None
    for k in (range(n - 1, -1, -1) if reverse else range(n)):
        prev = gm[k] if prev is None else gm[k] + am[k] * prev
        out[k] = prev
    return xp.moveaxis(out, 0, axis)


_cumprod = defop("cumprod", _cumprod_fwd)
_linrec = defop("linear_recurrence", _linrec_fwd)


def _shift(t, axis, k, fill):
    """``t`` moved one place along negative ``axis`` (``k`` +1: towards higher indices, -1: lower), the
    free end filled with ``fill``."""
    from .shape import getitem, concat
    from .creation import ones_like
    n = t._v.shape[axis]
    if n == 0:
        return t
    tail = (slice(None),) * (-axis - 1)
    edge = ones_like(getitem(t, (Ellipsis, slice(0, 1)) + tail)) * fill
    if k > 0:
        return concat([edge, getitem(t, (Ellipsis, slice(0, n - 1)) + tail)], axis=t._v.ndim + axis)
    return concat([getitem(t, (Ellipsis, slice(1, n)) + tail), edge], axis=t._v.ndim + axis)


def _linrec_vjp_all(h, out, inputs, needs, axis, reverse):
    """S = L g with L triangular: L^T h is the recurrence the other way with a shifted by one; the
    a-gradient is the neighbouring S times that."""
    g, a = inputs
    s = -1 if not reverse else 1
    u = _linrec(h, _shift(a, axis, s, 0.0), axis=axis, reverse=not reverse)
    ga = None
    if needs[1]:
        ga = _shift(out, axis, -s, 0.0) * u
    return [u if needs[0] else None, ga]


_linrec.def_vjp_all(_linrec_vjp_all)


def _cumprod_vjp(g, out, x, axis):
    """d x_k = prod_{i<k} x_i * S_k with S_k = g_k + x_{k+1} S_{k+1}: exact at zeros (no division)."""
    ax = axis - x._v.ndim
    excl = _shift(out, ax, 1, 1.0)
    return excl * _linrec(g, _shift(x, ax, -1, 0.0), axis=ax, reverse=True)


_cumprod.def_vjp(_cumprod_vjp)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running product along ``axis`` in x's dtype, as TF 2.21's ``math.cumprod`` (``exclusive``,
    ``reverse``).  The gradient is exact at zeros, unlike TF's (``sum(cumprod([2., 0., 3., 4.]))``:
    gputape ``[1, 32, 0, 0]``, TF ``[1, 0, 0, 0]``); to any order."""
    from .shape import reverse as _rev
    x = _tensor(x, "cumprod", "x")
    _rules.check("cumprod", x)
    axis = checks.normalize_axis(axis, x._v.ndim, "cumprod")
    t = _rev(x, [axis]) if reverse else x
    if x._v.dtype.kind == "f":
        y = _cumprod(t, axis=axis)
        if exclusive:
            y = _shift(y, axis - x._v.ndim, 1, 1.0)
    else:
        xp = _b.get_xp()
        v = _cumprod_fwd(xp, t._v, axis)
        if exclusive:
            v = xp.concatenate([xp.ones_like(xp.take(v, [0], axis=axis)), xp.take(v, xp.arange(v.shape[axis] - 1),
                                                                                     axis=axis)], axis=axis)
        y = _wrap(v)
    return _rev(y, [axis]) if reverse else y


# ================================================================ cumulative_logsumexp
def _logaddexp(xp, a, b):
    """log(exp(a) + exp(b)) elementwise, -inf/inf where both are (CuPy's logaddexp, ``fmax(a, b) +
    log1p(exp(-fabs(a - b)))``, gives NaN there)."""
    d = xp.where(a == b, a.dtype.type(0), -xp.abs(a - b))
    return xp.maximum(a, b) + xp.log1p(xp.exp(d))


def _clse_fwd(xp, x, axis):
    if xp is np:
        return np.logaddexp.accumulate(x, axis=axis, dtype=x.dtype)
    y = xp.moveaxis(x, axis, 0)
    n = y.shape[0]
    if x.dtype == np.float16:
        # as NumPy's and TF's float16 scan: each step in float32, rounded to float16 (one launch a step)
        out = xp.empty(y.shape, np.float16)
        prev = None
        for k in range(n):
            yk = y[k].astype(np.float32)
            prev = yk if prev is None else _logaddexp(xp, prev, yk).astype(np.float16).astype(np.float32)
            out[k] = prev
        return xp.moveaxis(out, 0, axis)
    # a log-domain prefix scan (Hillis-Steele: ceil(log2 n) elementwise steps), never exp of a difference
    # to one shared maximum, which underflows to -inf for prefixes far below it ([-1000, 0] -> [-inf, 0])
    s = 1
    while s < n:
        y = xp.concatenate([y[:s], _logaddexp(xp, y[s:], y[:n - s])], axis=0)
        s *= 2
    return xp.ascontiguousarray(xp.moveaxis(y, 0, axis))


_clse = defop("cumulative_logsumexp", _clse_fwd)


def _clse_vjp(g, out, x, axis):
    """d x_i = sum_{k>=i} g_k exp(x_i - out_k) = exp(x_i - out_i) R_i with R_i = g_i + exp(out_i - out_{i+1})
    R_{i+1}: every exponent is <= 0 (out is non-decreasing), so nothing overflows, and the rule is
    made of differentiable ops (TF's log(relu(g)) form gives NaN at second order where g changes sign)."""
    from .math import exp
    from .shape import getitem, concat
    ax = axis - x._v.ndim
    n = out._v.shape[axis]
    tail = (slice(None),) * (-ax - 1)
    nxt = concat([getitem(out, (Ellipsis, slice(1, n)) + tail), getitem(out, (Ellipsis, slice(n - 1, n)) + tail)],
                 axis=axis)
    r = _linrec(g, exp(out - nxt), axis=ax, reverse=True)
    return exp(x - out) * r


_clse.def_vjp(_clse_vjp)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """``log(cumsum(exp(x)))`` along ``axis`` without overflow (TF 2.21's ``math.cumulative_logsumexp``,
    float dtypes; exclusive starts at -inf).  On CuPy the forward is a log-domain prefix scan (float32/64,
    within a few ulps of TF's sequential scan) or, for float16, TF's sequential scan step by step."""
    from .shape import reverse as _rev
    x = _tensor(x, "cumulative_logsumexp", "x")
    _rules.check("cumulative_logsumexp", x)
    axis = checks.normalize_axis(axis, x._v.ndim, "cumulative_logsumexp")
    t = _rev(x, [axis]) if reverse else x
    y = _clse(t, axis=axis)
    if exclusive:
        y = _shift(y, axis - x._v.ndim, 1, float("-inf"))
    return _rev(y, [axis]) if reverse else y


__all__ = []
