"""Matrix products."""
from ..op import defop
from ..tensor import _Base, convert_to_tensor
from ..errors import InvalidArgumentError
from .math import add


def _mm_fwd(xp, a, b, ta, tb):
    if ta:
        a = xp.swapaxes(a, -1, -2)
    if tb:
        b = xp.swapaxes(b, -1, -2)
    return xp.matmul(a, b)


def _mm_check(a, b, ta, tb):
    if a.ndim < 2 or b.ndim < 2:
        raise InvalidArgumentError(f"matmul: In[0] and In[1] must have rank >= 2, got shapes "
                                   f"{tuple(a.shape)} and {tuple(b.shape)}")
    k1 = a.shape[-2] if ta else a.shape[-1]
    k2 = b.shape[-1] if tb else b.shape[-2]
    if k1 != k2:
        raise InvalidArgumentError(f"matmul: Matrix size-incompatible: In[0]: {list(a.shape)}, In[1]: "
                                   f"{list(b.shape)} (transpose_a={ta}, transpose_b={tb}, dtypes "
                                   f"{a.dtype}, {b.dtype})")


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
    """``a @ b`` over the last two axes, batch axes broadcast."""
    return _matmul(a, b, ta=bool(transpose_a or adjoint_a), tb=bool(transpose_b or adjoint_b))


def tensordot(a, b, axes, name=None):
    from .shape import reshape, transpose
    a = a if isinstance(a, _Base) else convert_to_tensor(a)
    b = b if isinstance(b, _Base) else convert_to_tensor(b)
    if isinstance(axes, int):
        ax_a = list(range(a.ndim - axes, a.ndim))
        ax_b = list(range(axes))
    else:
        ax_a, ax_b = ([axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                      [axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    ax_a = [x % a.ndim for x in ax_a]
    ax_b = [x % b.ndim for x in ax_b]
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [i for i in range(b.ndim) if i not in ax_b]
    sa, sb = a.shape, b.shape
    k = 1
    for i in ax_a:
        k *= sa[i]
    ma = transpose(a, free_a + ax_a)
    mb = transpose(b, ax_b + free_b)
    out = _matmul(reshape(ma, (-1, k)), reshape(mb, (k, -1)), ta=False, tb=False)
    return reshape(out, [sa[i] for i in free_a] + [sb[i] for i in free_b])


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
