"""gputape: TensorFlow's GradientTape API on CuPy (GPU) or NumPy (CPU).

    import gputape as tf
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    print(tape.gradient(y, x))      # tf.Tensor(6.0, shape=(), dtype=float32)
"""
__version__ = "0.1.0"

from .backend import set_backend, backend_name, BackendError
from .dtypes import (DType, as_dtype, float16, float32, float64, int8, int16, int32, int64, uint8, bool_, half,
                     double)
from .tensor import Tensor, Variable, TensorShape, constant, convert_to_tensor, is_tensor
from .errors import InvalidArgumentError, NumericsError
from . import ops as _ops
from .ops import *  # noqa: F401,F403
from .ops import random
from .tape import GradientTape, ForwardAccumulator, UnconnectedGradients
from .custom import custom_gradient, recompute_grad, grad_pass_through
from . import nest, autodiff, math, nn, linalg, debugging, errors, optimizers, keras, testing
from . import image  # noqa: E402  (issue 10: image.resize/flip)
from .function import function, TensorSpec
from .module import Module

bool = bool_   # noqa: A001  (tf.bool)
newaxis = None
from .dtypes import string  # noqa: E402  (tf.string: any use is a TypeError naming it)
from .control_flow import (cond, case, switch_case, while_loop, foldl, foldr, scan, map_fn,  # noqa: E402
                           vectorized_map, identity_n, no_op, group)
from .tensor_array import TensorArray  # noqa: E402
from .printing import print  # noqa: E402,A001
from .indexed_slices import IndexedSlices  # noqa: E402
from . import config  # noqa: E402
from .config import device  # noqa: E402
from .asserts import Assert, assert_equal, assert_less, assert_greater, assert_rank  # noqa: E402
from . import train  # noqa: E402
from . import data  # noqa: E402  (tf.data: input pipelines)
from . import distribute  # noqa: E402  (issue 13: data-parallel over MPI/NCCL, Horovod-style)
