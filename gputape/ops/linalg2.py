"""Linear algebra beyond products (``tf.linalg``): factorizations, solves, determinants, diagonals.

Every op works on the last two axes and is batched over the leading ones.  Forwards call
``xp.linalg`` (NumPy's LAPACK, or CuPy's cuSOLVER/cuBLAS on the device); nothing here copies a
matrix to the host.  Where a factorization fails (a singular matrix for ``inv``/``solve``)
NumPy raises and gputape raises TF's InvalidArgumentError with TF's words; on CuPy the same comes
from cuSOLVER's ``info`` flags, which CuPy ignores by default (unchecked numbers come back):
gputape asks for them (``cupyx.errstate(linalg='raise')``), which reads them back from the device,
so ``inv``, ``solve`` and ``cholesky`` are the host-synchronising ones on CuPy (one read per call).
``cholesky`` of a matrix that is not positive definite gives NaN, and ``triangular_solve`` with a
zero on the diagonal inf/NaN, as TF 2.21 does (no error; on CuPy by cuBLAS trsm, which does not
synchronise).  Batch shapes that differ (TF's ``triangular_solve`` broadcasts them; the VJP rules meet
cotangents batched by ``jacobian``) are broadcast here, as CuPy's solvers do not.  ``expm`` reads back
one number (how many squarings the batch needs), as TF's while_loop does.

The VJP rules are TensorFlow 2.21's (``tensorflow/python/ops/linalg_grad.py``), written with
gputape ops so derivatives of any order go through them.  At degenerate eigenvalues (``eigh``) and
singular values (``svd``) TF's rules replace ``1/(l_i - l_j)`` by ``x/(x**2 + 1e-20)`` (its
``_SafeReciprocal``), so the eigenvector part of the gradient from a degenerate pair is 0 rather
than inf/NaN; the same here.
"""
import contextlib
import functools

import numpy as np

from ..op import defop
from ..errors import InvalidArgumentError
from .. import checks
from .. import dtype_rules as _rules
from .. import backend as _b
from .math import (add, subtract, multiply, negative, divide, where, greater, less, log, abs, square, cast,
                   zeros_like, reciprocal, is_finite, maximum, floor)
from .linalg import _matmul, matmul
from .shape import reshape, transpose, concat, expand_dims, _nb
from .reduce import reduce_sum, reduce_max


def _mT(x):
    """The last two axes swapped (TF's ``matrix_transpose``)."""
    n = x._v.ndim
    return transpose(x, list(range(n - 2)) + [n - 1, n - 2])


def _mm(a, b, ta=False, tb=False):
    return _matmul(a, b, ta=ta, tb=tb)


def _tensor(x, op, arg="input", dtype=None):
    return checks.as_tensor(x, op, arg, dtype=dtype)


def _matrix(x, op, square=False, arg="input", rule=None):
    """``x`` as a tensor of rank >= 2 (square if asked) with a dtype ``rule`` allows (TF's messages)."""
    x = _tensor(x, op, arg)
    _rules.check(rule or op, x)
    s = tuple(x._v.shape)
    if len(s) < 2:
        raise InvalidArgumentError(f"{op}: Input tensor {arg} must have rank >= 2, got shape {list(s)} "
                                   f"(dtype {x._v.dtype.name})")
    if square and s[-1] != s[-2]:
        raise InvalidArgumentError(f"{op}: Input matrices must be squares, got shape {list(s)} "
                                   f"(dtype {x._v.dtype.name})")
    return x


def _f16(fn):
    """NumPy and CuPy factorize float32/float64 only: float16 is computed in float32 and cast back."""
    @functools.wraps(fn)
    def run(xp, *a, **k):
        if a[0].dtype != np.float16:
            return fn(xp, *a, **k)
        out = fn(xp, *(v.astype(np.float32) if v.dtype == np.float16 else v for v in a), **k)
        if isinstance(out, tuple):
            return tuple(o.astype(np.float16) for o in out)
        return out.astype(np.float16)
    return run


def _checked(xp):
    """Where cuSOLVER's ``info`` flags are read back and a failure raised as LinAlgError: on CuPy only
    inside ``cupyx.errstate(linalg='raise')`` (CuPy's default, 'ignore', returns unchecked numbers for a
    singular or not positive definite matrix without a word); NumPy's LAPACK always raises."""
    if xp is np:
        return contextlib.nullcontext()
    return _b._cupyx_module().errstate(linalg="raise")


def _broadcast_batch(xp, a, b):
    """``a`` and ``b`` with their batch shapes (all but the last two axes) broadcast to a common one.
    NumPy's solve broadcasts them itself; CuPy's wants equal batch shapes (cotangents batched by
    ``jacobian`` meet an unbatched matrix in the VJP rules)."""
    if a.shape[:-2] == b.shape[:-2]:
        return a, b
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return (xp.ascontiguousarray(xp.broadcast_to(a, batch + a.shape[-2:])),
            xp.ascontiguousarray(xp.broadcast_to(b, batch + b.shape[-2:])))


def _linalg_error(op, what):
    def wrap(fn):
        fn = _f16(fn)

        @functools.wraps(fn)
        def run(xp, *a, **k):
            try:
                with _checked(xp):
                    return fn(xp, *a, **k)
            except np.linalg.LinAlgError as e:
                raise InvalidArgumentError(f"{op}: {what} ({e}; input shapes "
                                           f"{', '.join(str(list(v.shape)) for v in a)})") from None
            except Exception as e:      # noqa: BLE001  (CuPy's LinAlgError is its own class)
                if type(e).__name__ == "LinAlgError":
                    raise InvalidArgumentError(f"{op}: {what} ({e})") from None
                raise
        return run
    return wrap


# ---------------------------------------------------------------- diagonals and bands (linear)
def _diag_index(xp, m, n, k):
    """Row and column indices of diagonal ``k`` of an m x n matrix."""
    r0, c0 = max(-k, 0), max(k, 0)
    ln = max(min(m - r0, n - c0), 0)
    return xp.arange(ln) + r0, xp.arange(ln) + c0


def _diag_part_fwd(xp, x, k):
    i, j = _diag_index(xp, x.shape[-2], x.shape[-1], k)
    return x[..., i, j]


diag_part_op = defop("matrix_diag_part", _diag_part_fwd, linear=True)


def _diag_embed_fwd(xp, d, shape, k):
    """``d`` (with leading batch axes) placed on diagonal ``k`` of zero matrices of ``shape`` (m, n)."""
    m, n = shape
    out = xp.zeros(d.shape[:-1] + (m, n), dtype=d.dtype)
    i, j = _diag_index(xp, m, n, k)
    out[..., i, j] = d
    return out


diag_embed = defop("matrix_diag_embed", _diag_embed_fwd, linear=True)
diag_part_op.def_vjp(lambda g, out, x, k: diag_embed(g, shape=tuple(x._v.shape[-2:]), k=k))
diag_embed.def_vjp(lambda g, out, d, shape, k: diag_part_op(g, k=k))


def _set_diag_fwd(xp, x, d, k):
    out = x.copy()
    i, j = _diag_index(xp, x.shape[-2], x.shape[-1], k)
    out[..., i, j] = d
    return out


set_diag_op = defop("matrix_set_diag", _set_diag_fwd, same_dtype=(0, 1))
set_diag_op.def_vjp(lambda g, out, x, d, k: set_diag_op(g, zeros_like(diag_part_op(g, k=k)), k=k),
                    lambda g, out, x, d, k: diag_part_op(g, k=k))


def _band_fwd(xp, x, lower, upper):
    m, n = x.shape[-2], x.shape[-1]
    d = xp.arange(n)[None, :] - xp.arange(m)[:, None]      # column - row
    keep = xp.ones((m, n), dtype=bool)
    if lower >= 0:
        keep &= d >= -lower
    if upper >= 0:
        keep &= d <= upper
    return xp.where(keep, x, xp.zeros((), dtype=x.dtype))


band_part_op = defop("matrix_band_part", _band_fwd, linear=True)
band_part_op.def_vjp(lambda g, out, x, lower, upper: band_part_op(g, lower=lower, upper=upper))


def _k_arg(k, op):
    if isinstance(k, (list, tuple)) or (hasattr(k, "_v") and k._v.ndim == 1):
        kk = checks.as_int_list(k, op, "k")
        if len(kk) == 2 and kk[0] == kk[1]:
            return kk[0]
        raise NotImplementedError(f"{op}: a range of diagonals (k={list(kk)}) is not supported; pass one int")
    return checks.as_int(k, op, "k")


def _align(align, op):
    if align not in ("RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT"):
        raise InvalidArgumentError(f"{op}: align must be one of RIGHT_LEFT, LEFT_RIGHT, LEFT_LEFT, RIGHT_RIGHT, "
                                   f"got {align!r}")


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):
    """Diagonal ``k`` of each matrix: ``[..., M, N] -> [..., L]`` (k > 0 above the main diagonal), as
    ``tf.linalg.diag_part``.  One diagonal only: a range ``k=(lo, hi)`` with lo != hi raises
    NotImplementedError (``padding_value`` and ``align`` only matter for ranges)."""
    x = _tensor(input, "diag_part")
    _align(align, "diag_part")
    k = _k_arg(k, "diag_part")
    if x._v.ndim < 2:
        raise InvalidArgumentError(f"diag_part: input must be at least 2-dim, received shape {list(x._v.shape)}")
    m, n = x._v.shape[-2:]
    if (m or n) and not -m < k < n:
        raise InvalidArgumentError(f"diag_part: Diagonal index {k} is out of bounds for shape {list(x._v.shape)} "
                                   f"(k must be in ({-m}, {n}))")
    return diag_part_op(x, k=k)


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    """Matrices with ``diagonal`` ([..., L]) on diagonal ``k`` and ``padding_value`` elsewhere, as
    ``tf.linalg.diag``: [..., R, C] with R = L + max(-k, 0), C = L + max(k, 0) unless ``num_rows``/
    ``num_cols`` say otherwise.  One diagonal only (a range of k: NotImplementedError)."""
    d = _tensor(diagonal, "diag", "diagonal")
    _align(align, "diag")
    k = _k_arg(k, "diag")
    if d._v.ndim < 1:
        raise InvalidArgumentError(f"diag: diagonal must be at least 1-dim, received shape {list(d._v.shape)}")
    ln = d._v.shape[-1]
    rows = checks.as_int(num_rows, "diag", "num_rows")
    cols = checks.as_int(num_cols, "diag", "num_cols")
    min_r, min_c = ln + max(-k, 0), ln + max(k, 0)       # TF's MatrixDiag: square by default
    if rows < 0 and cols < 0:
        rows = cols = max(min_r, min_c)
    elif rows < 0:
        rows = min_r
    elif cols < 0:
        cols = min_c
    if rows < min_r or cols < min_c or not (rows == min_r or cols == min_c):
        raise InvalidArgumentError(f"diag: the diagonal of length {ln} does not fit diagonal {k} of a "
                                   f"{rows} x {cols} matrix (num_rows={num_rows}, num_cols={num_cols})")
    checks.check_size(tuple(d._v.shape[:-1]) + (rows, cols), d._v.dtype, "diag", "output shape")
    out = diag_embed(d, shape=(rows, cols), k=k)
    if not (isinstance(padding_value, (int, float)) and padding_value == 0):
        from .creation import fill
        pad = fill(out.shape, cast(_tensor(padding_value, "diag", "padding_value"), out.dtype))
        out = set_diag_op(pad, d, k=k)
    return out


def _diag_len(m, n, k):
    return max(min(m - max(-k, 0), n - max(k, 0)), 0)


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):
    """``input`` with diagonal ``k`` of each matrix replaced by ``diagonal`` ([..., L]), as
    ``tf.linalg.set_diag``; shapes must agree exactly (InvalidArgumentError, as TF)."""
    x = _tensor(input, "set_diag")
    d = _tensor(diagonal, "set_diag", "diagonal", dtype=x._v.dtype)
    _align(align, "set_diag")
    k = _k_arg(k, "set_diag")
    if x._v.ndim < 2:
        raise InvalidArgumentError(f"set_diag: input must be at least 2-dim, received shape {list(x._v.shape)}")
    m, n = x._v.shape[-2:]
    want = tuple(x._v.shape[:-2]) + (_diag_len(m, n, k),)
    if tuple(d._v.shape) != want:
        raise InvalidArgumentError(f"set_diag: diagonal must have shape {list(want)} for input of shape "
                                   f"{list(x._v.shape)} and k={k}, got {list(d._v.shape)}")
    return set_diag_op(x, d, k=k)


def band_part(input, num_lower, num_upper, name=None):
    """Keep the band of each matrix from ``num_lower`` below to ``num_upper`` above the diagonal (a
    negative count keeps that whole triangle), zeros elsewhere, as ``tf.linalg.band_part``."""
    x = _tensor(input, "band_part")
    if x._v.ndim < 2:
        raise InvalidArgumentError(f"band_part: input must be at least rank 2, received shape {list(x._v.shape)}")
    lo = checks.as_int(num_lower, "band_part", "num_lower")
    up = checks.as_int(num_upper, "band_part", "num_upper")
    m, n = x._v.shape[-2:]
    if lo > m:
        raise InvalidArgumentError(f"band_part: num_lower must be negative or less or equal to number of rows "
                                   f"({m}) got: {lo}")
    if up > n:
        raise InvalidArgumentError(f"band_part: num_upper must be negative or less or equal to number of columns "
                                   f"({n}) got: {up}")
    return band_part_op(x, lower=lo, upper=up)


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """The last two axes swapped (batched), as ``tf.linalg.matrix_transpose``; rank < 2: ValueError."""
    a = _tensor(a, "matrix_transpose", "a")
    if a._v.ndim < 2:
        raise ValueError(f"matrix_transpose: Argument `a` should be a (batch) matrix with rank >= 2.  "
                         f"Received: a={list(a._v.shape)} with shape: {list(a._v.shape)}")
    return _mT(a)


def adjoint(matrix, name=None):
    """The conjugate transpose of each matrix; the transpose for real dtypes (``tf.linalg.adjoint``)."""
    return matrix_transpose(matrix)


def trace(x, name=None):
    """Sum of each matrix's main diagonal, [..., M, N] -> [...] (``tf.linalg.trace``)."""
    x = _tensor(x, "trace", "x")
    if x._v.ndim < 2:
        raise InvalidArgumentError(f"trace: input must be at least 2-dim, received shape: {list(x._v.shape)}")
    return reduce_sum(diag_part_op(x, k=0), axis=-1)


# ---------------------------------------------------------------- inverse and determinants
@_linalg_error("matrix_inverse", "Input is not invertible.")
def _inv_fwd(xp, x):
    return xp.linalg.inv(x) if x.shape[-1] else x.copy()


inv_op = defop("matrix_inverse", _inv_fwd)
inv_op.def_vjp(lambda g, out, x: negative(_mm(out, _mm(g, out, tb=True), ta=True)))


def inv(input, adjoint=False, name=None):
    """The inverse of each square matrix; a singular one raises InvalidArgumentError ("Input is not
    invertible.", TF's CPU kernel).  dA = -A^-T g A^-T."""
    x = _matrix(input, "inv", square=True, rule="matrix_inverse")
    if adjoint:
        x = _mT(x)
    return inv_op(x)


@_f16
def _det_fwd(xp, x):
    if x.shape[-1] == 0:
        return xp.ones(x.shape[:-2], x.dtype)
    return xp.linalg.det(x).astype(x.dtype, copy=False)


det_op = defop("matrix_determinant", _det_fwd)


def det_vjp(g, out, x):
    """dA = g * det(A) * A^-T (TF: a singular A raises in the inverse, as here)"""
    gc = multiply(g, out)
    return multiply(reshape(gc, tuple(gc._v.shape) + (1, 1)), _mT(inv_op(x)))


det_op.def_vjp(det_vjp)


def det(input, name=None):
    """The determinant of each square matrix, [..., M, M] -> [...] (LU, as TF); floats only."""
    return det_op(_matrix(input, "det", square=True, rule="matrix_determinant"))


@_f16
def _slogdet_fwd(xp, x):
    if x.shape[-1] == 0:
        return xp.ones(x.shape[:-2], x.dtype), xp.zeros(x.shape[:-2], x.dtype)
    s, l = xp.linalg.slogdet(x)
    return s.astype(x.dtype, copy=False), l.astype(x.dtype, copy=False)


slogdet_op = defop("log_matrix_determinant", _slogdet_fwd, nout=2)


@slogdet_op.def_vjp_all
def slogdet_vjp(gs, outs, inputs, needs):
    """dA = g_logabsdet * A^-T; the sign gets none"""
    g = gs[1]
    if g is None or not needs[0]:
        return [None]
    return [multiply(reshape(g, tuple(g._v.shape) + (1, 1)), _mT(inv_op(inputs[0])))]


def slogdet(input, name=None):
    """(sign, log|det|) of each square matrix, as ``tf.linalg.slogdet``; the gradient flows through
    log|det| (the sign is piecewise constant)."""
    return slogdet_op(_matrix(input, "slogdet", square=True, rule="log_matrix_determinant"))


def logdet(matrix, name=None):
    """log det of each Hermitian positive definite matrix: 2 * sum(log(diag(cholesky(A)))), as
    ``tf.linalg.logdet`` (a matrix that is not positive definite gives NaN, as in cholesky)."""
    c = cholesky(matrix)
    return multiply(2.0, reduce_sum(log(diag_part_op(c, k=0)), axis=-1))


# ---------------------------------------------------------------- cholesky and triangular solves
@_f16
def _chol_fwd(xp, x):
    if x.shape[-1] == 0:
        return x.copy()
    a = xp.tril(x) + xp.swapaxes(xp.tril(x, -1), -1, -2)    # only the lower triangle is read, as TF's kernel
    try:
        with _checked(xp):          # CuPy: one read of the info flags (else a partial factor, silently)
            return xp.linalg.cholesky(a)
    except Exception as e:      # noqa: BLE001  (NumPy's or CuPy's LinAlgError: not positive definite)
        if type(e).__name__ != "LinAlgError":
            raise
    # TF 2.21 raises nothing here: the factor of a matrix that is not positive definite holds NaN
    flat = a.reshape((-1,) + a.shape[-2:])
    out = xp.full(flat.shape, np.nan, dtype=a.dtype)
    for i in range(flat.shape[0]):
        try:
            with _checked(xp):
                out[i] = xp.linalg.cholesky(flat[i])
        except Exception as e:  # noqa: BLE001
            if type(e).__name__ != "LinAlgError":
                raise
    return out.reshape(a.shape)


cholesky_op = defop("cholesky", _chol_fwd)


def cholesky_vjp(g, out, x):
    """dA = sym(L^-T ((L^T g) * (tril(1) - I/2)) L^-1)  (TF's CholeskyGrad)"""
    from .creation import eye
    n = out._v.shape[-1]
    l_inv = triangular_solve_op(out, eye(n, dtype=out._v.dtype), lower=True, adjoint=False)
    middle = _mm(out, g, ta=True)
    middle = set_diag_op(middle, multiply(0.5, diag_part_op(middle, k=0)), k=0)
    middle = band_part_op(middle, lower=-1, upper=0)
    ga = _mm(_mm(l_inv, middle, ta=True), l_inv)
    return multiply(add(ga, _mT(ga)), 0.5)


cholesky_op.def_vjp(cholesky_vjp)


def cholesky(input, name=None):
    """The lower Cholesky factor of each symmetric positive definite matrix; only the lower triangle is
    read (TF).  A matrix that is not positive definite gives a factor of NaN, as TF 2.21 (which raises
    nothing; ``check_numerics`` catches it).  The gradient is TF's
    symmetric one (as if the upper triangle mirrored the lower), not the lower-only derivative."""
    return cholesky_op(_matrix(input, "cholesky", square=True))


@_f16
def _trisolve_fwd(xp, a, b, lower, adjoint):
    a = xp.tril(a) if lower else xp.triu(a)
    if adjoint:
        a = xp.swapaxes(a, -1, -2)
        lower = not lower
    if a.size == 0 or b.size == 0:
        return xp.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], b.dtype)
    a, b = _broadcast_batch(xp, a, b)
    if xp is not np:
        # cuBLAS trsm: substitution, as TF's kernels (a zero on the diagonal gives inf/NaN, no error);
        # cupy.linalg.solve would run an unchecked LU and give other numbers there
        return _b.cupyx_scipy_linalg().solve_triangular(a, b, lower=lower).astype(b.dtype, copy=False)
    try:
        return xp.linalg.solve(a, b)
    except Exception as e:      # noqa: BLE001  (NumPy's or CuPy's LinAlgError: a zero on the diagonal)
        if type(e).__name__ != "LinAlgError":
            raise
    return _substitute(xp, a, b, lower)


def _substitute(xp, a, b, lower):
    """Forward (or back) substitution row by row: what TF's kernel does, so a zero on the diagonal gives
    inf/NaN in the rows it reaches rather than an error (TF 2.21 raises none)."""
    n = a.shape[-1]
    x = xp.zeros(b.shape, dtype=np.result_type(a.dtype, b.dtype))
    rows = range(n) if lower else range(n - 1, -1, -1)
    for i in rows:
        s = b[..., i, :] - xp.einsum("...j,...jk->...k", a[..., i, :], x)
        x[..., i, :] = s / a[..., i, i][..., None]
    return x


triangular_solve_op = defop("matrix_triangular_solve", _trisolve_fwd, same_dtype=(0, 1))


@triangular_solve_op.def_vjp_all
def triangular_solve_vjp(g, c, inputs, needs, lower, adjoint):
    """db = solve(A, g, adjoint=not adjoint); dA = -db c^T (or -c db^T), kept in A's triangle"""
    a, b = inputs
    gb = triangular_solve_op(a, g, lower=lower, adjoint=not adjoint)
    ga = None
    if needs[0]:
        ga = negative(_mm(c, gb, tb=True) if adjoint else _mm(gb, c, tb=True))
        ga = band_part_op(ga, lower=-1, upper=0) if lower else band_part_op(ga, lower=0, upper=-1)
    return [ga, gb if needs[1] else None]


def _solve_shapes(op, a, b, rows=False):
    sa, sb = tuple(a._v.shape), tuple(b._v.shape)
    if len(sb) < 2 or sa[-2 if rows else -1] != sb[-2]:
        raise InvalidArgumentError(f"{op}: Input matrix and right-hand side must have the same number of rows: "
                                   f"matrix shape {list(sa)}, rhs shape {list(sb)}")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise InvalidArgumentError(f"{op}: batch shapes of matrix {list(sa)} and rhs {list(sb)} do not "
                                   f"broadcast") from None


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solve ``matrix @ x = rhs`` with ``matrix`` [..., M, M] lower (or upper) triangular -- only that
    triangle is read -- and ``rhs`` [..., M, K]; batch shapes broadcast (TF 2.21).  A zero on the
    diagonal gives inf/NaN in the rows it reaches, as TF 2.21 (no error)."""
    a = _matrix(matrix, "triangular_solve", square=True, arg="matrix", rule="matrix_triangular_solve")
    b = _tensor(rhs, "triangular_solve", "rhs", dtype=a._v.dtype)
    _solve_shapes("triangular_solve", a, b)
    return triangular_solve_op(a, b, lower=bool(lower), adjoint=bool(adjoint))


def cholesky_solve(chol, rhs, name=None):
    """Solve ``A x = rhs`` given ``chol`` = cholesky(A): two triangular solves (``tf.linalg.cholesky_solve``)."""
    y = triangular_solve(chol, rhs, lower=True, adjoint=False)
    return triangular_solve(chol, y, lower=True, adjoint=True)


@_linalg_error("matrix_solve", "Input matrix is not invertible.")
def _solve_fwd(xp, a, b, adjoint):
    if adjoint:
        a = xp.swapaxes(a, -1, -2)
    if a.size == 0 or b.size == 0:
        return xp.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], b.dtype)
    return xp.linalg.solve(*_broadcast_batch(xp, a, b))


solve_op = defop("matrix_solve", _solve_fwd, same_dtype=(0, 1))


@solve_op.def_vjp_all
def solve_vjp(g, c, inputs, needs, adjoint):
    """db = solve(A, g, adjoint=not adjoint); dA = -db c^T (or -c db^T when adjoint)"""
    a = inputs[0]
    gb = solve_op(a, g, adjoint=not adjoint)
    ga = None
    if needs[0]:
        ga = negative(_mm(c, gb, tb=True) if adjoint else _mm(gb, c, tb=True))
    return [ga, gb if needs[1] else None]


def solve(matrix, rhs, adjoint=False, name=None):
    """Solve ``matrix @ x = rhs`` (LU with partial pivoting), [..., M, M] and [..., M, K] with equal
    batch shapes (TF's MatrixSolve does not broadcast).  Singular: InvalidArgumentError ("Input matrix
    is not invertible.")."""
    a = _matrix(matrix, "solve", square=True, arg="matrix", rule="matrix_solve")
    b = _tensor(rhs, "solve", "rhs", dtype=a._v.dtype)
    _solve_shapes("solve", a, b)
    if tuple(a._v.shape[:-2]) != tuple(b._v.shape[:-2]):
        raise InvalidArgumentError(f"solve: All input tensors must have the same outer dimensions: matrix "
                                   f"{list(a._v.shape)}, rhs {list(b._v.shape)}")
    return solve_op(a, b, adjoint=bool(adjoint))


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """Least-squares solutions of ``matrix @ x = rhs`` for [..., M, N] and [..., M, K], as
    ``tf.linalg.lstsq``'s fast path: M >= N: x = (A^T A + l2 I)^-1 A^T b by Cholesky; M < N: the
    minimum-norm x = A^T (A A^T + l2 I)^-1 b.  Written with gputape ops, so its gradient is the exact
    derivative of this formula (TF's MatrixSolveLs gradient is the same formula).  ``fast=False`` (TF:
    complete orthogonal decomposition, no gradient) raises NotImplementedError."""
    from .creation import eye
    if not fast:
        raise NotImplementedError("lstsq: fast=False (complete orthogonal decomposition) is not implemented")
    a = _matrix(matrix, "lstsq", arg="matrix", rule="matrix_solve_ls")
    b = _tensor(rhs, "lstsq", "rhs", dtype=a._v.dtype)
    _solve_shapes("lstsq", a, b, rows=True)
    m, n = a._v.shape[-2:]
    lam = l2_regularizer
    if m >= n:
        gram = _mm(a, a, ta=True)
        if not (isinstance(lam, (int, float)) and lam == 0):
            gram = add(gram, multiply(cast(_tensor(lam, "lstsq", "l2_regularizer"), a._v.dtype), eye(n, dtype=a._v.dtype)))
        return cholesky_solve(cholesky(gram), _mm(a, b, ta=True))
    gram = _mm(a, a, tb=True)
    if not (isinstance(lam, (int, float)) and lam == 0):
        gram = add(gram, multiply(cast(_tensor(lam, "lstsq", "l2_regularizer"), a._v.dtype), eye(m, dtype=a._v.dtype)))
    return _mm(a, cholesky_solve(cholesky(gram), b), ta=True)


# ---------------------------------------------------------------- eigh, svd, qr
def _safe_reciprocal(x):
    """x / (x**2 + 1e-20): TF's Lorentz-broadened 1/x for degenerate eigen/singular values"""
    return multiply(x, reciprocal(add(multiply(x, x), 1e-20)))


@_f16
def _eigh_fwd(xp, x):
    if x.shape[-1] == 0:
        return xp.zeros(x.shape[:-1], x.dtype), x.copy()
    e, v = xp.linalg.eigh(x)
    return e.astype(x.dtype, copy=False), v.astype(x.dtype, copy=False)


eigh_op = defop("self_adjoint_eig", _eigh_fwd, nout=2)


def _outer_diff(e):
    """D[..., i, j] = e_j - e_i  (TF: expand_dims(e, -2) - expand_dims(e, -1))"""
    return subtract(expand_dims(e, -2), expand_dims(e, -1))


@eigh_op.def_vjp_all
def eigh_vjp(gs, outs, inputs, needs):
    """dA = lower(V (diag(ge) + F * (V^T gV)) V^T + its transpose), diagonal halved, with
    F_ij = safe 1/(e_j - e_i) off the diagonal (TF's SelfAdjointEigV2Grad)"""
    ge, gv = gs
    e, v = outs
    inner = None
    if ge is not None:
        inner = diag_embed(ge, shape=(e._v.shape[-1],) * 2, k=0)
    if gv is not None:
        f = set_diag_op(_safe_reciprocal(_outer_diff(e)), zeros_like(e), k=0)
        t = multiply(f, _mm(v, gv, ta=True))
        inner = t if inner is None else add(inner, t)
    if inner is None:
        return [None]
    ga = _mm(v, _mm(inner, v, tb=True))
    ga = band_part_op(add(ga, _mT(ga)), lower=-1, upper=0)
    return [set_diag_op(ga, multiply(0.5, diag_part_op(ga, k=0)), k=0)]


def eigh(tensor, name=None):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix; only the lower
    triangle is read (TF).  Gradient as TF's: at degenerate eigenvalues the eigenvector terms of the
    degenerate pairs are dropped (TF's safe reciprocal), not inf/NaN; eigenvector signs are LAPACK's
    (cuSOLVER's on CuPy), which TF's Eigen solver may flip."""
    return eigh_op(_matrix(tensor, "eigh", square=True, arg="tensor", rule="self_adjoint_eig"))


def eigvalsh(tensor, name=None):
    """The eigenvalues of each symmetric matrix (ascending); gradient V diag(g) V^T (lower, as TF)."""
    return eigh(tensor)[0]


@_f16
def _svd_fwd(xp, x, full_matrices):
    m, n = x.shape[-2:]
    k = min(m, n)
    if k == 0:
        um = m if full_matrices else k
        vn = n if full_matrices else k
        eye = xp.eye
        u = xp.broadcast_to(eye(m, um, dtype=x.dtype), x.shape[:-2] + (m, um)).copy()
        v = xp.broadcast_to(eye(n, vn, dtype=x.dtype), x.shape[:-2] + (n, vn)).copy()
        return xp.zeros(x.shape[:-2] + (0,), x.dtype), u, v
    u, s, vh = xp.linalg.svd(x, full_matrices=full_matrices)
    return (s.astype(x.dtype, copy=False), u.astype(x.dtype, copy=False),
            xp.swapaxes(vh, -1, -2).astype(x.dtype, copy=False))


svd_op = defop("svd", _svd_fwd, nout=3)


@svd_op.def_vjp_all
def svd_vjp(gs, outs, inputs, needs, full_matrices):
    """TF 2.21's SvdGrad (real case): Giles / Townsend, with safe reciprocals at repeated singular values"""
    gsv, gu, gv = gs
    s, u, v = outs
    a = inputs[0]
    m, n = a._v.shape[-2:]
    if gu is None and gv is None:
        if gsv is None:
            return [None]
        uu, vv = (u, v) if not full_matrices else (u[..., :, :min(m, n)], v[..., :, :min(m, n)])
        return [_mm(uu, _mm(diag_embed(gsv, shape=(min(m, n),) * 2, k=0), vv, tb=True))]
    if gu is None:
        gu = zeros_like(u)
    if gv is None:
        gv = zeros_like(v)
    if gsv is None:
        gsv = zeros_like(s)
    use_adjoint = m > n
    if use_adjoint:
        m, n = n, m
        u, v = v, u
        gu, gv = gv, gu
    if full_matrices and abs_(m - n) > 1:
        raise NotImplementedError(f"svd gradient is not implemented for abs(m - n) > 1 when full_matrices is "
                                  f"True. Received: m={m} and n={n}")
    if full_matrices:
        u = u[..., :, :m] if u._v.shape[-1] > m else u
        gu = gu[..., :, :m] if gu._v.shape[-1] > m else gu
    k = s._v.shape[-1]
    s_mat = diag_embed(s, shape=(k, k), k=0)
    s2 = square(s)
    f = set_diag_op(_safe_reciprocal(_outer_diff(s2)), zeros_like(s), k=0)
    s_inv_mat = diag_embed(_safe_reciprocal(s), shape=(k, k), k=0)
    v1 = v[..., :, :m]
    gv1 = gv[..., :, :m]
    u_gu = _mm(u, gu, ta=True)
    v_gv = _mm(v1, gv1, ta=True)
    f_u = multiply(f, u_gu)
    f_v = multiply(f, v_gv)
    gs_mat = diag_embed(gsv, shape=(k, k), k=0)
    term1_nouv = add(add(gs_mat, _mm(add(f_u, _mT(f_u)), s_mat)), _mm(s_mat, add(f_v, _mT(f_v))))
    ga = _mm(u, _mm(term1_nouv, v1, tb=True))
    if m != n:
        gv1t = _mT(gv1)
        term2 = subtract(gv1t, _mm(_mm(gv1t, v1), v1, tb=True))
        if full_matrices:
            v2 = v[..., :, m:n]
            gv2 = gv[..., :, m:n]
            term2 = subtract(term2, _mm(_mm(v1, gv2, ta=True), v2, tb=True))
        ga = add(ga, _mm(_mm(u, s_inv_mat), term2))
    return [_mT(ga) if use_adjoint else ga]


def abs_(x):
    return x if x >= 0 else -x


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """Singular values (descending) and, with ``compute_uv``, U and V (not V^T) of each matrix: TF's
    order ``(s, u, v)``.  Gradients as TF's SvdGrad: of s alone U diag(g) V^T; through U and V with
    safe reciprocals at repeated singular values; ``full_matrices=True`` with |M - N| > 1 raises
    NotImplementedError in the gradient (TF)."""
    x = _matrix(tensor, "svd", arg="tensor")
    s, u, v = svd_op(x, full_matrices=bool(full_matrices))
    if not compute_uv:
        return s
    return s, u, v


@_f16
def _qr_fwd(xp, x, full_matrices):
    mode = "complete" if full_matrices else "reduced"
    m, n = x.shape[-2:]
    if min(m, n) == 0:
        k = m if full_matrices else min(m, n)
        q = xp.broadcast_to(xp.eye(m, k, dtype=x.dtype), x.shape[:-2] + (m, k)).copy()
        return q, xp.zeros(x.shape[:-2] + (k, n), x.dtype)
    try:
        q, r = xp.linalg.qr(x, mode=mode)
    except (ValueError, NotImplementedError):
        if xp is np or x.ndim == 2:
            raise
        # CuPy versions without batched QR: one factorization per matrix, each on the device
        flat = x.reshape((-1, m, n))
        qs, rs = zip(*(xp.linalg.qr(a, mode=mode) for a in flat))
        q = xp.stack(qs).reshape(x.shape[:-2] + qs[0].shape)
        r = xp.stack(rs).reshape(x.shape[:-2] + rs[0].shape)
    return q.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)


qr_op = defop("qr", _qr_fwd, nout=2)


def _tri_solve_right(xm, r):
    """x r^-T for upper triangular r: (solve(r, x^T))^T (TF's _TriangularSolve)"""
    return _mT(triangular_solve_op(r, _mT(xm), lower=False, adjoint=False))


def _qr_grad_deep(q, r, dq, dr):
    qdq = _mm(q, dq, ta=True)
    qdq_ = subtract(qdq, _mT(qdq))
    rdr = _mm(r, dr, tb=True)
    rdr_ = subtract(rdr, _mT(rdr))
    tril = band_part_op(add(qdq_, rdr_), lower=-1, upper=0)
    grad_a = _mm(q, add(dr, _tri_solve_right(tril, r)))
    grad_b = _tri_solve_right(subtract(dq, _mm(q, qdq)), r)
    return add(grad_a, grad_b)


@qr_op.def_vjp_all
def qr_vjp(gs, outs, inputs, needs, full_matrices):
    """TF 2.21's QrGrad (arXiv 2009.10071): square/deep directly, wide by splitting A = [X, Y]"""
    dq, dr = gs
    q, r = outs
    dq = zeros_like(q) if dq is None else dq
    dr = zeros_like(r) if dr is None else dr
    m, n = q._v.shape[-2], r._v.shape[-1]
    if r._v.shape[-2] > r._v.shape[-1] and q._v.shape[-2] == q._v.shape[-1]:
        raise NotImplementedError(f"QrGrad not implemented when nrows > ncols and full_matrices is true. "
                                  f"Received r.shape={list(r._v.shape)}")
    if m >= n:
        return [_qr_grad_deep(q, r, dq, dr)]
    a = inputs[0]
    y = a[..., :, m:]
    u = r[..., :, :m]
    dv = dr[..., :, m:]
    du = dr[..., :, :m]
    dy = _mm(q, dv)
    dx = _qr_grad_deep(q, u, add(dq, _mm(y, dv, tb=True)), du)
    return [concat([dx, dy], axis=-1)]


def qr(input, full_matrices=False, name=None):
    """(Q, R) of each matrix (Householder, LAPACK's signs), as ``tf.linalg.qr``; gradient as TF's (for
    M > N with ``full_matrices=True`` it raises NotImplementedError, as TF)."""
    x = _matrix(input, "qr")
    return qr_op(x, full_matrices=bool(full_matrices))


# ---------------------------------------------------------------- built from the above
def pinv(a, rcond=None, validate_args=False, name=None):
    """Moore-Penrose pseudo-inverse by SVD, as ``tf.linalg.pinv``: singular values at or below
    ``rcond * max(s)`` (default ``10 * max(M, N) * eps``) are dropped."""
    x = _matrix(a, "pinv", arg="a", rule="svd")
    dt = x._v.dtype
    m, n = x._v.shape[-2:]
    if rcond is None:
        rcond = 10.0 * max(m, n) * float(np.finfo(dt).eps)
    s, u, v = svd_op(x, full_matrices=False)
    cutoff = multiply(cast(_tensor(rcond, "pinv", "rcond"), dt), reduce_max(s, axis=-1))
    from .creation import fill
    inf = fill(s.shape, np.array(np.inf, dt))
    s = where(greater(s, expand_dims(cutoff, -1)), s, inf)
    return _mm(divide(v, expand_dims(s, -2)), u, tb=True)


_PADE = {
    3: [120.0, 60.0, 12.0],
    5: [30240.0, 15120.0, 3360.0, 420.0, 30.0],
    7: [17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0],
    9: [17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0, 110880.0, 3960.0, 90.0],
    13: [64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
         10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0],
}


def _pade(x, deg, ident):
    """(U, V) of the degree-``deg`` Pade approximant of exp, as TF's _matrix_exp_padeN."""
    b = _PADE[deg]
    m2 = matmul(x, x)
    if deg == 3:
        return matmul(x, add(m2, multiply(b[1], ident))), add(multiply(b[2], m2), multiply(b[0], ident))
    m4 = matmul(m2, m2)
    if deg == 5:
        tmp = add(add(m4, multiply(b[3], m2)), multiply(b[1], ident))
        return matmul(x, tmp), add(add(multiply(b[4], m4), multiply(b[2], m2)), multiply(b[0], ident))
    m6 = matmul(m4, m2)
    if deg == 7:
        tmp = add(add(add(m6, multiply(b[5], m4)), multiply(b[3], m2)), multiply(b[1], ident))
        v = add(add(add(multiply(b[6], m6), multiply(b[4], m4)), multiply(b[2], m2)), multiply(b[0], ident))
        return matmul(x, tmp), v
    if deg == 9:
        m8 = matmul(m6, m2)
        tmp = add(add(add(add(m8, multiply(b[7], m6)), multiply(b[5], m4)), multiply(b[3], m2)),
                  multiply(b[1], ident))
        v = add(add(add(add(multiply(b[8], m8), multiply(b[6], m6)), multiply(b[4], m4)), multiply(b[2], m2)),
                multiply(b[0], ident))
        return matmul(x, tmp), v
    tmp_u = add(add(add(add(matmul(m6, add(add(m6, multiply(b[11], m4)), multiply(b[9], m2))),
                            multiply(b[7], m6)), multiply(b[5], m4)), multiply(b[3], m2)), multiply(b[1], ident))
    tmp_v = add(add(multiply(b[12], m6), multiply(b[10], m4)), multiply(b[8], m2))
    v = add(add(add(add(matmul(m6, tmp_v), multiply(b[6], m6)), multiply(b[4], m4)), multiply(b[2], m2)),
            multiply(b[0], ident))
    return matmul(x, tmp_u), v


def expm(input, name=None):
    """exp of each square matrix by scaling and squaring with Pade approximants, step for step as TF
    2.21's ``tf.linalg.expm`` (degrees 3/5/7 in float16/32, 3..13 in float64, chosen per matrix by its
    1-norm); differentiable through its matmuls and solve.  Reads back one number (the most squarings
    any matrix of the batch needs), as TF's while_loop does."""
    from .creation import eye, fill
    x = _tensor(input, "expm")
    if x._v.dtype.kind != "f":
        raise ValueError(f"tf.linalg.expm does not support matrices of type {x._v.dtype.name}")
    x = _matrix(x, "expm", square=True, rule="matrix_exponential")
    shape = tuple(x._v.shape)
    if shape[-1] == 0:
        return x
    dt = x._v.dtype
    x = reshape(x, (-1,) + shape[-2:])
    l1 = expand_dims(expand_dims(reduce_max(reduce_sum(abs(x), axis=-2), axis=-1), -1), -1)
    ident = eye(shape[-1], batch_shape=[x._v.shape[0]], dtype=dt)

    def nest(vals, cases):
        if len(vals) == 1:
            return where(less(l1, vals[0]), cases[0], cases[1])
        return where(less(l1, vals[0]), cases[0], nest(vals[1:], cases[1:]))

    if dt == np.float64:
        maxnorm, degs = 5.371920351148152, (3, 5, 7, 9, 13)
        conds = (1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001, 2.097847961257068e+000)
    else:
        maxnorm, degs = 3.925724783138660, (3, 5, 7)
        conds = (4.258730016922831e-001, 1.880152677804762e+000)
    squarings = maximum(floor(divide(log(divide(l1, maxnorm)), log(_tensor(2.0, "expm", dtype=dt)))), 0.0)
    from .math import pow as _pow
    pairs = [_pade(x, d, ident) for d in degs[:-1]]
    pairs.append(_pade(divide(x, _pow(_tensor(2.0, "expm", dtype=dt), squarings)), degs[-1], ident))
    u = nest(conds, [p[0] for p in pairs])
    v = nest(conds, [p[1] for p in pairs])
    finite = bool(is_finite(reduce_max(l1)).numpy())          # one read back (TF: a cond on it)
    if not finite:
        return reshape(fill(x.shape, np.array(np.nan, dt)), shape)
    result = solve_op(add(negative(u), v), add(u, v), adjoint=False)
    n_sq = int(reduce_max(squarings).numpy())                   # one read back (TF: the while_loop bound)
    for i in range(n_sq):
        result = where(less(float(i), squarings), matmul(result, result), result)
    return reshape(result, shape)


__all__ = ["diag_part", "diag", "set_diag", "band_part", "matrix_transpose", "adjoint", "trace", "inv", "det",
           "slogdet", "logdet", "cholesky", "triangular_solve", "cholesky_solve", "solve", "lstsq", "eigh",
           "eigvalsh", "svd", "qr", "pinv", "expm"]
