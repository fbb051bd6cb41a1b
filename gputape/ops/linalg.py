"""Matrix products."""
import math

import numpy as np

from ..op import defop
from ..tensor import _Base, convert_to_tensor
from ..errors import InvalidArgumentError
from .. import checks
from .math import add



def _mm_fwd(xp, a, b, ta, tb):
    if ta:
        a = a.swapaxes(-1, -2)          # the array's method: xp.swapaxes's view, without its Python wrapper
    if tb:
        b = b.swapaxes(-1, -2)
    return xp.matmul(a, b)


def _mm_check(a, b, ta, tb):
    if a.ndim == 2 and b.ndim == 2:
        # the usual case: matrices whose product is small and non-empty pass every check below
        (m, k1), (k2, n) = a.shape[::-1] if ta else a.shape, b.shape[::-1] if tb else b.shape
        if k1 == k2 and 0 < m * n <= checks._SMALL:
            return
    if a.ndim < 2 or b.ndim < 2:
        raise InvalidArgumentError(f"matmul: In[0] and In[1] must have rank >= 2, got shapes "
                                   f"{tuple(a.shape)} and {tuple(b.shape)}")
    k1 = a.shape[-2] if ta else a.shape[-1]
    k2 = b.shape[-1] if tb else b.shape[-2]
    if k1 != k2:
        raise InvalidArgumentError(f"matmul: Matrix size-incompatible: In[0]: {list(a.shape)}, In[1]: "
                                   f"{list(b.shape)} (transpose_a={ta}, transpose_b={tb}, dtypes "
                                   f"{a.dtype}, {b.dtype})")
    m = a.shape[-1] if ta else a.shape[-2]
    n = b.shape[-2] if tb else b.shape[-1]
    batch = _broadcast_batch(a.shape[:-2], b.shape[:-2]) if a.ndim > 2 or b.ndim > 2 else ()
    checks.check_size(batch + (m, n), a.dtype, "matmul", "output shape")   # an outer product can exceed memory


def _broadcast_batch(s1, s2):
    s1, s2 = tuple(s1), tuple(s2)
    r = max(len(s1), len(s2))
    s1, s2 = (1,) * (r - len(s1)) + s1, (1,) * (r - len(s2)) + s2
    return tuple(max(x, y) for x, y in zip(s1, s2))


_matmul = defop("matmul", _mm_fwd, same_dtype=(0, 1), check=_mm_check)


def matmul_da(g, out, a, b, ta, tb):
    """dA = g B^T (with the transposes folded in, as TF's MatMulGrad)"""
    if not ta:
        return _matmul(g, b, ta=False, tb=not tb)
    return _matmul(b, g, ta=tb, tb=True)


def matmul_db(g, out, a, b, ta, tb):
    """dB = A^T g"""
    if not tb:
        return _matmul(a, g, ta=not ta, tb=False)
    return _matmul(g, a, ta=True, tb=ta)


_matmul.def_vjp(matmul_da, matmul_db)


@_matmul.def_jvp
def matmul_jvp(ts, out, a, b, ta, tb):
    """dC = dA B + A dB"""
    ta_, tb_ = ts
    r = None if ta_ is None else _matmul(ta_, b, ta=ta, tb=tb)
    if tb_ is not None:
        s = _matmul(a, tb_, ta=ta, tb=tb)
        r = s if r is None else add(r, s)
    return r


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """``a @ b`` over the last two axes, batch axes broadcast.  ``a_is_sparse``/``b_is_sparse`` are
    hints (the result is the same); ``output_type`` other than the inputs' dtype is not supported."""
    if output_type is not None:
        from ..dtypes import np_dtype
        da = a._v.dtype if isinstance(a, _Base) else None
        if da is None or np_dtype(output_type) != da:
            raise NotImplementedError(f"matmul: output_type={output_type!r} is not supported (only the inputs' "
                                      f"dtype{'' if da is None else ' ' + da.name})")
    return _matmul(a, b, ta=bool(transpose_a or adjoint_a), tb=bool(transpose_b or adjoint_b))


def _tensordot_axes(a, b, axes):
    """(axes of a, axes of b), non-negative, checked as TF 2.21 (out-of-range and repeated axes are
    InvalidArgumentError here: TF leaks an IndexError or NumPy's broadcast error for them)."""
    ra, rb = a._v.ndim, b._v.ndim
    if isinstance(axes, (int, float, np.integer, np.floating)) or (isinstance(axes, _Base) and axes._v.ndim == 0):
        k = checks.as_int(axes, "tensordot", "axes")
        if k < 0:
            raise ValueError(f"tensordot: `axes` must be at least 0. Received: {k}.")
        if k > ra or k > rb:
            raise ValueError(f"tensordot: `axes` must not be larger than the number of dimensions of tensor "
                             f"(axes={k}, shapes {list(a._v.shape)} and {list(b._v.shape)})")
        ax_a, ax_b = tuple(range(ra - k, ra)), tuple(range(k))
    else:
        ax_a, ax_b = _axes_pair(axes, ra, rb)
    for i, j in zip(ax_a, ax_b):
        if a._v.shape[i] != b._v.shape[j]:
            raise InvalidArgumentError(f"tensordot: Matrix size-incompatible: axis {i} of a (shape {list(a._v.shape)}) "
                                       f"has size {a._v.shape[i]} but axis {j} of b (shape {list(b._v.shape)}) has "
                                       f"size {b._v.shape[j]}")
    return ax_a, ax_b


def _axes_pair(axes, ra, rb):
    if isinstance(axes, _Base):
        axes = axes.numpy().tolist()
    if not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise ValueError(f"tensordot: `axes` must be an integer or have length 2. Received {axes!r}.")
    ax_a = checks.as_shape(axes[0], "tensordot", "axes", TypeError)
    ax_b = checks.as_shape(axes[1], "tensordot", "axes", TypeError)
    if len(ax_a) != len(ax_b):
        raise ValueError(f"tensordot: Different number of contraction axes `a` and `b`, {len(ax_a)} != {len(ax_b)}.")
    return (checks.normalize_axes(list(ax_a), ra, "tensordot", "axes[0]"),
            checks.normalize_axes(list(ax_b), rb, "tensordot", "axes[1]"))


def tensordot(a, b, axes, name=None):
    """Sum over ``axes`` of ``a`` and ``b``: an int k (the last k of a with the first k of b) or a pair
    of axis lists; each axis in ``[-rank, rank)``, as TF 2.21."""
    from .shape import _reshape, _transpose
    a = a if isinstance(a, _Base) else convert_to_tensor(a)
    b = b if isinstance(b, _Base) else convert_to_tensor(b)
    ax_a, ax_b = _tensordot_axes(a, b, axes)
    free_a = tuple(i for i in range(a.ndim) if i not in ax_a)
    free_b = tuple(i for i in range(b.ndim) if i not in ax_b)
    sa, sb = a._v.shape, b._v.shape
    out_shape = tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b)
    checks.check_size(out_shape, a._v.dtype, "tensordot", "output shape")
    k = math.prod(sa[i] for i in ax_a)
    ma = _transpose(a, perm=free_a + ax_a)
    mb = _transpose(b, perm=ax_b + free_b)
    out = _matmul(_reshape(ma, shape=(math.prod(sa[i] for i in free_a), k)),
                  _reshape(mb, shape=(k, math.prod(sb[i] for i in free_b))), ta=False, tb=False)
    return _reshape(out, shape=out_shape)


def _mv_fwd(xp, a, b, ta):
    if a.ndim == 2:
        # one GEMM for a batch of vectors: (A b_i)_i = B A^T
        return xp.matmul(b, a if ta else a.T)
    if ta:
        a = xp.swapaxes(a, -1, -2)
    return xp.matmul(a, b[..., None])[..., 0]


def _mv_check(a, b, ta):
    k = a.shape[-2] if ta else a.shape[-1]
    if a.ndim < 2 or b.ndim < 1 or k != b.shape[-1]:
        raise InvalidArgumentError(f"matvec: a matrix [..., M, N] and a vector [..., N] are needed, got shapes "
                                   f"{tuple(a.shape)} and {tuple(b.shape)} (transpose_a={ta}, dtypes "
                                   f"{a.dtype}, {b.dtype})")


# a primitive rather than matmul between reshapes: Hessian-vector products and jacobians
# through matrix-vector products then cost a third of the ops
_matvec = defop("matvec", _mv_fwd, same_dtype=(0, 1), check=_mv_check)
_matvec.def_vjp(lambda g, out, a, b, ta: outer(b, g) if ta else outer(g, b),
                lambda g, out, a, b, ta: _matvec(a, g, ta=not ta))


@_matvec.def_jvp
def matvec_jvp(ts, out, a, b, ta):
    """d(Ab) = dA b + A db"""
    r = None if ts[0] is None else _matvec(ts[0], b, ta=ta)
    if ts[1] is not None:
        s = _matvec(a, ts[1], ta=ta)
        r = s if r is None else add(r, s)
    return r


outer = defop("outer", lambda xp, u, w: u[..., :, None] * w[..., None, :], same_dtype=(0, 1))
outer.def_vjp(lambda g, out, u, w: _matvec(g, w, ta=False),
              lambda g, out, u, w: _matvec(g, u, ta=True))


@outer.def_jvp
def outer_jvp(ts, out, u, w):
    """d(u w^T) = du w^T + u dw^T"""
    r = None if ts[0] is None else outer(ts[0], w)
    if ts[1] is not None:
        s = outer(u, ts[1])
        r = s if r is None else add(r, s)
    return r


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """``a @ b`` for a matrix (or batch of matrices) and a vector (or batch of vectors)."""
    return _matvec(a, b, ta=bool(transpose_a or adjoint_a))


__all__ = ["matmul", "tensordot", "matvec", "outer"]
