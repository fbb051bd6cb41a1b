"""Elementwise math: forwards, rules, and the fused gradient ops (one kernel each on the GPU).

Each VJP rule returns the cotangent of one input and may see ``g`` with extra
leading batch axes; broadcasting is undone by the sweep (``tape.unbroadcast``).
TensorFlow's values at kinks are kept (see TF_SEMANTICS.md section 2.1).
"""
import numpy as np

from ..op import defop, _const, _CONSTS_NP
from .. import backend as _b
from .. import dtype_rules as _rules
from ..errors import InvalidArgumentError
from ..kernels import kernel

E = dict(elementwise=True)
B = dict(elementwise=True, same_dtype=(0, 1))


def _k(xp, c, dtype):
    """The constant ``c`` in ``dtype``: op._const's cached 0-d array on NumPy, which its ufuncs take
    several hundred ns faster than a Python number; the number itself elsewhere (so CuPy code never
    meets a NumPy constant: the cache is op's per-module one, NumPy's read here directly)."""
    if xp is np:
        k = _CONSTS_NP.get((c, type(c), dtype))
        return k if k is not None else _const(c, dtype, np)
    return c


def _zeros_like(xp, x):
    return xp.zeros_like(x)


# ---------------------------------------------------------------- arithmetic
add = defop("add", lambda xp, x, y: x + y, ufunc="add", linear=True, **B)
add.def_vjp(lambda g, out, x, y: g, lambda g, out, x, y: g)

subtract = defop("subtract", lambda xp, x, y: x - y, ufunc="subtract", linear=True, **B)
subtract.def_vjp(lambda g, out, x, y: g, lambda g, out, x, y: negative(g))

multiply = defop("multiply", lambda xp, x, y: x * y, ufunc="multiply", **B)
multiply.def_vjp(lambda g, out, x, y: multiply(g, y), lambda g, out, x, y: multiply(g, x))


_TRUEDIV = {np.dtype(np.int8): np.float32, np.dtype(np.int16): np.float32, np.dtype(np.uint8): np.float32,
            np.dtype(np.int32): np.float64, np.dtype(np.int64): np.float64}


def _div(xp, x, y):
    if x.dtype.kind in "iu":           # TF's truediv: 8/16-bit ints in float32, 32/64-bit in float64
        f = _TRUEDIV[x.dtype]
        return x.astype(f) / y.astype(f)
    return x / y


divide = defop("divide", _div, **B)


def divide_dx(g, out, x, y):
    """dx = g / y"""
    return divide(g, y)


def divide_dy(g, out, x, y):
    """dy = g * ((-x / y) / y)   (TF's order, so 0/0 at y=0 is NaN as in TF)"""
    return div_grad_y(x, y, g)


divide.def_vjp(divide_dx, divide_dy)

div_grad_y = defop("div_grad_y", lambda xp, x, y, g: g * ((-x / y) / y),
                   cuda=kernel("math.cu", "div_grad_y"), **E)
div_grad_y.def_vjp(
    lambda gg, out, x, y, g: gg * g * (-1.0 / y) / y,
    lambda gg, out, x, y, g: gg * g * 2.0 * x / (y * y * y),
    lambda gg, out, x, y, g: div_grad_y(x, y, gg))

truediv = divide
realdiv = divide

negative = defop("negative", lambda xp, x: -x, ufunc="negative", linear=True, **E)
negative.def_vjp(lambda g, out, x: negative(g))

def _int_div_check(x, y, op):
    """TF's CPU kernels refuse an integer division by zero ("Integer division by zero").  On CuPy
    this reads one flag back from the device: TF's CPU semantics demand the check."""
    if y.dtype.kind in "iu" and y.size and bool((y == 0).any()):
        raise InvalidArgumentError(f"{op}: Integer division by zero (divisor of shape {tuple(y.shape)} and "
                                   f"dtype {y.dtype.name} holds a 0)")


floordiv = defop("floordiv", lambda xp, x, y: xp.floor_divide(x, y), nondiff=True, same_dtype=(0, 1),
                 check=lambda x, y: _int_div_check(x, y, op="floordiv"))


def _floormod_fwd(xp, x, y):
    return xp.mod(x, y)


floormod = defop("floormod", _floormod_fwd, check=lambda x, y: _int_div_check(x, y, op="floormod"), **B)
floormod.def_vjp(lambda g, out, x, y: g,
                 lambda g, out, x, y: multiply(negative(g), floor(divide(x, y))))
mod = floormod


def _pow_fwd(xp, x, y):
    if x.dtype.kind in "iu" and bool((xp.asarray(y) < 0).any()):
        raise ValueError("Integers to negative integer powers are not allowed.")
    return xp.power(x, y)


pow = defop("pow", _pow_fwd, **B)


def pow_dx(g, out, x, y):
    """dx = g * y * x**(y-1)"""
    return pow_grad_x(x, y, g)


def pow_dy(g, out, x, y):
    """dy = g * out * log(x) where x > 0, else 0"""
    return pow_grad_y(x, out, g)


pow.def_vjp(pow_dx, pow_dy)

pow_grad_x = defop("pow_grad_x", lambda xp, x, y, g: g * y * xp.power(x, y - 1),
                   cuda=kernel("math.cu", "pow_grad_x"), **E)
pow_grad_x.def_vjp(
    lambda gg, out, x, y, g: gg * g * y * (y - 1) * pow(x, y - 2),
    lambda gg, out, x, y, g: gg * g * pow(x, y - 1) * (1.0 + y * where(greater(x, 0), log(where(greater(x, 0), x, 1)), 0)),
    lambda gg, out, x, y, g: pow_grad_x(x, y, gg))


def _pow_grad_y(xp, x, out, g):
    pos = x > 0
    return g * out * xp.where(pos, xp.log(xp.where(pos, x, 1)), 0)


pow_grad_y = defop("pow_grad_y", _pow_grad_y, cuda=kernel("math.cu", "pow_grad_y"), **E)
pow_grad_y.def_vjp(
    lambda gg, out, x, o, g: where(greater(x, 0), gg * g * o / where(greater(x, 0), x, 1), 0),
    lambda gg, out, x, o, g: where(greater(x, 0), gg * g * log(where(greater(x, 0), x, 1)), 0),
    lambda gg, out, x, o, g: pow_grad_y(x, o, gg))

square = defop("square", lambda xp, x: x * x, **E)
square.def_vjp(lambda g, out, x: multiply(g, multiply(x, 2.0)))

sqrt = defop("sqrt", lambda xp, x: xp.sqrt(x), ufunc="sqrt", **E)
sqrt.def_vjp(lambda g, out, x: sqrt_grad(out, g))


def _sqrt_grad(xp, y, g):
    # TF's SqrtGrad: 0 where the upstream is 0, even at y == 0 (no 0*inf NaN)
    return xp.where(g == 0, xp.zeros_like(g * y), 0.5 * g / y)


sqrt_grad = defop("sqrt_grad", _sqrt_grad, cuda=kernel("math.cu", "sqrt_grad"), **E)
sqrt_grad.def_vjp(lambda gg, out, y, g: negative(divide(out, y)) * gg,
                  lambda gg, out, y, g: sqrt_grad(y, gg))

rsqrt = defop("rsqrt", lambda xp, x: 1.0 / xp.sqrt(x), **E)
rsqrt.def_vjp(lambda g, out, x: multiply(g, multiply(-0.5, out * out * out)))

reciprocal = defop("reciprocal", lambda xp, x: 1.0 / x, **E)
reciprocal.def_vjp(lambda g, out, x: multiply(g, negative(out * out)))

exp = defop("exp", lambda xp, x: xp.exp(x), ufunc="exp", **E)
exp.def_vjp(lambda g, out, x: multiply(g, out))

expm1 = defop("expm1", lambda xp, x: xp.expm1(x), ufunc="expm1", **E)
expm1.def_vjp(lambda g, out, x: multiply(g, exp(x)))

log = defop("log", lambda xp, x: xp.log(x), ufunc="log", **E)
log.def_vjp(lambda g, out, x: log_grad(x, g))

log_grad = defop("log_grad", lambda xp, x, g: g * (1 / x), cuda=kernel("math.cu", "log_grad"), **E)
log_grad.def_vjp(lambda gg, out, x, g: negative(gg * g / (x * x)),
                 lambda gg, out, x, g: log_grad(x, gg))

log1p = defop("log1p", lambda xp, x: xp.log1p(x), ufunc="log1p", **E)
log1p.def_vjp(lambda g, out, x: multiply(g, reciprocal(add(x, 1.0))))

abs = defop("abs", lambda xp, x: xp.abs(x), ufunc="absolute", **E)
abs.def_vjp(lambda g, out, x: abs_grad(x, g))

abs_grad = defop("abs_grad", lambda xp, x, g: g * xp.sign(x), cuda=kernel("math.cu", "abs_grad"), **E)
abs_grad.def_vjp(None, lambda gg, out, x, g: abs_grad(x, gg))

sign = defop("sign", lambda xp, x: xp.sign(x), ufunc="sign", **E)
sign.def_vjp(lambda g, out, x: zeros_like(g))

sin = defop("sin", lambda xp, x: xp.sin(x), ufunc="sin", **E)
sin.def_vjp(lambda g, out, x: sin_grad(x, g))

# fused (one dispatch instead of two): the backward of long elementwise chains is dispatch-bound
sin_grad = defop("sin_grad", lambda xp, x, g: g * xp.cos(x), **E)
sin_grad.def_vjp(lambda gg, out, x, g: multiply(multiply(gg, g), negative(sin(x))),
                 lambda gg, out, x, g: sin_grad(x, gg))

cos = defop("cos", lambda xp, x: xp.cos(x), ufunc="cos", **E)
cos.def_vjp(lambda g, out, x: cos_grad(x, g))

cos_grad = defop("cos_grad", lambda xp, x, g: -g * xp.sin(x), **E)
cos_grad.def_vjp(lambda gg, out, x, g: multiply(multiply(gg, g), negative(cos(x))),
                 lambda gg, out, x, g: cos_grad(x, gg))

tan = defop("tan", lambda xp, x: xp.tan(x), ufunc="tan", **E)
tan.def_vjp(lambda g, out, x: multiply(g, square(reciprocal(cos(x)))))

tanh = defop("tanh", lambda xp, x: xp.tanh(x), ufunc="tanh", **E)
tanh.def_vjp(lambda g, out, x: tanh_grad(out, g))

tanh_grad = defop("tanh_grad", lambda xp, y, g: g * (_k(xp, 1, y.dtype) - y * y), cuda=kernel("activation.cu", "tanh_grad"), **E)


def tanh_grad_dy(gg, out, y, g):
    """dy = -2 * y * g * gg"""
    return multiply(multiply(y, -2.0), multiply(g, gg))


tanh_grad.def_vjp(tanh_grad_dy, lambda gg, out, y, g: tanh_grad(y, gg))


def _sigmoid(xp, x):
    # 1/(1+exp(-x)) overflows harmlessly to 0 for very negative x
    one = _k(xp, 1, x.dtype)
    if xp is not np:
        return one / (one + xp.exp(-x))
    with np.errstate(over="ignore"):
        return one / (one + np.exp(-x))


sigmoid = defop("sigmoid", _sigmoid, **E)
sigmoid.def_vjp(lambda g, out, x: sigmoid_grad(out, g))

sigmoid_grad = defop("sigmoid_grad", lambda xp, y, g: g * (y * (_k(xp, 1, y.dtype) - y)),
                     cuda=kernel("activation.cu", "sigmoid_grad"), **E)
sigmoid_grad.def_vjp(lambda gg, out, y, g: gg * g * (1.0 - 2.0 * y),
                     lambda gg, out, y, g: sigmoid_grad(y, gg))


def _softplus(xp, x):
    # log1p(exp(x)) without overflow: max(x,0) + log1p(exp(-|x|))
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


softplus = defop("softplus", _softplus, **E)
softplus.def_vjp(lambda g, out, x: softplus_grad(x, g))

softplus_grad = defop("softplus_grad", lambda xp, x, g: g * _sigmoid(xp, x),
                      cuda=kernel("activation.cu", "softplus_grad"), **E)
softplus_grad.def_vjp(lambda gg, out, x, g: sigmoid_grad(sigmoid(x), gg * g),
                      lambda gg, out, x, g: softplus_grad(x, gg))

def _erf(xp, x):
    return _b.erf(x)


erf = defop("erf", _erf, **E)
erf.def_vjp(lambda g, out, x: multiply(g, multiply(2.0 / np.sqrt(np.pi), exp(negative(square(x))))))

# ---------------------------------------------------------------- max/min/clip/where


def _max_mask(xp, x, y):
    return x >= y


maximum = defop("maximum", lambda xp, x, y: xp.maximum(x, y), ufunc="maximum", **B)
minimum = defop("minimum", lambda xp, x, y: xp.minimum(x, y), ufunc="minimum", **B)


def maximum_dx(g, out, x, y):
    """dx = g where x >= y (ties go to x, as in TensorFlow)"""
    return select_grad(greater_equal(x, y), g, take=True)


def maximum_dy(g, out, x, y):
    """dy = g where x < y"""
    return select_grad(greater_equal(x, y), g, take=False)


def minimum_dx(g, out, x, y):
    """dx = g where x <= y"""
    return select_grad(less_equal(x, y), g, take=True)


def minimum_dy(g, out, x, y):
    """dy = g where x > y"""
    return select_grad(less_equal(x, y), g, take=False)


maximum.def_vjp(maximum_dx, maximum_dy)
minimum.def_vjp(minimum_dx, minimum_dy)


def _select_grad(xp, mask, g, take):
    m = mask if take else ~mask
    return xp.where(m, g, xp.zeros((), dtype=g.dtype))


select_grad = defop("select_grad", _select_grad, cuda=kernel("math.cu", "select_grad"), linear=True)
select_grad.def_vjp(None, lambda gg, out, m, g, take: select_grad(m, gg, take=take))
select_grad.def_jvp(lambda ts, out, m, g, take: None if ts[1] is None else select_grad(m, ts[1], take=take))


def _clip(xp, x, lo, hi):
    # lo <= hi is checked once, by clip_by_value before the op (host bounds on the host, device ones on the device)
    return xp.minimum(xp.maximum(x, lo), hi)


_clip_op = defop("clip_by_value", _clip, elementwise=True, same_dtype=(0, 1, 2))


def clip_dx(g, out, x, lo, hi):
    """dx = g where lo <= x <= hi (both ends inclusive, as in TensorFlow)"""
    return clip_grad(x, lo, hi, g)


_clip_op.def_vjp(clip_dx,
                 lambda g, out, x, lo, hi: select_grad(less(x, lo), g, take=True),
                 lambda g, out, x, lo, hi: select_grad(greater(x, hi), g, take=True))


def _clip_grad(xp, x, lo, hi, g):
    return xp.where((x >= lo) & (x <= hi), g, xp.zeros((), dtype=g.dtype))


clip_grad = defop("clip_grad", _clip_grad, cuda=kernel("math.cu", "clip_grad"), linear=True)
clip_grad.def_vjp(None, None, None, lambda gg, out, x, lo, hi, g: clip_grad(x, lo, hi, gg))
clip_grad.def_jvp(lambda ts, out, x, lo, hi, g: None if ts[3] is None else clip_grad(x, lo, hi, ts[3]))


def _bounds_on_host(v):
    """A host (NumPy) view of a clip bound, or None for a bound that lives on the device."""
    v = getattr(v, "_v", v)
    return None if _b.is_cupy_array(v) else v


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clamp ``t`` to ``[clip_value_min, clip_value_max]``; gradient 1 on both boundaries.

    Raises InvalidArgumentError where any ``clip_value_min > clip_value_max``, as TF's CPU kernel.
    The check is made here, before the op: on the host for Python or NumPy bounds (free), with one
    device->host read for bounds that are CuPy tensors (the price of not clipping silently)."""
    lo, hi = _bounds_on_host(clip_value_min), _bounds_on_host(clip_value_max)
    if lo is not None and hi is not None:
        with np.errstate(invalid="ignore"):
            bad = np.any(np.asarray(lo) > np.asarray(hi))
    else:
        lo_d, hi_d = (getattr(v, "_v", v) for v in (clip_value_min, clip_value_max))
        xp = _b.array_module(lo_d if lo is None else hi_d)
        bad = bool(xp.any(xp.asarray(lo_d) > xp.asarray(hi_d)))
    if bad:
        raise InvalidArgumentError(f"clip_by_value: clip_value_min must be <= clip_value_max "
                                   f"(clip_value_min {_b.to_host(getattr(clip_value_min, '_v', clip_value_min))}, "
                                   f"clip_value_max {_b.to_host(getattr(clip_value_max, '_v', clip_value_max))})")
    return _clip_op(t, clip_value_min, clip_value_max)


def _where_fwd(xp, c, x, y):
    if c.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {c.dtype}")
    return xp.where(c, x, y)


_where_op = defop("where", _where_fwd, same_dtype=(1, 2))
_where_op.def_vjp(None,
                  lambda g, out, c, x, y: select_grad(c, g, take=True),
                  lambda g, out, c, x, y: select_grad(c, g, take=False))
_where_op.def_jvp(lambda ts, out, c, x, y: _where_op(
    c, ts[1] if ts[1] is not None else zeros_like(x), ts[2] if ts[2] is not None else zeros_like(y)))


def where(condition, x=None, y=None, name=None):
    """Elements of ``x`` where ``condition`` else of ``y``; the unselected branch gets a zero gradient."""
    if x is None and y is None:
        from .creation import _where_indices
        return _where_indices(condition)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return _where_op(condition, x, y)


# ---------------------------------------------------------------- non-differentiable
def _nd(name, fn, **kw):
    return defop(name, fn, nondiff=True, **kw)


floor = _nd("floor", lambda xp, x: xp.floor(x))
ceil = _nd("ceil", lambda xp, x: xp.ceil(x))
round = _nd("round", lambda xp, x: xp.round(x))   # half to even, as tf.round
equal = _nd("equal", lambda xp, x, y: xp.equal(x, y), same_dtype=(0, 1))
not_equal = _nd("not_equal", lambda xp, x, y: xp.not_equal(x, y), same_dtype=(0, 1))
less = _nd("less", lambda xp, x, y: xp.less(x, y), same_dtype=(0, 1))
less_equal = _nd("less_equal", lambda xp, x, y: xp.less_equal(x, y), same_dtype=(0, 1))
greater = _nd("greater", lambda xp, x, y: xp.greater(x, y), same_dtype=(0, 1))
greater_equal = _nd("greater_equal", lambda xp, x, y: xp.greater_equal(x, y), same_dtype=(0, 1))
logical_and = _nd("logical_and", lambda xp, x, y: xp.logical_and(x, y), same_dtype=(0, 1))
logical_or = _nd("logical_or", lambda xp, x, y: xp.logical_or(x, y), same_dtype=(0, 1))
logical_not = _nd("logical_not", lambda xp, x: xp.logical_not(x))
is_nan = _nd("is_nan", lambda xp, x: xp.isnan(x))
is_finite = _nd("is_finite", lambda xp, x: xp.isfinite(x))
is_inf = _nd("is_inf", lambda xp, x: xp.isinf(x))
zeros_like_op = _nd("zeros_like", _zeros_like)


def zeros_like(input, dtype=None, name=None):
    from .creation import zeros
    if dtype is not None:
        return zeros(input.shape, dtype=dtype)
    return zeros_like_op(input)


# ---------------------------------------------------------------- cast
def _cast_fwd(xp, x, dtype):
    if dtype.kind in "iu" and x.dtype.kind == "f":
        return xp.trunc(x).astype(dtype)
    return x.astype(dtype)


_cast_op = defop("cast", _cast_fwd, linear=True)
_cast_op.def_vjp(lambda g, out, x, dtype: _cast_op(g, dtype=x._v.dtype) if x._v.dtype.kind in "fc" else None)


def cast(x, dtype, name=None):
    """Convert ``x`` to ``dtype``; float->int truncates and cuts the gradient path."""
    from ..dtypes import np_dtype
    if dtype is None:
        raise TypeError("cast: Cannot convert the argument `type_value`: None to a TensorFlow DType.")
    try:
        npd = np_dtype(dtype)
    except TypeError as e:
        raise TypeError(f"cast: {e}") from None
    x = _tensor(x)
    if x._v.dtype == npd:
        return x if type(x).__name__ == "Tensor" else identity(x)
    return _cast_op(x, dtype=npd)


identity = defop("identity", lambda xp, x: x, linear=True, aliases=True, **E)   # copies a Variable's buffer
identity.def_vjp(lambda g, out, x: g)


def _stop_fwd(xp, x):
    return x


_stop_gradient_op = defop("stop_gradient", _stop_fwd, nondiff=True, aliases=True)


def stop_gradient(input, name=None):
    """Identity forward, no gradient in either mode; a list is stacked first (as in TF)."""
    if isinstance(input, (list, tuple)):
        from .shape import stack
        input = stack(list(input))
    return _stop_gradient_op(input)


def _tensor(x, like=None):
    """``x`` as a tensor (``checks.as_tensor``); a non-tensor takes the dtype of the tensor ``like``."""
    from ..checks import as_tensor
    return as_tensor(x, dtype=None if like is None else like._v.dtype)


def _pair(x, y):
    """Two operands as tensors, a Python number taking the other's dtype (as TF converts them)."""
    from ..tensor import _Base
    if not isinstance(x, _Base) and isinstance(y, _Base):
        return _tensor(x, y), y
    x = _tensor(x)
    return x, _tensor(y, x)


def squared_difference(x, y, name=None):
    """(x - y)**2; float16/32/64, int32 and int64 as TF's SquaredDifference (others: InvalidArgumentError)."""
    x, y = _pair(x, y)
    _rules.check("squared_difference", x)
    d = subtract(x, y)
    return multiply(d, d)


def divide_no_nan(x, y, name=None):
    """x / y, and 0 wherever y == 0 (both in value and gradient); integers divide as ``divide``
    (float32 for 8/16-bit, float64 for 32/64-bit), bool is a TypeError (TF)."""
    x, y = _pair(x, y)
    d = _rules.check("divide_no_nan", x)
    if d.kind in "iu":
        f = _TRUEDIV[d]
        x, y = cast(x, f), cast(y, f)
    z = equal(y, zeros_like(y))
    safe = where(z, ones_like_(y), y)
    q = divide(x, safe)
    return where(z, zeros_like(q), q)


def ones_like_(y):
    from .creation import ones_like
    return ones_like(y)


def xlogy(x, y, name=None):
    """x * log(y), and 0 wherever x == 0 (floats only, as TF)."""
    x, y = _pair(x, y)
    _rules.check("xlogy", x)
    z = equal(x, 0.0)
    safe = where(z, ones_like_(y), y)
    return where(z, zeros_like(x), multiply(x, log(safe)))


def reciprocal_no_nan(x, name=None):
    """1 / x, and 0 where x == 0 (floats only, as TF)."""
    x = _tensor(x)
    _rules.check("reciprocal_no_nan", x)
    return divide_no_nan(1.0, x)


def atan2(y, x, name=None):
    return _atan2(y, x)


_atan2 = defop("atan2", lambda xp, y, x: xp.arctan2(y, x), **B)
_atan2.def_vjp(lambda g, out, y, x: g * x / (x * x + y * y),
               lambda g, out, y, x: negative(g * y / (x * x + y * y)))

def add_n(inputs, name=None):
    """Sum of a list of tensors of one shape and dtype."""
    inputs = list(inputs)
    if not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    inputs[0] = _tensor(inputs[0])
    _rules.check("add_n", inputs[0])
    r = inputs[0]
    for x in inputs[1:]:
        r = add(r, x)
    return r if len(inputs) > 1 else identity(r)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("np", "defop", "kernel", "E", "B")]
