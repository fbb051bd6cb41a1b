"""``keras.regularizers``: weight penalties with Keras 3.15's arguments, values and configs.

A regularizer is a callable ``penalty = regularizer(weight)`` written with gputape ops (so it is
differentiable); ``Layer.add_weight(regularizer=...)`` puts ``regularizer(weight)`` in
``layer.losses`` while the weight is trainable, as Keras 3.

    >>> keras.regularizers.L2(0.5)(tf.constant([1.0, 2.0])).numpy()
    2.5
"""
import math

import numpy as np

from .. import ops as _ops
from ..tensor import _Base, convert_to_tensor
from ._registry import Registry


def _validate(value, name):
    """Keras 3's ``validate_float_arg``: a finite number >= 0, as a float (else ValueError)."""
    if isinstance(value, bool) or not isinstance(value, (float, int)) or math.isinf(value) or math.isnan(value) \
            or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float.Received: {name}={value}")
    return float(value)


def _as(x):
    return x if isinstance(x, _Base) else convert_to_tensor(x)


def _keras_cast(value, dtype):
    """``ops.cast(python_float, dtype)`` as Keras on TensorFlow: through float32."""
    return _ops.cast(convert_to_tensor(np.float32(value)), dtype)


class Regularizer:
    """Base class: ``regularizer(x)`` -> a scalar penalty (0.0 here); ``get_config`` must be
    defined by subclasses (NotImplementedError, as Keras 3); ``from_config`` is ``cls(**config)``."""

    def __call__(self, x):
        return 0.0

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)`` (Keras 3's ``L1L2(l1=0.0, l2=0.0)``; a term whose factor is
    0 is left out; the factors are cast to x's dtype through float32, as Keras's ``ops.cast``)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate(0.0 if l1 is None else l1, "l1")
        self.l2 = _validate(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = _as(x)
        out = convert_to_tensor(0.0, dtype=x.dtype)
        if self.l1 != 0.0:
            out = _ops.add(out, _ops.multiply(_keras_cast(self.l1, x.dtype), _ops.reduce_sum(_ops.abs(x))))
        if self.l2 != 0.0:
            out = _ops.add(out, _ops.multiply(_keras_cast(self.l2, x.dtype), _ops.reduce_sum(_ops.square(x))))
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)`` (Keras 3's ``L1(l1=0.01)``; ``l1`` is kept as a float32 tensor, so
    ``get_config`` reports its float32 value, as Keras 3.15)."""

    def __init__(self, l1=0.01):
        self.l1 = convert_to_tensor(_validate(0.01 if l1 is None else l1, "l1"))

    def __call__(self, x):
        x = _as(x)
        return _ops.multiply(_ops.cast(self.l1, x.dtype), _ops.reduce_sum(_ops.abs(x)))

    def get_config(self):
        return {"l1": float(self.l1.numpy())}


class L2(Regularizer):
    """``l2 * sum(x**2)`` (Keras 3's ``L2(l2=0.01)``)."""

    def __init__(self, l2=0.01):
        self.l2 = _validate(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = _as(x)
        return _ops.multiply(_keras_cast(self.l2, x.dtype), _ops.reduce_sum(_ops.square(x)))

    def get_config(self):
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME = {"l1": L1, "l2": L2, "l1l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}   # Keras 3: not 'l1_l2'
_BY_CLASS = {"L1": L1, "L2": L2, "L1L2": L1L2}


_REGISTRY = Registry("regularizer", "keras.regularizers", _BY_CLASS, _BY_NAME)


def serialize(regularizer):
    """Keras 3's serialized form of a built-in regularizer (None for None)."""
    return _REGISTRY.serialize(regularizer)


def deserialize(config):
    return get(config)


def get(identifier):
    """None, a regularizer or callable, a name ('l1', 'l2', 'l1l2' or the class name) or ``serialize``'s dict
    (Keras 3's ``get``); ValueError otherwise."""
    return _REGISTRY.get(identifier)
