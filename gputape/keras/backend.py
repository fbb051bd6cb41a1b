"""``keras.backend``: the session-level state gputape's Keras keeps."""
from .naming import reset_uids


def clear_session():
    """Restart this thread's automatic names ('dense', 'dense_1', ... start again), as Keras 3."""
    reset_uids()


def floatx():
    return "float32"
