"""The dtypes TensorFlow 2.21 allows for each op: one table, read by the dispatch.

``RULES[name]`` holds the dtypes op ``name`` accepts for its typed input (input 0 unless the
rule says otherwise) and the exception TensorFlow raises for the others.  A primitive op (see
``gputape.op.Op``) finds its rule by its own name when it is declared and checks
``input.dtype in allowed`` (one set lookup) before computing; a composite op written in
Python (``selu``, ``moments``, ...) calls ``check(name, x)`` once at its top so the error
names the op the user called, not an inner one.

Recorded with TensorFlow 2.21 on the CPU (``tests/tf_fixtures/gen_dtype.py``, cases
``table/<op>/<dtype>``): most refusals are ``InvalidArgumentError: Value for attr 'T' of int32
is not in the list of allowed values: ...``; a few ops refuse in their Python wrapper with a
TypeError or ValueError, and some have the op but no CPU kernel (``NotFoundError``).
"""
import numpy as np

from .errors import InvalidArgumentError, NotFoundError  # noqa: F401 (NotFoundError: re-exported)


_TF_NAME = {"float16": "half", "float32": "float", "float64": "double"}

F = ("float16", "float32", "float64")
I = ("int8", "int16", "int32", "int64")
U = ("uint8",)
B = ("bool",)
NUM = F + I + U
ALL = NUM + B


class Rule:
    """The dtypes one op allows; ``errors`` maps a refused dtype name to the class TF raises for it
    (default InvalidArgumentError)."""
    __slots__ = ("allowed", "arg", "errors", "names")

    def __init__(self, allowed, arg=0, errors=None):
        self.names = tuple(allowed)
        self.allowed = frozenset(np.dtype(n) for n in allowed)
        self.arg = arg
        self.errors = errors or {}


def _err(cls, names):
    return {n: cls for n in names}


RULES = {}


def _rule(names, allowed, **kw):
    for n in names.split():
        RULES[n] = Rule(allowed, **kw)


# ---- math (primitives in gputape/ops/math.py, composites named as in tf.math)
_rule("add subtract multiply add_n maximum minimum clip_by_value floordiv floormod square "
      "less less_equal greater greater_equal", NUM)
_rule("divide divide_no_nan", NUM, errors=_err(TypeError, B))      # TF's wrapper: "Invalid dtype tf.bool"
_rule("negative abs sign pow", F + I)
_rule("squared_difference", F + ("int32", "int64"))
_rule("reciprocal", F, errors=_err(NotFoundError, I))             # op defined for ints, no CPU kernel
_rule("reciprocal_no_nan", F, errors=_err(TypeError, B))
_rule("sqrt rsqrt exp expm1 log log1p sin cos tan tanh sigmoid softplus erf floor ceil is_nan is_finite "
      "is_inf atan2 xlogy", F)
_rule("round", NUM)
_rule("equal not_equal identity stop_gradient zeros_like", ALL)
_rule("logical_and logical_or logical_not", B)
RULES["where"] = Rule(ALL, arg=1)

# ---- reductions and scans (gputape/ops/reduce.py)
_rule("reduce_sum reduce_mean reduce_max reduce_min reduce_prod cumsum reduce_euclidean_norm", NUM)
_rule("reduce_any reduce_all", B)
_rule("argmax argmin count_nonzero", ALL)
_rule("reduce_logsumexp clip_by_norm global_norm clip_by_global_norm", F)
_rule("reduce_variance reduce_std", F, errors=_err(TypeError, I + U))   # "Input must be either real or complex"
_rule("norm", F, errors=_err(TypeError, B))                              # "Expected numeric or variant tensor"

# ---- nn (gputape/ops/nn.py)
_rule("relu relu6 bias_add bias_act", NUM)
_rule("leaky_relu", NUM)                      # TF casts integer features to float32 first
_rule("elu selu silu softsign softmax log_softmax l2_loss sigmoid_cross_entropy_with_logits", F)
_rule("gelu", F, errors=_err(ValueError, I + U + B))                    # "`features.dtype` must be floating"
_rule("l2_normalize", F, errors=_err(TypeError, I + U))                 # "Cannot convert 1e-12 to ... int32"
_rule("moments", F + ("int32", "int64"))
RULES["softmax_cross_entropy_with_logits"] = Rule(F, arg=1)
RULES["sparse_softmax_cross_entropy_with_logits"] = Rule(F, arg=1)

# ---- linalg (the op itself lives in gputape/ops/linalg.py; its rule is here with the others)
_rule("matmul", F + ("int32", "int64"), errors=_err(NotFoundError, U))
_rule("matrix_inverse qr", F)                      # tests/tf_fixtures/gen_opsmath.py, cases dtype/<op>/<dtype>
_rule("matrix_determinant log_matrix_determinant cholesky matrix_triangular_solve matrix_solve matrix_solve_ls "
      "self_adjoint_eig svd matrix_exponential erfinv", ("float32", "float64"),
      errors=_err(NotFoundError, ("float16",)))        # TF defines them for half but has no CPU kernel
_rule("lgamma digamma polygamma erfc xlog1py log_sigmoid", F)
_rule("avg_pool depthwise_conv2d weighted_cross_entropy_with_logits", F)  # gen_opsmath.py


def raise_for(name, dtype, shape=None, arg=None):
    """Raise TF's error for op ``name`` given an input of ``dtype`` it does not allow."""
    rule = RULES[name]
    dt = np.dtype(dtype).name
    cls = rule.errors.get(dt, InvalidArgumentError)
    where = f"input #{rule.arg if arg is None else arg}" + (f" of shape {tuple(shape)}" if shape is not None else "")
    allowed = ", ".join(_TF_NAME.get(n, n) for n in rule.names)
    if cls is NotFoundError:
        msg = (f"{name}: Could not find device for node: {name}[T=DT_{dt.upper()}] ({where}): TensorFlow "
               f"defines the op for {dt} but has no CPU kernel; supported here: {allowed}")
    elif cls is TypeError:
        msg = f"{name}: Invalid dtype tf.{dt} ({where}). Expected one of {{{allowed}}}"
    elif cls is ValueError:
        msg = f"{name}: `features.dtype` must be a floating point tensor. Received: {where} of dtype {dt}"
    else:
        msg = (f"{name}: Value for attr 'T' of {_TF_NAME.get(dt, dt)} is not in the list of allowed values: "
               f"{allowed} ({where})")
    raise cls(msg)


def check(name, x):
    """For composite ops: raise TF's error unless tensor (or array) ``x``'s dtype is allowed for ``name``."""
    v = getattr(x, "_v", x)
    d = v.dtype
    if d not in RULES[name].allowed:
        raise_for(name, d, getattr(v, "shape", None))
    return d


def allowed(name):
    """The frozenset of numpy dtypes op ``name`` allows (None: no rule, every dtype)."""
    r = RULES.get(name)
    return None if r is None else r.allowed

# ---- indexing, sorting, segments and scans (gputape/ops/indexing.py, sorting.py, segment.py; issue 10)
_rule("einsum", F + ("int32", "int64"), errors=_err(NotFoundError, ("int8", "int16", "uint8", "bool")))
_rule("tensor_scatter_nd_add tensor_scatter_nd_sub tensor_scatter_nd_min tensor_scatter_nd_max", NUM,
      errors=_err(NotFoundError, B))                       # TF defines them for bool, with no CPU kernel
_rule("sort argsort", NUM)
_rule("top_k cumprod", NUM)
_rule("cumulative_logsumexp", F)
_rule("segment_sum segment_mean segment_max segment_min segment_prod unsorted_segment_sum unsorted_segment_mean "
      "unsorted_segment_max unsorted_segment_min unsorted_segment_prod", NUM)
_rule("resize", NUM)
_rule("searchsorted", NUM, errors=_err(NotFoundError, B))
