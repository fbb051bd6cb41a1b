"""Issue 7's retracing-warning programs (kind 10), run twice: by ``gen_runtime.py`` under TensorFlow
2.21 (recording ``runtime.json``) and by ``tests/test_silent_runtime.py`` under gputape (comparing
with the record).  Each program is a function of the ``tf`` module; ``warned_calls`` runs a list of
calls and says after which of them the given logger printed a retracing warning.  Nothing here
imports TensorFlow.
"""
import logging


class LogCatcher(logging.Handler):
    """Keeps every record's message, in order."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def warned_calls(calls, logger):
    """Call each thunk with a ``LogCatcher`` on the logger named ``logger``: the 1-based numbers of
    the calls after which a retracing warning was logged, and those warnings' texts."""
    h = LogCatcher()
    log = logging.getLogger(logger)
    log.addHandler(h)
    at, texts = [], []
    try:
        for i, call in enumerate(calls, 1):
            n = len(h.messages)
            call()
            new = [m for m in h.messages[n:] if "retracing" in m]
            if new:
                at.append(i)
                texts += new
    finally:
        log.removeHandler(h)
    return at, texts


def retrace_new_float(tf):
    """A function called 12 times with a new Python float each call: (the Python function, the
    tf.function, the calls)."""
    def f(x, lr):
        return x * lr

    fn = tf.function(f)
    x = tf.constant([1.0, 2.0])
    return f, fn, [lambda i=i: fn(x, 0.1 + i) for i in range(12)]


def retrace_mixed(tf):
    """Calls alternating a repeated and a new float (a trace every other call): (the tf.function,
    the calls)."""
    def g(x, lr):
        return x * lr

    fn = tf.function(g)
    x = tf.constant([1.0, 2.0])
    calls = []
    for i in range(20):
        calls.append(lambda: fn(x, 1.0))
        calls.append(lambda i=i: fn(x, 2.0 + i))
    return fn, calls


def retrace_in_loop(tf):
    """A new tf.function made around the same Python function for each of 8 calls: the calls."""
    def h(x):
        return x + 1.0

    x = tf.constant([1.0, 2.0])
    return [lambda: tf.function(h)(x) for _ in range(8)]


def variable_after_first_call(tf):
    """A tf.function whose second trace creates a Variable: (the first call, the second call)."""
    holder = []

    @tf.function
    def make(x, new):
        if new:
            holder.append(tf.Variable(1.0))
        return x

    x = tf.constant([1.0, 2.0])
    return (lambda: make(x, False)), (lambda: make(x, True))
