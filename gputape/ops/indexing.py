"""Indexing and scatter ops: einsum, gather with ``batch_dims``, gather_nd, scatter_nd,
tensor_scatter_nd_*, boolean_mask, unique, searchsorted, and the in-place scatters of Variable.

Each differentiable op is a primitive of ``gputape.op`` whose VJP is written with gputape ops, so
gradients of any order follow; rules accept cotangents with extra leading batch axes (jacobians).
Arguments are checked as TensorFlow 2.21 checks them on the CPU, before any compute: an index out
of range is an InvalidArgumentError (TF's CPU kernels; its GPU kernels write zeros or skip), never
wrapped.  On CuPy that check reads one flag back to the host per call (as ``gather``'s does).
"""
import collections
import math
import re
import string

import numpy as np

from ..op import defop
from ..tensor import _Base, _wrap
from ..errors import InvalidArgumentError
from .. import backend as _b
from .. import checks
from .. import dtype_rules as _rules

_tensor = checks.as_tensor
_INDEX_DTYPES = ("int16", "int32", "int64")


def _nb(g, out):
    return g._v.ndim - out._v.ndim


def _shape(t):
    return tuple(t._v.shape)


# ================================================================ einsum
_LETTERS = string.ascii_letters
_PATHS = {}         # (equation, shapes) -> numpy.einsum_path's contraction list (host data, no arrays)


def _einsum_path(eq, shapes):
    key = (eq, shapes)
    p = _PATHS.get(key)
    if p is None:
        dummies = [np.broadcast_to(np.zeros((), np.float64), s) for s in shapes]   # shapes only, no memory
        p = np.einsum_path(eq, *dummies, optimize="greedy")[0]
        if len(_PATHS) < 4096:
            _PATHS[key] = p
    return p


def _pair(xp, a, b, la, lb, lo):
    """einsum(f"{la},{lb}->{lo}", a, b) as one batched matmul (BLAS / cuBLAS), labels unique per operand:
    labels of one operand only and not in the output are summed first, shared ones are batch axes
    (in the output) or contracted (not), the rest are the matrix rows and columns."""
    da = [i for i, c in enumerate(la) if c not in lb and c not in lo]
    if da:
        a = a.sum(axis=tuple(da))
        la = "".join(c for i, c in enumerate(la) if i not in da)
    db = [i for i, c in enumerate(lb) if c not in la and c not in lo]
    if db:
        b = b.sum(axis=tuple(db))
        lb = "".join(c for i, c in enumerate(lb) if i not in db)
    size = dict(zip(la, a.shape))
    size.update(zip(lb, b.shape))
    batch = [c for c in la if c in lb and c in lo]
    contr = [c for c in la if c in lb and c not in lo]
    aonly = [c for c in la if c not in lb]
    bonly = [c for c in lb if c not in la]

    def n(cs):
        return math.prod(size[c] for c in cs)
    # each operand as (batch, rows, cols): a pure reshape when its axes are already in either order, the
    # other order passed to matmul as a transposed view (BLAS takes it as is), so nothing is copied
    def mat(x, lx, first, second):
        if "".join(batch + second + first) == lx:
            return x.reshape(n(batch), n(second), n(first)).swapaxes(-1, -2)
        return x.transpose([lx.index(c) for c in batch + first + second]).reshape(n(batch), n(first), n(second))
    at = mat(a, la, aonly, contr)
    bt = mat(b, lb, contr, bonly)
    cur = batch + aonly + bonly
    r = xp.matmul(at, bt).reshape([size[c] for c in cur])
    return r.transpose([cur.index(c) for c in lo])


def _einsum_fwd(xp, *xs, eq):
    ins, out = _eq_parts(eq)
    if len(xs) == 1:
        return xp.einsum(eq, xs[0]).copy()
    if len(xs) == 2:
        return _pair(xp, xs[0], xs[1], ins[0], ins[1], out)
    # more inputs: NumPy's greedy contraction order (cached), each step one batched matmul
    path = _einsum_path(eq, tuple(x.shape for x in xs))
    ops = list(zip(xs, ins))
    for step in path[1:]:
        picked = [ops[i] for i in step]
        for i in sorted(step, reverse=True):
            del ops[i]
        rest = "".join(lab for _, lab in ops) + out
        labs = "".join(dict.fromkeys("".join(lab for _, lab in picked)))
        keep = "".join(c for c in labs if c in rest)
        if len(picked) == 1:
            r = xp.einsum(f"{picked[0][1]}->{keep}", picked[0][0])
        else:
            r, lr = picked[0]
            for x, lx in picked[1:]:
                both = "".join(dict.fromkeys(lr + lx))
                rest2 = rest + "".join(lab for _, lab in picked if lab is not lx)
                k2 = "".join(c for c in both if c in rest2 or c in keep)
                r, lr = _pair(xp, r, x, lr, lx, k2), k2
            r = xp.einsum(f"{lr}->{keep}", r) if lr != keep else r
        ops.append((r, keep))
    (r, lab), = ops
    return r if lab == out else xp.einsum(f"{lab}->{out}", r)


_einsum = defop("einsum", _einsum_fwd)


def _eq_parts(eq):
    lhs, out = eq.split("->")
    return lhs.split(","), out


@_einsum.def_vjp_all
def einsum_vjp(g, out, inputs, needs, eq):
    """d x_i = einsum(g, the other inputs -> x_i's labels); labels x_i alone sums are broadcast back"""
    ins, o = _eq_parts(eq)
    nb = _nb(g, out)
    used = set(eq)
    bb = "".join([c for c in _LETTERS if c not in used][:nb])
    from .shape import _reshape, _broadcast_to
    grads = []
    for i, (x, need) in enumerate(zip(inputs, needs)):
        if not need:
            grads.append(None)
            continue
        others = [ins[j] for j in range(len(ins)) if j != i]
        keep = "".join(c for c in ins[i] if c in o or any(c in s for s in others))
        e = ",".join([bb + o] + others) + "->" + bb + keep
        r = _einsum(g, *[inputs[j] for j in range(len(ins)) if j != i], eq=e)
        if keep != ins[i]:
            xs = _shape(x)
            bs = tuple(g._v.shape[:nb])
            r = _reshape(r, shape=bs + tuple(d if c in keep else 1 for c, d in zip(ins[i], xs)))
            r = _broadcast_to(r, shape=bs + xs)
        grads.append(r)
    return grads


@_einsum.def_jvp
def _einsum_jvp(ts, out, *xs, eq):
    acc = None
    for i, t in enumerate(ts):
        if t is None:
            continue
        term = _einsum(*(xs[:i] + (t,) + xs[i + 1:]), eq=eq)
        acc = term if acc is None else acc + term
    return acc


def _diag_key(xp, src, dst, shape):
    """Index arrays that take the diagonal of axes sharing a label (``src`` -> unique ``dst``)."""
    k = len(dst)
    key = []
    for c, n in zip(src, shape):
        j = dst.index(c)
        key.append(xp.arange(n).reshape((n,) + (1,) * (k - 1 - j)))
    return (Ellipsis,) + tuple(key)


def _diag_fwd(xp, x, src, dst):
    return x[_diag_key(xp, src, dst, x.shape[x.ndim - len(src):])]


def _embed_fwd(xp, g, src, dst, shape):
    z = xp.zeros(g.shape[:g.ndim - len(dst)] + shape, g.dtype)
    z[_diag_key(xp, src, dst, shape)] = g
    return z


_einsum_diag = defop("einsum_diag", _diag_fwd, linear=True)
_einsum_embed = defop("einsum_embed", _embed_fwd, linear=True)
_einsum_diag.def_vjp(lambda g, out, x, src, dst: _einsum_embed(g, src=src, dst=dst, shape=_shape(x)[x._v.ndim - len(src):]))
_einsum_embed.def_vjp(lambda g, out, x, src, dst, shape: _einsum_diag(g, src=src, dst=dst))


def _einsum_error(msg):
    return InvalidArgumentError(f"einsum: {msg}")


def _split_term(t, equation):
    if "." in t.replace("...", "") or t.count("...") > 1:
        raise ValueError(f"einsum: Subscripts have incorrect format: {equation} (an ellipsis is three dots, "
                         f"at most one per term)")
    if "..." in t:
        pre, post = t.split("...")
        return pre, post, True
    return t, "", False


def _einsum_plan(equation, shapes):
    """The equation with ellipses made explicit: (input labels, output labels, per-input squeezes).

    As TF 2.21's ``einsum``: spaces are ignored; without ``->`` the output is the ellipsis then the
    labels that appear once, in sorted order; ellipsis dimensions broadcast (size 1 against n)."""
    eq = equation.replace(" ", "")
    m = re.match(r"^([a-zA-Z,.]+)(->[a-zA-Z.]*)?$", eq)
    if not m:
        raise ValueError(f"einsum: Subscripts have incorrect format: {equation}")
    terms = m.group(1).split(",")
    if len(terms) != len(shapes):
        raise ValueError(f'einsum: Got {len(shapes)} inputs for equation "{equation}", expecting {len(terms)}')
    parts = [_split_term(t, equation) for t in terms]
    ell = []
    for k, ((pre, post, has), s) in enumerate(zip(parts, shapes)):
        n = len(pre) + len(post)
        if (not has and len(s) != n) or (has and len(s) < n):
            raise _einsum_error(f"Expected input {k} to have rank {'at least ' if has else ''}{n} but got: "
                                f"{len(s)} (shape {list(s)}, equation {equation!r})")
        ell.append(tuple(s[len(pre):len(s) - len(post)]) if has else None)
    er = max([len(e) for e in ell if e is not None], default=0)
    try:
        bshape = np.broadcast_shapes(*[e for e in ell if e is not None]) if er else ()
    except ValueError:
        raise _einsum_error(f"Ellipsis dimensions of the inputs do not broadcast: "
                            f"{[list(e) for e in ell if e is not None]} (shapes {[list(s) for s in shapes]}, "
                            f"equation {equation!r})") from None
    used = set(eq)
    free = [c for c in _LETTERS if c not in used]
    if er > len(free):
        raise _einsum_error(f"too many labels in {equation!r} with {er} ellipsis dimensions")
    el = "".join(free[:er])
    ins, squeezes = [], []
    for (pre, post, has), e in zip(parts, ell):
        if not has:
            ins.append(pre)
            squeezes.append(None)
            continue
        mine = el[er - len(e):]
        drop = [j for j, (d, b) in enumerate(zip(e, bshape[er - len(e):])) if d == 1 and b != 1]
        squeezes.append([len(pre) + j for j in drop] if drop else None)
        ins.append(pre + "".join(c for j, c in enumerate(mine) if j not in drop) + post)
    if m.group(2) is None:
        counts = collections.Counter("".join(p + q for p, q, _ in parts))
        out = el + "".join(sorted(c for c, n in counts.items() if n == 1))
    else:
        pre, post, has = _split_term(m.group(2)[2:], equation)
        if er and not has:
            raise _einsum_error(f"Output contains {er} broadcasting dimension(s) but no ellipsis (...) was "
                                f"supplied in the output subscripts: {equation!r}")
        out = pre + (el if has else "") + post
    if len(set(out)) != len(out):
        raise ValueError(f"einsum: Output subscripts contain a label appearing more than once: {equation}")
    allin = set("".join(ins))
    for c in out:
        if c not in allin and c not in el:
            raise ValueError(f"einsum: Output subscripts contain the label {c} not present in the input "
                             f"subscripts: {equation}")
    return ins, out, squeezes


def einsum(equation, *inputs, optimize="greedy", name=None):
    """Einstein summation over ``inputs`` as TF 2.21's ``tf.einsum``.

    Any equation TF accepts: explicit (``'ij,jk->ik'``) or implicit (``'ij,jk'``: the output is the
    labels that appear once, sorted), ellipses that broadcast (``'...ij,...jk->...ik'``), repeated
    labels in one input (``'ii->i'``, diagonals) and any number of inputs.  Two inputs contract as one
    batched matmul (BLAS on NumPy, cuBLAS on CuPy); more inputs pair by pair in NumPy's greedy
    ``einsum_path`` order (cached per equation and shapes).  ``optimize`` is checked against TF's
    values (``'greedy'``, ``'optimal'``, ``'branch-2'``, ``'branch-all'``, ``'auto'``; TF ignores an
    unknown one for two inputs or fewer, gputape refuses it) and the greedy order is used for each.

    Dtypes as TF: float16/32/64, int32, int64; all inputs of one dtype (InvalidArgumentError
    otherwise).  Errors: a malformed equation or the wrong number of inputs is a ValueError; a rank
    or dimension mismatch, a repeated output label or an output label no input has is an
    InvalidArgumentError.  VJP: an einsum of the cotangent with the other inputs (any order).
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a string, got {equation!r}")
    if optimize not in ("greedy", "optimal", "branch-2", "branch-all", "auto"):
        raise ValueError(f"einsum: optimize must be one of 'greedy', 'optimal', 'branch-2', 'branch-all', "
                         f"'auto', got {optimize!r}")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)) and inputs[0] and \
            all(isinstance(a, _Base) for a in inputs[0]):
        inputs = tuple(inputs[0])
    xs = [_tensor(x, "einsum", "inputs") for x in inputs]
    if not xs:
        raise ValueError(f'einsum: Got 0 arguments for equation "{equation}", expecting at least 1')
    for k, x in enumerate(xs):
        _rules.check("einsum", x)
        if x._v.dtype != xs[0]._v.dtype:
            raise InvalidArgumentError(f"einsum: cannot compute Einsum as input #{k}(zero-based) was expected to be "
                                       f"a {xs[0]._v.dtype.name} tensor but is a {x._v.dtype.name} tensor")
    ins, out, squeezes = _einsum_plan(equation, [_shape(x) for x in xs])
    from .shape import _reshape
    sizes = {}
    for k, (x, lab, sq) in enumerate(zip(xs, ins, squeezes)):
        s = _shape(x)
        if sq:
            s = tuple(d for j, d in enumerate(s) if j not in sq)
            x = xs[k] = _reshape(x, shape=s)
        for c, d in zip(lab, s):
            if sizes.setdefault(c, d) != d:
                raise _einsum_error(f"Expected dimension {sizes[c]} for label {c!r} but input {k} has {d} "
                                    f"(shapes {[list(_shape(t)) for t in inputs if isinstance(t, _Base)]}, "
                                    f"equation {equation!r})")
        if len(set(lab)) != len(lab):
            dst = "".join(dict.fromkeys(lab))
            xs[k] = _einsum_diag(x, src=lab, dst=dst)
            ins[k] = dst
    checks.check_size(tuple(sizes.get(c, 1) for c in out), xs[0]._v.dtype, "einsum", "output shape")
    return _einsum(*xs, eq=",".join(ins) + "->" + out)


# ================================================================ gather with batch_dims
def gather_batch_dims(params, indices, axis, batch_dims):
    """``gather`` for ``batch_dims != 0`` (called by ``gather``): TF 2.21's semantics, built from
    reshape/transpose/gather so its gradient (of any order) follows."""
    from .shape import _reshape, _transpose, _gather
    from ..tensor import convert_to_tensor
    params = _tensor(params, "gather", "params")
    indices = _tensor(indices, "gather", "indices")
    if indices._v.dtype.name not in _INDEX_DTYPES:
        raise InvalidArgumentError(f"gather: Value for attr 'Tindices' of {indices._v.dtype.name} is not in the list "
                                   f"of allowed values: int16, int32, int64")
    ri, rp = indices._v.ndim, params._v.ndim
    b = checks.as_int(batch_dims, "gather", "batch_dims")
    if b < 0:
        b += ri
    if not 0 <= b <= ri:
        raise InvalidArgumentError(f"gather: batch_dims = {batch_dims} must be in [{-ri}, {ri}] for indices of "
                                   f"rank {ri}")
    a = b if axis is None else checks.as_int(axis, "gather", "axis")
    if a < 0:
        a += rp
    if not b <= a < rp:
        raise InvalidArgumentError(f"gather: batch_dims ({b}) must be less than or equal to axis ({a}), and axis "
                                   f"in [0, {rp}) for params of shape {list(_shape(params))}")
    ps, js = _shape(params), _shape(indices)
    if ps[:b] != js[:b]:
        raise InvalidArgumentError(f"gather: params.shape[:{b}] = {list(ps[:b])} should match indices.shape[:{b}] "
                                   f"= {list(js[:b])} (batch_dims={b})")
    checks.check_indices(indices._v, ps[a], "gather", "indices")
    B = math.prod(ps[:b])
    mid = ps[b:a]
    n = ps[a]
    rest = ps[a + 1:]
    # params -> [B, n, mid, rest] -> [B*n, mid, rest]; index + n * batch row
    perm = tuple(range(b)) + (a,) + tuple(range(b, a)) + tuple(range(a + 1, rp))
    p = _transpose(params, perm=perm) if a != b else params
    p = _reshape(p, shape=(B * n,) + mid + rest)
    xp = _b.get_xp()
    iv = indices._v.astype(np.int64, copy=False).reshape((B, -1)) + (xp.arange(B, dtype=np.int64) * n)[:, None]
    flat = _gather(p, convert_to_tensor(iv.reshape(-1)), axis=0)
    inner = js[b:]
    r = _reshape(flat, shape=ps[:b] + inner + mid + rest)
    if mid:
        k, m = len(inner), len(mid)
        perm = tuple(range(b)) + tuple(range(b + k, b + k + m)) + tuple(range(b, b + k)) + \
            tuple(range(b + k + m, b + k + m + len(rest)))
        r = _transpose(r, perm=perm)
    return r


# ================================================================ gather_nd / scatter_nd
def _flat_index(xp, idx, shape):
    """The row-major position of each index vector idx[..., :K] in ``shape[:K]`` (int64, idx.shape[:-1])."""
    K = idx.shape[-1]
    flat = idx[..., K - 1].astype(np.int64)
    stride = 1
    for k in range(K - 2, -1, -1):
        stride *= shape[k + 1]
        flat = flat + idx[..., k].astype(np.int64) * stride
    return flat


def _rows(a, nb, K):
    """``a`` with its K axes after the nb batch axes merged into one (a view for a contiguous ``a``)."""
    return a.reshape(a.shape[:nb] + (-1,) + a.shape[nb + K:])


def _gather_nd_fwd(xp, p, idx, nb):
    K = idx.shape[-1]
    if K == 0:
        m = idx.ndim - 1
        s = p.shape[:nb] + (1,) * m + p.shape[nb:]
        return xp.broadcast_to(p.reshape(s), p.shape[:nb] + idx.shape[:-1] + p.shape[nb:]).copy()
    return xp.take(_rows(p, nb, K), _flat_index(xp, idx, p.shape[nb:]), axis=nb)


def _np_at(z, flat, u, ufunc):
    """ufunc.at(z, flat, u) over rows, by one sort and ``ufunc.reduceat`` (np.add.at is ~50x slower
    for 1e5 rows); repeated rows are combined first, so each row of z is written once."""
    if flat.size < 256:
        ufunc.at(z, flat, u)
        return
    d = math.prod(z.shape[1:])
    if ufunc is np.add and z.dtype.kind == "f" and d <= 256 and z.flags.c_contiguous:   # reshape: a view
        # a bincount per column: sums in float64, rounded once to z's dtype (3-4x faster than add.at)
        z2 = z.reshape(z.shape[0], d)
        u2 = np.broadcast_to(u, (flat.size,) + z.shape[1:]).reshape(flat.size, d)
        for j in range(d):
            z2[:, j] += np.bincount(flat, weights=u2[:, j], minlength=z.shape[0]).astype(z.dtype, copy=False)
        return
    order = np.argsort(flat)
    fs = flat[order]
    starts = np.flatnonzero(np.concatenate([np.ones(1, bool), fs[1:] != fs[:-1]]))
    red = ufunc.reduceat(np.take(u, order, axis=0), starts, axis=0)
    ids = fs[starts]
    z[ids] = ufunc(z[ids], red)


_UFUNC = {"add": np.add, "max": np.maximum, "min": np.minimum, "mul": np.multiply}


# CuPy 14's ufunc.at (cupyx.scatter_*): the dtypes its atomics take; anything else is a TypeError there.
# Its float maximum/minimum go through fmaxf/fminf (float64 rounded to float32, NaN dropped), so only
# integers use them directly; other dtypes scatter order-preserving integer keys (exact, NaN wins as NumPy's).
_DEV_ADD = frozenset(np.dtype(d) for d in ("int32", "int64", "uint32", "uint64", "float16", "float32", "float64"))
_DEV_MINMAX = frozenset(np.dtype(d) for d in ("int32", "int64", "uint32", "uint64"))
_KEY_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def _order_key(xp, a, mode):
    """Integers whose order is ``a``'s (float bits with the negatives' magnitude bits flipped; NaN the
    largest key for max, the smallest for min, so it wins as in np.maximum/minimum), in a dtype CuPy's
    maximum.at/minimum.at take exactly (int32 or int64)."""
    dt = a.dtype
    if dt.kind != "f":
        return a.astype(np.int32)               # bool, int8/16, uint8/16 (the others go to ufunc.at as they are)
    it = _KEY_INT[dt.itemsize]
    info = np.iinfo(it)
    bits = xp.ascontiguousarray(a).view(it)
    key = xp.where(bits < 0, bits ^ it(info.max), bits)
    key = xp.where(xp.isnan(a), it(info.max if mode == "max" else info.min), key)
    return key.astype(np.int32) if dt.itemsize == 2 else key


def _from_key(xp, key, dt):
    """``_order_key``'s inverse (a NaN key gives a NaN)."""
    if dt.kind != "f":
        return key.astype(dt)
    it = _KEY_INT[dt.itemsize]
    k = key.astype(it)
    return xp.where(k < 0, k ^ it(np.iinfo(it).max), k).view(dt)


def _device_at(xp, z, flat, u, mode):
    """z[flat] op= u (add/max/min) on CuPy, repeated rows combined, exact for every dtype: CuPy's ufunc.at
    where it is exact, else through a wider or integer-key copy (no host round trip)."""
    dt = z.dtype
    if mode == "add":
        if dt in _DEV_ADD:
            xp.add.at(z, flat, u)
        else:
            # int8/int16/uint8/uint16 wrap as they would in place: the sum in 32 bits, cut back; bool is "or"
            wide = z.astype(np.uint32 if dt.kind == "u" else np.int32)
            xp.add.at(wide, flat, u.astype(wide.dtype))
            z[...] = (wide != 0) if dt.kind == "b" else wide.astype(dt)
        return
    uf = xp.maximum if mode == "max" else xp.minimum
    if dt in _DEV_MINMAX:
        uf.at(z, flat, u.astype(dt, copy=False))
        return
    key = _order_key(xp, z, mode)
    uf.at(key, flat, _order_key(xp, u, mode))
    z[...] = _from_key(xp, key, dt)


def _scatter_at(xp, z, flat, u, mode):
    """z[flat] op= u along z's first axis, repeated rows combined (add/min/max/mul); ``flat`` 1-D."""
    if _b.is_cupy_array(z):
        if mode != "mul":
            _device_at(xp, z, flat, xp.broadcast_to(u, flat.shape + z.shape[1:]), mode)
            return
        # no multiplying scatter in CuPy: on the host (documented in segment_prod)
        h = _b.to_host(z)
        np.multiply.at(h, _b.to_host(flat), _b.to_host(u))
        z[...] = xp.asarray(h)
        return
    _np_at(z, flat, u, _UFUNC[mode])


def _last_wins(xp, flat, n):
    """For each position j of ``flat`` (values in [0, n)): the last position holding flat[j]'s value, so that
    ``z[flat] = u[_last_wins(...)]`` stores NumPy's (and TF's CPU kernel's) last update on a device too,
    where a repeated index in an assignment stores an undefined one of the values (CuPy's documented
    difference): every repeat then writes the same row."""
    last = xp.full((n,), -1, np.int64)
    xp.maximum.at(last, flat, xp.arange(flat.size, dtype=np.int64))
    return last[flat]


def _scatter_nd_into(xp, z, idx, u, nb, mode):
    """z (batch nb + shape, contiguous) op= u at the index vectors idx (in place)."""
    K = idx.shape[-1]
    z2 = _rows(z, nb, K)
    flat = _flat_index(xp, idx, z.shape[nb:]).reshape(-1)
    u2 = None if u is None else _rows(u, nb, idx.ndim - 1)
    if nb:
        z2 = xp.moveaxis(z2, nb, 0)
        u2 = None if u is None else xp.moveaxis(u2, nb, 0)
    if mode == "update":
        z2[flat] = xp.take(u2, _last_wins(xp, flat, z2.shape[0]), axis=0) if _b.is_cupy_array(z2) else u2
    elif mode == "zero":
        z2[flat] = 0
    else:
        _scatter_at(xp, z2, flat, u2, mode)


def _scatter_nd_fwd(xp, u, idx, shape, nb):
    z = xp.zeros(u.shape[:nb] + shape, u.dtype)
    if idx.shape[-1] == 0:
        m = idx.ndim - 1
        z += u.sum(axis=tuple(range(nb, nb + m)))
        return z
    _scatter_nd_into(xp, z, idx, u, nb, "add")
    return z


_gather_nd = defop("gather_nd", _gather_nd_fwd, linear=True)
_scatter_nd = defop("scatter_nd", _scatter_nd_fwd, linear=True)
_gather_nd.def_vjp(lambda g, out, p, idx, nb: _scatter_nd(g, idx, shape=_shape(p)[nb:], nb=nb + _nb(g, out)), None)
_scatter_nd.def_vjp(lambda g, out, u, idx, shape, nb: _gather_nd(g, idx, nb=nb + _nb(g, out)), None)


def _index_tensor(indices, op, allowed=("int32", "int64")):
    t = _tensor(indices, op, "indices")
    if t._v.dtype.name not in allowed:
        raise InvalidArgumentError(f"{op}: Value for attr 'Tindices' of {t._v.dtype.name} is not in the list of "
                                   f"allowed values: {', '.join(allowed)} (indices shape {list(_shape(t))})")
    if t._v.ndim == 0:
        raise InvalidArgumentError(f"{op}: indices must be at least a vector, got a scalar")
    return t


def _check_nd(idx, shape, op, what):
    """Every index vector idx[..., :K] inside ``shape[:K]`` (TF's CPU message).  On a device: one
    flag read back to the host, the check TF's CPU kernel makes (as ``checks.check_indices``)."""
    K = idx.shape[-1]
    if idx.size == 0 or K == 0:
        return
    bad = None
    for k in range(K):
        col = idx[..., k]
        b = (col < 0) | (col >= shape[k])
        bad = b if bad is None else bad | b
    if bool(bad.any()):
        _nd_error(_b.to_host(bad), _b.to_host(idx), shape, op, what)


def _nd_error(bad, idx, shape, op, what):
    K = idx.shape[-1]
    k = int(np.argmax(np.asarray(bad).reshape(-1)))
    pos = np.unravel_index(k, bad.shape)
    vec = np.asarray(idx).reshape(-1, K)[k]
    raise InvalidArgumentError(f"{op}: indices[{','.join(str(int(p)) for p in pos)}] = "
                               f"[{', '.join(str(int(v)) for v in vec)}] does not index into {what} "
                               f"[{','.join(str(d) for d in shape)}]")


def _batch_indices(idx, b):
    """indices [B..., I..., K] with the batch coordinates put in front: [B..., I..., b + K]."""
    xp = _b.get_xp()
    s = idx.shape
    grids = xp.meshgrid(*[xp.arange(d, dtype=idx.dtype) for d in s[:b]], indexing="ij") if b else []
    mids = s[b:-1]
    cols = [xp.broadcast_to(gr.reshape(s[:b] + (1,) * len(mids)), s[:-1])[..., None] for gr in grids]
    return xp.concatenate(cols + [idx], axis=-1)


def gather_nd(params, indices, batch_dims=0, name=None):
    """Slices of ``params`` at the index vectors in the last axis of ``indices``, as TF 2.21.

    Output shape ``indices.shape[:-1] + params.shape[batch_dims + K:]`` (K = indices.shape[-1]); with
    ``batch_dims`` the first dimensions of params and indices are batch dimensions that must agree.
    Indices int16/int32/int64 in range (TF's CPU: InvalidArgumentError "indices[1] = [2, 0] does not
    index into param shape [2,2]"); K larger than params' rank is an InvalidArgumentError.  The
    gradient is dense (scatter-added; TF returns IndexedSlices for params).
    """
    params = _tensor(params, "gather_nd", "params")
    indices = _index_tensor(indices, "gather_nd", _INDEX_DTYPES)
    b = checks.as_int(batch_dims, "gather_nd", "batch_dims")
    ps, js = _shape(params), _shape(indices)
    if b < 0:
        raise InvalidArgumentError(f"gather_nd: batch_dims is negative: {b}")
    if b >= len(js) or b > len(ps):
        raise InvalidArgumentError(f"gather_nd: batch_dims = {b} must be less than rank(indices) = {len(js)} and "
                                   f"at most rank(params) = {len(ps)}")
    if ps[:b] != js[:b]:
        raise InvalidArgumentError(f"gather_nd: params.shape[:{b}] = {list(ps[:b])} and indices.shape[:{b}] = "
                                   f"{list(js[:b])} must match (batch_dims={b})")
    K = js[-1]
    if b + K > len(ps):
        raise InvalidArgumentError(f"gather_nd: index innermost dimension length must be <= params rank; saw: "
                                   f"{K} vs. {len(ps) - b} (params shape {list(ps)}, indices shape {list(js)})")
    _check_nd(indices._v, ps[b:], "gather_nd", "param shape")
    idx = indices._v
    if b:
        idx = _batch_indices(idx, b)
    out_shape = js[:-1] + ps[b + K:]
    checks.check_size(out_shape, params._v.dtype, "gather_nd", "output shape")
    return _gather_nd(params, _wrap(idx), nb=0)


def _check_updates(op, js, us, shape, uname="updates"):
    K = js[-1]
    want = js[:-1] + tuple(shape[K:])
    if K > len(shape):
        raise InvalidArgumentError(f"{op}: Output must have rank at least {K} (the last dimension of indices) "
                                   f"but the shape is {list(shape)} (indices shape {list(js)})")
    if tuple(us) != want:
        raise InvalidArgumentError(f"{op}: {uname}.shape {list(us)} must be indices.shape[:-1] + shape[K:] = "
                                   f"{list(want)} (indices shape {list(js)}, shape {list(shape)})")


def scatter_nd(indices, updates, shape, name=None):
    """A zero tensor of ``shape`` with ``updates`` added at ``indices`` (repeated indices sum), as TF 2.21.

    ``updates.shape`` must be ``indices.shape[:-1] + shape[K:]``; an index outside ``shape`` is an
    InvalidArgumentError (TF's CPU kernel).  Differentiable in ``updates`` (the VJP gathers).
    """
    indices = _index_tensor(indices, "scatter_nd", _INDEX_DTYPES)
    updates = _tensor(updates, "scatter_nd", "updates")
    shape = checks.as_shape(shape, "scatter_nd", "shape", InvalidArgumentError)
    for d in shape:
        if d < 0:
            raise InvalidArgumentError(f"scatter_nd: shape must be non-negative, got {list(shape)}")
    js = _shape(indices)
    _check_updates("scatter_nd", js, _shape(updates), shape)
    _check_nd(indices._v, shape, "scatter_nd", "shape")
    checks.check_size(shape, updates._v.dtype, "scatter_nd", "shape")
    return _scatter_nd(updates, indices, shape=tuple(shape), nb=0)


# ---------------------------------------------------------------- tensor_scatter_nd_*
def _tscatter_fwd(xp, t, u, idx, mode, nb):
    out = t.copy()
    if idx.shape[-1] == 0:
        m = idx.ndim - 1
        if mode == "update":
            if u.shape[nb:nb + m] and math.prod(u.shape[nb:nb + m]):
                out[...] = u.reshape(u.shape[:nb] + (-1,) + u.shape[nb + m:])[(slice(None),) * nb + (-1,)]
            return out
        red = {"add": xp.sum, "sub": xp.sum, "min": xp.min, "max": xp.max}[mode]
        if not math.prod(u.shape[nb:nb + m]):
            return out
        r = red(u, axis=tuple(range(nb, nb + m)))
        if mode == "add":
            return out + r
        if mode == "sub":
            return out - r
        return xp.minimum(out, r) if mode == "min" else xp.maximum(out, r)
    if mode == "sub":
        _scatter_nd_into(xp, out, idx, -u, nb, "add")
    else:
        _scatter_nd_into(xp, out, idx, u, nb, mode)
    return out


def _zero_at_fwd(xp, g, idx, nb):
    out = g.copy()
    if idx.shape[-1] == 0:
        if math.prod(idx.shape[:-1]):
            out[...] = 0
        return out
    _scatter_nd_into(xp, out, idx, None, nb, "zero")
    return out


_tscatter_add = defop("tensor_scatter_nd_add", lambda xp, t, u, idx, nb: _tscatter_fwd(xp, t, u, idx, "add", nb),
                      linear=True)
_tscatter_sub = defop("tensor_scatter_nd_sub", lambda xp, t, u, idx, nb: _tscatter_fwd(xp, t, u, idx, "sub", nb),
                      linear=True)
_tscatter_update = defop("tensor_scatter_nd_update",
                         lambda xp, t, u, idx, nb: _tscatter_fwd(xp, t, u, idx, "update", nb), linear=True)
_tscatter_max = defop("tensor_scatter_nd_max", lambda xp, t, u, idx, nb: _tscatter_fwd(xp, t, u, idx, "max", nb))
_tscatter_min = defop("tensor_scatter_nd_min", lambda xp, t, u, idx, nb: _tscatter_fwd(xp, t, u, idx, "min", nb))
_zero_at = defop("tensor_scatter_zero", _zero_at_fwd, linear=True)
_zero_at.def_vjp(lambda g, out, x, idx, nb: _zero_at(g, idx, nb=nb + _nb(g, out)), None)

_tscatter_add.def_vjp(lambda g, out, t, u, idx, nb: g,
                      lambda g, out, t, u, idx, nb: _gather_nd(g, idx, nb=nb + _nb(g, out)), None)
_tscatter_sub.def_vjp(lambda g, out, t, u, idx, nb: g,
                      lambda g, out, t, u, idx, nb: -_gather_nd(g, idx, nb=nb + _nb(g, out)), None)
# TF's TensorScatterUpdate gradient: the replaced entries get none; every update (repeats too) gets g there
_tscatter_update.def_vjp(lambda g, out, t, u, idx, nb: _zero_at(g, idx, nb=nb + _nb(g, out)),
                         lambda g, out, t, u, idx, nb: _gather_nd(g, idx, nb=nb + _nb(g, out)), None)


def _tscatter_minmax_vjp(g, out, t, u, idx, nb):
    """TF 2.21's TensorScatterMax/Min gradient: ties between the tensor and updates split evenly."""
    from .math import equal, cast
    dt = g._v.dtype
    x_ind = cast(equal(t, out), dt)
    y_ind = cast(equal(u, _gather_nd(out, idx, nb=nb)), dt)
    ind = x_ind + _scatter_nd(y_ind, idx, shape=_shape(t)[nb:], nb=nb)
    nbg = nb + _nb(g, out)
    return [g * x_ind / ind, _gather_nd(g / ind, idx, nb=nbg) * y_ind, None]


for _op in (_tscatter_max, _tscatter_min):
    _op.def_vjp_all(lambda g, out, inputs, needs, nb: _tscatter_minmax_vjp(g, out, *inputs, nb=nb))

_TSCATTER = {"update": _tscatter_update, "add": _tscatter_add, "sub": _tscatter_sub, "min": _tscatter_min,
             "max": _tscatter_max}


def _tensor_scatter(mode, tensor, indices, updates):
    op = f"tensor_scatter_nd_{mode}"
    tensor = _tensor(tensor, op, "tensor")
    indices = _index_tensor(indices, op)
    updates = _tensor(updates, op, "updates", dtype=tensor.dtype if not isinstance(updates, _Base) else None)
    if updates._v.dtype != tensor._v.dtype:
        raise InvalidArgumentError(f"{op}: cannot compute {op} as input #2(zero-based) was expected to be a "
                                   f"{tensor._v.dtype.name} tensor but is a {updates._v.dtype.name} tensor")
    if mode != "update":
        _rules.check(op, tensor)                # before the index checks, as TF's attr check comes first
    shape = _shape(tensor)
    js = _shape(indices)
    if not shape:
        raise InvalidArgumentError(f"{op}: Output must be at least 1-D, got a scalar tensor")
    _check_updates(op, js, _shape(updates), shape)
    _check_nd(indices._v, shape, op, "shape")
    return _TSCATTER[mode](tensor, updates, indices, nb=0)


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """``tensor`` with the entries at ``indices`` replaced by ``updates`` (TF 2.21; with repeated
    indices the last update wins, as TF's CPU kernel, on CuPy too).  Gradient as TF's:
    zero for the replaced entries of ``tensor``, ``gather_nd(g, indices)`` for every update."""
    return _tensor_scatter("update", tensor, indices, updates)


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """``tensor`` plus ``updates`` added at ``indices`` (repeats accumulate), as TF 2.21."""
    return _tensor_scatter("add", tensor, indices, updates)


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """``tensor`` minus ``updates`` at ``indices`` (repeats accumulate), as TF 2.21."""
    return _tensor_scatter("sub", tensor, indices, updates)


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """Elementwise max of ``tensor`` and ``updates`` at ``indices``; gradient as TF's (ties split evenly)."""
    return _tensor_scatter("max", tensor, indices, updates)


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """Elementwise min of ``tensor`` and ``updates`` at ``indices``; gradient as TF's (ties split evenly)."""
    return _tensor_scatter("min", tensor, indices, updates)


# ---------------------------------------------------------------- Variable scatters (in place)
def variable_scatter(var, mode, indices, updates, nd):
    """``var`` updated in place at ``indices`` (``nd``: index vectors, as scatter_nd_*; else rows, as
    scatter_update), checked as the tensor versions; returns ``var`` (TF returns the variable)."""
    op = ("scatter_nd_" if nd else "scatter_") + mode
    indices = _index_tensor(indices, op) if nd else _tensor(indices, op, "indices")
    if not nd:
        if indices._v.dtype.name not in ("int32", "int64"):
            raise InvalidArgumentError(f"{op}: Value for attr 'Tindices' of {indices._v.dtype.name} is not in the "
                                       f"list of allowed values: int32, int64")
        from ..tensor import convert_to_tensor
        indices = convert_to_tensor(indices._v[..., None])
    updates = _tensor(updates, op, "updates", dtype=var.dtype if not isinstance(updates, _Base) else None)
    if updates._v.dtype != var._v.dtype:
        raise InvalidArgumentError(f"{op}: updates of dtype {updates._v.dtype.name} for a variable of dtype "
                                   f"{var._v.dtype.name}")
    shape = tuple(var._v.shape)
    js = _shape(indices)
    _check_updates(op, js, _shape(updates), shape)
    _check_nd(indices._v, shape, op, "shape")
    new = _tscatter_fwd(_b.get_xp(), var._v, updates._v, indices._v, mode, 0)
    var.assign(_wrap(new))
    return var


# ================================================================ boolean_mask
def boolean_mask(tensor, mask, axis=None, name=None):
    """The entries (or slices) of ``tensor`` where the boolean ``mask`` is true, as TF 2.21.

    ``mask`` (k-D, k >= 1; a numeric mask counts its non-zero entries, as TF) must match ``tensor.shape[axis:axis + k]`` (ValueError otherwise, as TF's
    Python wrapper; a scalar mask is a ValueError); the k masked axes become one.  Differentiable in
    ``tensor`` (a gather).  The result's size depends on the mask's values: on CuPy one host read.
    """
    from .shape import _reshape, _gather
    tensor = _tensor(tensor, "boolean_mask", "tensor")
    mask = _tensor(mask, "boolean_mask", "mask")
    k = mask._v.ndim
    if k == 0:
        raise ValueError("boolean_mask: mask cannot be scalar.")
    s = _shape(tensor)
    a = 0 if axis is None else checks.as_int(axis, "boolean_mask", "axis")
    if a < 0:
        a += len(s)
    if not 0 <= a or a + k > len(s):
        raise ValueError(f"boolean_mask: Shapes {list(s)} and {list(_shape(mask))} are incompatible (mask of "
                         f"rank {k} at axis {axis} of a tensor of rank {len(s)})")
    if s[a:a + k] != _shape(mask):
        raise ValueError(f"boolean_mask: Shapes {list(s[a:a + k])} and {list(_shape(mask))} are incompatible "
                         f"(tensor shape {list(s)}, axis {a})")
    t = _reshape(tensor, shape=s[:a] + (math.prod(s[a:a + k]),) + s[a + k:])
    xp = _b.get_xp()
    idx = xp.nonzero(mask._v.reshape(-1))[0].astype(np.int64)
    return _gather(t, _wrap(idx), axis=a)


# ================================================================ unique
Unique = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def _unique_fwd(xp, x, out_idx):
    # equal_nan=False on both: every NaN its own value, as TF (CuPy's default, like NumPy's, collapses them)
    u, first, inv, cnt = xp.unique(x, return_index=True, return_inverse=True, return_counts=True, equal_nan=False)
    order = xp.argsort(first, kind="stable")
    rank = xp.empty_like(order)
    rank[order] = xp.arange(order.size)
    return u[order], rank[inv.reshape(-1)].astype(out_idx), cnt[order].astype(out_idx)


_unique = defop("unique", _unique_fwd, nout=3, nondiff=True)


def _unique_call(x, out_idx, op):
    from ..dtypes import np_dtype
    x = _tensor(x, op, "x")
    npd = np_dtype(out_idx)
    if npd.name not in ("int32", "int64"):
        raise InvalidArgumentError(f"{op}: Value for attr 'out_idx' of {npd.name} is not in the list of allowed "
                                   f"values: int32, int64")
    if x._v.ndim != 1:
        raise InvalidArgumentError(f"{op}: unique expects a 1D vector, got shape {list(_shape(x))}")
    return _unique(x, out_idx=npd)


def unique(x, out_idx=np.int32, name=None):
    """(y, idx): the distinct values of 1-D ``x`` in order of first appearance and, for each entry of
    ``x``, the position of its value in ``y`` (TF 2.21; NaNs are all distinct, as TF).  No gradient."""
    y, idx, _ = _unique_call(x, out_idx, "unique")
    return Unique(y, idx)


def unique_with_counts(x, out_idx=np.int32, name=None):
    """(y, idx, count): as ``unique`` plus how often each value of ``y`` appears (TF 2.21)."""
    return UniqueWithCounts(*_unique_call(x, out_idx, "unique_with_counts"))


# ================================================================ searchsorted
def _searchsorted_fwd(xp, s, v, side, out_type):
    if s.ndim == 1:
        return xp.searchsorted(s, v, side=side).astype(out_type)
    lead = s.shape[:-1]
    s2 = s.reshape(-1, s.shape[-1])
    v2 = v.reshape(-1, v.shape[-1])
    if s2.shape[1] * v2.shape[1] * s2.shape[0] <= (1 << 22):
        cmp = (s2[:, None, :] < v2[:, :, None]) if side == "left" else (s2[:, None, :] <= v2[:, :, None])
        return cmp.sum(axis=-1).astype(out_type).reshape(lead + (v.shape[-1],))
    out = xp.empty(v2.shape, dtype=out_type)
    for r in range(s2.shape[0]):
        out[r] = xp.searchsorted(s2[r], v2[r], side=side)
    return out.reshape(lead + (v.shape[-1],))


_searchsorted = defop("searchsorted", _searchsorted_fwd, nondiff=True)


def searchsorted(sorted_sequence, values, side="left", out_type=np.int32, name=None):
    """Insertion points of ``values`` into the innermost axis of ``sorted_sequence`` (TF 2.21):
    leading dimensions must agree (InvalidArgumentError); ``side`` 'left' or 'right' (ValueError
    otherwise); ``out_type`` int32 or int64.  Each row of ``sorted_sequence`` must be sorted, as TF
    assumes (not checked: TF does not check either)."""
    from ..dtypes import np_dtype
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be either left or right, got {side!r}")
    s = _tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    v = _tensor(values, "searchsorted", "values")
    npd = np_dtype(out_type)
    if npd.name not in ("int32", "int64"):
        raise InvalidArgumentError(f"searchsorted: Value for attr 'out_type' of {npd.name} is not in the list of "
                                   f"allowed values: int32, int64")
    _rules.check("searchsorted", s)
    if s._v.dtype != v._v.dtype:
        raise InvalidArgumentError(f"searchsorted: cannot compute as values is a {v._v.dtype.name} tensor but "
                                   f"sorted_sequence is {s._v.dtype.name}")
    if s._v.ndim == 0 or v._v.ndim == 0:
        raise InvalidArgumentError(f"searchsorted: sorted_sequence and values must have rank >= 1, got shapes "
                                   f"{list(_shape(s))} and {list(_shape(v))}")
    if _shape(s)[:-1] != _shape(v)[:-1]:
        raise InvalidArgumentError(f"searchsorted: Leading dim_size of both tensors must match: sorted_sequence "
                                   f"{list(_shape(s))}, values {list(_shape(v))}")
    return _searchsorted(s, v, side=side, out_type=npd)


__all__ = ["einsum", "gather_nd", "scatter_nd", "tensor_scatter_nd_update", "tensor_scatter_nd_add",
           "tensor_scatter_nd_sub", "tensor_scatter_nd_min", "tensor_scatter_nd_max", "boolean_mask", "unique",
           "unique_with_counts", "searchsorted"]
