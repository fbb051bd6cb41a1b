"""``TensorArray``: TensorFlow 2.21's eager TensorArray, a Python list of tensors with TF's checks.

Every value written is kept as the tensor it is (a write records nothing), and ``read``, ``stack``,
``gather``, ``concat``, ``unstack``, ``scatter`` and ``split`` are gputape ops (``stack``, ``concat``,
slicing), so gradients flow through a TensorArray on the tape, to any order, as TF's eager tape gives them.

    ta = gputape.TensorArray(gputape.float32, size=0, dynamic_size=True)
    for i in range(3):
        ta = ta.write(i, x * i)
    ta.stack()                      # [0, x, 2x]
"""
import numpy as np

from . import ops as _ops
from . import checks
from .dtypes import as_dtype
from .errors import InvalidArgumentError
from .tensor import _Base, Tensor, TensorShape, convert_to_tensor


class OutOfRangeError(IndexError):
    """TensorFlow's ``OutOfRangeError`` (an index past the end of a TensorArray); TF's class subclasses no
    builtin, ours is an IndexError."""


def _shape_of(element_shape):
    if element_shape is None:
        return TensorShape(None)
    if isinstance(element_shape, TensorShape):
        return element_shape
    return TensorShape(element_shape)


def _compatible(a, b):
    """TensorShape compatibility, unknown rank matching anything."""
    if a.rank is None or b.rank is None:
        return True
    return a.is_compatible_with(b)


def _merge(a, b):
    if a.rank is None:
        return b
    if b.rank is None:
        return a
    return TensorShape([x if x is not None else y for x, y in zip(a, b)])


def _index(i, op):
    return checks.as_int(i, f"TensorArray.{op}", "index")


class TensorArray:
    """A list of tensors of one dtype, written and read by index (TF 2.21's eager ``tf.TensorArray``).

    - ``dtype`` (required), ``size`` (required eagerly: ValueError otherwise, as TF), ``dynamic_size``
      (writes past the end grow the array; else OutOfRangeError), ``clear_after_read`` (default True: a
      second ``read`` of an index is InvalidArgumentError, as TF eager), ``infer_shape`` (the first write
      fixes the element shape; later writes must match: ValueError), ``element_shape``.
    - ``handle`` is ValueError eagerly (TF's); ``flow``, ``tensor_array_name``, ``name`` and
      ``colocate_with_first_write_call`` do nothing eagerly (as TF).
    - Methods return the array itself (``ta = ta.write(...)`` and ``ta.write(...)`` both work, as TF
      eager).  An index that was never written reads as zeros of the element shape (TF's).
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None, tensor_array_name=None,
                 handle=None, flow=None, infer_shape=True, element_shape=None, colocate_with_first_write_call=True,
                 name=None):
        if handle is not None:
            raise ValueError("TensorArray handles are not supported when eager execution is enabled.")
        if size is None:
            raise ValueError("Size must be declared for TensorArrays when eager execution is enabled.")
        self._dtype = as_dtype(dtype)
        size = checks.as_int(size, "TensorArray", "size")
        if size < 0:
            raise InvalidArgumentError(f"TensorArray: size must be >= 0, got {size}")
        self._dynamic_size = bool(dynamic_size or False)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = bool(infer_shape)
        self._element_shape = _shape_of(element_shape)
        self._previously_read = set()
        self._items = [None] * size

    # ---- metadata
    @property
    def dtype(self):
        return self._dtype

    @property
    def element_shape(self):
        return self._element_shape

    @property
    def dynamic_size(self):
        return self._dynamic_size

    @property
    def flow(self):
        """For compatibility: TF's eager flow is an int32 zero."""
        return convert_to_tensor(0)

    @property
    def handle(self):
        return None

    def identity(self):
        return self

    def grad(self, source, flow=None, name=None):
        raise NotImplementedError("TensorArray.grad is not supported when executing eagerly; eager's gradient "
                                  "implementation does not use/need this function to compute gradients of "
                                  "operations that use TensorArrays.")

    def size(self, name=None):
        """The number of elements, an int32 scalar."""
        return convert_to_tensor(np.int32(len(self._items)))

    def close(self, name=None):
        del self._items[:]

    # ---- element access
    def _zero(self, i):
        v = self._items[i]
        if v is None:
            s = self._element_shape
            if s.rank is None or None in tuple(s):
                raise InvalidArgumentError(f"TensorArray: element {i} was never written and the element shape "
                                           f"{s} is not fully known, so it cannot be read as zeros")
            v = self._items[i] = _ops.zeros(tuple(s), dtype=self._dtype)
        return v

    def read(self, index, name=None):
        """The element at ``index`` (OutOfRangeError outside ``[0, size)``; InvalidArgumentError for a second
        read of an index when ``clear_after_read``)."""
        i = _index(index, "read")
        if i < 0:
            raise OutOfRangeError(f"Reading from negative indices (index {i}) is not allowed.")
        if i >= len(self._items):
            raise OutOfRangeError(f"Tried to read from index {i} but array size is: {len(self._items)} ")
        v = self._items[i]
        if v is None:
            if i in self._previously_read:
                raise InvalidArgumentError(f"Could not read index {i} twice because it was cleared after a previous "
                                           f"read (perhaps try setting clear_after_read = false?)")
            v = self._zero(i)
        if self._clear_after_read:
            self._items[i] = None
            self._previously_read.add(i)
        return v

    def _write(self, i, value):
        if i < 0:
            raise OutOfRangeError(f"Writing to negative indices (index {i}) is not allowed.")
        size = len(self._items)
        if i >= size:
            if not self._dynamic_size:
                raise OutOfRangeError(f"Tried to write to index {i} but array is not resizeable and size is: {size} ")
            self._items.extend([None] * (i - size + 1))
        if not isinstance(value, _Base):
            value = convert_to_tensor(value, dtype_hint=self._dtype)
        elif not isinstance(value, Tensor):
            value = _ops.identity(value)            # a Variable: its current value
        if value._v.dtype != self._dtype.np:
            raise InvalidArgumentError(f"TensorArray dtype is {self._dtype.name} but Op is trying to write dtype "
                                       f"{value._v.dtype.name} ")
        shape = TensorShape(value._v.shape)
        if not _compatible(self._element_shape, shape):
            raise ValueError(f"Incompatible shape for value ({shape}), expected ({self._element_shape})")
        if self._infer_shape:
            self._element_shape = _merge(self._element_shape, shape)
        self._items[i] = value

    def write(self, index, value, name=None):
        """Store ``value`` at ``index`` (InvalidArgumentError for another dtype, ValueError for another
        shape than the element shape, OutOfRangeError past the end unless ``dynamic_size``)."""
        self._write(_index(index, "write"), value)
        return self

    def stack(self, name=None):
        """All elements stacked along a new first axis (unwritten ones as zeros)."""
        for i in range(len(self._items)):
            self._zero(i)
        if not self._items:
            s = self._element_shape
            tail = tuple(s) if s.rank is not None and None not in tuple(s) else ()
            return convert_to_tensor(np.zeros((0,) + tail, dtype=self._dtype.np))
        return _ops.stack(list(self._items))

    def gather(self, indices, name=None):
        """The elements at ``indices`` (a 1-D list or integer tensor), stacked."""
        idx = [checks.as_int(i, "TensorArray.gather", "indices") for i in _ints(indices, "gather")]
        for i in idx:
            if not 0 <= i < len(self._items):
                raise OutOfRangeError(f"TensorArray.gather: index {i} is outside [0, {len(self._items)})")
        return _ops.stack([self._zero(i) for i in idx])

    def concat(self, name=None):
        """All elements joined along their first axis (each must be at least a vector)."""
        for k, v in enumerate(self._items):
            if v is not None and v._v.ndim == 0:
                raise InvalidArgumentError(f"Concat saw a scalar shape at index {k} but requires at least vectors.")
        return _ops.concat([self._zero(i) for i in range(len(self._items))], 0)

    def unstack(self, value, name=None):
        """The rows of ``value`` become the elements (ValueError when there are more than a static size)."""
        value = convert_to_tensor(value, dtype_hint=self._dtype) if not isinstance(value, _Base) else value
        rows = _ops.unstack(value)
        if len(rows) > len(self._items) and not self._dynamic_size:
            raise ValueError(f"Cannot unstack {len(rows)} tensors into a TensorArray of static size "
                             f"{len(self._items)} ")
        self._items = [None] * len(rows)
        for i, r in enumerate(rows):
            self._write(i, r)
        return self

    def scatter(self, indices, value, name=None):
        """Row ``k`` of ``value`` is written at ``indices[k]``."""
        idx = [checks.as_int(i, "TensorArray.scatter", "indices") for i in _ints(indices, "scatter")]
        value = convert_to_tensor(value, dtype_hint=self._dtype) if not isinstance(value, _Base) else value
        rows = _ops.unstack(value)
        if len(rows) != len(idx):
            raise InvalidArgumentError(f"TensorArray.scatter: {len(idx)} indices for a value with {len(rows)} rows")
        for i, r in zip(idx, rows):
            self._write(i, r)
        return self

    def split(self, value, lengths, name=None):
        """``value`` split along its first axis into pieces of ``lengths`` (which must sum to its length)."""
        value = convert_to_tensor(value, dtype_hint=self._dtype) if not isinstance(value, _Base) else value
        if value._v.dtype != self._dtype.np:
            raise InvalidArgumentError(f"TensorArray dtype is {self._dtype.name} but Op is trying to write dtype "
                                       f"{value._v.dtype.name} ")
        lens = [checks.as_int(n, "TensorArray.split", "lengths") for n in _ints(lengths, "split")]
        if value._v.ndim == 0:
            raise InvalidArgumentError(f"Expected value to be at least a vector, but received shape: "
                                       f"{list(value._v.shape)} ")
        if sum(lens) != value._v.shape[0]:
            raise InvalidArgumentError(f"Expected sum of lengths to be equal to values.shape[0], but sum of lengths "
                                       f"is {sum(lens)} and value's shape is: {list(value._v.shape)} ")
        if not self._dynamic_size and len(lens) != len(self._items):
            raise InvalidArgumentError(f"TensorArray's size is not equal to the size of lengths ({len(self._items)} "
                                       f"vs. {len(lens)}), and the TensorArray is not marked as dynamically "
                                       f"resizeable.")
        self._items = list(_ops.split(value, lens, 0)) if lens else []
        return self

    def __repr__(self):
        return f"<gputape.TensorArray dtype={self._dtype!r} size={len(self._items)} element_shape={self._element_shape}>"


def _ints(v, op):
    if isinstance(v, _Base):
        if v._v.ndim != 1:
            raise InvalidArgumentError(f"TensorArray.{op}: expected a vector of indices, got shape "
                                       f"{list(v._v.shape)}")
        return [int(x) for x in v.numpy()]
    if isinstance(v, np.ndarray):
        return list(v.reshape(-1))
    return list(v)
