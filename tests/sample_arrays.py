"""Random arrays salted with the values kernels get wrong first (signed zeros, infinities, NaN)."""
import numpy as np

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, np.inf, -np.inf, np.nan, 1e-3, 30.0, -30.0]


def sample(rng, shape, dt, lo=-3.0, hi=3.0, special=True):
    """Uniform values in [lo, hi) of dtype ``dt``, a third of them (at most 12) replaced by SPECIAL."""
    a = rng.uniform(lo, hi, size=shape)
    if special and a.size:
        flat = a.reshape(-1)
        k = min(len(SPECIAL), flat.size // 3)
        flat[rng.choice(flat.size, size=k, replace=False)] = SPECIAL[:k]
    return a.astype(dt)
