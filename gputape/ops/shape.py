"""Shape ops.  Rules are written for cotangents with extra leading batch axes
(``nb = g.ndim - out.ndim``), which is what vectorised jacobians send."""
import numpy as np

from ..op import defop
from ..tensor import _Base, convert_to_tensor
from ..errors import InvalidArgumentError
from .. import backend as _b


def _nb(g, out):
    return g._v.ndim - out._v.ndim


def _ints(shape, what="shape"):
    if isinstance(shape, _Base):
        return tuple(int(d) for d in np.asarray(shape).reshape(-1))
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) if not isinstance(d, _Base) else int(d) for d in shape)


# ---------------------------------------------------------------- reshape
def _check_reshape(x, shape):
    free = shape.count(-1)
    n = 1
    for d in shape:
        if d != -1:
            n *= d
    if free > 1 or (free == 0 and n != x.size) or (free == 1 and (n == 0 or x.size % n)):
        raise InvalidArgumentError(f"reshape: cannot reshape a tensor with {x.size} elements to shape "
                                   f"{list(shape)} (input shape {tuple(x.shape)}, dtype {x.dtype})")


_reshape = defop("reshape", lambda xp, x, shape: xp.reshape(x, shape), linear=True, aliases=True,
                 check=_check_reshape)
_reshape.def_vjp(lambda g, out, x, shape: _reshape(g, shape=tuple(g._v.shape[:_nb(g, out)]) + tuple(x._v.shape)))


def reshape(tensor, shape, name=None):
    """``tensor`` with a new shape (one dimension may be -1)."""
    return _reshape(tensor, shape=_ints(shape))


def _perm(x, perm):
    return tuple(range(x.ndim - 1, -1, -1)) if perm is None else tuple(perm)


def _check_transpose(x, perm):
    if perm is not None and sorted(perm) != list(range(x.ndim)):
        raise InvalidArgumentError(f"transpose: perm {list(perm)} is not a permutation of the "
                                   f"{x.ndim} axes of a tensor of shape {tuple(x.shape)}")


_transpose = defop("transpose", lambda xp, x, perm: xp.transpose(x, perm), linear=True, aliases=True,
                   check=_check_transpose)


def transpose_vjp(g, out, x, perm):
    """dx = transpose(g, inverse(perm)), batch axes kept in front"""
    nb = _nb(g, out)
    inv = tuple(int(i) for i in np.argsort(perm))
    return _transpose(g, perm=tuple(range(nb)) + tuple(nb + i for i in inv))


_transpose.def_vjp(transpose_vjp)


def transpose(a, perm=None, conjugate=False, name=None):
    a = convert_to_tensor(a) if not isinstance(a, _Base) else a
    return _transpose(a, perm=_perm(a._v, None if perm is None else _ints(perm)))


def expand_dims(input, axis, name=None):
    s = list(input.shape)
    axis = int(axis)
    if axis < 0:
        axis += len(s) + 1
    if not 0 <= axis <= len(s):
        raise InvalidArgumentError(f"expand_dims: axis {axis} out of range for a tensor of rank {len(s)}")
    return reshape(input, s[:axis] + [1] + s[axis:])


def squeeze(input, axis=None, name=None):
    s = list(input.shape)
    if axis is None:
        return reshape(input, [d for d in s if d != 1])
    axes = [a % len(s) for a in ((axis,) if isinstance(axis, int) else axis)]
    for a in axes:
        if s[a] != 1:
            raise InvalidArgumentError(f"squeeze: can not squeeze dim[{a}], expected a dimension of 1, "
                                       f"got {s[a]} (shape {tuple(s)})")
    return reshape(input, [d for i, d in enumerate(s) if i not in axes])


def _bcast_check(x, shape):
    xs = tuple(x.shape)
    shape = tuple(shape)
    ok = len(xs) <= len(shape) and all(a == 1 or a == b for a, b in zip(xs[::-1], shape[::-1]))
    if not ok:
        raise InvalidArgumentError(f"broadcast_to: cannot broadcast a tensor of shape {xs} to shape {shape}")


def _broadcast_to_fwd(xp, x, shape):
    if xp is np and len(shape) and int(np.prod(shape)) <= 4096:
        out = np.empty(shape, dtype=x.dtype)    # small: a copy is cheaper than numpy's view machinery
        np.copyto(out, x)
        return out
    return xp.broadcast_to(x, shape)


_broadcast_to = defop("broadcast_to", _broadcast_to_fwd, linear=True, aliases=True, check=_bcast_check)
_broadcast_to.def_vjp(lambda g, out, x, shape: g)   # the sweep sums g back to x's shape


def broadcast_to(input, shape, name=None):
    return _broadcast_to(input, shape=_ints(shape))


# ---------------------------------------------------------------- concat / stack / split
def _concat_fwd(xp, *xs, axis):
    return xp.concatenate(xs, axis=axis)


def _concat_check(*xs, axis):
    r = xs[0].ndim
    for x in xs:
        if x.ndim != r or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape)) if i != axis % r):
            raise InvalidArgumentError(f"concat: ConcatOp : Dimension mismatch along axis {axis}: shapes "
                                       f"{[tuple(x.shape) for x in xs]}")


_concat = defop("concat", _concat_fwd, linear=True, check=_concat_check)


@_concat.def_vjp_all
def concat_vjp(g, out, inputs, needs, axis):
    """dx_i = the slice of g that x_i filled"""
    ax = (axis % out._v.ndim) - out._v.ndim          # negative: valid with batch axes in front
    grads, start = [], 0
    for x, need in zip(inputs, needs):
        n = x._v.shape[ax]
        if need:
            key = (Ellipsis, slice(start, start + n)) + (slice(None),) * (-ax - 1)
            grads.append(getitem(g, key))
        else:
            grads.append(None)
        start += n
    return grads


def concat(values, axis, name=None):
    values = [v if isinstance(v, _Base) else convert_to_tensor(v) for v in values]
    if len(values) == 1:
        from .math import identity
        return identity(values[0])
    d0 = values[0]._v.dtype
    for v in values:
        if v._v.dtype != d0:
            raise InvalidArgumentError(f"concat: all values must have one dtype, got "
                                       f"{[v._v.dtype.name for v in values]}")
    return _concat(*values, axis=int(axis) % max(values[0]._v.ndim, 1))


def stack(values, axis=0, name=None):
    values = [v if isinstance(v, _Base) else convert_to_tensor(v) for v in values]
    shapes = {tuple(v._v.shape) for v in values}
    if len(shapes) > 1:
        raise InvalidArgumentError(f"stack: Shapes of all inputs must match: {[tuple(v._v.shape) for v in values]}")
    r = values[0]._v.ndim
    axis = int(axis)
    if axis < 0:
        axis += r + 1
    return concat([expand_dims(v, axis) for v in values], axis)


def unstack(value, num=None, axis=0, name=None):
    axis = axis % value._v.ndim
    n = value._v.shape[axis]
    pre = (slice(None),) * axis
    return [getitem(value, pre + (i,)) for i in range(n)]


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    axis = int(axis) % value._v.ndim
    n = value._v.shape[axis]
    if isinstance(num_or_size_splits, int):
        if n % num_or_size_splits:
            raise InvalidArgumentError(f"split: Number of ways to split should evenly divide the split "
                                       f"dimension, but got split_dim {axis} (size = {n}) and num_split "
                                       f"{num_or_size_splits}")
        sizes = [n // num_or_size_splits] * num_or_size_splits
    else:
        sizes = list(_ints(num_or_size_splits))
        if -1 in sizes:
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        if sum(sizes) != n:
            raise InvalidArgumentError(f"split: sizes {sizes} do not add up to {n}")
    out, start = [], 0
    pre = (slice(None),) * axis
    for s in sizes:
        out.append(getitem(value, pre + (slice(start, start + s),)))
        start += s
    return out


# ---------------------------------------------------------------- tile
_tile = defop("tile", lambda xp, x, multiples: xp.tile(x, multiples), linear=True)


def tile_vjp(g, out, x, multiples):
    """dx = g summed over the copies: reshape to (m0, d0, m1, d1, ...) and sum the m axes"""
    nb = _nb(g, out)
    shape = tuple(x._v.shape)
    split = tuple(g._v.shape[:nb])
    for m, d in zip(multiples, shape):
        split += (m, d)
    from .reduce import reduce_sum
    r = _reshape(g, shape=split)
    return reduce_sum(r, axis=tuple(nb + 2 * i for i in range(len(shape))))


_tile.def_vjp(tile_vjp)


def tile(input, multiples, name=None):
    m = _ints(multiples)
    if len(m) != input._v.ndim:
        raise InvalidArgumentError(f"tile: Expected multiples argument to be a vector of length "
                                   f"{input._v.ndim} but got length {len(m)}")
    return _tile(input, multiples=m)


# ---------------------------------------------------------------- indexing
def _norm_key(key):
    """A hashable-enough key: tensors become ints or index arrays."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, _Base):
            a = np.asarray(k)
            if a.dtype == np.bool_:
                raise TypeError("boolean tensor masks are not supported by tensor[...]; use "
                                "gputape.gather(x, gputape.reshape(gputape.where(mask), [-1]))")
            k = int(a) if a.ndim == 0 else _b.get_xp().asarray(a)
        elif isinstance(k, (list, np.ndarray)):
            k = _b.get_xp().asarray(np.asarray(k))
        elif isinstance(k, slice):
            k = slice(*(None if v is None else (int(v) if not isinstance(v, int) else v)
                        for v in (k.start, k.stop, k.step)))
        out.append(k)
    return tuple(out)


def _getitem_fwd(xp, x, key):
    return x[key]


def _check_getitem(x, key):
    dims = sum(1 for k in key if k is not None and k is not Ellipsis)
    if dims > x.ndim:
        raise InvalidArgumentError(f"getitem: index {key!r} has {dims} dimensions but the tensor has shape "
                                   f"{tuple(x.shape)}")
    d = 0
    for k in key:
        if k is Ellipsis:
            d = x.ndim - sum(1 for kk in key[key.index(k) + 1:] if kk is not None)
            continue
        if k is None:
            continue
        if isinstance(k, int) and not -x.shape[d] <= k < x.shape[d]:
            raise InvalidArgumentError(f"getitem: slice index {k} of dimension {d} out of bounds "
                                       f"(shape {tuple(x.shape)})")
        d += 1


_getitem = defop("getitem", _getitem_fwd, linear=True, aliases=True, check=_check_getitem)
_getitem.def_vjp(lambda g, out, x, key: scatter_into(g, shape=tuple(x._v.shape), key=key, nb=_nb(g, out)))


def getitem(x, key):
    x = x if isinstance(x, _Base) else convert_to_tensor(x)
    return _getitem(x, key=_norm_key(key))


def _scatter_fwd(xp, g, shape, key, nb):
    z = xp.zeros(tuple(g.shape[:nb]) + shape, dtype=g.dtype)
    full = (slice(None),) * nb + key
    if any(not isinstance(k, (int, slice, type(None), type(Ellipsis))) for k in key):
        _b.scatter_add(z, full, g)
    else:
        z[full] = g
    return z


scatter_into = defop("scatter_into", _scatter_fwd, linear=True)
scatter_into.def_vjp(lambda gg, out, g, shape, key, nb: _getitem(gg, key=(slice(None),) * (gg._v.ndim - len(shape)) + key))


def _gather_fwd(xp, params, indices, axis):
    n = params.shape[axis]
    if xp is np and indices.size and (int(indices.max()) >= n or int(indices.min()) < -n):
        bad = int(indices.max()) if int(indices.max()) >= n else int(indices.min())
        raise InvalidArgumentError(f"gather: indices[...] = {bad} is not in [0, {n}) "
                                   f"(params shape {tuple(params.shape)}, axis {axis})")
    return xp.take(params, indices, axis=axis)


_gather = defop("gather", _gather_fwd)
_gather.def_vjp(lambda g, out, p, idx, axis: gather_grad(g, idx, shape=tuple(p._v.shape), axis=axis,
                                                          nb=_nb(g, out)), None)


def _gather_grad_fwd(xp, g, idx, shape, axis, nb):
    z = xp.zeros(tuple(g.shape[:nb]) + shape, dtype=g.dtype)
    ax = nb + axis
    # bring the gathered axes to the front, then scatter-add whole slices
    gi = xp.moveaxis(g, list(range(ax, ax + idx.ndim)), list(range(idx.ndim)))
    gi = gi.reshape((-1,) + gi.shape[idx.ndim:])
    zt = xp.moveaxis(z, ax, 0)
    flat = idx.reshape(-1) % shape[axis]
    _b.scatter_add(zt, flat, gi)
    return z


gather_grad = defop("gather_grad", _gather_grad_fwd, linear=True)
gather_grad.def_vjp(lambda gg, out, g, idx, shape, axis, nb: _gather(gg, idx, axis=gg._v.ndim - len(shape) + axis),
                    None)


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of ``params`` along ``axis``; the gradient is dense (TF's IndexedSlices, densified)."""
    if batch_dims:
        raise NotImplementedError("gather: batch_dims != 0 is not supported")
    params = params if isinstance(params, _Base) else convert_to_tensor(params)
    indices = indices if isinstance(indices, _Base) else convert_to_tensor(indices)
    if indices._v.dtype.kind not in "iu":
        raise TypeError(f"gather: indices must be int32 or int64, got {indices._v.dtype}")
    axis = 0 if axis is None else int(axis) % params._v.ndim
    return _gather(params, indices, axis=axis)


# ---------------------------------------------------------------- misc
def _one_hot_fwd(xp, idx, depth, on, off, axis, dtype):
    eye = (xp.arange(depth) == idx[..., None])
    out = xp.where(eye, xp.asarray(on, dtype=dtype), xp.asarray(off, dtype=dtype))
    if axis != -1 and axis != out.ndim - 1:
        out = xp.moveaxis(out, -1, axis)
    return out


_one_hot = defop("one_hot", _one_hot_fwd, nondiff=True)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    from ..dtypes import np_dtype
    npd = np_dtype(dtype) if dtype is not None else np.dtype(np.float32)
    indices = indices if isinstance(indices, _Base) else convert_to_tensor(indices)
    if indices._v.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be an integer tensor, got {indices._v.dtype}")
    return _one_hot(indices, depth=int(depth), on=1 if on_value is None else on_value,
                    off=0 if off_value is None else off_value, axis=-1 if axis is None else int(axis), dtype=npd)


def _pad_fwd(xp, x, paddings, constant_values):
    return xp.pad(x, paddings, mode="constant", constant_values=constant_values)


_pad = defop("pad", _pad_fwd, linear=True)
_pad.def_vjp(lambda g, out, x, paddings, constant_values: _getitem(
    g, key=(Ellipsis,) + tuple(slice(a, a + d) for (a, b), d in zip(paddings, x._v.shape))))


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    if mode.upper() != "CONSTANT":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only CONSTANT)")
    p = tuple(tuple(int(v) for v in row) for row in np.asarray(paddings).tolist())
    return _pad(tensor, paddings=p, constant_values=constant_values)


_reverse = defop("reverse", lambda xp, x, axis: xp.flip(x, axis), linear=True, aliases=True)
_reverse.def_vjp(lambda g, out, x, axis: _reverse(g, axis=tuple(a - x._v.ndim for a in axis)))


def reverse(tensor, axis, name=None):
    return _reverse(tensor, axis=tuple(int(a) % tensor._v.ndim for a in _ints(axis)))


def shape(input, out_type=None, name=None):
    from ..tensor import constant
    input = input if isinstance(input, _Base) else convert_to_tensor(input)
    return constant(np.array(input._v.shape, dtype=np.int32 if out_type is None else None), dtype=out_type)


def size(input, out_type=None, name=None):
    from ..tensor import constant
    return constant(int(np.prod(input.shape)), dtype=out_type)


def rank(input, name=None):
    from ..tensor import constant
    return constant(input._v.ndim)


__all__ = ["reshape", "transpose", "expand_dims", "squeeze", "broadcast_to", "concat", "stack", "unstack",
           "split", "tile", "getitem", "gather", "gather_grad", "scatter_into", "one_hot", "pad", "reverse",
           "shape", "size", "rank"]
