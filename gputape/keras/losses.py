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


# ---------------------------------------------------------------- the rest of Keras 3's losses (issue 8)
_EPS32 = float(np.float32(_EPS))         # backend.epsilon() as a float32 tensor, seen from a wider dtype
_LOG2_32 = float(np.log(np.float32(2.0)))  # Keras: ops.log(2.0) in float32, then cast


def _pred_true(y_true, y_pred, squeeze=True):
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype.name)
    if squeeze:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon), axis=-1)`` (Keras 3)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    diff = _ops.abs(_ops.divide(_ops.subtract(y_true, y_pred), _ops.maximum(_ops.abs(y_true), _EPS)))
    return _ops.multiply(100.0, _ops.reduce_mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)`` (Keras 3; eps is
    float32's 1e-7)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    first = _ops.log(_ops.add(_ops.maximum(y_pred, _EPS32), 1.0))
    second = _ops.log(_ops.add(_ops.maximum(y_true, _EPS32), 1.0))
    return _ops.reduce_mean(_ops.square(_ops.subtract(first, second)), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Mean over the last axis of ``0.5 e**2`` where ``|e| <= delta``, else ``delta |e| - 0.5 delta**2``
    (``e = y_pred - y_true``; Keras 3's ``huber``)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    delta = _t(delta, y_pred.dtype.name)
    error = _ops.subtract(y_pred, y_true)
    abs_error = _ops.abs(error)
    half = _t(0.5, y_pred.dtype.name)
    return _ops.reduce_mean(_ops.where(_ops.less_equal(abs_error, delta), _ops.multiply(half, _ops.square(error)),
                                       _ops.subtract(_ops.multiply(delta, abs_error),
                                                     _ops.multiply(half, _ops.square(delta)))), axis=-1)


def log_cosh(y_true, y_pred):
    """Mean over the last axis of ``log(cosh(y_pred - y_true))``, computed as
    ``x + softplus(-2x) - log(2)`` (Keras 3)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    x = _ops.subtract(y_pred, y_true)
    return _ops.reduce_mean(_ops.subtract(_ops.add(x, _ops.softplus(_ops.multiply(x, -2.0))), _LOG2_32), axis=-1)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to [epsilon, 1] (Keras 3)."""
    y_true, y_pred = _pred_true(y_true, y_pred, squeeze=False)
    y_true = _ops.clip_by_value(y_true, _EPS, 1.0)
    y_pred = _ops.clip_by_value(y_pred, _EPS, 1.0)
    return _ops.reduce_sum(_ops.multiply(y_true, _ops.log(_ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`` (Keras 3)."""
    y_true, y_pred = _pred_true(y_true, y_pred, squeeze=False)
    return _ops.reduce_mean(_ops.subtract(y_pred, _ops.multiply(y_true, _ops.log(_ops.add(y_pred, _EPS)))), axis=-1)


def _hinge_labels(y_true):
    """Keras's ``convert_binary_labels_to_hinge``: labels all in {0, 1} become {-1, 1}; any other
    labels are kept.  Decided on the device (a ``where`` on the all-binary flag), no host read."""
    binary = _ops.reduce_all(_ops.logical_or(_ops.equal(y_true, 0.0), _ops.equal(y_true, 1.0)))
    return _ops.where(binary, _ops.subtract(_ops.multiply(2.0, y_true), 1.0), y_true)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``, 0/1 labels taken as -1/1 (Keras 3)."""
    y_true, y_pred = _pred_true(y_true, y_pred, squeeze=False)
    y_true = _hinge_labels(y_true)
    return _ops.reduce_mean(_ops.maximum(_ops.subtract(1.0, _ops.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0)**2, axis=-1)``, 0/1 labels taken as -1/1 (Keras 3)."""
    y_true, y_pred = _pred_true(y_true, y_pred, squeeze=False)
    y_true = _hinge_labels(y_true)
    return _ops.reduce_mean(_ops.square(_ops.maximum(_ops.subtract(1.0, _ops.multiply(y_true, y_pred)), 0.0)),
                            axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis (Keras 3)."""
    y_true, y_pred = _pred_true(y_true, y_pred, squeeze=False)
    pos = _ops.reduce_sum(_ops.multiply(y_true, y_pred), axis=-1)
    neg = _ops.reduce_max(_ops.multiply(_ops.subtract(1.0, y_true), y_pred), axis=-1)
    return _ops.maximum(_ops.add(_ops.subtract(neg, pos), 1.0), _t(0.0, y_pred.dtype.name))


def _l2_normalize(x, axis):
    """Keras 3's ``normalize(x, axis, order=2)``: ``x * min(rsqrt(sum(x**2)), 1 / epsilon)``."""
    inv = _ops.minimum(_ops.rsqrt(_ops.reduce_sum(_ops.square(x), axis=axis, keepdims=True)), 1.0 / _EPS)
    return _ops.multiply(x, inv)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for equal directions (Keras 3)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    if y_pred.ndim == 0:
        y_true, y_pred = _ops.expand_dims(y_true, 0), _ops.expand_dims(y_pred, 0)
    return _ops.negative(_ops.reduce_sum(_ops.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)),
                                         axis=axis))


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                              label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by ``(1 - p_t)**gamma`` (``p_t`` the probability of the true
    class), times ``alpha`` / ``1 - alpha`` for positives / negatives with ``apply_class_balancing``;
    mean over ``axis`` (Keras 3's ``binary_focal_crossentropy``; Lin et al. 2017)."""
    y_pred = _t(y_pred)
    y_true = _t(y_true, y_pred.dtype.name)
    if label_smoothing:
        y_true = _ops.add(_ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = _ops.sigmoid(y_pred)
    _same_shape(y_true, y_pred)
    p = _ops.clip_by_value(y_pred, _EPS, 1 - _EPS)
    bce = _ops.negative(_ops.add(_ops.multiply(y_true, _ops.log(p)),
                                 _ops.multiply(_ops.subtract(1.0, y_true), _ops.log(_ops.subtract(1.0, p)))))
    one_minus_t = _ops.subtract(1.0, y_true)
    p_t = _ops.add(_ops.multiply(y_true, y_pred), _ops.multiply(one_minus_t, _ops.subtract(1.0, y_pred)))
    focal = _ops.multiply(_ops.pow(_ops.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        weight = _ops.add(_ops.multiply(y_true, alpha), _ops.multiply(one_minus_t, 1.0 - alpha))
        focal = _ops.multiply(weight, focal)
    return _ops.reduce_mean(focal, axis=_check_axis(axis))


class _LossFunctionWrapper(Loss):
    """A Loss from a per-example function ``fn(y_true, y_pred, **kwargs)`` (Keras 3's
    ``LossFunctionWrapper``): the inputs are brought to the same rank first
    (``squeeze_or_expand_to_same_rank``)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


def _wrapper_class(cls_name, fn, default_name, doc):
    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        _LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)
    return type(cls_name, (_LossFunctionWrapper,), {"__init__": __init__, "get_config": get_config, "__doc__": doc,
                                                   "__module__": __name__})


MeanAbsolutePercentageError = _wrapper_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                             "mean_absolute_percentage_error",
                                             "Keras 3's ``MeanAbsolutePercentageError``: ``mean_absolute_percentage"
                                             "_error`` per example, then ``reduction``.")
MeanSquaredLogarithmicError = _wrapper_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                             "mean_squared_logarithmic_error",
                                             "Keras 3's ``MeanSquaredLogarithmicError``.")
LogCosh = _wrapper_class("LogCosh", log_cosh, "log_cosh", "Keras 3's ``LogCosh``: ``log_cosh`` per example.")
KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kl_divergence",
                              "Keras 3's ``KLDivergence``: ``kl_divergence`` per example.")
Poisson = _wrapper_class("Poisson", poisson, "poisson", "Keras 3's ``Poisson``: ``poisson`` per example.")
Hinge = _wrapper_class("Hinge", hinge, "hinge", "Keras 3's ``Hinge``: ``hinge`` per example.")
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge",
                              "Keras 3's ``SquaredHinge``: ``squared_hinge`` per example.")
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                                  "Keras 3's ``CategoricalHinge``: ``categorical_hinge`` per example.")


class Huber(_LossFunctionWrapper):
    """Keras 3's ``Huber(delta=1.0)``: ``huber`` per example, then ``reduction`` (``get_config``
    omits ``delta``, as Keras 3.15's does)."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)

    def get_config(self):
        return Loss.get_config(self)


class CosineSimilarity(_LossFunctionWrapper):
    """Keras 3's ``CosineSimilarity(axis=-1)``: ``cosine_similarity`` per example (``get_config``
    omits ``axis``, as Keras 3.15's does)."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        return Loss.get_config(self)


class BinaryFocalCrossentropy(_LossFunctionWrapper):
    """Keras 3's ``BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25, gamma=2.0,
    from_logits=False, label_smoothing=0.0, axis=-1)``: ``binary_focal_crossentropy`` per example."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma

    def get_config(self):
        config = Loss.get_config(self)
        config.update(from_logits=self.from_logits, label_smoothing=self.label_smoothing, axis=self.axis,
                      apply_class_balancing=self.apply_class_balancing, alpha=self.alpha, gamma=self.gamma)
        return config


# Keras 3's short aliases of the functions
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
