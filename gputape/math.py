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
from .ops.sorting import top_k, in_top_k  # noqa: F401  (issue 10: sorting, segments and scans)
from .ops.segment import (segment_sum, segment_mean, segment_max, segment_min, segment_prod,  # noqa: F401
                          unsorted_segment_sum, unsorted_segment_mean, unsorted_segment_max, unsorted_segment_min,
                          unsorted_segment_prod, bincount, cumprod, cumulative_logsumexp)
