"""Argument checks shared by every op: axes, integer arguments, indices and sizes.

Each check runs on the host, before any compute, and raises TensorFlow's exception class
with a message naming the op, the argument and the shapes involved.  Nothing here wraps,
truncates or casts silently: an out-of-range axis, a float where TF wants an int, or a
shape that cannot be allocated is an error.
"""
import math
import os

import numpy as np

from . import backend as _b
from .errors import InvalidArgumentError, ResourceExhaustedError

_INT_TYPES = (int, np.integer)


def as_int(value, op, arg):
    """``value`` as a Python int, as TF converts an int32/int64 argument.

    Raises TypeError for floats, bools given where TF wants an int32 tensor, strings and
    None (TF: "Cannot convert 2.5 to EagerTensor of dtype int32"); 0-d integer tensors pass.
    """
    if isinstance(value, bool) or isinstance(value, np.bool_):
        raise TypeError(f"{op}: {arg} must be an integer, got the bool {value!r}")
    if isinstance(value, _INT_TYPES):
        return int(value)
    v = getattr(value, "_v", None)           # a gputape Tensor/Variable
    if v is not None and v.ndim == 0 and v.dtype.kind in "iu":
        return int(v)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    raise TypeError(f"{op}: {arg} must be an integer, got {value!r} of type {type(value).__name__} "
                    f"(TensorFlow: Cannot convert {value!r} to EagerTensor of dtype int32)")


def as_int_list(values, op, arg):
    """A list of ints from an int, a sequence or a 1-D integer tensor (each element as ``as_int``)."""
    v = getattr(values, "_v", None)
    if v is not None or isinstance(values, np.ndarray):
        arr = np.asarray(values)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{op}: {arg} must be integers, got a {arr.dtype.name} tensor")
        return [int(a) for a in arr.reshape(-1)] if arr.ndim else [int(arr)]
    if isinstance(values, (list, tuple)):
        return [as_int(a, op, arg) for a in values]
    return [as_int(values, op, arg)]


def normalize_axis(axis, ndim, op, arg="axis"):
    """One axis in ``[-ndim, ndim)`` as a non-negative int; TF's InvalidArgumentError otherwise.

    A 0-d input has no valid axis (TF: "Expected dimension in the range [0, 0)").
    """
    a = as_int(axis, op, arg)
    if not -ndim <= a < ndim:
        raise InvalidArgumentError(
            f"{op}: {arg}={a} is out of range: expected {arg} in the range [{-ndim}, {ndim}) for an "
            f"input with {ndim} dimension{'s' if ndim != 1 else ''}")
    return a + ndim if a < 0 else a


def normalize_axes(axes, ndim, op, arg="axis", allow_duplicates=False):
    """A tuple of non-negative axes (in the given order), each as ``normalize_axis``.

    Duplicates raise InvalidArgumentError, as TF's reductions do ("Axes contains duplicate
    dimension"), unless ``allow_duplicates``.
    """
    out = tuple(normalize_axis(a, ndim, op, arg) for a in as_int_list(axes, op, arg))
    if not allow_duplicates and len(set(out)) != len(out):
        dup = next(a for a in out if out.count(a) > 1)
        raise InvalidArgumentError(f"{op}: {arg} contains duplicate dimension: {dup} (got {list(as_int_list(axes, op, arg))})")
    return out


def check_indices(idx, limit, op, arg="indices"):
    """Every index in ``[0, limit)`` (TF's CPU kernels: "indices[3] = -1 is not in [0, 5)").

    ``idx`` is a host or device integer array.  On the host the check is immediate.  On a device
    (CuPy) it is deferred, so an op never waits for the device: one fused check computes a device
    flag, and the next host read of any device value (``Tensor.numpy()``, ``float(t)``, printing...,
    all through ``backend.to_host``) raises InvalidArgumentError naming the op and the first bad
    index, as TensorFlow's CPU kernel would have raised at the op.  Until then the op's result holds
    CuPy's wrapped values (no memory outside the arrays is touched).  At most ``_PENDING_MAX`` checks
    wait: the next one reads their flags back (one sync per 256 unchecked gathers).
    """
    if idx.size == 0:
        return
    if limit > 0 and type(idx) is not np.ndarray and _b.is_cupy_array(idx):    # limit 0: every index is bad
        _pending.append((((idx < 0) | (idx >= limit)).any(), idx, limit, op, arg))
        if len(_pending) >= _PENDING_MAX:
            flush_device_checks()
        return
    bad = (idx < 0) | (idx >= limit)
    if bool(bad.any()):
        _raise_bad_index(_b.to_host(bad), _b.to_host(idx), limit, op, arg, "")


def _raise_bad_index(bad, idx, limit, op, arg, note):
    k = int(np.argmax(bad.reshape(-1)))
    pos = np.unravel_index(k, idx.shape)
    where = ",".join(str(int(p)) for p in pos)
    raise InvalidArgumentError(f"{op}: {arg}[{where}] = {int(idx.reshape(-1)[k])} is not in [0, {limit}){note}")


_pending = []           # deferred device index checks: (device flag, indices, limit, op, argument)
_PENDING_MAX = 256


def flush_device_checks():
    """Read the deferred device index checks back (one sync for all of them) and raise for the first
    that failed; called by ``backend.to_host`` before any device value is read."""
    if not _pending:
        return
    items = list(_pending)
    _pending.clear()                 # before reading: to_host below comes back here
    xp = _b.array_module(items[0][0])
    flags = _b.to_host(xp.stack([f for f, *_ in items]))
    if not flags.any():
        return
    _, idx, limit, op, arg = items[int(np.argmax(flags))]
    idx = _b.to_host(idx)
    _raise_bad_index((idx < 0) | (idx >= limit), idx, limit, op, arg,
                     " (checked on the device; raised at this host read, the first after the op)")


_b.before_host_read = flush_device_checks


_INT64_MAX = 2 ** 63 - 1
_SMALL = 1 << 20        # outputs up to this many elements skip the memory and overflow checks
_limit = [None]


def memory_limit():
    """Bytes one array may take: physical host memory on NumPy, the device's total memory on
    CuPy (queried once).  ``GPUTAPE_MAX_BYTES`` overrides it."""
    if _limit[0] is None:
        env = os.environ.get("GPUTAPE_MAX_BYTES")
        if env:
            try:
                lim = int(env)
            except ValueError:
                lim = 0
            if lim <= 0:
                raise ValueError(f"GPUTAPE_MAX_BYTES={env!r}: must be a positive number of bytes")
            _limit[0] = lim
        else:
            from . import backend as _b
            lim = None
            if _b.name == "cupy":
                try:
                    lim = _b.xp.cuda.Device().mem_info[1]
                except Exception:      # noqa: BLE001  (no device query: fall back to host memory)
                    lim = None
            if lim is None:
                try:
                    lim = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                except (ValueError, OSError, AttributeError):
                    lim = 1 << 40
            _limit[0] = int(lim)
    return _limit[0]


def check_size(shape, dtype, op, arg="shape"):
    """Raise before allocating an array of ``shape`` and ``dtype`` that cannot exist.

    More than 2**63-1 elements: InvalidArgumentError (TF's message); more bytes than
    ``memory_limit()``: ResourceExhaustedError naming the op, shape, dtype and bytes.
    Negative dimensions: InvalidArgumentError.  Outputs of up to 2**20 elements return at once
    (one product: the common case on every call of an allocating op).
    """
    n = math.prod(shape)
    if 0 < n <= _SMALL and (not shape or min(shape) > 0):
        return n
    n = 1
    for d in shape:
        if d < 0:
            raise InvalidArgumentError(f"{op}: {arg} {list(shape)} has a negative dimension")
        n *= int(d)
    if n > _INT64_MAX:
        raise InvalidArgumentError(f"{op}: Shape {list(shape)} would have more than 2**63 - 1 elements")
    if n == 0 and shape:
        # an empty array whose other dimensions multiply past what NumPy/CuPy can describe: TF makes it
        # (its element count is 0); an ndarray cannot, so say so before NumPy's "array is too big"
        m = np.dtype(dtype).itemsize
        for d in shape:
            m *= int(d) or 1
        if m > _INT64_MAX:
            raise InvalidArgumentError(
                f"{op}: shape {list(shape)} has no elements, but its non-zero dimensions times the item size "
                f"({np.dtype(dtype).name}) pass 2**63 - 1 bytes, which a NumPy/CuPy array cannot describe "
                f"(TensorFlow makes this empty tensor; gputape cannot)")
    nbytes = n * np.dtype(dtype).itemsize
    if nbytes > memory_limit():
        raise ResourceExhaustedError(
            f"{op}: OOM when allocating tensor with shape {list(shape)} and type {np.dtype(dtype).name} "
            f"({nbytes / 2**30:.3g} GiB; this device has {memory_limit() / 2**30:.3g} GiB)")
    return n



def _describe_elem(e):
    return f"{e!r} ({type(e).__name__})"


def as_shape(value, op, arg="shape", float_error=TypeError):
    """A shape-like argument (dims, multiples, perm, axes list) as a tuple of Python ints.

    Accepts what TF converts to a 1-D int32/int64 tensor: an int, a list or tuple of ints (0-d integer
    tensors among them), a 1-D integer tensor or NumPy array, a TensorShape with every dimension known,
    and a NumPy float array of whole numbers (TF truncates a fractional one silently; here it raises).

    Raises (as TF 2.21, before any compute):
      - ``float_error`` for a float, bool or string element: TF raises TypeError ("Cannot convert
        [2.7, 3] to EagerTensor of dtype int32") where the op converts the argument to int32
        (zeros, ones, one_hot, range, ...) and InvalidArgumentError ("Value for attr 'Tshape' of
        float is not in the list of allowed values") where it infers the dtype (reshape, tile, ...);
        a float scalar is always a TypeError;
      - InvalidArgumentError for a nested (2-D or more) value ("sizes input must be 1-D");
      - ValueError for None or an int outside int64 ("Can't convert Python sequence with
        out-of-range integer to Tensor").
    """
    if value is None:
        raise ValueError(f"{op}: {arg} must be a list of integers, got None (TensorFlow: Attempt to convert "
                         f"a value (None) with an unsupported type (<class 'NoneType'>) to a Tensor)")
    v = getattr(value, "_v", None)
    if v is not None:                               # a gputape Tensor/Variable (a host read on CuPy)
        if v.dtype.kind not in "iu":
            raise InvalidArgumentError(f"{op}: {arg} must be an int32 or int64 tensor, got a {v.dtype.name} "
                                       f"tensor of shape {list(v.shape)}")
        if v.ndim > 1:
            raise InvalidArgumentError(f"{op}: {arg} must be 1-D, got a tensor of shape {list(v.shape)}")
        return tuple(int(d) for d in np.asarray(value).reshape(-1))
    if isinstance(value, np.ndarray):
        if value.ndim > 1:
            raise InvalidArgumentError(f"{op}: {arg} must be 1-D, got an array of shape {list(value.shape)}")
        flat = value.reshape(-1)
        if value.dtype.kind == "f":
            if not (np.all(np.isfinite(flat)) and np.all(flat == np.trunc(flat))):
                raise TypeError(f"{op}: {arg} must be integers, got the float array {value.tolist()!r} (TF "
                                f"would truncate it; cast it or pass integers)")
        elif value.dtype.kind not in "iu":
            raise TypeError(f"{op}: {arg} must be integers, got a {value.dtype.name} array {value.tolist()!r}")
        return tuple(int(d) for d in flat)
    if isinstance(value, bool) or isinstance(value, np.bool_) or isinstance(value, (float, np.floating, str)):
        raise TypeError(f"{op}: {arg} must be an integer or a list of integers, got {_describe_elem(value)} "
                        f"(TensorFlow: Cannot convert {value!r} to EagerTensor of dtype int32)")
    if isinstance(value, _INT_TYPES):
        seq = (value,)
    elif isinstance(value, (list, tuple)):
        seq = value
    else:
        raise TypeError(f"{op}: {arg} must be an integer, a list of integers or a 1-D integer tensor, got "
                        f"{_describe_elem(value)}")
    out = []
    for e in seq:
        if isinstance(e, (list, tuple)) or (isinstance(e, np.ndarray) and e.ndim) or \
                (getattr(e, "_v", None) is not None and e._v.ndim):
            raise InvalidArgumentError(f"{op}: {arg} must be 1-D, got the nested value {list(seq)!r}")
        if e is None:
            raise ValueError(f"{op}: {arg} {list(seq)!r} has an unknown (None) dimension; a known shape is needed")
        if isinstance(e, bool) or isinstance(e, np.bool_):
            raise TypeError(f"{op}: {arg} {list(seq)!r} must be integers, got the bool {e!r}")
        if isinstance(e, _INT_TYPES):
            e = int(e)
        elif getattr(e, "_v", None) is not None and e._v.dtype.kind in "iu":
            e = int(e)
        elif isinstance(e, np.ndarray) and e.dtype.kind in "iu":
            e = int(e)
        else:
            raise float_error(f"{op}: {arg} must be integers, got {list(seq)!r} whose element "
                              f"{_describe_elem(e)} is not an integer (TensorFlow: Cannot convert "
                              f"{list(seq)!r} to EagerTensor of dtype int32)")
        if not -_INT64_MAX - 1 <= e <= _INT64_MAX:
            raise ValueError(f"{op}: {arg} {list(seq)!r} has the out-of-range integer {e} (TensorFlow: Can't "
                             f"convert Python sequence with out-of-range integer to Tensor)")
        out.append(e)
    return tuple(out)


def as_tensor(value, op="convert_to_tensor", arg="value", dtype=None):
    """An op's argument as a tensor: a Tensor or Variable passes through unchanged; anything else goes
    through ``convert_to_tensor(value, dtype)``, and a failure names the op and argument (a ragged
    nested list: TF's ValueError "Can't convert non-rectangular Python sequence to Tensor").

    The one conversion point of the ops' Python wrappers, so also where op.py's RuntimeWarning
    filter is put back when a ``warnings.catch_warnings`` block dropped it."""
    from .tensor import _Base, _ensure_wf, convert_to_tensor
    _ensure_wf[0]()
    if isinstance(value, _Base):
        return value
    try:
        return convert_to_tensor(value, dtype=dtype)
    except (ValueError, TypeError) as e:
        msg = str(e)
        if "setting an array element with a sequence" in msg or "inhomogeneous" in msg:
            raise ValueError(f"{op}: {arg} {value!r} is not rectangular: its nested lists have unequal lengths "
                             f"(TensorFlow: Can't convert non-rectangular Python sequence to Tensor)") from None
        if msg.startswith(f"{op}:"):
            raise
        raise type(e)(f"{op}: {arg}: {msg}") from None
