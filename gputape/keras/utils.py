"""``keras.utils``: the session-level helpers of Keras 3 that gputape has."""
import random as _python_random

import numpy as np


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy's global generator and gputape's (``gputape.random.set_seed``)
    with ``seed``, as Keras 3's ``set_random_seed`` seeds Python, NumPy and TensorFlow; an
    unseeded initializer, dropout or ``gputape.random`` draw is then reproducible.  A non-int seed
    is ValueError (Keras 3's message)."""
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    from ..ops import random
    _python_random.seed(seed)
    np.random.seed(seed)
    random.set_seed(seed)
