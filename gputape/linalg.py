"""``gputape.linalg``."""
from .ops.linalg import matmul, tensordot, matvec, outer  # noqa: F401
from .ops.reduce import norm, global_norm  # noqa: F401
from .ops.creation import eye  # noqa: F401
from .ops.shape import transpose as matrix_transpose  # noqa: F401
from .ops.linalg2 import (diag_part, diag, set_diag, band_part, adjoint, trace, inv, det, slogdet, logdet,  # noqa: F401,E402
                          cholesky, triangular_solve, cholesky_solve, solve, lstsq, eigh, eigvalsh, svd, qr, pinv,
                          expm)
from .ops.linalg2 import matrix_transpose  # noqa: F401,F811,E402  (the last two axes, not tf.transpose)
