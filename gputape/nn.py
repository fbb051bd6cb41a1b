"""``gputape.nn``: activations and losses."""
from .ops.nn import *  # noqa: F401,F403
from .ops.math import sigmoid, tanh, softplus  # noqa: F401
from .ops.nn import relu, leaky_relu, elu, gelu, softmax, log_softmax  # noqa: F401
from .ops.conv import *  # noqa: F401,F403
from .ops.nn2 import *  # noqa: F401,F403,E402
