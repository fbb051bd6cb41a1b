"""Every op, gathered in one namespace (operators and rules dispatch through it)."""
from .. import tensor as _tensor, tape as _tape
from ..tensor import convert_to_tensor, constant, Tensor, Variable
from .math import *          # noqa: F401,F403
from .shape import *         # noqa: F401,F403
from .reduce import *        # noqa: F401,F403
from .linalg import *        # noqa: F401,F403
from .creation import *      # noqa: F401,F403
from .nn import *            # noqa: F401,F403

_tensor.ops = _tape.ops = __import__(__name__, fromlist=["*"])
