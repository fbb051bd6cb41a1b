"""Shape ops.  Rules are written for cotangents with extra leading batch axes
(``nb = g.ndim - out.ndim``), which is what vectorised jacobians send.

The public functions check their arguments as TensorFlow 2.21 does, before any compute: axes
in ``[-rank, rank)`` (never wrapped), integer arguments (a float is an error, never truncated),
indices in range, and the size of every output they allocate (``checks.check_size``).  Rules and
other internal callers pass tuples of ints, which take a fast path through the same wrappers.
"""
import math
import weakref

import numpy as np

from ..op import defop
from ..kernels import kernel
from ..tensor import _Base, convert_to_tensor
from ..errors import InvalidArgumentError
from .. import backend as _b
from .. import checks



def _nb(g, out):
    return g._v.ndim - out._v.ndim


_tensor = checks.as_tensor


def _int_tuple(shape):
    """True for a tuple of Python ints (what rules pass; anything else goes through ``checks.as_shape``)."""
    if type(shape) is not tuple:
        return False
    for d in shape:
        if type(d) is not int:
            return False
    return True


def _ints(shape, op="shape", arg="shape", float_error=InvalidArgumentError):
    """A shape-like argument as a tuple of ints (see ``checks.as_shape``); tuples of
    non-negative ints (what rules pass) return at once."""
    if type(shape) is tuple:
        for d in shape:
            if type(d) is not int or d < 0:
                break
        else:
            return shape
    return checks.as_shape(shape, op, arg, float_error)


# ---------------------------------------------------------------- reshape
def _check_reshape(x, shape):
    free = -1
    n = 1
    for i, d in enumerate(shape):
        if d == -1:
            if free >= 0:
                raise InvalidArgumentError(f"reshape: Only one input size may be -1, not both {free} and {i} "
                                           f"(shape {list(shape)})")
            free = i
        elif d < 0:
            raise InvalidArgumentError(f"reshape: Size {i} must be non-negative, not {d} (shape {list(shape)})")
        else:
            n *= d
    if n > checks._INT64_MAX:
        raise InvalidArgumentError(f"reshape: Shape {list(shape)} has too many elements")
    if (free < 0 and n != x.size) or (free >= 0 and (n == 0 or x.size % n)):
        raise InvalidArgumentError(f"reshape: Input to reshape is a tensor with {x.size} values, but the requested "
                                   f"shape {list(shape)} has {n}{' (times an unknown -1)' if free >= 0 else ''} "
                                   f"(input shape {tuple(x.shape)}, dtype {x.dtype})")


_reshape = defop("reshape", lambda xp, x, shape: xp.reshape(x, shape), linear=True, aliases=True,
                 check=_check_reshape)
_reshape.def_vjp(lambda g, out, x, shape: _reshape(g, shape=tuple(g._v.shape[:_nb(g, out)]) + tuple(x._v.shape)))


def reshape(tensor, shape, name=None):
    """``tensor`` with a new shape (one dimension may be -1).

    ``shape``: an int, a list or tuple of ints, a 1-D integer tensor or a TensorShape.  As TF 2.21:
    a float in it is an InvalidArgumentError, as are a second -1, another negative size, a size
    that does not match and more than 2**63-1 elements.
    """
    if not _int_tuple(shape):
        shape = checks.as_shape(shape, "reshape", "shape", InvalidArgumentError)
    return _reshape(_tensor(tensor, "reshape", "tensor"), shape=shape)


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


def _norm_perm(perm, r):
    """``perm`` as a permutation of range(r); entries in [-r, r) (TF adds r to a negative one)."""
    p = checks.as_shape(perm, "transpose", "perm", InvalidArgumentError)
    if len(p) != r:
        raise InvalidArgumentError(f"transpose: transpose expects a vector of size {r}. But input(1) is a vector of "
                                   f"size {len(p)} (perm {list(p)})")
    out = []
    for d in p:
        q = d + r if d < 0 else d
        if not 0 <= q < r:
            raise InvalidArgumentError(f"transpose: {d if d >= 0 else q} is out of range [0 .. {r}) (perm {list(p)} "
                                       f"for a tensor of rank {r})")
        out.append(q)
    for i in range(r):
        if i not in out:
            raise InvalidArgumentError(f"transpose: {i} is missing from {{{','.join(map(str, out))}}} (perm {list(p)} "
                                       f"is not a permutation)")
    return tuple(out)


def transpose(a, perm=None, conjugate=False, name=None):
    """``a`` with its axes permuted (reversed when ``perm`` is None); entries of ``perm`` may be negative
    (as TF 2.21); a float, an out-of-range or a repeated entry is an InvalidArgumentError."""
    a = _tensor(a, "transpose", "a")
    r = a._v.ndim
    if perm is None:
        perm = tuple(range(r - 1, -1, -1))
    elif type(perm) is not tuple or len(perm) != r or not all(type(d) is int and 0 <= d < r for d in perm):
        perm = _norm_perm(perm, r)
    return _transpose(a, perm=perm)


def expand_dims(input, axis, name=None):
    """``input`` with a new axis of size 1 at ``axis``, in ``[-rank-1, rank]`` (TF: InvalidArgumentError
    "Tried to expand dim index 3 for tensor with 2 dimensions" outside it; TypeError for a float)."""
    input = _tensor(input, "expand_dims", "input")
    s = tuple(input._v.shape)
    if type(axis) is not int:
        ax = checks.as_shape(axis, "expand_dims", "axis", TypeError)
        if len(ax) != 1:
            raise InvalidArgumentError(f"expand_dims: 'dim' must be a tensor with a single value, got axis={list(ax)}")
        axis = ax[0]
    r = len(s)
    if not -r - 1 <= axis <= r:
        raise InvalidArgumentError(f"expand_dims: Tried to expand dim index {axis} for tensor with {r} dimensions "
                                   f"(shape {list(s)}; axis must be in [{-r - 1}, {r}])")
    if axis < 0:
        axis += r + 1
    return _reshape(input, shape=s[:axis] + (1,) + s[axis:])


def squeeze(input, axis=None, name=None):
    """``input`` without the size-1 axes listed in ``axis`` (all of them when None).  As TF 2.21, a
    repeated axis is allowed; one outside ``[-rank, rank)`` or of size other than 1 is an
    InvalidArgumentError; a float axis is a TypeError (TF truncates it)."""
    input = _tensor(input, "squeeze", "input")
    s = tuple(input._v.shape)
    r = len(s)
    if axis is None:
        return _reshape(input, shape=tuple(d for d in s if d != 1))
    axes = set()
    for a in checks.as_shape(axis, "squeeze", "axis", TypeError):
        if not -r <= a < r:
            raise InvalidArgumentError(f"squeeze: Tried to squeeze dim index {a} for tensor with {r} dimensions "
                                       f"(shape {list(s)})")
        a = a + r if a < 0 else a
        if s[a] != 1:
            raise InvalidArgumentError(f"squeeze: Can not squeeze dim[{a}], expected a dimension of 1, "
                                       f"got {s[a]} (shape {list(s)})")
        axes.add(a)
    return _reshape(input, shape=tuple(d for i, d in enumerate(s) if i not in axes))


def _bcast_check(x, shape):
    xs = tuple(x.shape)
    shape = tuple(shape)
    if len(xs) > len(shape):
        raise InvalidArgumentError(f"broadcast_to: Rank of input ({len(xs)}) must be no greater than rank of output "
                                   f"shape ({len(shape)}) (input shape {list(xs)}, shape {list(shape)})")
    if not all(a == 1 or a == b for a, b in zip(xs[::-1], shape[::-1])):
        raise InvalidArgumentError(f"broadcast_to: Incompatible shapes: {list(xs)} vs. {list(shape)}")


def _broadcast_to_fwd(xp, x, shape):
    if xp is np and len(shape) and math.prod(shape) <= 4096:
        out = np.empty(shape, dtype=x.dtype)    # small: a copy is cheaper than numpy's view machinery
        np.copyto(out, x)
        return out
    return xp.broadcast_to(x, shape)


_broadcast_to = defop("broadcast_to", _broadcast_to_fwd, linear=True, aliases=True, check=_bcast_check)
_broadcast_to.def_vjp(lambda g, out, x, shape: g)   # the sweep sums g back to x's shape


def broadcast_to(input, shape, name=None):
    """``input`` broadcast to ``shape`` (TF materialises the result, so its size is checked here even
    where NumPy would return a view: ResourceExhaustedError beyond memory, InvalidArgumentError for
    a negative dimension or more than 2**63-1 elements)."""
    shape = _ints(shape, "broadcast_to", "shape")
    input = _tensor(input, "broadcast_to", "input")
    checks.check_size(shape, input._v.dtype, "broadcast_to", "output shape")
    return _broadcast_to(input, shape=shape)


# ---------------------------------------------------------------- concat / stack / split
def _concat_fwd(xp, *xs, axis):
    return xp.concatenate(xs, axis=axis)


def _concat_check(*xs, axis):
    r = xs[0].ndim
    if r == 0:
        raise InvalidArgumentError("concat: ConcatOp : Can't concatenate scalars (use tf.stack instead)")
    s0 = xs[0].shape
    for k, x in enumerate(xs):
        if x.ndim != r:
            raise InvalidArgumentError(f"concat: ConcatOp : Ranks of all input tensors should match: shape[0] = "
                                       f"{list(s0)} vs. shape[{k}] = {list(x.shape)}")
        for i, (a, b) in enumerate(zip(s0, x.shape)):
            if i != axis and a != b:
                raise InvalidArgumentError(f"concat: ConcatOp : Dimension {i} in both shapes must be equal: shape[0] "
                                           f"= {list(s0)} vs. shape[{k}] = {list(x.shape)} (axis {axis})")


_concat = defop("concat", _concat_fwd, linear=True, check=_concat_check)


@_concat.def_vjp_all
def concat_vjp(g, out, inputs, needs, axis):
    """dx_i = the slice of g that x_i filled"""
    ax = axis - out._v.ndim          # negative (axis is checked, >= 0): valid with batch axes in front
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


def _same_dtype(values, op):
    d0 = values[0]._v.dtype
    for k, v in enumerate(values):
        if v._v.dtype != d0:
            raise InvalidArgumentError(f"{op}: cannot compute {op} as input #{k}(zero-based) was expected to be a "
                                       f"{d0.name} tensor but is a {v._v.dtype.name} tensor (dtypes "
                                       f"{[v._v.dtype.name for v in values]})")


def concat(values, axis, name=None):
    """``values`` joined along ``axis``, in ``[-rank, rank)`` (TF 2.21: InvalidArgumentError outside it,
    TypeError for a float; one value is returned as is, its axis unchecked, as TF does)."""
    if not isinstance(values, (list, tuple)):
        values = [values]                       # TF: one tensor is one value
    if not values:
        raise InvalidArgumentError("concat: values must be a non-empty list of tensors, got an empty list (TF: "
                                   "OpKernel 'ConcatV2' has constraint on attr 'T' not in NodeDef '[N=0]')")
    values = [_tensor(v, "concat", "values") for v in values]
    axis = checks.as_int(axis, "concat", "axis")
    if len(values) == 1:
        from .math import identity
        return identity(values[0])
    _same_dtype(values, "concat")
    r = values[0]._v.ndim
    if r and not -r <= axis < r:
        raise InvalidArgumentError(f"concat: ConcatOp : Expected concatenating dimensions in the range [{-r}, {r}), "
                                   f"but got {axis} (shapes {[list(v._v.shape) for v in values]})")
    return _concat(*values, axis=axis + r if axis < 0 else axis)


def stack(values, axis=0, name=None):
    """``values`` (tensors of one shape) joined along a new ``axis`` in ``[-rank-1, rank]``.

    As TF 2.21: ``stack([])`` is a float32 tensor of shape [0]; an axis out of range is a ValueError
    (ours: InvalidArgumentError); a float axis a TypeError (TF truncates it).
    """
    axis = checks.as_int(axis, "stack", "axis")
    if not isinstance(values, (list, tuple)):
        values = list(_tensor(values, "stack", "values"))
    if not values:
        if axis != 0:
            raise InvalidArgumentError(f"stack: an empty list has no axis {axis}; only axis=0 gives the float32 "
                                       f"tensor of shape [0]")
        return convert_to_tensor(np.zeros((0,), np.float32))
    values = [_tensor(v, "stack", "values") for v in values]
    s0 = values[0]._v.shape
    for k, v in enumerate(values):
        if v._v.shape != s0:
            raise InvalidArgumentError(f"stack: Shapes of all inputs must match: values[0].shape = {list(s0)} != "
                                       f"values[{k}].shape = {list(v._v.shape)}")
    _same_dtype(values, "stack")
    r = len(s0)
    if not -r - 1 <= axis <= r:
        raise InvalidArgumentError(f"stack: Argument `axis` = {axis} not in range [{-r - 1}, {r + 1})")
    if axis < 0:
        axis += r + 1
    shape = tuple(s0[:axis]) + (1,) + tuple(s0[axis:])
    parts = [_reshape(v, shape=shape) for v in values]
    if len(parts) == 1:
        return parts[0]
    return _concat(*parts, axis=axis)


def _axis_of(value, axis, op):
    """One axis of ``value`` in ``[-rank, rank)``, as a non-negative int (TF's InvalidArgumentError outside)."""
    r = value._v.ndim
    a = checks.as_int(axis, op, "axis")
    if not -r <= a < r:
        raise InvalidArgumentError(f"{op}: Argument `axis` = {a} not in range [{-r}, {r}) (input shape "
                                   f"{list(value._v.shape)})")
    return a + r if a < 0 else a


def unstack(value, num=None, axis=0, name=None):
    """The slices of ``value`` along ``axis`` (a list, as TF 2.21; ``num`` must match the axis size)."""
    value = _tensor(value, "unstack", "value")
    axis = _axis_of(value, axis, "unstack")
    n = value._v.shape[axis]
    if num is not None and checks.as_int(num, "unstack", "num") != n:
        raise InvalidArgumentError(f"unstack: Input shape axis {axis} must equal {num}, got shape "
                                   f"{list(value._v.shape)}")
    pre = (slice(None),) * axis
    return [getitem(value, pre + (i,)) for i in range(n)]


def _split_sizes(spec, n, axis, shape):
    if isinstance(spec, (bool, np.bool_, float, np.floating)) or (
            isinstance(spec, _Base) and spec._v.ndim == 0):
        raise ValueError(f"split: Rank-0 tensors are not supported as the num_or_size_splits argument to split. "
                         f"Argument provided: {spec!r}")
    if isinstance(spec, (int, np.integer)):
        k = int(spec)
        if k < 1:
            raise InvalidArgumentError(f"split: Value for attr 'num_split' of {k} must be at least minimum 1")
        if n % k:
            raise InvalidArgumentError(f"split: Number of ways to split should evenly divide the split "
                                       f"dimension, but got split_dim {axis} (size = {n}) and num_split {k}")
        return [n // k] * k
    sizes = list(checks.as_shape(spec, "split", "num_or_size_splits", InvalidArgumentError))
    if sizes.count(-1) > 1:
        raise InvalidArgumentError(f"split: There can only be one -1 in the input (size_splits {sizes}).")
    for i, d in enumerate(sizes):
        if d < -1:
            raise InvalidArgumentError(f"split: Split size at index {i} must be >= 0. Got: {d}")
    known = sum(d for d in sizes if d != -1)
    if (-1 in sizes and known > n) or (-1 not in sizes and known != n):
        raise InvalidArgumentError(f"split: Determined shape must either match input shape along split_dim exactly "
                                   f"if fully specified, or be less than the size of the input along split_dim if "
                                   f"not fully specified.  Got: {known} (size_splits {sizes}, input shape "
                                   f"{list(shape)}, axis {axis})")
    if -1 in sizes:
        sizes[sizes.index(-1)] = n - known
    return sizes


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """``value`` cut along ``axis`` into equal parts (an int) or parts of the given sizes (one may be -1)."""
    value = _tensor(value, "split", "value")
    r = value._v.ndim
    a = checks.as_int(axis, "split", "axis")
    if not -r <= a < r:
        raise InvalidArgumentError(f"split: -input rank(-{r}) <= split_dim < input rank ({r}), but got {a}")
    axis = a + r if a < 0 else a
    n = value._v.shape[axis]
    sizes = _split_sizes(num_or_size_splits, n, axis, value._v.shape)
    if num is not None and not isinstance(num_or_size_splits, (int, np.integer)):
        k = checks.as_int(num, "split", "num")
        if k != len(sizes):
            raise InvalidArgumentError(f"split: size of the split_tensor must be 1-D and have the same elements as "
                                       f"outputs got 1 -D and {len(sizes)} elements (num={k})")
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
    """``input`` repeated ``multiples[i]`` times along axis i (TF 2.21: ``multiples`` a 1-D list of
    non-negative ints, one per axis; the output's size is checked before allocating)."""
    input = _tensor(input, "tile", "input")
    if isinstance(multiples, (int, np.integer)) and not isinstance(multiples, (bool, np.bool_)):
        raise InvalidArgumentError(f"tile: Expected multiples to be 1-D, but got shape [] (multiples={multiples})")
    m = _ints(multiples, "tile", "multiples")
    s = input._v.shape
    if len(m) != len(s):
        raise InvalidArgumentError(f"tile: Expected multiples argument to be a vector of length "
                                   f"{len(s)} but got length {len(m)} (input shape {list(s)})")
    for i, k in enumerate(m):
        if k < 0:
            raise InvalidArgumentError(f"tile: Expected multiples[{i}] >= 0, but got {k}")
    checks.check_size(tuple(a * b for a, b in zip(s, m)), input._v.dtype, "tile", "output shape")
    return _tile(input, multiples=m)


# ---------------------------------------------------------------- indexing
def _norm_key(key):
    """A hashable-enough key: tensors become ints or index arrays."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, _Base):
            a = k._v
            if a.dtype == np.bool_:
                raise TypeError("boolean tensor masks are not supported by tensor[...]; use "
                                "gputape.gather(x, gputape.reshape(gputape.where(mask), [-1]))")
            if a.dtype.kind not in "iu":
                raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                                f"tf.int32/tf.int64 tensors are valid indices, got a {a.dtype.name} tensor")
            # a device index stays on the device (issue 11 I: no read back per x[idx]; a 0-d array indexes
            # as an int does); its bounds are checked by _check_getitem, deferred on CuPy
            k = a if _b.is_cupy_array(a) else (int(a) if a.ndim == 0 else _b.get_xp().asarray(a))
        elif isinstance(k, (list, np.ndarray)):
            k = _b.get_xp().asarray(np.asarray(checks.as_tensor(k, "getitem", "index")))
        elif isinstance(k, slice):
            k = slice(*(None if v is None else (v if type(v) is int else _slice_bound(v, k))
                        for v in (k.start, k.stop, k.step)))
        elif isinstance(k, (float, np.floating, str, bool, np.bool_)):
            raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                            f"tf.int32/tf.int64 tensors are valid indices, got {k!r}")
        out.append(k)
    return tuple(out)


def _slice_bound(v, k):
    if isinstance(v, (float, np.floating, str, bool, np.bool_)) or \
            (isinstance(v, _Base) and v._v.dtype.kind not in "iu"):
        raise TypeError(f"slice indices must be integers or None, got {v!r} in {k!r}")
    return int(v)


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
        if not isinstance(k, (int, slice)) and getattr(k, "dtype", None) is not None and k.dtype.kind in "iu":
            # an index array (NumPy would raise IndexError, CuPy would wrap): TF's bounds, negative ones
            # counting from the end as for an int; on CuPy checked on the device, raised at the next read
            checks.check_indices(k, x.shape[d], "getitem", f"index of dimension {d}", lo=-x.shape[d])
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
    return xp.take(params, indices, axis=axis)      # indices checked by gather()


_gather = defop("gather", _gather_fwd)
# gradients made by a gather along axis 0 (what TF hands an optimizer as IndexedSlices), with their indices:
# id(gradient) -> (weakref to it, indices Tensor).  Optimizers whose update is not linear in the gradient
# read it (``gathered_rows``) to refuse a repeated index rather than differ silently from Keras.
_GATHERED = {}


def _gather_vjp(g, out, p, idx, axis):
    nb = _nb(g, out)
    r = gather_grad(g, idx, shape=tuple(p._v.shape), axis=axis, nb=nb)
    if axis == 0 and nb == 0:
        key = id(r)
        _GATHERED[key] = (weakref.ref(r, lambda _, k=key: _GATHERED.pop(k, None)), idx)
    return r


def gathered_rows(t):
    """The indices of the gather whose gradient ``t`` is (axis 0, no batch axes), else None."""
    e = _GATHERED.get(id(t))
    return e[1] if e is not None and e[0]() is t else None


_gather.def_vjp(_gather_vjp, None)


def _gather_grad_fwd(xp, g, idx, shape, axis, nb):
    z = xp.zeros(tuple(g.shape[:nb]) + shape, dtype=g.dtype)
    ax = nb + axis
    # bring the gathered axes to the front, then scatter-add whole slices
    gi = xp.moveaxis(g, list(range(ax, ax + idx.ndim)), list(range(idx.ndim)))
    gi = gi.reshape((-1,) + gi.shape[idx.ndim:])
    zt = xp.moveaxis(z, ax, 0)
    flat = idx.reshape(-1)            # in [0, shape[axis]): checked by gather()
    _b.scatter_add(zt, flat, gi)
    return z


# on CuPy the sorted, atomic-free kernel: deterministic and equal to this twin bit for bit
gather_grad = defop("gather_grad", _gather_grad_fwd, linear=True, cuda=kernel("nn.cu", "rows_add_sorted"))
gather_grad.def_vjp(lambda gg, out, g, idx, shape, axis, nb: _gather(gg, idx, axis=gg._v.ndim - len(shape) + axis),
                    None)


_GATHER_INDEX_DTYPES = ("int16", "int32", "int64")


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of ``params`` along ``axis``; the gradient is dense (TF's IndexedSlices, densified).

    As TF 2.21 on CPU: ``indices`` (int16/int32/int64) must lie in ``[0, params.shape[axis])``;
    a negative or too large index is an InvalidArgumentError ("indices[0] = -1 is not in [0, 3)"),
    never wrapped.  TF's GPU kernel writes zeros for bad indices instead; gputape checks on every
    backend, which on CuPy costs one device-to-host read per call.
    """
    if isinstance(batch_dims, (float, np.floating)):
        raise InvalidArgumentError(f"gather: Value for attr 'Taxis' of float is not in the list of allowed values: "
                                   f"int32, int64 (batch_dims={batch_dims!r})")
    if not (type(batch_dims) is int and batch_dims == 0):
        from .indexing import gather_batch_dims
        return gather_batch_dims(params, indices, axis, batch_dims)
    params = _tensor(params, "gather", "params")
    indices = _tensor(indices, "gather", "indices")
    if indices._v.dtype.name not in _GATHER_INDEX_DTYPES:
        raise InvalidArgumentError(f"gather: Value for attr 'Tindices' of {indices._v.dtype.name} is not in the list "
                                   f"of allowed values: int16, int32, int64 (indices shape {list(indices._v.shape)})")
    if isinstance(axis, (float, np.floating)):
        raise InvalidArgumentError(f"gather: Value for attr 'Taxis' of float is not in the list of allowed values: "
                                   f"int32, int64 (axis={axis!r})")
    r = params._v.ndim
    if r == 0:
        raise InvalidArgumentError("gather: params must be at least 1 dimensional (params is a scalar)")
    a = 0 if axis is None else checks.as_int(axis, "gather", "axis")
    if not -r <= a < r:
        raise InvalidArgumentError(f"gather: Shape must be at least rank {(a if a >= 0 else -a - 1) + 1} but is rank "
                                   f"{r} (axis={a} for params of shape {list(params._v.shape)})")
    axis = a + r if a < 0 else a
    s = params._v.shape
    # the check TF's CPU kernel makes (on CuPy: one scalar read back, the price of not wrapping silently)
    checks.check_indices(indices._v, s[axis], "gather", "indices")
    checks.check_size(tuple(s[:axis]) + tuple(indices._v.shape) + tuple(s[axis + 1:]), params._v.dtype, "gather", "output shape")
    return _gather(params, indices, axis=axis)


# ---------------------------------------------------------------- misc
def _one_hot_fwd(xp, idx, depth, on, off, axis, dtype):
    eye = (xp.arange(depth) == idx[..., None])
    out = xp.where(eye, on, off).astype(dtype, copy=False)
    if axis != -1 and axis != out.ndim - 1:
        out = xp.moveaxis(out, -1, axis)
    return out


_one_hot = defop("one_hot", _one_hot_fwd, nondiff=True)


_ONE_HOT_INDEX_DTYPES = ("uint8", "int8", "int32", "int64")


def _one_hot_value(v, hint, what):
    """on_value / off_value as a 0-d tensor, converted as TF does (``dtype`` a hint, not a cast)."""
    from ..dtypes import from_np
    if isinstance(v, (str, bytes)):
        raise TypeError(f"one_hot: {what} must be a number, got {v!r}")
    try:
        t = v if isinstance(v, _Base) else convert_to_tensor(v, dtype_hint=from_np(hint) if hint is not None else None)
    except (ValueError, TypeError):
        checks.as_tensor(v, "one_hot", what)        # raises, naming the argument
        raise
    if t._v.ndim:
        raise InvalidArgumentError(f"one_hot: {what} must be a scalar, but got: {list(t._v.shape)}")
    return t


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """A one-hot tensor: ``on_value`` where ``indices == j`` along a new axis of size ``depth``.

    As TF 2.21: indices uint8/int8/int32/int64 (out-of-range ones give a row of ``off_value``);
    ``depth`` a non-negative int (a float is a TypeError, a negative one an InvalidArgumentError);
    ``axis`` -1 or in ``[0, rank]``; the output dtype is ``dtype``, else on_value's, else off_value's,
    else float32, and on_value/off_value must have it (TypeError otherwise).
    """
    from ..dtypes import np_dtype
    indices = _tensor(indices, "one_hot", "indices")
    if indices._v.dtype.name not in _ONE_HOT_INDEX_DTYPES:
        raise InvalidArgumentError(f"one_hot: Value for attr 'TI' of {indices._v.dtype.name} is not in the list of "
                                   f"allowed values: uint8, int8, int32, int64 (indices shape "
                                   f"{list(indices._v.shape)})")
    if isinstance(depth, _Base) and depth._v.dtype.kind not in "iu":
        raise ValueError(f"one_hot: Tensor conversion requested dtype int32 for Tensor with dtype "
                         f"{depth._v.dtype.name}: depth={depth!r}")
    depth = checks.as_int(depth, "one_hot", "depth")
    if depth < 0:
        raise InvalidArgumentError(f"one_hot: depth must be non-negative, got: {depth}")
    r = indices._v.ndim
    axis = -1 if axis is None else checks.as_int(axis, "one_hot", "axis")
    if axis != -1 and not 0 <= axis <= r:
        raise InvalidArgumentError(f"one_hot: Expected axis to be -1 or between [0, {r + 1}).  But received: {axis} "
                                   f"(indices shape {list(indices._v.shape)})")
    npd = np_dtype(dtype) if dtype is not None else None
    on = None if on_value is None else _one_hot_value(on_value, npd, "on_value")
    off = None if off_value is None else _one_hot_value(off_value, npd, "off_value")
    for t, what in ((on, "on_value"), (off, "off_value")):
        if t is not None and npd is not None and t._v.dtype != npd:
            raise TypeError(f"one_hot: dtype {t._v.dtype.name} of {what} does not match dtype parameter {npd.name}")
    if on is not None and off is not None and on._v.dtype != off._v.dtype:
        raise TypeError(f"one_hot: dtype {on._v.dtype.name} of on_value does not match dtype {off._v.dtype.name} "
                        f"of off_value")
    if npd is None:
        npd = on._v.dtype if on is not None else off._v.dtype if off is not None else np.dtype(np.float32)
    if npd.kind == "b" and (on is None or off is None):
        raise TypeError(f"one_hot: Cannot convert {1 if on is None else 0} to EagerTensor of dtype bool (give "
                        f"on_value=True and off_value=False for a bool one-hot)")
    from ..op import _const
    xp = _b.get_xp()
    on_v = on._v if on is not None else _const(1, npd, xp)
    off_v = off._v if off is not None else _const(0, npd, xp)
    s = tuple(indices._v.shape)
    ax = r if axis == -1 else axis
    checks.check_size(s[:ax] + (depth,) + s[ax:], npd, "one_hot", "output shape")
    return _one_hot(indices, depth=depth, on=on_v, off=off_v, axis=axis, dtype=npd)


def _pad_fwd(xp, x, paddings, constant_values):
    return xp.pad(x, paddings, mode="constant", constant_values=constant_values)


_pad = defop("pad", _pad_fwd, linear=True)
_pad.def_vjp(lambda g, out, x, paddings, constant_values: _getitem(
    g, key=(Ellipsis,) + tuple(slice(a, a + d) for (a, b), d in zip(paddings, x._v.shape))))


def _paddings(paddings, x):
    """``paddings`` as ((before, after), ...) per axis of ``x``, checked as TF 2.21's Pad kernel."""
    rank = x._v.ndim
    if isinstance(paddings, _Base) or isinstance(paddings, np.ndarray):
        a = np.asarray(paddings)
        if a.dtype.kind not in "iu":
            raise InvalidArgumentError(f"pad: Value for attr 'Tpaddings' of {a.dtype.name} is not in the list of "
                                       f"allowed values: int32, int64 (paddings {a.tolist()!r})")
        rows = a.tolist() if a.ndim == 2 else None
        shape = list(a.shape)
    elif isinstance(paddings, (list, tuple)):
        if paddings and all(isinstance(r, (list, tuple, np.ndarray, _Base)) for r in paddings):
            rows = [list(checks.as_shape(r, "pad", "paddings", InvalidArgumentError)) for r in paddings]
            widths = {len(r) for r in rows}
            if len(widths) > 1:
                raise InvalidArgumentError(f"pad: paddings must be a matrix with 2 columns, got rows of lengths "
                                           f"{[len(r) for r in rows]}: {paddings!r}")
            shape = [len(rows), widths.pop()]
        else:
            flat = checks.as_shape(paddings, "pad", "paddings", InvalidArgumentError)
            rows, shape = (None, [len(flat)]) if flat else ([], [0, 2])
    else:
        raise InvalidArgumentError(f"pad: paddings must be an [rank, 2] integer matrix, got {paddings!r}")
    if rows is None or len(shape) != 2 or shape[1] != 2:
        raise InvalidArgumentError(f"pad: paddings must be a matrix with 2 columns: {shape} (paddings {paddings!r})")
    if shape[0] != rank:
        raise InvalidArgumentError(f"pad: The first dimension of paddings must be the rank of inputs{shape} "
                                   f"{list(x._v.shape)} (paddings {paddings!r})")
    for b, e in rows:
        if b < 0 or e < 0:
            raise InvalidArgumentError(f"pad: Paddings must be non-negative: {b} {e} (paddings {paddings!r})")
    return tuple((int(b), int(e)) for b, e in rows)


def _check_mirror(n, before, after, mode, axis):
    """TF's MirrorPad limits, on every axis: REFLECT pads less than the size, SYMMETRIC at most the size."""
    limit = n - 1 if mode == "REFLECT" else n
    if before > limit or after > limit:
        rel = "less than" if mode == "REFLECT" else "no greater than"
        raise InvalidArgumentError(f"pad: paddings must be {rel} the dimension size: {before}, {after} "
                                   f"{'not less than' if mode == 'REFLECT' else 'greater than'} {n} "
                                   f"(axis {axis}, mode {mode})")


def _mirror_index(n, before, after, mode):
    """Indices into an axis of length n that mirror-pad it (REFLECT excludes the edge, SYMMETRIC repeats it)."""
    return np.pad(np.arange(n), (before, after), mode=mode.lower()).astype(np.int64)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """``tensor`` padded by ``paddings`` ([rank, 2] non-negative ints) in mode CONSTANT, REFLECT or
    SYMMETRIC (any case).  As TF 2.21: a paddings matrix of the wrong shape, negative or float
    entries are InvalidArgumentError; ``constant_values`` must be a scalar of the tensor's dtype (a
    Python float for an integer tensor is a TypeError); the output's size is checked first.
    """
    tensor = _tensor(tensor, "pad", "tensor")
    m = mode.upper() if isinstance(mode, str) else mode
    if m not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f'pad: Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or '
                         f'"SYMMETRIC". Received `mode` = {mode}')
    p = _paddings(paddings, tensor)
    dt = tensor._v.dtype
    if not p:                                   # a scalar: nothing to pad
        return _reshape(tensor, shape=())
    checks.check_size(tuple(d + b + e for d, (b, e) in zip(tensor._v.shape, p)), dt, "pad", "output shape")
    if m != "CONSTANT":
        for ax, ((b, e), n) in enumerate(zip(p, tensor._v.shape)):
            _check_mirror(n, b, e, m, ax)
        out = tensor
        for ax, ((b, e), n) in enumerate(zip(p, tensor._v.shape)):
            if b or e:          # a gather per padded axis: its VJP sums the mirrored cotangents back
                out = _gather(out, convert_to_tensor(_mirror_index(n, b, e, m)), axis=ax)
        return out if out is not tensor else _reshape(tensor, shape=tuple(tensor._v.shape))
    if isinstance(constant_values, _Base):
        cv = constant_values
        if cv._v.ndim:
            raise InvalidArgumentError(f"pad: constant_values must be a scalar. Found: {list(cv._v.shape)}")
        if cv._v.dtype != dt:
            raise InvalidArgumentError(f"pad: cannot compute PadV2 as input #2(zero-based) was expected to be a "
                                       f"{dt.name} tensor but is a {cv._v.dtype.name} tensor (constant_values)")
        cv = _b.to_host(cv._v).reshape(())[()]     # a host read on CuPy: xp.pad takes a Python scalar
    else:
        from ..op import _const
        arr = constant_values if isinstance(constant_values, (int, float, np.generic)) else \
            np.asarray(checks.as_tensor(constant_values, "pad", "constant_values"))
        arr = np.asarray(arr)
        if arr.ndim:
            raise InvalidArgumentError(f"pad: constant_values must be a scalar. Found: {list(arr.shape)}")
        cv = _const(constant_values if isinstance(constant_values, (int, float)) else arr, dt, np)[()]
    return _pad(tensor, paddings=p, constant_values=cv)


_reverse = defop("reverse", lambda xp, x, axis: xp.flip(x, axis), linear=True, aliases=True)
_reverse.def_vjp(lambda g, out, x, axis: _reverse(g, axis=tuple(a - x._v.ndim if a >= 0 else a for a in axis)))


def reverse(tensor, axis, name=None):
    """``tensor`` with the axes in ``axis`` (a 1-D list, each in ``[-rank, rank)``, none twice) reversed,
    as TF 2.21's ReverseV2 (a scalar axis, an axis out of range or repeated: InvalidArgumentError)."""
    tensor = _tensor(tensor, "reverse", "tensor")
    if isinstance(axis, (int, np.integer)) or (isinstance(axis, _Base) and axis._v.ndim == 0):
        raise InvalidArgumentError(f"reverse: 'dims' must be 1-dimension, not 0 (axis={axis!r}; pass [{axis!r}])")
    r = tensor._v.ndim
    seen = []
    for i, a in enumerate(checks.as_shape(axis, "reverse", "axis", InvalidArgumentError)):
        if not -r <= a < r:
            raise InvalidArgumentError(f"reverse: 'axis'[{i}] = {a} is out of valid range [{-r}, {r}) for a tensor "
                                       f"of shape {list(tensor._v.shape)}")
        a = a + r if a < 0 else a
        if a in seen:
            raise InvalidArgumentError(f"reverse: axis {a} specified more than once (axis={list(axis)!r})")
        seen.append(a)
    return _reverse(tensor, axis=tuple(seen))


def _out_type(out_type, op):
    from ..dtypes import np_dtype
    npd = np.dtype(np.int32) if out_type is None else np_dtype(out_type)
    if npd.name not in ("int32", "int64"):
        raise InvalidArgumentError(f"{op}: Value for attr 'out_type' of {npd.name} is not in the list of allowed "
                                   f"values: int32, int64")
    return npd


def shape(input, out_type=None, name=None):
    """The shape of ``input`` as a 1-D int32 (or ``out_type`` int64) tensor."""
    from ..tensor import constant
    input = _tensor(input, "shape", "input")
    return constant(np.array(input._v.shape, dtype=_out_type(out_type, "shape")))


def size(input, out_type=None, name=None):
    """The number of elements of ``input`` as a 0-d int32 tensor (``out_type`` may name another dtype)."""
    from ..tensor import constant
    input = _tensor(input, "size", "input")
    return constant(math.prod(input._v.shape), dtype=out_type if out_type is not None else "int32")


def rank(input, name=None):
    """The rank of ``input`` as a 0-d int32 tensor."""
    from ..tensor import constant
    input = _tensor(input, "rank", "input")
    return constant(np.int32(input._v.ndim))


__all__ = ["reshape", "transpose", "expand_dims", "squeeze", "broadcast_to", "concat", "stack", "unstack",
           "split", "tile", "getitem", "gather", "gather_grad", "scatter_into", "one_hot", "pad", "reverse",
           "shape", "size", "rank"]
