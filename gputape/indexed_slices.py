"""``IndexedSlices``: TensorFlow 2.21's sparse representation of a gradient (rows ``indices`` of a dense
tensor of shape ``dense_shape`` hold ``values``).

gputape's own gradients are dense tensors (see README's deliberate differences); this class is for user
code that builds one: ``convert_to_tensor``, every op argument and the optimizers accept it and densify
it, rows at repeated indices summed (TF's ``unsorted_segment_sum``), differentiably in ``values``.
"""
from . import checks
from .errors import InvalidArgumentError
from .tensor import _Base, TensorShape, convert_to_tensor

__all__ = ["IndexedSlices"]


class IndexedSlices:
    """``IndexedSlices(values, indices, dense_shape=None)``, as TF 2.21's ``tf.IndexedSlices``.

    ``values``: a tensor ``[n, ...]``; ``indices``: a 1-D int32/int64 tensor of ``n`` row numbers;
    ``dense_shape``: the dense tensor's shape (needed to densify: ValueError without it, as TF).
    """

    def __init__(self, values, indices, dense_shape=None):
        self._values = values if isinstance(values, _Base) else convert_to_tensor(values)
        self._indices = indices if isinstance(indices, _Base) else convert_to_tensor(indices)
        if self._indices._v.dtype.kind not in "iu":
            raise TypeError(f"IndexedSlices: indices must be integers, got {self._indices._v.dtype.name}")
        self._dense_shape = None if dense_shape is None else (
            dense_shape if isinstance(dense_shape, _Base) else convert_to_tensor(dense_shape))

    values = property(lambda self: self._values)
    indices = property(lambda self: self._indices)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)

    @property
    def shape(self):
        if self._dense_shape is None:
            return TensorShape([None] + list(self._values._v.shape[1:]))
        return TensorShape([int(d) for d in self._dense_shape.numpy()])

    def __tf_tensor__(self, dtype=None, name=None):
        """The dense tensor (TF's conversion): zeros of ``dense_shape`` with ``values`` added at ``indices``."""
        from .ops.shape import gather_grad
        if self._dense_shape is None:
            raise ValueError(f"Tensor conversion requested for IndexedSlices without dense_shape: {self!r}")
        shape = tuple(int(d) for d in self._dense_shape.numpy())
        v, idx = self._values, self._indices
        if idx._v.ndim != 1 or v._v.ndim < 1 or v._v.shape[0] != idx._v.shape[0] \
                or tuple(v._v.shape[1:]) != shape[1:]:
            raise InvalidArgumentError(f"IndexedSlices: values of shape {list(v._v.shape)} and indices of shape "
                                       f"{list(idx._v.shape)} do not make rows of dense_shape {list(shape)}")
        checks.check_indices(idx._v, shape[0], "IndexedSlices", "indices")
        dense = gather_grad(v, idx, shape=shape, axis=0, nb=0)
        if dtype is not None:
            from .dtypes import np_dtype
            if dense._v.dtype != np_dtype(dtype):
                raise ValueError(f"Tensor conversion requested dtype {np_dtype(dtype).name} for IndexedSlices "
                                 f"with dtype {dense._v.dtype.name}")
        return dense

    def __neg__(self):
        from . import ops
        return IndexedSlices(ops.negative(self._values), self._indices, self._dense_shape)

    def __repr__(self):
        ds = "None" if self._dense_shape is None else str(self._dense_shape)
        return (f"IndexedSlices(indices={self._indices}, values={self._values}, dense_shape={ds})")
