"""check_grads: random-direction finite-difference checks of reverse and forward mode, to any order.

    import numpy as np, gputape
    from gputape.testing import check_grads
    check_grads(lambda x: gputape.tanh(x) ** 2, [np.linspace(-2, 2, 7)], order=2)

For a direction ``u`` and a cotangent ``v`` (both random), the VJP must satisfy
``<vjp(v), u> == <v, (f(x + eps u) - f(x - eps u)) / 2 eps>`` and the JVP must equal
that central difference.  ``order=2`` then checks the function ``x -> <vjp(v2), u>``
the same way, which covers reverse-over-reverse and forward-over-reverse.
"""
import numpy as np

from .tape import GradientTape, ForwardAccumulator
from .tensor import constant
from . import ops as _ops

_MODES = ("rev", "fwd")


def _f64(a):
    return constant(np.asarray(a, dtype=np.float64))


def _vdot(a, b):
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def _outputs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _host(ys):
    return [np.asarray(y, dtype=np.float64) for y in ys]


def check_grads(f, args, order=2, modes=_MODES, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """Check ``f``'s VJP and JVP against float64 central differences in a random direction.

    ``f`` takes gputape tensors (one per entry of ``args``, float64 arrays) and returns a
    tensor or a tuple/list of tensors.  ``modes`` picks reverse (``"rev"``) and/or forward
    (``"fwd"``) mode.  ``order=2`` also checks the derivative of the VJP, in the same modes.
    Gradients must have their source's shape and dtype, tangents their output's.
    Raises AssertionError naming the mode, the order and the mismatch.
    """
    modes = tuple(modes)
    unknown = set(modes) - set(_MODES)
    if unknown:
        raise ValueError(f"check_grads: unknown modes {sorted(unknown)}; use 'rev' and/or 'fwd'")
    xs = [np.asarray(a, dtype=np.float64) for a in args]
    name = getattr(f, "__name__", repr(f))
    _check(f, xs, order, modes, eps, rtol, atol, seed, name, 1)


def _check(f, xs, order, modes, eps, rtol, atol, seed, name, level):
    rng = np.random.default_rng(seed)
    what = f"{name} (derivative order {level})"
    y0 = _host(_outputs(f(*[_f64(x) for x in xs])))
    us = [rng.standard_normal(x.shape) for x in xs]
    fp = _host(_outputs(f(*[_f64(x + eps * u) for x, u in zip(xs, us)])))
    fm = _host(_outputs(f(*[_f64(x - eps * u) for x, u in zip(xs, us)])))
    num_jvp = [(p - m) / (2 * eps) for p, m in zip(fp, fm)]
    vs = [rng.standard_normal(y.shape) for y in y0]
    if "rev" in modes:
        ts = [_f64(x) for x in xs]
        with GradientTape() as tape:
            tape.watch(ts)
            ys = _outputs(f(*ts))
        gs = tape.gradient(ys, ts, output_gradients=[_f64(v) for v in vs], unconnected_gradients="zero")
        for i, (g, x) in enumerate(zip(gs, xs)):
            if tuple(g.shape) != x.shape or g.dtype != np.float64:
                raise AssertionError(f"VJP of {what}: the gradient for argument #{i} has shape "
                                     f"{tuple(g.shape)} and dtype {g.dtype.name}, want {x.shape} float64")
        lhs = sum(_vdot(g, u) for g, u in zip(gs, us))
        rhs = sum(_vdot(n, v) for n, v in zip(num_jvp, vs))
        _close(lhs, rhs, rtol, atol, f"VJP of {what}")
    if "fwd" in modes:
        ts = [_f64(x) for x in xs]
        with ForwardAccumulator(ts, [_f64(u) for u in us]) as acc:
            ys = _outputs(f(*ts))
        for k, (y, n) in enumerate(zip(ys, num_jvp)):
            j = acc.jvp(y, unconnected_gradients="zero")
            if tuple(j.shape) != n.shape:
                raise AssertionError(f"JVP of {what}: output #{k} has a tangent of shape {tuple(j.shape)}, "
                                     f"want {n.shape}")
            _allclose(np.asarray(j, dtype=np.float64), n, rtol, atol, f"JVP of {what}, output #{k}")
    if order > 1:
        v2 = [rng.standard_normal(y.shape) for y in y0]

        def vjp_fn(*ts):
            with GradientTape() as tape:
                tape.watch(list(ts))
                ys = _outputs(f(*ts))
            gs = tape.gradient(ys, list(ts), output_gradients=[_f64(v) for v in v2],
                               unconnected_gradients="zero")
            return _ops.add_n([_ops.reduce_sum(_ops.multiply(g, _f64(u))) for g, u in zip(gs, us)])

        _check(vjp_fn, xs, order - 1, modes, eps, rtol, atol, seed + 1, name, level + 1)


def _close(a, b, rtol, atol, what):
    if not abs(a - b) <= atol + rtol * abs(b):
        raise AssertionError(f"{what}: {a!r} != finite difference {b!r} (diff {abs(a - b):.3g})")


def _allclose(a, b, rtol, atol, what):
    if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        raise AssertionError(f"{what}: max diff {np.max(np.abs(a - b)):.3g}\n got {a}\n want {b}")
