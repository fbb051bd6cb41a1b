"""Tensor (immutable) and Variable (mutable in place), with TensorFlow's conversion rules."""
import itertools
import weakref

import numpy as np

from . import backend as _b
from . import dtypes as _d
from .state import state as _state

ops = None   # gputape.ops, bound once it is imported (operators dispatch through it)
_add = _sub = _mul = _div = _const_tensor = None   # bound with ops (see ops/__init__.py)
_CONSTS = {}     # op._CONST_TENSORS, the cache _const_tensor fills (bound with ops)


def _operand(o, t):
    """The other operand of a binary operator: Python numbers as cached constants of t's dtype."""
    to = type(o)
    if to is float or to is int:
        c = _CONSTS.get((o, to, t._v.dtype))
        return c if c is not None else _const_tensor(o, t._v.dtype)
    return o


class _Base:
    """Operators, indexing and host conversion shared by Tensor and Variable."""
    __slots__ = ()
    __array_priority__ = 100

    # ---- metadata
    @property
    def shape(self):
        return TensorShape(self._v.shape)

    @property
    def dtype(self):
        return _d.from_np(self._v.dtype)

    @property
    def ndim(self):
        return self._v.ndim

    @property
    def device(self):
        return "/GPU:0" if _b.name == "cupy" else "/CPU:0"

    # ---- host conversion
    def numpy(self):
        """A host copy; 0-d tensors give a numpy scalar, as in TensorFlow."""
        if _state.stack:
            _note_host_read(self)
        if _state.capture is not None:
            _state.capture.host_read(self)
        a = _b.to_host(self._v)
        a = np.array(a, copy=True)
        return a[()] if a.ndim == 0 else a

    def __array__(self, dtype=None, copy=None):
        a = _b.to_host(self._v)
        return np.asarray(a, dtype=dtype)

    def _scalar(self, kind):
        if kind is bool:
            if self._v.size > 1:
                raise ValueError("The truth value of an array with more than one element is ambiguous. "
                                 "Use a.any() or a.all()")
            if self._v.size == 0:
                return False
        elif self._v.ndim != 0:
            raise TypeError(f"only 0-dimensional arrays can be converted to Python scalars (this tensor "
                            f"has shape {tuple(self._v.shape)}; index it or reshape it first)")
        if _state.capture is not None:
            _state.capture.host_read(self)
        return kind(_b.to_host(self._v).reshape(())[()])

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __bool__(self):
        return self._scalar(bool)

    def __index__(self):
        if self._v.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got {self._v.dtype}")
        return self._scalar(int)

    def __len__(self):
        if self._v.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self._v.shape[0]

    def __iter__(self):
        if self._v.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        for i in range(self._v.shape[0]):
            yield self[i]

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def ref(self):
        return _Ref(self)

    def __format__(self, spec):
        return self.numpy().__format__(spec)

    def __str__(self):
        return f"tf.Tensor({_body(self)}, shape={_shape_str(self._v.shape)}, dtype={self._v.dtype.name})"

    def __repr__(self):
        return (f"<tf.Tensor: shape={_shape_str(self._v.shape)}, dtype={self._v.dtype.name}, "
                f"numpy={_numpy_repr(self)}>")

    # ---- operators
    # Python numbers become shared constant tensors here, so the dispatch never takes its
    # exception path for them (see op._const_tensor)
    def __add__(self, o):
        if type(o) is not Tensor:
            o = _operand(o, self)
        return _add(self, o)

    def __radd__(self, o):
        return _add(_operand(o, self), self)

    def __sub__(self, o):
        if type(o) is not Tensor:
            o = _operand(o, self)
        return _sub(self, o)

    def __rsub__(self, o):
        return _sub(_operand(o, self), self)

    def __mul__(self, o):
        if type(o) is not Tensor:
            o = _operand(o, self)
        return _mul(self, o)

    def __rmul__(self, o):
        return _mul(_operand(o, self), self)

    def __truediv__(self, o):
        return _div(self, o if type(o) is Tensor else _operand(o, self))

    def __rtruediv__(self, o):
        return _div(_operand(o, self), self)

    def __floordiv__(self, o): return ops.floordiv(self, o)
    def __rfloordiv__(self, o): return ops.floordiv(o, self)
    def __mod__(self, o): return ops.floormod(self, o)
    def __rmod__(self, o): return ops.floormod(o, self)
    def __pow__(self, o): return ops.pow(self, o)
    def __rpow__(self, o): return ops.pow(o, self)
    def __matmul__(self, o): return ops.matmul(self, o)
    def __rmatmul__(self, o): return ops.matmul(o, self)
    def __neg__(self): return ops.negative(self)
    def __pos__(self): return self
    def __abs__(self): return ops.abs(self)
    def __invert__(self): return ops.logical_not(self)
    def __and__(self, o): return ops.logical_and(self, o)
    def __or__(self, o): return ops.logical_or(self, o)
    def __lt__(self, o): return ops.less(self, o)
    def __le__(self, o): return ops.less_equal(self, o)
    def __gt__(self, o): return ops.greater(self, o)
    def __ge__(self, o): return ops.greater_equal(self, o)
    def __eq__(self, o): return ops.equal(self, o)
    def __ne__(self, o): return ops.not_equal(self, o)

    def __getitem__(self, key):
        return ops.getitem(self, key)

    # ``v[1].assign(5.)``: a slice read from a Variable remembers where it came from
    def assign(self, value, use_locking=False, name=None, read_value=True):
        return _slice_write(self, "assign", value, read_value)

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        return _slice_write(self, "assign_add", delta, read_value)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        return _slice_write(self, "assign_sub", delta, read_value)

    def __setitem__(self, key, value):
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '__setitem__': tensors are "
                             "immutable (make a Variable and use v[i].assign(...), or build a new tensor with gputape.where)")

    # a few methods TensorFlow tensors have
    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        if not TensorShape(self._v.shape).is_compatible_with(shape):
            raise ValueError(f"Tensor's shape {tuple(self._v.shape)} is not compatible with supplied shape {shape}")


class Tensor(_Base):
    """An immutable array on the backend's device.  Make one with ``gputape.constant``."""
    __slots__ = ("_v", "__weakref__")

    def __init__(self, value, dtype=None):
        self._v = _to_array(value, _d.np_dtype(dtype))


def _wrap(v):
    t = _new(Tensor)
    t._v = v
    return t


_new = object.__new__
_var_ids = itertools.count()


def variables_created():
    """How many Variables the calling thread has created (gputape.function checks it around a call)."""
    return _state.variables_created


class Variable(_Base):
    """A mutable tensor whose buffer is updated in place by ``assign``.

    >>> v = Variable([1.0, 2.0], name="w")
    >>> v.assign_add([1.0, 1.0]).numpy()
    array([2., 3.], dtype=float32)
    """
    __slots__ = ("_v", "_trainable", "_name", "_uid", "_reads", "__weakref__")

    def __init__(self, initial_value=None, trainable=True, validate_shape=True, caching_device=None,
                 name=None, variable_def=None, dtype=None, import_scope=None, constraint=None,
                 synchronization=None, aggregation=None, shape=None,
                 experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        npd = _d.np_dtype(dtype)
        if isinstance(initial_value, _Base):
            v = initial_value._v
            if npd is not None and v.dtype != npd:
                v = ops.cast(initial_value, npd)._v
        else:
            v = _to_array(initial_value, npd)
        self._v = _b.get_xp().array(v, copy=True)      # the variable owns its buffer
        self._trainable = bool(trainable)
        self._name = (name if name is not None else "Variable") + ":0"
        self._uid = next(_var_ids)
        _state.variables_created += 1     # per thread: gputape.function's check
        self._reads = []      # weakrefs to live read snapshots sharing self._v (copied before a write)

    @property
    def trainable(self):
        return self._trainable

    @property
    def name(self):
        return self._name

    @property
    def path(self):
        return self._name[:-2]

    def __repr__(self):
        return (f"<tf.Variable '{self._name}' shape={_shape_str(self._v.shape)} "
                f"dtype={self._v.dtype.name}, numpy={_numpy_repr(self)}>")

    __str__ = __repr__

    def value(self):
        return ops.identity(self)

    read_value = value

    def _detach_reads(self):
        """Copy-on-write: snapshots taken by earlier reads keep the value they saw."""
        for r in self._reads:
            t = r()
            if t is not None and t._v is self._v:
                t._v = t._v.copy()
        self._reads.clear()

    def _coerce(self, value, opname):
        if isinstance(value, _Base):
            v = value._v
            if v.dtype != self._v.dtype:
                raise TypeError(f"{opname}: cannot assign a {v.dtype} value to variable '{self._name}' "
                                f"of dtype {self._v.dtype}")
        else:
            v = _to_array(value, self._v.dtype)
        if tuple(v.shape) != tuple(self._v.shape):
            raise ValueError(f"Cannot assign value to variable ' {self._name}': Shape mismatch."
                             f"The variable shape {_shape_str(self._v.shape)}, and the assigned value "
                             f"shape {_shape_str(v.shape)} are incompatible.")
        return v

    def assign(self, value, use_locking=False, name=None, read_value=True):
        v = self._coerce(value, "assign")
        if self._reads:
            self._detach_reads()
        self._v[...] = v
        return self if read_value else None

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        v = self._coerce(delta, "assign_add")
        if self._reads:
            self._detach_reads()
        self._v += v
        return self if read_value else None

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        v = self._coerce(delta, "assign_sub")
        if self._reads:
            self._detach_reads()
        self._v -= v
        return self if read_value else None

    def __iadd__(self, other):
        raise RuntimeError("`variable += value` with `tf.Variable`s is not supported. Use "
                           "`variable.assign_add(value)` to modify the variable, or `out = variable + value` "
                           "if you need to get a new output Tensor.")

    def __isub__(self, other):
        raise RuntimeError("`variable -= value` with `tf.Variable`s is not supported. Use "
                           "`variable.assign_sub(value)` to modify the variable, or `out = variable - value` "
                           "if you need to get a new output Tensor.")

    def __getitem__(self, key):
        out = ops.getitem(self, key)
        k = id(out)
        _SLICES[k] = (weakref.ref(out, lambda _, k=k: _SLICES.pop(k, None)), self, key)
        return out

    def _snapshot(self):
        """A Tensor sharing this variable's buffer until the next write."""
        t = _new(Tensor)
        t._v = self._v
        self._reads.append(weakref.ref(t))
        if len(self._reads) > 64:
            self._reads = [r for r in self._reads if r() is not None]
        return t


_SLICES = {}    # id(tensor) -> (weakref to it, variable, key) for slices read from variables


def _slice_write(t, how, value, read_value):
    got = _SLICES.get(id(t))
    if got is None or got[0]() is not t:
        raise AttributeError(f"'Tensor' object has no attribute '{how}': only Variables, and slices read "
                             f"from a Variable (v[1].{how}(...)), can be assigned to")
    _, var, key = got
    from .ops.shape import _norm_key
    k = _norm_key(key)
    cur = var._v[k]
    if isinstance(value, _Base):
        v = value._v
        if v.dtype != var._v.dtype:
            raise TypeError(f"{how}: cannot assign a {v.dtype} value to a slice of variable '{var.name}' "
                            f"of dtype {var._v.dtype}")
    else:
        v = _to_array(value, var._v.dtype)
    if tuple(v.shape) != tuple(getattr(cur, "shape", ())):
        raise ValueError(f"Cannot assign value to a slice of variable '{var.name}': the slice has shape "
                         f"{tuple(getattr(cur, 'shape', ()))} and the value shape {tuple(v.shape)}")
    if var._reads:
        var._detach_reads()
    if how == "assign":
        var._v[k] = v
    elif how == "assign_add":
        var._v[k] += v
    else:
        var._v[k] -= v
    return var if read_value else None


class TensorShape(tuple):
    """A tuple of dimensions that prints like TensorFlow's."""

    def __new__(cls, dims):
        if isinstance(dims, int):
            dims = (dims,)
        return super().__new__(cls, () if dims is None else (None if d is None else int(d) for d in dims))

    def __repr__(self):
        return f"TensorShape({list(self)})"

    def __str__(self):
        return "(" + ", ".join("None" if d is None else str(d) for d in self) + ("," if len(self) == 1 else "") + ")"

    @property
    def rank(self):
        return len(self)

    ndims = rank

    def as_list(self):
        return list(self)

    def num_elements(self):
        n = 1
        for d in self:
            if d is None:
                return None
            n *= d
        return n

    def is_compatible_with(self, other):
        other = tuple(other)
        return len(other) == len(self) and all(a is None or b is None or a == b for a, b in zip(self, other))


class _Ref:
    __slots__ = ("_t",)

    def __init__(self, t):
        self._t = t

    def deref(self):
        return self._t

    def __hash__(self):
        return id(self._t)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other._t is self._t


def _shape_str(shape):
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _host(t):
    return np.asarray(_b.to_host(t._v))


def _body(t):
    s = str(_host(t))
    return ("\n" + s) if "\n" in s else s          # TF: a new line only before a multi-line array


def _numpy_repr(t):
    a = _host(t)
    if a.ndim == 0:
        return str(a[()])
    s = repr(a)
    return ("\n" + s) if "\n" in s else s


def _note_host_read(t, how=".numpy()"):
    for rec in _state.stack:
        note = getattr(rec, "_note_host_read", None)
        if note is not None:
            note(t, how)


# ---------------------------------------------------------------- conversion

def _infer_np(value):
    """numpy array for a Python value with TensorFlow's default dtypes."""
    a = np.asarray(value)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return a
    if a.dtype == np.float64:
        return a.astype(np.float32)
    if a.dtype == np.int64:
        if a.size and (a.max() > 2**31 - 1 or a.min() < -2**31):
            return a
        return a.astype(np.int32)
    if a.dtype.kind in "UO":
        raise TypeError(f"cannot convert {value!r} to a tensor (unsupported type {type(value).__name__})")
    return a


def _cast_checked(a, npd, value):
    """Cast with TensorFlow's rules: numpy values are cast (floats truncate), but a Python float
    never becomes an integer (not even 2.0) and a Python number never becomes a bool."""
    if a.dtype == npd:
        return a
    if not isinstance(value, (np.ndarray, np.generic)):
        if (npd.kind in "iu" and a.dtype.kind in "fc") or (npd.kind == "b" and a.dtype.kind != "b"):
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {npd.name}")
    elif npd.kind in "iu" and a.dtype.kind == "f":
        a = np.trunc(a)
    if npd.kind in "iu" and a.dtype.kind in "iu" and a.size:
        info = np.iinfo(npd)
        if a.max() > info.max or a.min() < info.min:
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {npd.name}: out of range")
    return a.astype(npd)


def _to_array(value, npd=None):
    """A backend array from a host value or a backend array (always a new array or the same one)."""
    xp = _b.get_xp()
    if isinstance(value, _Base):
        v = value._v
        if npd is not None and v.dtype != npd:
            raise ValueError(f"Tensor conversion requested dtype {npd.name} for Tensor with dtype {v.dtype.name}")
        return v
    if xp is not np and isinstance(value, xp.ndarray):
        if npd is not None and value.dtype != npd:
            value = value.astype(npd)
        return value
    if isinstance(value, (list, tuple)) and any(isinstance(e, _Base) for e in _flat(value)):
        return ops.stack(list(value))._v if npd is None else ops.cast(ops.stack(list(value)), npd)._v
    a = _infer_np(value) if npd is None else _cast_checked(np.asarray(value), npd, value)
    return xp.asarray(a)


def _flat(v):
    for e in v:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e


def constant(value, dtype=None, shape=None, name=None):
    """A Tensor from a Python value, numpy array or tensor.

    >>> constant([1, 2.5])            # a mixed list is float32
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1. , 2.5], dtype=float32)>
    """
    npd = _d.np_dtype(dtype)
    if isinstance(value, _Base):
        if _state.stack:
            _note_host_read(value, "constant(...)")
        v = value._v
        if npd is not None and v.dtype != npd:
            v = ops.cast(value, npd)._v
        t = _wrap(v.copy() if isinstance(value, Variable) else v)
    else:
        t = _wrap(_to_array(value, npd))
    if shape is not None:
        shape = tuple(shape)
        if t._v.size == 1 and int(np.prod(shape)) != 1:
            t = _wrap(_b.get_xp().full(shape, t._v.reshape(()), dtype=t._v.dtype))
        elif tuple(t._v.shape) != shape:
            if t._v.size != int(np.prod(shape)):
                raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tried to convert "
                                f"a value of {t._v.size} elements to shape {list(shape)}")
            t = _wrap(t._v.reshape(shape))
    return t


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """Tensor for any value; Variables are read (differentiably), Tensors pass through."""
    if type(value) is Tensor:
        if dtype is not None and value._v.dtype != _d.np_dtype(dtype):
            raise ValueError(f"Tensor conversion requested dtype {_d.np_dtype(dtype).name} for Tensor "
                             f"with dtype {value._v.dtype.name}: {value!r}")
        return value
    if isinstance(value, Variable):
        t = ops.identity(value)
        if dtype is not None and t._v.dtype != _d.np_dtype(dtype):
            raise ValueError(f"Tensor conversion requested dtype {_d.np_dtype(dtype).name} for variable "
                             f"'{value.name}' with dtype {value._v.dtype.name}")
        return t
    if dtype is None and dtype_hint is not None:
        a = _infer_np(value)
        hint = _d.np_dtype(dtype_hint)
        if a.dtype.kind == hint.kind or (a.dtype.kind in "iu" and hint.kind == "f"):
            return _wrap(_to_array(value, hint))
        return _wrap(_b.get_xp().asarray(a))
    return _wrap(_to_array(value, _d.np_dtype(dtype)))


def is_tensor(x):
    return isinstance(x, _Base)
