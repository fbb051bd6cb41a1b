"""``keras.constraints``: projections applied to a weight after each optimizer step (Keras 3.15).

``Layer.add_weight(constraint=...)`` (or ``Variable(constraint=...)``) attaches one; every gputape
optimizer then assigns ``constraint(variable)`` after its update, as Keras 3's ``apply`` does.

    >>> keras.constraints.NonNeg()(tf.constant([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
"""
from .. import ops as _ops
from ..tensor import _Base, convert_to_tensor
from ._registry import Registry

_EPSILON = 1e-7          # keras.backend.epsilon()


def _as(w):
    return w if isinstance(w, _Base) else convert_to_tensor(w)


def _norms(w, axis):
    return _ops.sqrt(_ops.reduce_sum(_ops.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: ``constraint(w)`` -> the projected weight (``w`` itself here)."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Scales the weight slices along ``axis`` whose L2 norm exceeds ``max_value`` back to it:
    ``w * clip(norm, 0, max_value) / (epsilon + norm)`` (Keras 3's ``MaxNorm(max_value=2, axis=0)``)."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = _as(w)
        norms = _norms(w, self.axis)
        desired = _ops.clip_by_value(norms, 0.0, float(self.max_value))
        return _ops.multiply(w, _ops.divide(desired, _ops.add(_EPSILON, norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """``maximum(w, 0)`` (Keras 3's ``NonNeg``)."""

    def __call__(self, w):
        w = _as(w)
        return _ops.maximum(w, _ops.zeros_like(w))


class UnitNorm(Constraint):
    """``w / (epsilon + norm)``: unit L2 norm along ``axis`` (Keras 3's ``UnitNorm(axis=0)``)."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _as(w)
        return _ops.divide(w, _ops.add(_EPSILON, _norms(w, self.axis)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms along ``axis`` moved towards ``[min_value, max_value]`` at ``rate`` (Keras 3's
    ``MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)``)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = _as(w)
        norms = _norms(w, self.axis)
        desired = _ops.add(_ops.multiply(self.rate, _ops.clip_by_value(norms, float(self.min_value),
                                                                       float(self.max_value))),
                           _ops.multiply(1 - self.rate, norms))
        return _ops.multiply(w, _ops.divide(desired, _ops.add(_EPSILON, norms)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}
_BY_CLASS = {c.__name__: c for c in _BY_NAME.values()}
_BY_NAME.update(_BY_CLASS)


_REGISTRY = Registry("constraint", "keras.constraints", _BY_CLASS, _BY_NAME)


def serialize(constraint):
    """Keras 3's serialized form of a built-in constraint (None for None)."""
    return _REGISTRY.serialize(constraint)


def deserialize(config):
    return get(config)


def get(identifier):
    """None, a constraint or callable, a name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm')
    or ``serialize``'s dict (Keras 3's ``get``); ValueError otherwise."""
    return _REGISTRY.get(identifier)
