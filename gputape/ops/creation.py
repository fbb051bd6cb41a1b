"""Tensor creation and random numbers (random tensors are constants to the tape).

Every function checks its shape arguments as TensorFlow 2.21 does before allocating: a float where
TF wants an int raises (never truncated), a negative dimension is an InvalidArgumentError, and an
output beyond memory a ResourceExhaustedError naming the op and shape (``checks.check_size``).
"""
import numpy as np

from .. import backend as _b
from .. import checks
from ..dtypes import np_dtype
from ..errors import InvalidArgumentError
from ..tensor import _wrap, _Base, convert_to_tensor, Tensor
from ..state import state as _state

_F32 = np.dtype(np.float32)


def _shape_of(shape, op, float_error=TypeError):
    """A creation op's shape argument, checked (see ``checks.as_shape``)."""
    return checks.as_shape(shape, op, "shape", float_error)


def zeros(shape, dtype=None, name=None):
    """A tensor of zeros (float32 unless ``dtype``).  ``shape``: an int, a list of ints or a 1-D integer
    tensor; a float in it is a TypeError and a negative one an InvalidArgumentError, as TF 2.21."""
    shp = _shape_of(shape, "zeros")
    npd = np_dtype(dtype) or _F32
    checks.check_size(shp, npd, "zeros")
    return _shape_const(_wrap(_b.get_xp().zeros(shp, dtype=npd)))


def ones(shape, dtype=None, name=None):
    """A tensor of ones (float32 unless ``dtype``); ``shape`` checked as ``zeros``."""
    shp = _shape_of(shape, "ones")
    npd = np_dtype(dtype) or _F32
    checks.check_size(shp, npd, "ones")
    return _shape_const(_wrap(_b.get_xp().ones(shp, dtype=npd)))


def ones_like(input, dtype=None, name=None):
    v = input._v if isinstance(input, _Base) else convert_to_tensor(input)._v
    return _shape_const(_wrap(_b.get_xp().ones(v.shape, dtype=np_dtype(dtype) or v.dtype)))


def _shape_const(t):
    """gputape.function: ``t`` depends on a shape and dtype only, a constant of the traced signature."""
    if _state.capture is not None:
        _state.capture.shape_constant(t)
    return t


def fill(dims, value, name=None):
    """A tensor of shape ``dims`` filled with the scalar ``value`` (its dtype).  As TF 2.21: a list of
    dims with a float is an InvalidArgumentError, a float scalar a TypeError; ``value`` must be a scalar."""
    shp = checks.as_shape(dims, "fill", "dims", InvalidArgumentError)
    if value is None:
        raise ValueError("fill: Attempt to convert a value (None) with an unsupported type (<class 'NoneType'>) to a "
                         "Tensor (value)")
    v = checks.as_tensor(value, "fill", "value")._v
    if v.ndim:
        raise InvalidArgumentError(f"fill: value must represent a scalar, got shape {list(v.shape)}")
    checks.check_size(shp, v.dtype, "fill")
    return _wrap(_b.get_xp().full(shp, v, dtype=v.dtype))


def _eye_dim(n, what, rows, cols):
    if isinstance(n, (float, np.floating, bool, np.bool_)):
        raise TypeError(f"eye: Arguments `num_rows` and `num_columns` must be positive integer values. Received: "
                        f"num_rows={rows}, num_columns={cols}")
    return checks.as_int(n, "eye", what)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=None, name=None):
    """An identity matrix [num_rows, num_columns], optionally repeated over ``batch_shape``."""
    cols_arg = num_rows if num_columns is None else num_columns
    rows = _eye_dim(num_rows, "num_rows", num_rows, cols_arg)
    cols = rows if num_columns is None else _eye_dim(num_columns, "num_columns", num_rows, cols_arg)
    batch = () if batch_shape is None else checks.as_shape(batch_shape, "eye", "batch_shape", TypeError)
    npd = np_dtype(dtype) or _F32
    checks.check_size(batch + (rows, cols), npd, "eye")
    xp = _b.get_xp()
    e = xp.eye(rows, cols, dtype=npd)
    if batch:
        e = xp.broadcast_to(e, batch + e.shape).copy()
    return _wrap(e)


_RANGE_ORDER = ("int32", "int64", "float16", "float32", "float64")


def _range_arg(v, dtype, what):
    """One of start/limit/delta as (numpy scalar, its dtype), converted as TF's range converts it."""
    if v is None:
        raise ValueError(f"range: Attempt to convert a value (None) with an unsupported type (<class 'NoneType'>) "
                         f"to a Tensor ({what})")
    if isinstance(v, (bool, np.bool_, str)):
        raise TypeError(f"range: {what} must be a number, got {v!r}")
    if isinstance(v, _Base):
        if v._v.ndim:
            raise InvalidArgumentError(f"range: {what} must be a scalar, not shape {list(v._v.shape)}")
        a = np.asarray(v)
    elif isinstance(v, float):
        if dtype is not None and dtype.kind in "iu":
            raise TypeError(f"range: Cannot convert {v!r} to EagerTensor of dtype {dtype.name} ({what})")
        a = np.asarray(v, dtype=np.float32 if dtype is None else dtype)
    elif isinstance(v, int):
        a = np.asarray(v, dtype=np.int32 if -2**31 <= v < 2**31 else np.int64) if -2**63 <= v < 2**63 else None
        if a is None:
            raise ValueError(f"range: {what}={v} is out of the int64 range")
    else:
        a = np.asarray(checks.as_tensor(v, "range", what))
        if a.ndim:
            raise InvalidArgumentError(f"range: {what} must be a scalar, not shape {list(a.shape)}")
    if a.dtype.name not in _RANGE_ORDER:
        raise TypeError(f"range: {what} has dtype {a.dtype.name}; range takes int32, int64, float16, float32 or "
                        f"float64 values")
    if dtype is not None and dtype.kind in "iu":
        if a.dtype.kind == "f" and not float(a).is_integer():
            raise TypeError(f"range: {what}={a[()]!r} is not a whole number: it cannot be a {dtype.name} "
                            f"without truncation")
        if not np.iinfo(dtype).min <= a[()] <= np.iinfo(dtype).max:
            raise TypeError(f"range: Cannot convert {v!r} to EagerTensor of dtype {dtype.name}: out of range "
                            f"({what})")
    return a


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """``tf.range``: ``[start, start + delta, ...)`` up to ``limit``.

    The dtype (as TF 2.21) is ``dtype`` if given, else the widest of the arguments' in the order
    int32 < int64 < float16 < float32 < float64 (Python ints are int32, or int64 beyond it; Python
    floats float32).  A Python float with an integer ``dtype`` is a TypeError; ``delta == 0``, a
    ``limit`` on the wrong side of ``start`` and a NaN are InvalidArgumentError; the length is
    checked against memory before allocating.
    """
    if limit is None:
        start, limit = 0, start
    npd = None if dtype is None else np_dtype(dtype)
    if npd is not None and npd.name not in _RANGE_ORDER:
        raise InvalidArgumentError(f"range: Value for attr 'Tidx' of {npd.name} is not in the list of allowed "
                                   f"values: float16, float32, float64, int32, int64")
    args = [_range_arg(v, npd, w) for v, w in ((start, "start"), (limit, "limit"), (delta, "delta"))]
    if npd is None:
        npd = np.dtype(max((a.dtype.name for a in args), key=_RANGE_ORDER.index))
    s, l, d = (a.astype(npd)[()] for a in args)
    if d == 0:
        raise InvalidArgumentError(f"range: Requires delta != 0: {d}")
    if d > 0 and not s <= l:
        raise InvalidArgumentError(f"range: Requires start <= limit when delta > 0: {s}/{l}")
    if d < 0 and not s >= l:
        raise InvalidArgumentError(f"range: Requires start >= limit when delta < 0: {s}/{l}")
    if npd.kind in "iu":
        n = (abs(int(l) - int(s)) + abs(int(d)) - 1) // abs(int(d))
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            q = np.abs((l - s) / d)
        if not np.isfinite(q) or float(q) > checks._INT64_MAX:
            raise InvalidArgumentError(f"range: Requires ((limit - start) / delta) <= {checks._INT64_MAX}: "
                                       f"start={s}, limit={l}, delta={d}")
        n = int(np.ceil(q))
    checks.check_size((n,), npd, "range")
    xp = _b.get_xp()
    return _wrap(xp.arange(n, dtype=npd) * npd.type(d) + npd.type(s) if n else xp.zeros((0,), npd))


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included), along a new ``axis``.

    As TF 2.21: integer start/stop give float64; ``num`` an int (a float is a TypeError, a negative
    one an InvalidArgumentError); start/stop may be tensors of one shape (values along ``axis``).
    """
    xp = _b.get_xp()
    if isinstance(num, _Base) and num._v.dtype.kind not in "iu" or isinstance(num, (float, np.floating)):
        raise TypeError(f"linspace: Argument `tensor` (name: num) must be of type integer. Received `tensor` = "
                        f"{num!r}")
    n = checks.as_int(num, "linspace", "num")
    if n < 0:
        raise InvalidArgumentError(f"linspace: Requires num >= 0, got num={n}")
    s = checks.as_tensor(start, "linspace", "start")
    e = checks.as_tensor(stop, "linspace", "stop")
    dt = s._v.dtype if s._v.dtype.kind == "f" else np.dtype(np.float64)
    sv, ev = s._v.astype(dt, copy=False), e._v.astype(dt, copy=False)
    if sv.shape != ev.shape:
        raise InvalidArgumentError(f"linspace: start and stop must have one shape, got {list(sv.shape)} and "
                                   f"{list(ev.shape)}")
    r = sv.ndim
    ax = checks.normalize_axis(axis, r + 1, "linspace")
    checks.check_size(tuple(sv.shape) + (n,), dt, "linspace")
    if n == 1:
        out = sv[..., None]
    else:
        t = xp.arange(n, dtype=dt) / dt.type(max(n - 1, 1))
        out = sv[..., None] + (ev - sv)[..., None] * t
        if n > 1:
            out[..., -1] = ev
    if ax != r:
        out = xp.moveaxis(out, -1, ax)
    return _wrap(xp.ascontiguousarray(out))


def _where_indices(condition):
    """``where(condition)``: int64 coordinates ``[num_true, rank]`` of the true (non-zero) elements,
    in row-major order, as TF's single-argument ``tf.where``; plain lists are converted first."""
    from ..checks import as_tensor
    condition = as_tensor(condition, "where", "condition")
    xp = _b.get_xp()
    c = condition._v
    if c.ndim == 0:     # TF 2.21: "WhereOp : Unhandled input dimensions: 0"
        raise InvalidArgumentError("where: WhereOp : Unhandled input dimensions: 0 (condition is a scalar; "
                                   "single-argument where needs a tensor of rank >= 1)")
    return _wrap(xp.stack(xp.nonzero(c), axis=-1).astype(np.int64))


def _random_shape(shape, op):
    """A random op's shape: a 1-D list of ints or integer tensor (TF: InvalidArgumentError for a float
    or a scalar), its size checked before drawing."""
    if isinstance(shape, (int, np.integer)) or (isinstance(shape, _Base) and shape._v.ndim == 0):
        raise InvalidArgumentError(f"{op}: shape must be a vector of {{int32,int64}}, got shape [] (shape={shape!r})")
    if isinstance(shape, (float, np.floating)):
        raise InvalidArgumentError(f"{op}: Value for attr 'T' of float is not in the list of allowed values: int32, "
                                   f"int64 (shape={shape!r})")
    return checks.as_shape(shape, op, "shape", InvalidArgumentError)


def _float_dtype(dtype, op):
    npd = np_dtype(dtype) or _F32
    if npd.kind != "f":
        raise TypeError(f"{op}: Cannot convert 0.0 to EagerTensor of dtype {npd.name} (a floating dtype is needed)")
    return npd


def _moment(v, npd, shape, op, what):
    """mean/stddev/minval/maxval: a Python number as is, else an array broadcastable to ``shape``
    (TF multiplies and adds, so a shape that does not broadcast is an InvalidArgumentError)."""
    if type(v) is float:
        return v
    if type(v) is int:          # as a float: CuPy cannot take a Python int beyond int64 as a scalar
        try:
            return float(v)
        except OverflowError:
            raise ValueError(f"{op}: {what}={v} does not fit a {npd.name}") from None
    a = checks.as_tensor(v, op, what)._v
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{op}: {what} must be a number or a numeric tensor, got {v!r}")
    a = a.astype(npd, copy=False)
    try:
        out = np.broadcast_shapes(tuple(shape), tuple(a.shape))
    except ValueError:
        out = None
    if out != tuple(shape):
        raise InvalidArgumentError(f"{op}: Incompatible shapes: {list(shape)} vs. {list(a.shape)} ({what})")
    return a


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
        """The global seed: an int (a float is a TypeError rather than truncated); None draws a fresh one."""
        self._op_gens = {}
        xp = _b.get_xp()
        seed = None if seed is None else checks.as_int(seed, "random.set_seed", "seed")
        self._gen = xp.random.default_rng(seed) if xp is not np else np.random.default_rng(seed)

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
        """Normal samples of ``shape`` (a 1-D list or tensor of ints), ``dtype`` floating (TF 2.21:
        TypeError otherwise); mean/stddev scalars or arrays broadcasting to ``shape``."""
        shp = _random_shape(shape, "random.normal")
        npd = _float_dtype(dtype, "random.normal")
        mean, stddev = (_moment(v, npd, shp, "random.normal", w) for v, w in ((mean, "mean"), (stddev, "stddev")))
        checks.check_size(shp, npd, "random.normal")
        r = self._op_rng(seed).standard_normal(shp, dtype=np.float64 if npd.itemsize > 4 else np.float32)
        return _wrap((r * stddev + mean).astype(npd))

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
        """Normal samples redrawn until within two standard deviations (checked as ``normal``)."""
        shp = _random_shape(shape, "random.truncated_normal")
        npd = _float_dtype(dtype, "random.truncated_normal")
        mean, stddev = (_moment(v, npd, shp, "random.truncated_normal", w)
                        for v, w in ((mean, "mean"), (stddev, "stddev")))
        checks.check_size(shp, np.float64, "random.truncated_normal")
        xp = _b.get_xp()
        rng = self._op_rng(seed)
        r = rng.standard_normal(shp)
        bad = xp.abs(r) > 2
        while bool(bad.any()):      # a host read per redraw round (rare: 4.6% of draws per round)
            r = xp.where(bad, rng.standard_normal(r.shape), r)
            bad = xp.abs(r) > 2
        return _wrap((r * stddev + mean).astype(npd))

    def uniform(self, shape, minval=0, maxval=None, dtype=None, seed=None, name=None):
        """Uniform samples in ``[minval, maxval)``.  As TF 2.21: dtype float16/32/64 or int32/64 (else
        ValueError); integer dtypes need an int ``maxval`` above ``minval`` (InvalidArgumentError)."""
        shp = _random_shape(shape, "random.uniform")
        npd = np_dtype(dtype) or _F32
        if npd.name not in ("float16", "float32", "float64", "int32", "int64"):
            raise ValueError(f"random.uniform: Argument `dtype` got invalid value {npd.name}. Accepted dtypes are "
                             f"(tf.float16, tf.bfloat16, tf.float32, tf.float64, tf.int32, tf.int64).")
        if npd.kind in "iu":
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype tf.{npd.name}")
            lo = checks.as_int(minval, "random.uniform", "minval")
            hi = checks.as_int(maxval, "random.uniform", "maxval")
            if not lo < hi:
                raise InvalidArgumentError(f"random.uniform: Need minval < maxval, got {lo} >= {hi}")
            checks.check_size(shp, np.int64, "random.uniform")
            return _wrap(self._op_rng(seed).integers(lo, hi, size=shp).astype(npd))
        if maxval is None:
            maxval = 1.0
        lo, hi = (_moment(v, npd, shp, "random.uniform", w) for v, w in ((minval, "minval"), (maxval, "maxval")))
        checks.check_size(shp, npd, "random.uniform")
        r = self._op_rng(seed).random(shp, dtype=np.float64 if npd.itemsize > 4 else np.float32)
        return _wrap((r * (hi - lo) + lo).astype(npd))

    def shuffle(self, value, seed=None, name=None):
        """``value`` with its first axis permuted (a scalar is returned as is, as TF 2.21)."""
        xp = _b.get_xp()
        value = checks.as_tensor(value, "random.shuffle", "value")
        if value._v.ndim == 0:
            return _wrap(value._v.copy())
        rng = self._op_rng(seed)
        n = value._v.shape[0]
        perm = getattr(rng, "permutation", None)
        if perm is not None:            # NumPy's Generator: the same numbers as ever for a seed
            idx = xp.asarray(perm(n))
        else:                           # CuPy's Generator has no permutation: sort n uniform draws
            idx = xp.argsort(rng.random(n, dtype=np.float64))
        return _wrap(value._v[idx])


random = _Random()

__all__ = ["zeros", "ones", "ones_like", "fill", "eye", "range", "linspace", "random"]
