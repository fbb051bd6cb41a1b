"""``gputape.linalg``."""
from .ops.linalg import matmul, tensordot, matvec, outer  # noqa: F401
from .ops.reduce import norm, global_norm  # noqa: F401
from .ops.creation import eye  # noqa: F401
from .ops.shape import transpose as matrix_transpose  # noqa: F401
