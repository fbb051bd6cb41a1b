"""Tensor creation and random numbers (random tensors are constants to the tape)."""
import numpy as np

from .. import backend as _b
from ..dtypes import np_dtype
from ..tensor import _wrap, _Base, convert_to_tensor, Tensor
from .shape import _ints

_F32 = np.dtype(np.float32)


def _shape_of(shape):
    return _ints(shape) if not isinstance(shape, (int, np.integer)) else (int(shape),)


def zeros(shape, dtype=None, name=None):
    return _wrap(_b.get_xp().zeros(_shape_of(shape), dtype=np_dtype(dtype) or _F32))


def ones(shape, dtype=None, name=None):
    return _wrap(_b.get_xp().ones(_shape_of(shape), dtype=np_dtype(dtype) or _F32))


def ones_like(input, dtype=None, name=None):
    v = input._v if isinstance(input, _Base) else convert_to_tensor(input)._v
    return _wrap(_b.get_xp().ones(v.shape, dtype=np_dtype(dtype) or v.dtype))


def fill(dims, value, name=None):
    v = convert_to_tensor(value)._v
    return _wrap(_b.get_xp().full(_shape_of(dims), v, dtype=v.dtype))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=None, name=None):
    xp = _b.get_xp()
    e = xp.eye(int(num_rows), None if num_columns is None else int(num_columns), dtype=np_dtype(dtype) or _F32)
    if batch_shape is not None:
        e = xp.broadcast_to(e, tuple(batch_shape) + e.shape).copy()
    return _wrap(e)


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """``tf.range``: int32 for integer arguments, float32 when any is a float."""
    vals = [start, limit, delta]
    vals = [np.asarray(v).item() if isinstance(v, _Base) else v for v in vals]
    start, limit, delta = vals
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        dtype = _F32 if any(isinstance(v, float) for v in (start, limit, delta)) else np.dtype(np.int32)
    return _wrap(_b.get_xp().arange(start, limit, delta, dtype=np_dtype(dtype)))


def linspace(start, stop, num, name=None, axis=0):
    xp = _b.get_xp()
    s = convert_to_tensor(start)._v
    dt = s.dtype if s.dtype.kind == "f" else _F32
    return _wrap(xp.linspace(float(start), float(stop), int(num), dtype=dt))


def _where_indices(condition):
    xp = _b.get_xp()
    return _wrap(xp.stack(xp.nonzero(condition._v), axis=-1).astype(np.int64))


def size_of(x):
    return int(np.prod(x.shape))


class _Random:
    """tf.random: a global seed makes every later draw reproducible (same seed, same backend, same numbers)."""

    def __init__(self):
        self._gen = None
        self._op_gens = {}

    def _rng(self):
        if self._gen is None:
            self._gen = _b.get_xp().random.default_rng() if _b.get_xp() is not np else np.random.default_rng()
        return self._gen

    def set_seed(self, seed):
        self._op_gens = {}
        xp = _b.get_xp()
        self._gen = xp.random.default_rng(int(seed)) if xp is not np else np.random.default_rng(int(seed))

    def _op_rng(self, seed):
        """An op-level seed gives its own stream: reproducible across runs, new values on each call."""
        if seed is None:
            return self._rng()
        g = self._op_gens.get(int(seed))
        if g is None:
            xp = _b.get_xp()
            g = xp.random.default_rng(int(seed)) if xp is not np else np.random.default_rng(int(seed))
            self._op_gens[int(seed)] = g
        return g

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
        npd = np_dtype(dtype) or _F32
        if npd.kind != "f":
            raise ValueError(f"Invalid dtype {npd.name} for random.normal: it needs a floating dtype")
        r = self._op_rng(seed).standard_normal(_shape_of(shape), dtype=np.float64 if npd.itemsize > 4 else np.float32)
        return _wrap((r * stddev + mean).astype(npd))

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
        xp = _b.get_xp()
        rng = self._op_rng(seed)
        npd = np_dtype(dtype) or _F32
        r = rng.standard_normal(_shape_of(shape))
        bad = xp.abs(r) > 2
        while bool(bad.any()):
            r = xp.where(bad, rng.standard_normal(r.shape), r)
            bad = xp.abs(r) > 2
        return _wrap((r * stddev + mean).astype(npd))

    def uniform(self, shape, minval=0, maxval=None, dtype=None, seed=None, name=None):
        npd = np_dtype(dtype) or _F32
        rng = self._op_rng(seed)
        if npd.kind in "iu":
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype tf.{npd.name}")
            return _wrap(rng.integers(int(minval), int(maxval), size=_shape_of(shape)).astype(npd))
        if maxval is None:
            maxval = 1.0
        r = rng.random(_shape_of(shape), dtype=np.float64 if npd.itemsize > 4 else np.float32)
        return _wrap((r * (maxval - minval) + minval).astype(npd))

    def shuffle(self, value, seed=None, name=None):
        xp = _b.get_xp()
        idx = self._op_rng(seed).permutation(value.shape[0])
        return _wrap(value._v[xp.asarray(idx)])


random = _Random()

__all__ = ["zeros", "ones", "ones_like", "fill", "eye", "range", "linspace", "random"]
