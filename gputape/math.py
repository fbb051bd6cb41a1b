"""``gputape.math``: TensorFlow's math namespace."""
from .ops.math import *  # noqa: F401,F403
from .ops.math import abs, pow, round, add, multiply, divide, subtract  # noqa: F401
from .ops.reduce import *  # noqa: F401,F403
from .ops.nn import softplus, sigmoid, tanh, l2_normalize  # noqa: F401
from .ops.math import log as log, exp as exp  # noqa: F401
from .ops.nn import softmax, log_softmax  # noqa: F401
from .ops.reduce import argmax, argmin  # noqa: F401
from .ops.math import sigmoid, tanh  # noqa: F401,F811
from .ops.math import is_nan, is_finite, is_inf  # noqa: F401
from .ops.special import lgamma, digamma, polygamma, erfc, erfinv, xlog1py, log_sigmoid, polyval  # noqa: F401,E402
from .ops.math import reciprocal_no_nan  # noqa: F401,E402
