"""Tensor (immutable) and Variable (mutable in place), with TensorFlow's conversion rules."""
import itertools
import weakref

import operator

import numpy as np

from . import backend as _b
from . import dtypes as _d
from .state import state as _state

ops = None   # gputape.ops, bound once it is imported (operators dispatch through it)
_add = _sub = _mul = _div = _const_tensor = None   # bound with ops (see ops/__init__.py)
_CONSTS = {}     # op._const_tensors(backend's xp), the cache _const_tensor fills (bound by op._bind_const_tensors)


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
        if _state.capture is not None:      # gputape.function: a host read while tracing (see replay.py)
            _state.capture.host_read(self)
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
        return ops.getitem(self, _index_key(key))

    # ``v[1].assign(5.)``: a slice read from a Variable remembers where it came from
    def assign(self, value, use_locking=False, name=None, read_value=True):
        return _slice_write(self, "assign", value, read_value)

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        return _slice_write(self, "assign_add", delta, read_value)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        return _slice_write(self, "assign_sub", delta, read_value)

    def __setitem__(self, key, value):
        raise TypeError(f"'{type(self).__name__}' object does not support item assignment: tensors are "
                        "immutable (TensorFlow: 'EagerTensor' object does not support item assignment); make a "
                        "Variable and use v[i].assign(...), or build a new tensor with gputape.where")

    # a few methods TensorFlow tensors have
    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        if not TensorShape(self._v.shape).is_compatible_with(shape):
            raise ValueError(f"Tensor's shape {tuple(self._v.shape)} is not compatible with supplied shape {shape}")


_BAD_INDEX = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar tf.int32/tf.int64 "
              "tensors are valid indices, got {!r}")


def _index_part(k, what="index"):
    """One element of an index (or of a slice) as TF's ``_check_index`` accepts it."""
    if isinstance(k, (int, np.integer)):            # bools inside an index are ints, as in TF
        return k
    if isinstance(k, _Base) and k._v.ndim == 0 and k._v.dtype in (np.int32, np.int64):
        return k
    raise TypeError("tensor[...]: " + _BAD_INDEX.format(k))


def _index_key(key):
    """``tensor[key]`` checked with TensorFlow's rules before any compute.

    A list is a tuple of indices (``x[[0, 1]]`` is ``x[0, 1]``, as in TF); each element is an int,
    a slice of ints/None/scalar int tensors, None (tf.newaxis), Ellipsis or a scalar int32/int64
    tensor.  Raises TypeError for anything else (floats, strings, arrays: TF's message), ValueError
    for a scalar bool ("mask cannot be scalar."), InvalidArgumentError for two ellipses and for a
    zero step.  Boolean masks go on to the op (which refuses them)."""
    if isinstance(key, (bool, np.bool_)):
        raise ValueError("tensor[...]: mask cannot be scalar.")
    if isinstance(key, np.ndarray) and key.dtype == np.bool_ or \
            isinstance(key, _Base) and key._v.dtype == np.bool_:
        if key.ndim == 0:
            raise ValueError("tensor[...]: mask cannot be scalar.")
        return key
    parts = key if isinstance(key, (tuple, list)) else (key,)
    if any(isinstance(k, np.integer) for k in parts):
        parts = tuple(int(k) if isinstance(k, np.integer) else k for k in parts)
        key = parts
    ell = 0
    for k in parts:
        if k is None:
            continue
        if k is Ellipsis:
            ell += 1
            if ell > 1:
                from .errors import InvalidArgumentError
                raise InvalidArgumentError("tensor[...]: Multiple ellipses in slice spec not allowed")
            continue
        if isinstance(k, slice):
            for part in (k.start, k.stop, k.step):
                if part is not None:
                    _index_part(part)
            if k.step is not None and int(k.step) == 0:
                from .errors import InvalidArgumentError
                raise InvalidArgumentError(f"tensor[...]: strides[{parts.index(k)}] must be non-zero "
                                           f"(slice {k!r})")
            continue
        _index_part(k)
    return tuple(parts) if isinstance(key, list) else key


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
_note_variable = [lambda v: None]      # replay.note_variable once gputape.replay is imported


def variables_created():
    """How many Variables the calling thread has created (gputape.function checks it around a call)."""
    return _state.variables_created


class Variable(_Base):
    """A mutable tensor whose buffer is updated in place by ``assign``.

    >>> v = Variable([1.0, 2.0], name="w")
    >>> v.assign_add([1.0, 1.0]).numpy()
    array([2., 3.], dtype=float32)
    """
    __slots__ = ("_v", "_trainable", "_frozen", "_name", "_uid", "_reads", "_constraint", "_regularizer", "__weakref__")

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
                raise ValueError(f"Variable: initial_value: Tensor conversion requested dtype {npd.name} for "
                                 f"Tensor with dtype {v.dtype.name} (cast it with gputape.cast first)")
        else:
            v = _to_array(initial_value, npd, "Variable")
        self._v = _b.get_xp().array(v, copy=True)      # the variable owns its buffer
        self._trainable = bool(trainable)
        self._frozen = False      # a frozen Keras layer's weight: reports trainable=False, still watched (as TF)
        self._name = _state.name_scope + (name if name is not None else "Variable") + ":0"
        self._uid = next(_var_ids)
        _state.variables_created += 1     # per thread: gputape.function's check
        _note_variable[0](self)           # gputape.function: the live Variables (replay.py checks writes)
        self._reads = []      # weakrefs to live read snapshots sharing self._v (copied before a write)
        if constraint is not None and not callable(constraint):
            raise ValueError(f"The `constraint` argument must be a callable. Received: {constraint!r}")
        self._constraint = constraint     # applied by the Keras optimizers after each step (Keras 3)
        self._regularizer = None          # a Keras layer's add_weight(regularizer=...): its penalty in layer.losses

    @property
    def trainable(self):
        return self._trainable and not self._frozen

    @property
    def constraint(self):
        """The callable ``value -> projected value`` given as ``constraint=`` (or None); Keras 3's
        optimizers assign ``constraint(variable)`` after each update step."""
        return getattr(self, "_constraint", None)

    @constraint.setter
    def constraint(self, value):
        if value is not None and not callable(value):
            raise ValueError(f"The `constraint` argument must be a callable. Received: {value!r}")
        self._constraint = value

    @property
    def regularizer(self):
        """The penalty callable of a Keras layer weight (``add_weight(regularizer=...)``), or None."""
        return getattr(self, "_regularizer", None)

    @regularizer.setter
    def regularizer(self, value):
        if value is not None and not callable(value):
            raise ValueError(f"The `regularizer` must be a callable. Received: {value!r}")
        self._regularizer = value

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

    def __getstate__(self):
        """Pickling and deep copies: the value, name and flags (live read snapshots stay behind)."""
        return (self._v, self._trainable, self._frozen, self._name)

    def __setstate__(self, state):
        """A fresh ``_uid``: the copy is another variable, and the pickling process's ids may be in
        use here (an optimizer rebuilds its index from its variables, see ``Optimizer.__setstate__``)."""
        self._v, self._trainable, self._frozen, self._name = state
        self._uid = next(_var_ids)
        self._reads = []

    def _detach_reads(self):
        """Copy-on-write: snapshots taken by earlier reads keep the value they saw."""
        for r in self._reads:
            t = r()
            if t is not None and t._v is self._v:
                t._v = t._v.copy()
        self._reads.clear()

    def _coerce(self, value, opname):
        """The array ``value`` writes into this variable, checked as TF converts it: a tensor of
        another dtype is ValueError ("Tensor conversion requested dtype ..."), host values follow
        ``_to_np``.  Under a tape, reading a variable value watches it, as TF's read does."""
        if _state.stack:
            _note_assign(self, value, opname)
        if isinstance(value, _Base):
            v = value._v
            if v.dtype != self._v.dtype:
                raise ValueError(f"Variable.{opname}: Tensor conversion requested dtype {self._v.dtype.name} for "
                                 f"Tensor with dtype {v.dtype.name} (variable '{self._name}'; cast the value "
                                 f"with gputape.cast first)")
        else:
            v = _to_array(value, self._v.dtype, f"Variable.{opname}")
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
        if _state.stack:
            _note_written(self)
        return self if read_value else None

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        v = self._coerce(delta, "assign_add")
        if self._reads:
            self._detach_reads()
        self._v += v
        if _state.stack:
            _note_written(self)
        return self if read_value else None

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        v = self._coerce(delta, "assign_sub")
        if self._reads:
            self._detach_reads()
        self._v -= v
        if _state.stack:
            _note_written(self)
        return self if read_value else None

    # in-place scatters (issue 10): checked as tensor_scatter_nd_*, written through assign
    def scatter_nd_update(self, indices, updates, name=None):
        """Entries at index vectors ``indices`` set to ``updates`` (TF 2.21); returns the variable."""
        from .ops.indexing import variable_scatter
        return variable_scatter(self, "update", indices, updates, nd=True)

    def scatter_nd_add(self, indices, updates, name=None):
        """``updates`` added at index vectors ``indices`` (repeats accumulate); returns the variable."""
        from .ops.indexing import variable_scatter
        return variable_scatter(self, "add", indices, updates, nd=True)

    def scatter_nd_sub(self, indices, updates, name=None):
        """``updates`` subtracted at index vectors ``indices``; returns the variable."""
        from .ops.indexing import variable_scatter
        return variable_scatter(self, "sub", indices, updates, nd=True)

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Rows ``sparse_delta.indices`` set to ``sparse_delta.values`` (an IndexedSlices, as TF 2.21;
        anything else is TF's TypeError); returns the variable."""
        from .ops.indexing import variable_scatter
        if not (hasattr(sparse_delta, "indices") and hasattr(sparse_delta, "values")):
            raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta!r}")
        return variable_scatter(self, "update", sparse_delta.indices, sparse_delta.values, nd=False)

    def __iadd__(self, other):
        raise RuntimeError("`variable += value` with `tf.Variable`s is not supported. Use "
                           "`variable.assign_add(value)` to modify the variable, or `out = variable + value` "
                           "if you need to get a new output Tensor.")

    def __isub__(self, other):
        raise RuntimeError("`variable -= value` with `tf.Variable`s is not supported. Use "
                           "`variable.assign_sub(value)` to modify the variable, or `out = variable - value` "
                           "if you need to get a new output Tensor.")

    def __getitem__(self, key):
        key = _index_key(key)
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


def _note_assign(var, value, how):
    """Tell active recorders about an assignment, as TF's tape sees one: a Variable value is read
    (so a tape watches it) and a tape that tracks either notes that the assignment carries no
    gradient.  ``_note_written`` then reads the assigned variable back, as TF's assign does."""
    from .op import _read_variable, user_site
    stack = _state.stack
    if isinstance(value, Variable):
        _read_variable(value, stack)
    for rec in stack:
        cuts = getattr(rec, "_cuts", None)
        tracked = getattr(rec, "_tracked", None)
        if cuts is not None and tracked is not None and (id(var) in tracked or id(value) in tracked):
            cuts.append((f"{var.name}.{how}", user_site(),
                         "assigning to a variable records no gradient (the variable's new value is not "
                         "connected to the assigned value)"))


def _note_written(var):
    from .op import _read_variable
    _read_variable(var, _state.stack)


def _slice_write(t, how, value, read_value):
    got = _SLICES.get(id(t))
    if got is None or got[0]() is not t:
        raise AttributeError(f"'Tensor' object has no attribute '{how}': only Variables, and slices read "
                             f"from a Variable (v[1].{how}(...)), can be assigned to")
    _, var, key = got
    if _state.capture is not None:          # gputape.function: a slice write is not recorded (replay.py)
        _state.capture.fail(f"a write to a slice of Variable '{var.name}' ({how})")
    from .ops.shape import _norm_key
    k = _norm_key(key)
    cur = var._v[k]
    if _state.stack:
        _note_assign(var, value, how)
    if isinstance(value, _Base):
        v = value._v
        if v.dtype != var._v.dtype:
            raise ValueError(f"{how}: Tensor conversion requested dtype {var._v.dtype.name} for Tensor with "
                             f"dtype {v.dtype.name} (a slice of variable '{var.name}'; cast the value first)")
    else:
        v = _to_array(value, var._v.dtype, how)
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
    if _state.stack:
        _note_written(var)
    return var if read_value else None


class TensorShape(tuple):
    """A tuple of dimensions that prints like TensorFlow's.

    Each dimension is None (unknown) or an integer >= 0, as TF 2.21's ``tf.TensorShape``: anything
    with ``__index__`` counts as an integer (NumPy integers; bool too, as TF), a float or a string
    raises TypeError and a negative dimension ValueError (TF's messages).  ``TensorShape(None)`` has an
    unknown rank (``rank`` None; it iterates as no dimensions); a single integer is a 1-D shape.
    """

    def __new__(cls, dims):
        if dims is None:
            out = super().__new__(cls, ())
            out._unknown = True
            return out
        try:
            it = iter(dims)
        except TypeError:
            it = (dims,)
        return super().__new__(cls, tuple(_dimension(d) for d in it))

    _unknown = False

    def __repr__(self):
        return f"TensorShape({list(self)})"

    def __str__(self):
        return "(" + ", ".join("None" if d is None else str(d) for d in self) + ("," if len(self) == 1 else "") + ")"

    @property
    def rank(self):
        return None if self._unknown else len(self)

    ndims = rank

    def as_list(self):
        if self._unknown:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
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


def _dimension(d):
    """One dimension of a TensorShape: None or an int >= 0 (TF's Dimension rules and messages)."""
    if d is None:
        return None
    if isinstance(d, bool):
        return d                     # TF keeps True/False as given (both are ints to it)
    try:
        v = operator.index(d)
    except TypeError:
        raise TypeError(f"Dimension value must be integer or None or have an __index__ method, got value "
                        f"'{d!r}' with type '{type(d)}'") from None
    if v < 0:
        raise ValueError(f"Dimension {v} must be >= 0")
    return v


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
    """The host copy ``str``/``repr`` print.  Not a host read for ``gputape.function``'s recorder (the
    unwrapped ``to_host``): printing a traced tensor, as the tf.function guide's ``print("Tracing
    with", x)`` does, happens at trace time only, as TF's does, and leaves the signature replayable
    (TF prints the symbolic tensor there; gputape prints the first call's values)."""
    to_host = _b.to_host
    return np.asarray(getattr(to_host, "__wrapped__", to_host)(t._v))


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

# TF's names for dtypes in conversion messages ("Cannot convert 'a' to EagerTensor of dtype float")
_TF_NAME = {"float32": "float", "float64": "double", "float16": "half"}
_F32_MAX = float(np.finfo(np.float32).max)
_I64 = (-2 ** 63, 2 ** 63 - 1)
_I32 = (-2 ** 31, 2 ** 31 - 1)
_SEQ = (list, tuple, range)


class _Fail(Exception):
    """A leaf a converter does not take: ``kind`` is "mixed", "range", "float" or "double"."""

    def __init__(self, kind):
        self.kind = kind


_MSG = {
    "mixed": "Can't convert Python sequence with mixed types to Tensor.",
    "range": "Can't convert Python sequence with out-of-range integer to Tensor.",
    "double": "Can't convert Python sequence with a value out of range for a double-precision float.",
    "rect": "Can't convert non-rectangular Python sequence to Tensor.",
}


def _unsupported(v):
    return ValueError(f"Attempt to convert a value ({v!r}) with an unsupported type ({type(v)!r}) to a Tensor.")


def _cannot(value, npd):
    return TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {_TF_NAME.get(npd.name, npd.name)}")


def _no_string(value):
    return TypeError(f"Cannot convert {value!r} to a tensor: gputape has no string dtype (TensorFlow would "
                     f"make a tf.string tensor; gputape tensors are float16/32/64, int8/16/32/64, uint8 or bool)")


def _is_seq(v):
    return isinstance(v, _SEQ) or (isinstance(v, np.ndarray) and v.ndim > 0)


def _leaf(v):
    """A numpy 0-d array as its scalar (TF treats it as one)."""
    return v[()] if isinstance(v, np.ndarray) else v


def _shape_of(value):
    """TF's shape for a nested sequence: the lengths along the first elements."""
    shape = []
    v = value
    while _is_seq(v):
        shape.append(len(v))
        if not len(v):
            return shape, None
        v = v[0]
    return shape, _leaf(v)


def _leaves(value, shape, check):
    """The leaves of ``value`` in order, each passed to ``check`` (which raises _Fail), with the
    structure checked against ``shape`` as TF scans it: depth first, lengths on entry."""
    out = []
    nd = len(shape)

    def rec(v, d):
        if d == nd:
            if _is_seq(v):
                raise _Fail("mixed")
            v = _leaf(v)
            check(v)
            out.append(v)
            return
        if not _is_seq(v) or len(v) != shape[d]:
            raise _Fail("rect")
        for e in v:
            rec(e, d + 1)

    rec(value, 0)
    return out


def _check_int(v):
    if isinstance(v, (int, np.integer)):          # Python bools are ints here, as in TF
        if (type(v) is int or type(v) is np.uint64) and not _I64[0] <= v <= _I64[1]:
            raise _Fail("range")
        return
    if isinstance(v, (float, np.floating)):
        raise _Fail("float")
    raise _Fail("mixed")


def _check_float(v):
    if isinstance(v, (int, float, np.integer, np.floating)):
        return
    raise _Fail("mixed")


def _overflows(v, npd):
    """Whether the finite Python float ``v`` rounds to infinity in ``npd`` (TF's converters test this)."""
    if v != v or abs(v) == float("inf"):
        return False
    with np.errstate(over="ignore"):
        return bool(np.isinf(np.array(v).astype(npd)))


def _check_float_ranged(v):
    """A Python float meeting float32 by default: finite values that overflow float32 are TF's error."""
    if type(v) is float:
        if abs(v) > _F32_MAX and _overflows(v, np.float32):
            raise _Fail("double")
        return
    _check_float(v)


def _ranged_check(npd):
    """The float converter's leaf check for ``npd``: a finite Python float that overflows it is TF's
    "out of range" error (float64 never overflows from a Python float)."""
    if npd == np.float64:
        return _check_float
    if npd == np.float32:
        return _check_float_ranged
    top = float(np.finfo(npd).max)

    def check(v):
        if type(v) is float and abs(v) > top and _overflows(v, npd):
            raise _Fail("double")
        _check_float(v)
    return check


def _check_bool(v):
    if not isinstance(v, (bool, np.bool_)):
        raise _Fail("mixed")


def _check_str(v):
    if not isinstance(v, (str, bytes, np.str_, np.bytes_)):
        raise _Fail("mixed")


def _float_array(leaves, npd, shape):
    try:
        a = np.array(leaves, dtype=np.float64)
    except OverflowError:                     # a Python int beyond any float
        raise ValueError(_MSG["range"]) from None
    if npd != np.float64:
        with np.errstate(over="ignore"):
            a = a.astype(npd)
    return a.reshape(shape)


_INT_BOOL = frozenset((int, bool))
_NUMS = frozenset((int, float, bool))


def _infer_fast(value):
    """``_infer_seq``'s answer for the common rectangular lists of plain Python numbers, at numpy's
    speed; None for anything else (ragged, empty, None, strings, numpy scalars or arrays inside,
    an error to report), which the exact walk then handles."""
    shape, first = _shape_of(value)
    if not shape or type(first) not in _NUMS or 0 in shape:
        return None
    rows = [value]
    for n in shape[1:]:                 # every inner sequence a list/tuple of the right length
        nxt = []
        for r in rows:
            for e in r:
                if type(e) is not list and type(e) is not tuple or len(e) != n:
                    return None
            nxt.extend(r)
        rows = nxt
    n = shape[-1]
    types = set()
    for r in rows:
        if type(r) is not list and type(r) is not tuple or len(r) != n:
            return None
        types.update(map(type, r))
    if not types <= _NUMS:
        return None
    first = type(first)
    try:
        if types == _BOOL_SET:
            return np.array(value, dtype=np.bool_)
        if types <= _INT_BOOL and first is int:
            a = np.array(value, dtype=np.int64)     # OverflowError beyond int64: the walk reports it
            if a.max() > _I32[1] or a.min() < _I32[0]:
                return a
            return a.astype(np.int32)
        if first is not bool and float in types:
            a = np.array(value, dtype=np.float64)
            mag = np.abs(a)
            hi = np.fmax.reduce(mag, axis=None)             # NaN ignored
            if first is int and hi >= 2.0 ** 63:
                return None                 # an int beyond int64 before the first float is TF's error
            if hi < _F32_MAX:
                return a.astype(np.float32)
            fin = a[(mag > _F32_MAX) & np.isfinite(a)]
            with np.errstate(over="ignore"):
                if np.isinf(fin.astype(np.float32)).any():
                    return None             # the walk raises TF's out-of-range error, in TF's order
                return a.astype(np.float32)
    except (OverflowError, ValueError, TypeError):
        return None
    return None


_BOOL_SET = frozenset((bool,))


def _infer_seq(value, ranged=True):
    """TF's dtype inference for Python scalars and nested sequences (the dtype of the first leaf
    decides; ints meeting a float become floats; ints are int32 when every one fits, else int64;
    Python floats are float32 and must fit it; empty sequences are float32)."""
    if ranged:
        a = _infer_fast(value)
        if a is not None:
            return a
    shape, first = _shape_of(value)
    if first is None and shape and 0 in shape:
        return _empty(value, shape, np.float32)
    try:
        if isinstance(first, (bool, np.bool_)):
            return np.array(_leaves(value, shape, _check_bool), dtype=np.bool_).reshape(shape)
        if isinstance(first, (int, np.integer)):
            try:
                leaves = _leaves(value, shape, _check_int)
            except _Fail as e:
                if e.kind != "float":
                    raise
                return _float_array(_leaves(value, shape, _check_float_ranged if ranged else _check_float),
                                    np.float32 if ranged else np.float64, shape)
            a = np.array(leaves, dtype=np.int64).reshape(shape)
            if a.size and (a.max() > _I32[1] or a.min() < _I32[0]):
                return a
            return a.astype(np.int32)
        if isinstance(first, np.floating):          # (np.float64 is a float too: keep its dtype)
            fd = first.dtype
            return _float_array(_leaves(value, shape, _ranged_check(fd) if ranged else _check_float), fd, shape)
        if isinstance(first, float):
            return _float_array(_leaves(value, shape, _check_float_ranged if ranged else _check_float),
                                np.float32 if ranged else np.float64, shape)
        if isinstance(first, (str, bytes, np.str_, np.bytes_)):
            _leaves(value, shape, _check_str)
            raise _no_string(value)
    except _Fail as e:
        raise ValueError(_MSG["mixed" if e.kind == "float" else e.kind]) from None
    if isinstance(first, complex):
        raise TypeError(f"Cannot convert {value!r} to a tensor: gputape has no complex dtype")
    raise _unsupported(first if shape else value)


def _empty(value, shape, npd):
    """An empty array of ``shape``, the structure checked: TF 2.21 returns ``[[], []]`` for
    ``[[], [1]]`` (dropping the 1); gputape raises its non-rectangular ValueError."""
    try:
        _leaves(value, shape, None)
    except _Fail as e:
        raise ValueError(_MSG[e.kind]) from None
    return np.zeros(shape, npd)


def _direct(value, npd):
    """TF's converters for a requested float, int32/int64 or bool dtype: None where that converter
    does not take the value (TF then infers the dtype and casts, or raises)."""
    kind = npd.kind
    shape, first = _shape_of(value)
    if first is None and 0 in shape:
        return _empty(value, shape, npd)
    try:
        if kind == "f":
            # TF's float/half converters refuse a finite Python float beyond their range (then TF
            # infers and casts: inf), so an int beyond int64 before it is still an error
            return _float_array(_leaves(value, shape, _ranged_check(npd)), npd, shape)
        if npd == np.int32 or npd == np.int64:
            return np.array(_leaves(value, shape, _check_int), dtype=np.int64).reshape(shape)
        if kind == "b" and isinstance(first, (bool, np.bool_)):
            return np.array(_leaves(value, shape, _check_bool), dtype=np.bool_).reshape(shape)
    except _Fail:
        return None
    return None


def _narrow_int(a, npd, value):
    """An integer array in ``npd``: TF wraps values out of range; gputape raises instead."""
    if a.dtype != npd and a.size:
        info = np.iinfo(npd)
        if a.max() > info.max or a.min() < info.min:
            raise ValueError(f"Cannot convert {_short(value)} to EagerTensor of dtype {npd.name}: a value is "
                             f"out of range [{info.min}, {info.max}] (TensorFlow wraps it around; gputape refuses "
                             f"to change the value)")
    return a.astype(npd)


def _short(value):
    r = repr(value)
    return r if len(r) <= 200 else r[:200] + "..."


def _check_np(a, value):
    """A numpy array or scalar gputape can hold: TF's errors for object and string arrays."""
    k = a.dtype.kind
    if k == "O":
        first = next(iter(a.reshape(-1)), None)
        raise ValueError(f"Failed to convert a NumPy array to a Tensor (Unsupported object type "
                         f"{type(first).__name__}).")
    if k in "USa":
        raise _no_string(value)
    if a.dtype not in _d._BY_NP:
        raise TypeError(f"Cannot convert a numpy array of dtype {a.dtype.name} to a tensor: gputape supports "
                        f"float16/32/64, int8/16/32/64, uint8 and bool")


def _infer_np(value):
    """A numpy array for a host value with TensorFlow's default dtypes.

    numpy arrays and scalars keep their dtype; Python scalars and nested lists/tuples follow TF
    2.21's inference (``_infer_seq``).  Raises ValueError for None, mixed types, ragged lists and
    ints beyond int64 (TF's messages), ValueError for object arrays, TypeError for strings (gputape
    has no string dtype) and for dtypes gputape lacks.
    """
    t = type(value)
    if t is float:
        if abs(value) > _F32_MAX and _overflows(value, np.float32):
            raise ValueError(_MSG["double"])
        return np.array(value, np.float32)
    if t is int:
        if _I32[0] <= value <= _I32[1]:
            return np.array(value, np.int32)
        if _I64[0] <= value <= _I64[1]:
            return np.array(value, np.int64)
        raise ValueError(_MSG["range"])
    if t is bool:
        return np.array(value)
    if isinstance(value, (np.ndarray, np.generic)) or _array_like(value):
        a = np.asarray(value)
        _check_np(a, value)
        return a
    return _infer_seq(value)


def _array_like(value):
    """An object with ``__array__`` that is not a list or tuple (TF converts it through numpy)."""
    return hasattr(value, "__array__") and not isinstance(value, _SEQ)


def _cast_checked(a, npd, value):
    """``a`` (from ``value``) in dtype ``npd`` with TensorFlow's rules: numpy values are cast
    (floats truncate towards zero, as TF does); a Python float never becomes an integer (not even
    2.0) and a Python number never becomes a bool (TypeError "Cannot convert ... to EagerTensor").
    Integers outside ``npd``'s range and non-finite floats meeting an integer dtype raise
    ValueError where TF would wrap them or produce an undefined value."""
    if a.dtype == npd:
        return a
    k, nk = a.dtype.kind, npd.kind
    if not isinstance(value, (np.ndarray, np.generic)):
        if (nk in "iu" and k in "fc") or (nk == "b" and k != "b"):
            raise _cannot(value, npd)
    elif nk in "iu" and k == "f":
        if a.size and not np.isfinite(a).all():
            raise ValueError(f"Cannot convert {_short(value)} to EagerTensor of dtype {npd.name}: it holds "
                             f"NaN or Inf, which no integer can represent")
        a = np.trunc(a)
        if a.size:
            info = np.iinfo(npd)
            if float(a.max()) > info.max or float(a.min()) < info.min:
                raise ValueError(f"Cannot convert {_short(value)} to EagerTensor of dtype {npd.name}: a value "
                                 f"is out of range [{info.min}, {info.max}]")
    if nk in "iu" and k in "iub":
        return _narrow_int(a, npd, value)
    if nk == "f":
        with np.errstate(over="ignore"):
            return a.astype(npd)
    return a.astype(npd)


def _compatible(npd, have):
    """TF's IsCompatible: an inferred dtype that may be cast to the requested one."""
    nk, k = npd.kind, have.kind
    if nk in "iu":
        return k in "iu"
    if nk == "f":
        return k in "iuf"
    return nk == k


def _to_np(value, npd=None):
    """A host numpy array of ``value`` (any host value gputape converts) in dtype ``npd`` (or
    inferred when None), with TensorFlow 2.21's conversion rules and errors."""
    if npd is None:
        return _infer_np(value)
    if isinstance(value, (np.ndarray, np.generic)) or _array_like(value):
        a = np.asarray(value)
        _check_np(a, value)
        return _cast_checked(a, npd, value)
    t = type(value)
    if t is float:
        if npd.kind != "f":
            raise _cannot(value, npd)
        with np.errstate(over="ignore"):
            return np.array(value, np.float64).astype(npd)      # TF: 1e40 as float32 is inf
    if t is int:
        if npd.kind == "f":
            return _float_array([value], npd, ())
        if npd.kind == "b":
            raise _cannot(value, npd)
        return _cast_checked(_infer_np(value), npd, value)
    if t is bool:
        # TF's int32/int64/float converters take Python bools; int8/int16/uint8 infer bool and refuse it
        if npd.kind == "b" or npd.kind == "f" or npd == np.int32 or npd == np.int64:
            return np.array(value).astype(npd)
        raise _cannot(value, npd)
    if value is None:
        raise _unsupported(None)
    if isinstance(value, _SEQ):
        a = _direct(value, npd)
        if a is None:
            try:
                a = _infer_seq(value, ranged=False)     # as TF: inferred as double, then cast
            except TypeError:                       # strings meeting a numeric dtype
                raise _cannot(value, npd) from None
            if not _compatible(npd, a.dtype):
                raise _cannot(value, npd)
        if a.dtype == npd:
            return a
        if npd.kind in "iu":
            return _narrow_int(a, npd, value)
        with np.errstate(over="ignore"):
            return a.astype(npd)
    if isinstance(value, (str, bytes)):
        raise _cannot(value, npd)
    if isinstance(value, complex):
        raise _cannot(value, npd)
    raise _unsupported(value)


def _to_array(value, npd=None, api=None):
    """A backend array from a host value or a backend array (always a new array or the same one).

    ``api`` (e.g. "constant") is named in conversion errors, which keep TF's class and text."""
    if api is None:
        return _to_array_(value, npd)
    try:
        return _to_array_(value, npd)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{e} ({api}: value {_short(value)}"
                      f"{'' if npd is None else ', dtype ' + npd.name})") from None


def _to_array_(value, npd=None):
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
    if isinstance(value, _SEQ) and _has_tensor(value):
        return ops.stack(list(value))._v if npd is None else ops.cast(ops.stack(list(value)), npd)._v
    return xp.asarray(_to_np(value, npd))


def _has_tensor(v):
    for e in v:
        if isinstance(e, _SEQ):
            if _has_tensor(e):
                return True
        elif isinstance(e, _Base):
            return True
    return False


def _no_filter():
    pass


_ensure_wf = [_no_filter]   # op.ensure_warning_filter, bound when op.py is imported


def constant(value, dtype=None, shape=None, name=None):
    """A Tensor from a Python value, numpy array or tensor.

    >>> constant([1, 2.5])            # a mixed list is float32
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1. , 2.5], dtype=float32)>
    """
    _ensure_wf[0]()
    npd = _d.np_dtype(dtype)
    if isinstance(value, _Base):
        if _state.stack:
            _note_host_read(value, "constant(...)")
        v = value._v
        if npd is not None and v.dtype != npd:
            raise TypeError(f"constant: Expected tensor {_numpy_repr(value)} with dtype tf.{npd.name}, but got "
                            f"dtype tf.{v.dtype.name} (TensorFlow does not cast here: use gputape.cast)")
        t = _wrap(v.copy() if isinstance(value, Variable) else v)
    else:
        t = _wrap(_to_array(value, npd, "constant"))
    if shape is not None:
        from .checks import as_int_list
        shape = tuple(as_int_list(shape, "constant", "shape"))
        if any(d < 0 for d in shape):
            raise ValueError(f"constant: Dimension {min(shape)} must be >= 0 (shape {list(shape)})")
        if t._v.size == 1 and int(np.prod(shape)) != 1:
            t = _wrap(_b.get_xp().full(shape, t._v.reshape(()), dtype=t._v.dtype))
        elif tuple(t._v.shape) != shape:
            if t._v.size != int(np.prod(shape)):
                raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tried to convert "
                                f"a value of {t._v.size} elements to shape {list(shape)}")
            t = _wrap(t._v.reshape(shape))
    if _state.capture is not None:          # gputape.function: Python data became a constant (replay.py)
        _state.capture.constant(value, t)
    return t


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """Tensor for any value; Variables are read (differentiably), Tensors pass through."""
    _ensure_wf[0]()
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
    if hasattr(type(value), "__tf_tensor__"):          # TF's conversion protocol (IndexedSlices)
        return value.__tf_tensor__(dtype, name)
    if dtype is None and dtype_hint is not None:
        a = _to_array(value, None, "convert_to_tensor")
        hint = _d.np_dtype(dtype_hint)
        if a.dtype.kind == hint.kind or (a.dtype.kind in "iu" and hint.kind == "f"):
            a = _to_array(value, hint, "convert_to_tensor")
        t = _wrap(a)
    else:
        t = _wrap(_to_array(value, _d.np_dtype(dtype), "convert_to_tensor"))
    if _state.capture is not None:          # gputape.function: Python data became a constant (replay.py)
        _state.capture.constant(value, t)
    return t


def is_tensor(x):
    return isinstance(x, _Base)
