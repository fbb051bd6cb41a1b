"""check_grads: random-direction finite-difference checks of reverse and forward mode, to any order.

    from gputape.testing import check_grads
    check_grads(lambda x: gputape.tanh(x) ** 2, [np.linspace(-2, 2, 7)], order=2)
"""
import numpy as np

from .tape import GradientTape, ForwardAccumulator
from .tensor import constant, _Base
from . import ops as _ops


def _f64(a):
    return constant(np.asarray(a, dtype=np.float64))


def _vdot(a, b):
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def _num(t):
    return np.asarray(t, dtype=np.float64) if t is not None else None


def check_grads(f, args, order=2, modes=("rev", "fwd"), eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """Check ``f``'s VJP and JVP against central differences in a random direction.

    ``args`` are float64 arrays; ``f`` takes gputape tensors and returns one tensor.
    ``order=2`` also checks the derivative of the VJP (and the JVP) the same way.
    Raises AssertionError with the mismatch on failure.
    """
    rng = np.random.default_rng(seed)
    xs = [np.asarray(a, dtype=np.float64) for a in args]
    y0 = np.asarray(f(*[_f64(x) for x in xs]), dtype=np.float64)
    us = [rng.standard_normal(x.shape) for x in xs]
    fp = np.asarray(f(*[_f64(x + eps * u) for x, u in zip(xs, us)]), dtype=np.float64)
    fm = np.asarray(f(*[_f64(x - eps * u) for x, u in zip(xs, us)]), dtype=np.float64)
    num_jvp = (fp - fm) / (2 * eps)
    if "rev" in modes:
        v = rng.standard_normal(y0.shape)
        ts = [_f64(x) for x in xs]
        with GradientTape() as tape:
            tape.watch(ts)
            y = f(*ts)
        gs = tape.gradient(y, ts, output_gradients=_f64(v), unconnected_gradients="zero")
        lhs = sum(_vdot(g, u) for g, u in zip(gs, us))
        rhs = _vdot(num_jvp, v)
        _close(lhs, rhs, rtol, atol, f"VJP of {getattr(f, '__name__', f)}")
    if "fwd" in modes:
        ts = [_f64(x) for x in xs]
        with ForwardAccumulator(ts, [_f64(u) for u in us]) as acc:
            y = f(*ts)
        j = acc.jvp(y, unconnected_gradients="zero")
        _allclose(_num(j), num_jvp, rtol, atol, f"JVP of {getattr(f, '__name__', f)}")
    if order > 1:
        v2 = rng.standard_normal(y0.shape)

        def vjp_fn(*ts):
            with GradientTape() as tape:
                tape.watch(list(ts))
                y = f(*ts)
            gs = tape.gradient(y, list(ts), output_gradients=_f64(v2), unconnected_gradients="zero")
            return _ops.add_n([_ops.reduce_sum(_ops.multiply(g, _f64(w))) for g, w in zip(gs, us)])

        vjp_fn.__name__ = f"vjp({getattr(f, '__name__', 'f')})"
        check_grads(vjp_fn, xs, order=order - 1, modes=modes, eps=eps, rtol=rtol, atol=atol, seed=seed + 1)


def _close(a, b, rtol, atol, what):
    if not abs(a - b) <= atol + rtol * abs(b):
        raise AssertionError(f"{what}: {a!r} != finite difference {b!r} (diff {abs(a - b):.3g})")


def _allclose(a, b, rtol, atol, what):
    if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        raise AssertionError(f"{what}: max diff {np.max(np.abs(a - b)):.3g}\n got {a}\n want {b}")
