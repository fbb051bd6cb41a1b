"""Losses with Keras's default reduction (mean over the batch)."""
from .. import ops as _ops
from ..tensor import _Base, convert_to_tensor

_EPS = 1e-7


def _t(x, dtype=None):
    return x if isinstance(x, _Base) else convert_to_tensor(x, dtype=dtype)


class Loss:
    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in ("sum_over_batch_size", "sum", "none", None, "auto"):
            raise ValueError(f"Invalid value for argument `reduction`: {reduction!r}")
        self.reduction, self.name = reduction, name

    def _reduce(self, per_example):
        if self.reduction in ("none", None):
            return per_example
        if self.reduction == "sum":
            return _ops.reduce_sum(per_example)
        return _ops.reduce_mean(per_example)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _t(y_pred)
        y_true = _t(y_true, dtype=None)
        per = self.call(y_true, y_pred)
        if sample_weight is not None:
            per = _ops.multiply(per, _t(sample_weight, y_pred.dtype))
        return self._reduce(per)


def _float_like(y_true, y_pred):
    if y_true.dtype != y_pred.dtype:
        return _ops.cast(y_true, y_pred.dtype)
    return y_true


class MeanSquaredError(Loss):
    def call(self, y_true, y_pred):
        return _ops.reduce_mean(_ops.square(_ops.subtract(y_pred, _float_like(y_true, y_pred))), axis=-1)


class MeanAbsoluteError(Loss):
    def call(self, y_true, y_pred):
        return _ops.reduce_mean(_ops.abs(_ops.subtract(y_pred, _float_like(y_true, y_pred))), axis=-1)


class SparseCategoricalCrossentropy(Loss):
    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction, name)
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        labels = y_true
        if labels.dtype.is_floating:
            labels = _ops.cast(labels, "int32")
        if labels.ndim == y_pred.ndim:
            labels = _ops.squeeze(labels, -1)
        if self.from_logits:
            return _ops.sparse_softmax_cross_entropy_with_logits(labels, y_pred)
        # Keras: clip the probabilities, then treat their logs as logits (so rows are renormalised after clipping)
        logits = _ops.log(_ops.clip_by_value(y_pred, _EPS, 1 - _EPS))
        return _ops.sparse_softmax_cross_entropy_with_logits(labels, logits)


class CategoricalCrossentropy(Loss):
    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction, name)
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        y_true = _float_like(y_true, y_pred)
        if self.from_logits:
            return _ops.softmax_cross_entropy_with_logits(y_true, y_pred)
        p = _ops.divide(y_pred, _ops.reduce_sum(y_pred, axis=-1, keepdims=True))
        p = _ops.clip_by_value(p, _EPS, 1 - _EPS)
        return _ops.negative(_ops.reduce_sum(_ops.multiply(y_true, _ops.log(p)), axis=-1))


class BinaryCrossentropy(Loss):
    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction, name)
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        y_true = _float_like(y_true, y_pred)
        if self.from_logits:
            return _ops.reduce_mean(_ops.sigmoid_cross_entropy_with_logits(y_true, y_pred), axis=-1)
        p = _ops.clip_by_value(y_pred, _EPS, 1 - _EPS)
        ll = _ops.add(_ops.multiply(y_true, _ops.log(p)),
                      _ops.multiply(_ops.subtract(1.0, y_true), _ops.log(_ops.subtract(1.0, p))))
        return _ops.negative(_ops.reduce_mean(ll, axis=-1))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    return SparseCategoricalCrossentropy(from_logits=from_logits, reduction="none")(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    return CategoricalCrossentropy(from_logits=from_logits, reduction="none")(y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    return BinaryCrossentropy(from_logits=from_logits, reduction="none")(y_true, y_pred)



