"""Special functions and the small math composites of ``tf.math``: lgamma, digamma, polygamma,
erfc, erfinv, xlog1py, log_sigmoid, polyval.

Forwards: on CuPy ``cupyx.scipy.special`` (elementwise kernels on the device); on NumPy SciPy's
``scipy.special`` when it is installed, otherwise the formulas below (recurrence plus asymptotic
series for digamma/polygamma, libm's lgamma/erfc per element, a rational start plus Newton steps
for erfinv) -- the same values to a few ulps.  float16 is computed in float32 and cast back, as
TF's kernels do.  The VJPs are TF 2.21's (``math_grad.py``): d lgamma = digamma, d digamma =
polygamma(1, .), d polygamma(n, .) = polygamma(n + 1, .) (no gradient for n, as TF).
"""
import math as _m

import numpy as np

from ..op import defop
from .. import backend as _b
from .. import dtype_rules as _rules
from ..checks import as_tensor
from .math import (multiply, add, subtract, negative, exp, square, log1p, softplus, where, equal, zeros_like,
                   _pair, _tensor)

E = dict(elementwise=True)


def _scipy_special():
    try:
        import scipy.special as sp
        return sp
    except ImportError:
        return None


def _special(xp, x):
    """The module of special functions for array ``x``: cupyx's on CuPy, SciPy's on NumPy (None without it)."""
    if _b.is_cupy_array(x):
        return _b._cupyx_module().scipy.special
    return _scipy_special()


def _in_dtype(fn):
    """``fn(xp, *arrays)`` computed in float32 for float16 inputs and cast back to the first input's dtype."""
    def run(xp, *a):
        d = a[0].dtype
        up = tuple(v.astype(np.float32) if v.dtype == np.float16 else v for v in a)
        y = fn(xp, *up)
        return y.astype(d, copy=False) if y.dtype != d else y
    run.__name__ = fn.__name__
    return run


# ---------------------------------------------------------------- NumPy fallbacks (no SciPy)
_BERN = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)   # B_2 .. B_16


def _polygamma_series(xp, n, x):
    """psi^(n)(x) for integer n >= 0 and x > 0: shift x past 10 by the recurrence, then the
    asymptotic series in 1/x (Abramowitz & Stegun 6.4.11 / 6.3.18)."""
    acc = xp.zeros_like(x)
    y = x.copy()
    sgn = -1.0 if n % 2 == 0 else 1.0            # (-1)^(n+1)
    fact_n = _m.factorial(n)
    for _ in range(10):
        small = y < 10
        if n == 0:
            acc = acc - xp.where(small, 1.0 / y, 0.0)
        else:
            acc = acc + xp.where(small, sgn * fact_n / y ** (n + 1), 0.0)
        y = xp.where(small, y + 1, y)
    if n == 0:
        s = xp.log(y) - 0.5 / y
        for k, b in enumerate(_BERN, 1):
            s = s - b / (2 * k * y ** (2 * k))
    else:
        s = _m.factorial(n - 1) / y ** n + fact_n / (2 * y ** (n + 1))
        for k, b in enumerate(_BERN, 1):
            s = s + b * _m.factorial(2 * k + n - 1) / (_m.factorial(2 * k) * y ** (2 * k + n))
        s = sgn * s
    return acc + s


def _digamma_np(x):
    """digamma on NumPy without SciPy: the reflection formula below 0.5; NaN at the poles 0, -1, ... (TF)."""
    x = np.asarray(x, dtype=np.float64)
    neg = x < 0.5
    xr = np.where(neg, 1.0 - x, x)
    r = _polygamma_series(np, 0, xr)
    with np.errstate(all="ignore"):
        refl = r - np.pi / np.tan(np.pi * x)
    out = np.where(neg, refl, r)
    return np.where((x <= 0) & (x == np.floor(x)), np.nan, out)


def _erfinv_np(y):
    """erfinv without SciPy: a rational start (Giles 2010) and two Newton steps on libm's erf."""
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        w = -np.log((1.0 - y) * (1.0 + y))
        small = w < 5
        ws = w - 2.5
        p1 = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):
            p1 = c + p1 * ws
        wl = np.sqrt(w) - 3
        p2 = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):
            p2 = c + p2 * wl
        x = np.where(small, p1, p2) * y
        erf = np.vectorize(_m.erf, otypes=[np.float64])
        for _ in range(2):
            x = x - (erf(x) - y) / (2 / _m.sqrt(_m.pi) * np.exp(-x * x))
    x = np.where(y == 1, np.inf, np.where(y == -1, -np.inf, x))
    return np.where(np.abs(y) > 1, np.nan, x)


def _gammainc_np(a, x):
    """The regularized lower incomplete gamma P(a, x) on NumPy without SciPy: the series below a + 1,
    Lentz's continued fraction for Q = 1 - P above (Numerical Recipes 6.2), both vectorized with a fixed
    number of terms."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    with np.errstate(all="ignore"):
        lg = np.vectorize(_m.lgamma, otypes=[np.float64])(a) if a.size else a.copy()
        front = np.exp(-x + a * np.log(x) - lg)
        ap, d = a.copy(), 1.0 / a
        ssum = d.copy()
        for _ in range(600):
            ap = ap + 1
            d = d * x / ap
            ssum = ssum + d
        tiny = 1e-300
        b = x + 1 - a
        c = np.full(x.shape, 1 / tiny)
        dd = 1 / np.where(np.abs(b) < tiny, tiny, b)
        h = dd.copy()
        for i in range(1, 600):
            an = -i * (i - a)
            b = b + 2
            dd = an * dd + b
            dd = 1 / np.where(np.abs(dd) < tiny, tiny, dd)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            h = h * dd * c
        p = np.where(x < a + 1, front * ssum, 1 - front * h)
    return np.where(x <= 0, 0.0, p)


def gammainc(xp, a, x):
    """P(a, x) in float64 for arrays of module ``xp`` (cupyx / SciPy / the NumPy formula above)."""
    sp = _special(xp, x)
    if sp is not None:
        return sp.gammainc(a, x)
    return _gammainc_np(a, x)


def gammaln(xp, x):
    """log|Gamma(x)| in x's dtype for arrays of module ``xp`` (as ``lgamma``'s forward)."""
    return _lgamma_fwd(xp, x)


# ---------------------------------------------------------------- primitives
@_in_dtype
def _lgamma_fwd(xp, x):
    sp = _special(xp, x)
    if sp is not None:
        return sp.gammaln(x)
    return np.vectorize(_m.lgamma, otypes=[x.dtype])(x) if x.size else x.copy()


lgamma_op = defop("lgamma", _lgamma_fwd, **E)
lgamma_op.def_vjp(lambda g, out, x: multiply(g, digamma_op(x)))


@_in_dtype
def _digamma_fwd(xp, x):
    sp = _special(xp, x)
    if sp is None:
        return _digamma_np(x).astype(x.dtype)
    y = sp.digamma(x)
    # the poles 0, -1, -2, ... are NaN in TF (SciPy: -inf at 0)
    return xp.where((x <= 0) & (x == xp.floor(x)), xp.asarray(np.nan, dtype=y.dtype), y)


digamma_op = defop("digamma", _digamma_fwd, **E)


@_in_dtype
def _polygamma_fwd(xp, n, x):
    sp = _special(xp, x)
    if sp is not None:
        return sp.polygamma(n, x).astype(x.dtype, copy=False)
    return _polygamma_np(n, x)


def _polygamma_np(n, x):
    """polygamma on NumPy without SciPy (reached only there: CuPy always has cupyx)."""
    nb, xb = np.broadcast_arrays(n, x)
    out = np.empty(xb.shape, np.float64)
    for k in np.unique(nb):       # NumPy only (no SciPy): one series per order present
        sel = nb == k
        if k != np.floor(k) or k < 0:
            out[sel] = np.nan
        elif k == 0:
            out[sel] = _digamma_np(xb[sel])
        else:
            xs = xb[sel]
            out[sel] = np.where(xs > 0, _polygamma_series(np, int(k), np.where(xs > 0, xs, 1.0)), np.nan)
    return out.astype(x.dtype)


polygamma_op = defop("polygamma", _polygamma_fwd, same_dtype=(0, 1), **E)
polygamma_op.def_vjp(None, lambda g, out, n, x: multiply(g, polygamma_op(add(n, 1.0), x)))
digamma_op.def_vjp(lambda g, out, x: multiply(g, polygamma_op(_one_like(x), x)))


def _one_like(x):
    from .creation import ones_like
    return ones_like(x)


@_in_dtype
def _erfc_fwd(xp, x):
    sp = _special(xp, x)
    if sp is not None:
        return sp.erfc(x)
    return np.vectorize(_m.erfc, otypes=[x.dtype])(x) if x.size else x.copy()


erfc_op = defop("erfc", _erfc_fwd, **E)
erfc_op.def_vjp(lambda g, out, x: multiply(g, multiply(-2 / _m.sqrt(_m.pi), exp(negative(square(x))))))


@_in_dtype
def _erfinv_fwd(xp, x):
    sp = _special(xp, x)
    if sp is not None:
        return sp.erfinv(x)
    return _erfinv_np(x).astype(x.dtype)


erfinv_op = defop("erfinv", _erfinv_fwd, **E)
erfinv_op.def_vjp(lambda g, out, x: multiply(g, multiply(_m.sqrt(_m.pi) / 2, exp(square(out)))))


# ---------------------------------------------------------------- public functions
def lgamma(x, name=None):
    """log|Gamma(x)| elementwise (inf at 0 and the negative integers); floats only (TF)."""
    return lgamma_op(_tensor(x))


def digamma(x, name=None):
    """d/dx lgamma(x) elementwise; NaN at 0, -1, -2, ... (TF); floats only (TF)."""
    return digamma_op(_tensor(x))


def polygamma(a, x, name=None):
    """The a-th derivative of digamma (``a`` a whole number, else NaN), a and x of one float dtype;
    no gradient for ``a`` (TF)."""
    a, x = _pair(a, x)
    return polygamma_op(a, x)


def erfc(x, name=None):
    """1 - erf(x), accurate for large x; floats only (TF)."""
    return erfc_op(_tensor(x))


def erfinv(x, name=None):
    """The inverse of erf on (-1, 1): +-inf at +-1, NaN outside; floats only (TF)."""
    return erfinv_op(_tensor(x))


def xlog1py(x, y, name=None):
    """x * log1p(y), and 0 wherever x == 0 (value and gradient: TF's Xlog1py and its gradient, which
    is 0 for both inputs there, even at y == -1); floats only."""
    x, y = _pair(x, y)
    _rules.check("xlog1py", x)
    z = equal(x, 0.0)
    safe = where(z, zeros_like(y), y)
    return where(z, zeros_like(x), multiply(x, log1p(safe)))


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x| (TF); floats only."""
    x = _tensor(x)
    _rules.check("log_sigmoid", x)
    return negative(softplus(negative(x)))


def polyval(coeffs, x, name=None):
    """coeffs[0] * x**(n-1) + ... + coeffs[n-1] by Horner's rule, as ``tf.math.polyval``: ``coeffs``
    must be a list (ValueError otherwise, TF's message); an empty list gives zeros_like(x).  Each
    coefficient is converted on its own, so Python floats are float32 and a float64 ``x`` needs
    float64 tensors as coefficients (InvalidArgumentError otherwise, as TF)."""
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type. Received type {type(coeffs)}.")
    x = as_tensor(x, "polyval", "x")
    if not coeffs:
        return zeros_like(x)
    # each coefficient converted on its own (a Python float is float32), as TF: float32 coefficients
    # with a float64 x raise the dtype mismatch TF raises
    cs = [as_tensor(c, "polyval", f"coeff_{i}") for i, c in enumerate(coeffs)]
    p = cs[0]
    for c in cs[1:]:
        p = add(c, multiply(p, x))
    return p


__all__ = ["lgamma", "digamma", "polygamma", "erfc", "erfinv", "xlog1py", "log_sigmoid", "polyval"]
