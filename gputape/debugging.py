"""Debugging beyond TensorFlow: stop at the first NaN/Inf, and ask why a gradient is None.

    with gputape.debugging.check_numerics():
        ...   # raises NumericsError naming the op and the line that recorded it

    gputape.debugging.explain_none(tape, loss, w)   # "source was never watched: ..."
"""
import contextlib

from .op import debug
from .state import state as _state
from .errors import NumericsError  # noqa: F401


def enable_check_numerics():
    """Check every op output, forward and backward, for NaN/Inf (a host sync per op: debugging only)."""
    debug.check_numerics = True
    debug.record_sites = True
    _state._sync()


def disable_check_numerics():
    debug.check_numerics = False
    debug.record_sites = False
    _state._sync()


@contextlib.contextmanager
def check_numerics():
    old = debug.check_numerics, debug.record_sites
    enable_check_numerics()
    try:
        yield
    finally:
        debug.check_numerics, debug.record_sites = old
        _state._sync()


def explain_none(tape, target, source):
    """Why ``tape.gradient(target, source)`` is None: never watched, integer dtype, or a cut path.

    Works on a non-persistent tape after its ``gradient()`` call too: the tape keeps the ids it
    tracked, the cuts (op names and sites: ``.numpy()``, non-differentiable ops, assignments) and
    which sources that call reached, but no arrays."""
    return tape.explain(target, source)
