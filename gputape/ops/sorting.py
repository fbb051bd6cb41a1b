"""Sorting ops: sort, argsort, math.top_k, math.in_top_k.

TF 2.21 sorts with ``top_k``: ties keep the lower index first in both directions (ascending sorts
are top_k of the negated values), so ``argsort`` is stable whatever ``stable`` says, and so is
gputape's.  Sorted values are differentiable through ``take_along_axis`` (its VJP puts the
cotangent back at the sorted positions; the positions are a permutation, so no two collide).
"""
import collections

import numpy as np

from ..op import defop
from ..errors import InvalidArgumentError
from .. import checks
from .. import dtype_rules as _rules

_tensor = checks.as_tensor


def _nb(g, out):
    return g._v.ndim - out._v.ndim


def _along_key(xp, idx, axis, nb, shape):
    """Index arrays selecting ``idx`` along ``axis`` of an array of ``shape`` (batch ``nb`` axes in front
    that idx does not have): ``a[key]`` is take_along_axis and ``z[key] = v`` its transpose."""
    r = len(shape)
    key = []
    ishape = (1,) * nb + tuple(idx.shape)
    i = idx.reshape(ishape)
    for d in range(r):
        if d == nb + axis:
            key.append(i)
        else:
            s = [1] * r
            s[d] = shape[d] if d < nb else ishape[d]
            key.append(xp.arange(s[d]).reshape(s))
    return tuple(key)


def _take_fwd(xp, x, idx, axis):
    nb = x.ndim - idx.ndim
    return x[_along_key(xp, idx, axis, nb, x.shape)]


def _put_fwd(xp, g, idx, axis, n):
    nb = g.ndim - idx.ndim
    shape = g.shape[:nb + axis] + (n,) + g.shape[nb + axis + 1:]
    z = xp.zeros(shape, g.dtype)
    z[_along_key(xp, idx, axis, nb, shape)] = g
    return z


take_along_axis = defop("take_along_axis", _take_fwd, linear=True)
put_along_axis = defop("put_along_axis", _put_fwd, linear=True)
take_along_axis.def_vjp(lambda g, out, x, idx, axis: put_along_axis(g, idx, axis=axis, n=x._v.shape[x._v.ndim - idx._v.ndim + axis]),
                        None)
put_along_axis.def_vjp(lambda g, out, x, idx, axis, n: take_along_axis(g, idx, axis=axis), None)


def _order_fwd(xp, x, axis, descending):
    """Stable order along ``axis`` (ties: lower index first), ascending or descending."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    rev = xp.flip(x, axis)
    o = xp.flip(xp.argsort(rev, axis=axis, kind="stable"), axis)
    return (n - 1) - o


_order = defop("argsort", lambda xp, x, axis, descending, dtype: _order_fwd(xp, x, axis, descending).astype(dtype),
               nondiff=True)


def _direction(direction, op):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{op}: Argument `direction` should be one of ASCENDING, DESCENDING. Received: "
                         f"direction={direction}")
    return direction == "DESCENDING"


def _sort_axis(values, axis, op):
    r = values._v.ndim
    if r == 0:
        raise InvalidArgumentError(f"{op}: input must be at least rank 1, got a scalar")
    return checks.normalize_axis(axis, r, op)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """int32 indices that sort ``values`` along ``axis``, as TF 2.21 (ties: lower index first in both
    directions, so stable=True and False agree, as TF's top_k-based argsort; TF accepts any ``stable``).  ValueError for another
    direction; InvalidArgumentError for an axis out of range."""
    values = _tensor(values, "argsort", "values")
    _rules.check("argsort", values)
    desc = _direction(direction, "argsort")
    axis = _sort_axis(values, axis, "argsort")
    return _order(values, axis=axis, descending=desc, dtype=np.dtype(np.int32))


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis`` (TF 2.21); differentiable: the gradient goes back to the
    position each value came from (ties: lower index first, as TF)."""
    values = _tensor(values, "sort", "values")
    _rules.check("sort", values)
    desc = _direction(direction, "sort")
    axis = _sort_axis(values, axis, "sort")
    idx = _order(values, axis=axis, descending=desc, dtype=np.dtype(np.int64))
    return take_along_axis(values, idx, axis=axis)


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type=np.int32, name=None):
    """The ``k`` largest entries along the last axis and their indices, as TF 2.21's ``math.top_k``.

    Ties: the lower index first.  ``sorted=False`` returns them in the same (sorted) order, which is
    one of the orders TF allows.  ``k`` in ``[0, last dim]`` (InvalidArgumentError otherwise: "input
    must have at least k columns"); a float k is a TypeError.  ``index_type`` int16, int32 or int64.
    The values are differentiable (the gradient lands on the chosen entries).
    """
    from ..dtypes import np_dtype
    input = _tensor(input, "top_k", "input")
    _rules.check("top_k", input)
    if isinstance(k, (float, np.floating)) or (hasattr(k, "_v") and k._v.dtype.kind == "f"):
        raise InvalidArgumentError(f"top_k: Value for attr 'Tk' of float is not in the list of allowed values: "
                                   f"int16, int32, int64 (k={k!r})")
    k = checks.as_int(k, "top_k", "k")
    if input._v.ndim == 0:
        raise InvalidArgumentError("top_k: input must be >= 1-D, got shape []")
    if k < 0:
        raise InvalidArgumentError(f"top_k: Need k >= 0, got {k}")
    n = input._v.shape[-1]
    if n < k:
        raise InvalidArgumentError(f"top_k: input must have at least k columns. Had {n}, needed {k}")
    it = np_dtype(index_type)
    if it.name not in ("int16", "int32", "int64"):
        raise InvalidArgumentError(f"top_k: Value for attr 'index_type' of {it.name} is not in the list of allowed "
                                   f"values: int16, int32, int64")
    axis = input._v.ndim - 1
    full = _order(input, axis=axis, descending=True, dtype=np.dtype(np.int64))
    from .shape import getitem
    idx = getitem(full, (Ellipsis, slice(0, k)))
    vals = take_along_axis(input, idx, axis=axis)
    from .math import cast
    return TopKV2(vals, cast(idx, it))


_in_top_k = defop("in_top_k", lambda xp, p, t, k: _in_top_k_fwd(xp, p, t, k), nondiff=True)


def _in_top_k_fwd(xp, p, t, k):
    n = p.shape[1]
    ok = (t >= 0) & (t < n)
    pt = xp.take_along_axis(p, xp.where(ok, t, 0).astype(np.int64)[:, None], axis=1)
    above = (p > pt).sum(axis=1)
    # TF's kernel: a target out of range or any non-finite prediction in the row gives False
    return ok & (above < k) & xp.isfinite(p).all(axis=1)


def in_top_k(targets, predictions, k, name=None):
    """Whether ``targets[i]`` is among the ``k`` largest ``predictions[i]`` (TF 2.21's
    ``math.in_top_k``): classes tied at the boundary all count as in; a non-finite prediction in the
    row (or a target out of range) gives False, as TF's kernel.  predictions float32 [batch, classes]
    (a Python list is converted to float32; a tensor of another dtype is a ValueError, as TF),
    targets int32/int64 [batch]."""
    if not hasattr(predictions, "_v"):
        predictions = _tensor(predictions, "in_top_k", "predictions", dtype="float32")
    elif predictions._v.dtype != np.float32:
        raise ValueError(f"in_top_k: Tensor conversion requested dtype float32 for Tensor with dtype "
                         f"{predictions._v.dtype.name}")
    targets = _tensor(targets, "in_top_k", "targets")
    if targets._v.dtype.name not in ("int32", "int64"):
        raise InvalidArgumentError(f"in_top_k: Value for attr 'T' of {targets._v.dtype.name} is not in the list of "
                                   f"allowed values: int32, int64 (targets)")
    k = checks.as_int(k, "in_top_k", "k")
    if predictions._v.ndim != 2:
        raise InvalidArgumentError(f"in_top_k: predictions must be 2-dimensional, got shape "
                                   f"{list(predictions._v.shape)}")
    if targets._v.ndim != 1:
        raise InvalidArgumentError(f"in_top_k: targets must be 1-dimensional, got shape {list(targets._v.shape)}")
    if targets._v.shape[0] != predictions._v.shape[0]:
        raise InvalidArgumentError(f"in_top_k: First dimension of predictions {predictions._v.shape[0]} must match "
                                   f"length of targets {targets._v.shape[0]}")
    return _in_top_k(predictions, targets, k=k)


__all__ = ["sort", "argsort"]
