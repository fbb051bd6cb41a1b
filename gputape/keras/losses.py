"""Losses with Keras 3.15's constructors, reductions and sample weights.

Every class takes Keras's arguments (``reduction``: 'sum_over_batch_size' (default), 'sum',
'mean', 'mean_with_sample_weight', 'none' or None; ``name``; ``dtype``, the dtype both inputs
are converted to, float32 by default; and the per-loss ``from_logits``, ``label_smoothing``,
``axis``, ``ignore_class``).  ``loss(y_true, y_pred, sample_weight=None)`` weights the
per-example losses, then reduces them as Keras's ``reduce_weighted_values``.
"""
import numpy as np

from .. import ops as _ops
from ..tensor import _Base, convert_to_tensor
from ..op import _const_tensor
from . import naming as _naming

_I32 = np.dtype(np.int32)
_I32_MAX = np.iinfo(np.int32).max

_EPS = 1e-7
_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def _t(x, dtype=None):
    if isinstance(x, _Base):
        return x if dtype is None or x.dtype.name == dtype else _ops.cast(x, dtype)
    return convert_to_tensor(x, dtype=dtype)


def standardize_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {set(_REDUCTIONS)}. Received: "
                         f"reduction={reduction}")
    return reduction


def _loss_dtype(dtype):
    if dtype is None:
        return "float32"
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        raise NotImplementedError(f"Loss: mixed-precision dtype policy {dtype!r} is not implemented in gputape")
    from ..dtypes import np_dtype
    d = np.dtype(np_dtype(dtype))
    if d.kind != "f":
        raise ValueError(f"Loss: `dtype` must be a floating dtype, got {dtype!r}")
    return d.name


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule: when ranks differ by one and the longer has a last dimension of 1, squeeze it
    (or expand a rank-1 partner)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = _ops.expand_dims(x2, -1)
        else:
            x1 = _ops.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = _ops.expand_dims(x1, -1)
        else:
            x2 = _ops.squeeze(x2, -1)
    return x1, x2


def _reduce_weighted(values, sample_weight, mask, reduction):
    """Keras 3's ``reduce_weighted_values``: mask and weights multiply the losses, then
    sum / mean over all elements / mean over the weights."""
    dtype = values.dtype
    if mask is not None:
        fmask = _ops.cast(mask, dtype)
        if reduction in ("mean", "sum_over_batch_size"):
            total = _ops.cast(int(np.prod(mask.shape)), dtype)
            fmask = _ops.multiply(fmask, _ops.divide_no_nan(total, _ops.reduce_sum(fmask)))
        if sample_weight is not None:
            fmask, sample_weight = squeeze_or_expand_to_same_rank(fmask, sample_weight)
            sample_weight = _ops.multiply(sample_weight, fmask)
        else:
            sample_weight = fmask
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = _ops.multiply(values, sample_weight)
    if reduction in (None, "none") or tuple(values.shape) in ((), (0,)):
        return values
    loss = _ops.reduce_sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = _ops.reduce_sum(_ops.cast(sample_weight, dtype))
    else:
        n = int(np.prod(values.shape))
        # the batch size as op._const_tensor's cached device int32 (no host-to-device copy per step)
        divisor = _ops.cast(_const_tensor(n, _I32) if n <= _I32_MAX else n, dtype)
    return _ops.divide_no_nan(loss, divisor)


class Loss:
    """Base class (Keras 3's ``Loss(name=None, reduction='sum_over_batch_size', dtype=None)``);
    subclasses define ``call(y_true, y_pred)`` -> per-example losses."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _naming.auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = _loss_dtype(dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _t(y_pred, self.dtype)
        y_true = _t(y_true, self.dtype)
        per = self.call(y_true, y_pred)
        mask = None
        if isinstance(per, tuple):
            per, mask = per
        if sample_weight is not None:
            sample_weight = _t(sample_weight, self.dtype)
        return _reduce_weighted(per, sample_weight, mask, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    return int(axis)


def _same_shape(target, output):
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    if target.ndim < 1:
        raise ValueError(f"Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")


# ---------------------------------------------------------------- functions (Keras 3 signatures)
def mean_squared_error(y_true, y_pred):
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype.name)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _ops.reduce_mean(_ops.square(_ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype.name)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _ops.reduce_mean(_ops.abs(_ops.subtract(y_true, y_pred)), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-example ``-sum(y_true * log(p))`` along ``axis``; ``label_smoothing`` moves the labels to
    ``y * (1 - ls) + ls / num_classes`` (num_classes = the last dimension, as Keras)."""
    axis = _check_axis(axis)
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype.name)
    if label_smoothing:
        n = y_true.shape[-1]
        y_true = _ops.add(_ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / n)
    _same_shape(y_true, y_pred)
    if from_logits:
        return _ops.softmax_cross_entropy_with_logits(y_true, y_pred, axis=axis)
    p = _ops.divide(y_pred, _ops.reduce_sum(y_pred, axis=axis, keepdims=True))
    p = _ops.clip_by_value(p, _EPS, 1 - _EPS)
    return _ops.negative(_ops.reduce_sum(_ops.multiply(y_true, _ops.log(p)), axis=axis))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over ``axis`` of the element-wise binary cross-entropy; ``label_smoothing`` moves the
    labels to ``y * (1 - ls) + 0.5 * ls``."""
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype.name)
    if label_smoothing:
        y_true = _ops.add(_ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    _same_shape(y_true, y_pred)
    if from_logits:
        bce = _ops.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        p = _ops.clip_by_value(y_pred, _EPS, 1 - _EPS)
        bce = _ops.negative(_ops.add(_ops.multiply(y_true, _ops.log(p)),
                                     _ops.multiply(_ops.subtract(1.0, y_true), _ops.log(_ops.subtract(1.0, p)))))
    return _ops.reduce_mean(bce, axis=_check_axis(axis))


def _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis):
    """(per-example losses, mask of the counted examples or None)."""
    axis = _check_axis(axis)
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = _ops.squeeze(y_true, axis)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    valid = None
    if ignore_class is not None:
        valid = _ops.not_equal(y_true, _ops.cast(ignore_class, y_true.dtype))
        y_true = _ops.where(valid, y_true, _ops.zeros_like(y_true))
        y_pred = _ops.where(_ops.broadcast_to(_ops.expand_dims(valid, -1), y_pred.shape), y_pred,
                            _ops.zeros_like(y_pred))
    labels = y_true if not y_true.dtype.is_floating else _ops.cast(y_true, "int32")
    if tuple(labels.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(f"Arguments `target` and `output` must have the same shape up until the last dimension: "
                         f"target.shape={tuple(labels.shape)}, output.shape={tuple(y_pred.shape)}")
    if from_logits:
        res = _ops.sparse_softmax_cross_entropy_with_logits(labels, y_pred)
    else:
        # Keras: clip the probabilities, then treat their logs as logits (rows are renormalised after clipping)
        res = _ops.sparse_softmax_cross_entropy_with_logits(labels, _ops.log(_ops.clip_by_value(y_pred, _EPS,
                                                                                                1 - _EPS)))
    if valid is not None:
        res = _ops.where(valid, res, _ops.zeros_like(res))
    return res, valid


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-example cross-entropy with integer labels; ``ignore_class`` labels give 0 (the class
    form also leaves them out of the mean)."""
    return _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis)[0]


# ---------------------------------------------------------------- classes
class MeanSquaredError(Loss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)


class MeanAbsoluteError(Loss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)


class SparseCategoricalCrossentropy(Loss):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, _check_axis(axis)

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return _sparse_ce(y_true, y_pred, self.from_logits, self.ignore_class, self.axis)


class _SmoothedCrossentropy(Loss):
    """The shared constructor and call of Keras 3's ``CategoricalCrossentropy`` and
    ``BinaryCrossentropy`` (same arguments, same defaults); ``_fn`` is the loss function."""
    _fn = None

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name=None, dtype=None):
        super().__init__(name=name or self._default_name, reduction=reduction, dtype=dtype)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, _check_axis(axis)

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return type(self)._fn(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)


class CategoricalCrossentropy(_SmoothedCrossentropy):
    _default_name = "categorical_crossentropy"
    _fn = staticmethod(categorical_crossentropy)


class BinaryCrossentropy(_SmoothedCrossentropy):
    _default_name = "binary_crossentropy"
    _fn = staticmethod(binary_crossentropy)
