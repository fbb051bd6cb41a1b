"""The public elementwise, reduction and nn ops whose dtype rules are recorded from TensorFlow
(``tests/tf_fixtures/gen_dtype.py``) and checked against gputape (``tests/test_silent_dtype.py``).

Each entry is ``name: (input kind, call)`` where ``call(m, *tensors)`` uses only names that
``tensorflow`` and ``gputape`` share, so one table drives both the recording and the tests.
"""
import numpy as np

DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")

# input kind -> the arrays (cast to the dtype under test)
_INPUTS = {
    "u": ([1, 2],),                              # unary, vector
    "b": ([4, 6], [2, 3]),                       # binary
    "m": ([[1, 2], [3, 4]],),                    # unary, matrix
    "mm": ([[1, 0], [0, 1]], [[1, 2], [3, 4]]),  # labels, logits
    "mb": ([[1, 2], [3, 4]], [1, 2]),            # value, bias
}


def inputs(kind, dtype, constant):
    if kind == "sparse":
        return [constant(np.array([0, 1], np.int32)), constant(np.array([[1, 2], [3, 4]]).astype(dtype))]
    if kind == "w":
        return [constant(np.array([True, False])), constant(np.array([4, 6]).astype(dtype)),
                constant(np.array([2, 3]).astype(dtype))]
    return [constant(np.array(a).astype(dtype)) for a in _INPUTS[kind]]


def _u(fn):
    return ("u", fn)


OPS = {
    # math, unary
    "negative": _u(lambda m, x: m.math.negative(x)),
    "square": _u(lambda m, x: m.math.square(x)),
    "sqrt": _u(lambda m, x: m.math.sqrt(x)),
    "rsqrt": _u(lambda m, x: m.math.rsqrt(x)),
    "reciprocal": _u(lambda m, x: m.math.reciprocal(x)),
    "reciprocal_no_nan": _u(lambda m, x: m.math.reciprocal_no_nan(x)),
    "exp": _u(lambda m, x: m.math.exp(x)),
    "expm1": _u(lambda m, x: m.math.expm1(x)),
    "log": _u(lambda m, x: m.math.log(x)),
    "log1p": _u(lambda m, x: m.math.log1p(x)),
    "abs": _u(lambda m, x: m.math.abs(x)),
    "sign": _u(lambda m, x: m.math.sign(x)),
    "sin": _u(lambda m, x: m.math.sin(x)),
    "cos": _u(lambda m, x: m.math.cos(x)),
    "tan": _u(lambda m, x: m.math.tan(x)),
    "tanh": _u(lambda m, x: m.math.tanh(x)),
    "sigmoid": _u(lambda m, x: m.math.sigmoid(x)),
    "softplus": _u(lambda m, x: m.math.softplus(x)),
    "erf": _u(lambda m, x: m.math.erf(x)),
    "floor": _u(lambda m, x: m.math.floor(x)),
    "ceil": _u(lambda m, x: m.math.ceil(x)),
    "round": _u(lambda m, x: m.math.round(x)),
    "logical_not": _u(lambda m, x: m.math.logical_not(x)),
    "is_nan": _u(lambda m, x: m.math.is_nan(x)),
    "is_finite": _u(lambda m, x: m.math.is_finite(x)),
    "is_inf": _u(lambda m, x: m.math.is_inf(x)),
    "zeros_like": _u(lambda m, x: m.zeros_like(x)),
    "identity": _u(lambda m, x: m.identity(x)),
    "stop_gradient": _u(lambda m, x: m.stop_gradient(x)),
    # math, binary
    "add": ("b", lambda m, x, y: m.math.add(x, y)),
    "subtract": ("b", lambda m, x, y: m.math.subtract(x, y)),
    "multiply": ("b", lambda m, x, y: m.math.multiply(x, y)),
    "divide": ("b", lambda m, x, y: m.math.divide(x, y)),
    "floordiv": ("b", lambda m, x, y: m.math.floordiv(x, y)),
    "floormod": ("b", lambda m, x, y: m.math.floormod(x, y)),
    "pow": ("b", lambda m, x, y: m.math.pow(x, y)),
    "maximum": ("b", lambda m, x, y: m.math.maximum(x, y)),
    "minimum": ("b", lambda m, x, y: m.math.minimum(x, y)),
    "squared_difference": ("b", lambda m, x, y: m.math.squared_difference(x, y)),
    "divide_no_nan": ("b", lambda m, x, y: m.math.divide_no_nan(x, y)),
    "xlogy": ("b", lambda m, x, y: m.math.xlogy(x, y)),
    "atan2": ("b", lambda m, x, y: m.math.atan2(x, y)),
    "equal": ("b", lambda m, x, y: m.math.equal(x, y)),
    "not_equal": ("b", lambda m, x, y: m.math.not_equal(x, y)),
    "less": ("b", lambda m, x, y: m.math.less(x, y)),
    "less_equal": ("b", lambda m, x, y: m.math.less_equal(x, y)),
    "greater": ("b", lambda m, x, y: m.math.greater(x, y)),
    "greater_equal": ("b", lambda m, x, y: m.math.greater_equal(x, y)),
    "logical_and": ("b", lambda m, x, y: m.math.logical_and(x, y)),
    "logical_or": ("b", lambda m, x, y: m.math.logical_or(x, y)),
    "add_n": ("b", lambda m, x, y: m.math.add_n([x, y])),
    "clip_by_value": ("b", lambda m, x, y: m.clip_by_value(x, y, x)),
    "where": ("w", lambda m, c, x, y: m.where(c, x, y)),
    "matmul": ("m", lambda m, x: m.linalg.matmul(x, x)),
    # reductions and scans
    "reduce_sum": ("m", lambda m, x: m.math.reduce_sum(x)),
    "reduce_sum_axis": ("m", lambda m, x: m.math.reduce_sum(x, axis=1)),
    "reduce_mean": ("m", lambda m, x: m.math.reduce_mean(x)),
    "reduce_max": ("m", lambda m, x: m.math.reduce_max(x)),
    "reduce_min": ("m", lambda m, x: m.math.reduce_min(x, axis=0)),
    "reduce_prod": ("m", lambda m, x: m.math.reduce_prod(x)),
    "reduce_logsumexp": ("m", lambda m, x: m.math.reduce_logsumexp(x)),
    "reduce_variance": ("m", lambda m, x: m.math.reduce_variance(x)),
    "reduce_std": ("m", lambda m, x: m.math.reduce_std(x)),
    "reduce_euclidean_norm": ("m", lambda m, x: m.math.reduce_euclidean_norm(x)),
    "reduce_any": ("m", lambda m, x: m.math.reduce_any(x)),
    "reduce_all": ("m", lambda m, x: m.math.reduce_all(x)),
    "argmax": ("m", lambda m, x: m.math.argmax(x, axis=1)),
    "argmin": ("m", lambda m, x: m.math.argmin(x)),
    "cumsum": ("m", lambda m, x: m.math.cumsum(x, axis=1)),
    "count_nonzero": ("m", lambda m, x: m.math.count_nonzero(x)),
    "norm": ("m", lambda m, x: m.norm(x)),
    "clip_by_norm": ("m", lambda m, x: m.clip_by_norm(x, 1.0)),
    "clip_by_global_norm": ("m", lambda m, x: (lambda r: (r[0][0], r[1]))(m.clip_by_global_norm([x], 1.0))),
    # nn
    "relu": _u(lambda m, x: m.nn.relu(x)),
    "relu6": _u(lambda m, x: m.nn.relu6(x)),
    "leaky_relu": _u(lambda m, x: m.nn.leaky_relu(x)),
    "elu": _u(lambda m, x: m.nn.elu(x)),
    "selu": _u(lambda m, x: m.nn.selu(x)),
    "gelu": _u(lambda m, x: m.nn.gelu(x)),
    "silu": _u(lambda m, x: m.nn.silu(x)),
    "softsign": _u(lambda m, x: m.nn.softsign(x)),
    "softmax": ("m", lambda m, x: m.nn.softmax(x)),
    "log_softmax": ("m", lambda m, x: m.nn.log_softmax(x)),
    "l2_loss": ("m", lambda m, x: m.nn.l2_loss(x)),
    "l2_normalize": ("m", lambda m, x: m.nn.l2_normalize(x, axis=1)),
    "moments": ("m", lambda m, x: m.nn.moments(x, axes=[0])),
    "bias_add": ("mb", lambda m, x, b: m.nn.bias_add(x, b)),
    "softmax_cross_entropy_with_logits": ("mm", lambda m, z, x: m.nn.softmax_cross_entropy_with_logits(
        labels=z, logits=x)),
    "sparse_softmax_cross_entropy_with_logits": ("sparse", lambda m, z, x: (
        m.nn.sparse_softmax_cross_entropy_with_logits(labels=z, logits=x))),
    "sigmoid_cross_entropy_with_logits": ("mm", lambda m, z, x: m.nn.sigmoid_cross_entropy_with_logits(
        labels=z, logits=x)),
}
