"""TensorFlow's ``tf.debugging`` (``check_numerics``, the ``assert_*`` functions), and debugging beyond
TensorFlow: stop at the first NaN/Inf, and ask why a gradient is None.

    with gputape.debugging.check_numerics_scope():
        ...   # raises NumericsError naming the op and the line that recorded it

    gputape.debugging.explain_none(tape, loss, w)   # "source was never watched: ..."
"""
import contextlib

from .state import state as _state
from .errors import NumericsError  # noqa: F401


def enable_check_numerics():
    """Check every op output of the calling thread, forward and backward, for NaN/Inf (a host sync per op:
    debugging only).  Per thread, as TensorFlow's ``tf.debugging.enable_check_numerics`` (an op callback
    kept in thread-local context): other threads are not affected."""
    _state.check_numerics = True
    _state.record_sites = True


def disable_check_numerics():
    """Stop checking in the calling thread (other threads keep their own setting)."""
    _state.check_numerics = False
    _state.record_sites = False


@contextlib.contextmanager
def check_numerics_scope():
    """Check numerics of every op inside the block (as ``enable_check_numerics``), in this thread only; the
    thread's previous setting is restored.  (``check_numerics(tensor, message)`` is TF's function.)"""
    old = _state.check_numerics, _state.record_sites
    enable_check_numerics()
    try:
        yield
    finally:
        _state.check_numerics, _state.record_sites = old


def explain_none(tape, target, source):
    """Why ``tape.gradient(target, source)`` is None: never watched, integer dtype, or a cut path.

    Works on a non-persistent tape after its ``gradient()`` call too: the tape keeps the ids it
    tracked, the cuts (op names and sites: ``.numpy()``, non-differentiable ops, assignments) and
    which sources that call reached, but no arrays."""
    return tape.explain(target, source)


from .asserts import (check_numerics, assert_equal, assert_not_equal, assert_less, assert_less_equal,  # noqa: E402,F401
                      assert_greater, assert_greater_equal, assert_near, assert_rank, assert_rank_at_least,
                      assert_shapes, assert_all_finite, assert_type, assert_non_negative, assert_positive,
                      assert_negative, assert_non_positive, assert_scalar, Assert)
