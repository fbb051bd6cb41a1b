"""Automatic names of layers, losses and optimizers, per thread as in Keras 3.

Keras 3 keeps its name counters in ``keras.src.backend.common.global_state``, a
``threading.local``: every thread counts from zero, so eight threads building the same model
each get ``'sequential', 'dense', 'dense_1'``; one counter per snake-cased class name, shared by
every kind of object (``uniquify``); ``clear_session()`` resets the calling thread's counters.

    >>> auto_name("Dense"), auto_name("Dense"), auto_name("RMSprop")
    ('dense', 'dense_1', 'rm_sprop')
"""
import collections
import re
import threading

_state = threading.local()


def _counts():
    c = getattr(_state, "counts", None)
    if c is None:
        c = _state.counts = collections.Counter()
    return c


def to_snake_case(name):
    """'MaxPooling2D' -> 'max_pooling2d', 'RMSprop' -> 'rm_sprop' (Keras 3's rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(name):
    """``name`` the first time in this thread, then ``name_1``, ``name_2``, ..."""
    counts = _counts()
    n = counts[name]
    counts[name] = n + 1
    return name if n == 0 else f"{name}_{n}"


def auto_name(class_name):
    return uniquify(to_snake_case(class_name))


def reset_uids():
    """Forget this thread's name counters (``keras.backend.clear_session``)."""
    _state.counts = collections.Counter()


def scope():
    """This thread's stack of layer names whose ``call`` is running (variable paths nest under them)."""
    s = getattr(_state, "scope", None)
    if s is None:
        s = _state.scope = []
    return s
