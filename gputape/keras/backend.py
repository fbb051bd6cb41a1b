"""``keras.backend``: the session-level state gputape's Keras keeps."""
from .naming import reset_uids


def clear_session(free_memory=True):
    """Restart this thread's automatic names ('dense', 'dense_1', ... start again), as Keras 3.
    ``free_memory`` (Keras 3's, default True) has nothing more to free here: gputape keeps no
    graph, and arrays go when their last reference does."""
    reset_uids()


def floatx():
    return "float32"
