"""Every op, gathered in one namespace (operators and rules dispatch through it)."""
from .. import tensor as _tensor, tape as _tape
from ..tensor import convert_to_tensor, constant, Tensor, Variable
from .math import *          # noqa: F401,F403
from .shape import *         # noqa: F401,F403
from .reduce import *        # noqa: F401,F403
from .linalg import *        # noqa: F401,F403
from .creation import *      # noqa: F401,F403
from .nn import *            # noqa: F401,F403
from . import random_ops as _random_ops  # noqa: F401  (adds Generator, categorical, ... to random)
from .indexing import *      # noqa: F401,F403
from .sorting import *       # noqa: F401,F403
from .array import *         # noqa: F401,F403

_tensor.ops = _tape.ops = __import__(__name__, fromlist=["*"])
from ..op import _const_tensor as _ct, _bind_const_tensors  # noqa: E402
_bind_const_tensors()           # tensor._CONSTS: the backend's constant-Tensor cache (rebound on a backend change)
_tensor._add, _tensor._sub, _tensor._mul, _tensor._div, _tensor._const_tensor = add, subtract, multiply, divide, _ct

# submodules stay out of `from gputape.ops import *`: otherwise gputape.math/nn/linalg would be
# bound to gputape.ops.math/nn/linalg before the real namespaces are imported
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and type(_v) is not type(_tensor)]
