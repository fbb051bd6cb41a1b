"""Weight initializers (drawing from gputape.random, so gputape.random.set_seed makes them reproducible)."""
import math

import numpy as np

from ..ops import random, zeros, ones
from ..dtypes import np_dtype


def _fans(shape):
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _no_axes(owner, input_axes, output_axes):
    """Keras 3.15's fan axes: gputape computes fans from the last two dimensions only."""
    for k, v in (("input_axes", input_axes), ("output_axes", output_axes)):
        if v is not None:
            raise NotImplementedError(f"{owner}: argument `{k}` is not implemented in gputape (got {k}={v!r})")


class Initializer:
    """Base initializer.  ``get_config()`` returns the constructor arguments (Keras 3.15's keys:
    ``_config`` names them; the fan-axis initializers report ``input_axes``/``output_axes`` as None,
    the only value gputape accepts); ``from_config(config)`` is ``cls(**config)``."""
    _config, _axes = (), False

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        out = {k: getattr(self, k) for k in self._config}
        if self._axes:
            out.update(input_axes=None, output_axes=None)
        return out

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return zeros(shape, dtype=dtype)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return ones(shape, dtype=dtype)


class Constant(Initializer):
    _config = ("value",)

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        from ..ops import fill, cast
        return cast(fill(shape, float(self.value)), dtype or np.float32)


class RandomNormal(Initializer):
    _config = ("mean", "stddev", "seed")

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return random.normal(shape, self.mean, self.stddev, dtype=dtype, seed=self.seed)


class RandomUniform(Initializer):
    _config = ("minval", "maxval", "seed")

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return random.uniform(shape, self.minval, self.maxval, dtype=dtype, seed=self.seed)


class GlorotUniform(Initializer):
    _config, _axes = ("seed",), True

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        _no_axes("GlorotUniform", input_axes, output_axes)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fi, fo = _fans(tuple(shape))
        limit = math.sqrt(6.0 / (fi + fo))
        return random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)


class GlorotNormal(Initializer):
    _config, _axes = ("seed",), True

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        _no_axes("GlorotNormal", input_axes, output_axes)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fi, fo = _fans(tuple(shape))
        return random.truncated_normal(shape, 0.0, math.sqrt(2.0 / (fi + fo)) / 0.87962566103423978,
                                       dtype=dtype, seed=self.seed)


class HeNormal(Initializer):
    _config, _axes = ("seed",), True

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        _no_axes("HeNormal", input_axes, output_axes)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fi, _ = _fans(tuple(shape))
        return random.truncated_normal(shape, 0.0, math.sqrt(2.0 / fi) / 0.87962566103423978, dtype=dtype,
                                       seed=self.seed)


class HeUniform(Initializer):
    _config, _axes = ("seed",), True

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        _no_axes("HeUniform", input_axes, output_axes)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fi, _ = _fans(tuple(shape))
        limit = math.sqrt(6.0 / fi)
        return random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)


_BY_NAME = {"zeros": Zeros, "ones": Ones, "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
            "he_normal": HeNormal, "he_uniform": HeUniform, "random_normal": RandomNormal,
            "random_uniform": RandomUniform}
_BY_CLASS = {c.__name__: c for c in list(_BY_NAME.values()) + [Constant]}


def serialize(initializer, owner="serialize"):
    """Keras 3's serialized form of a built-in initializer: {'module': 'keras.initializers', 'class_name',
    'config', 'registered_name': None}; a custom initializer is NotImplementedError naming ``owner``."""
    if not isinstance(initializer, Initializer) or type(initializer).__name__ not in _BY_CLASS:
        raise NotImplementedError(f"{owner}: get_config of a custom initializer {initializer!r} is not implemented "
                                  f"in gputape")
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def get(identifier):
    """An initializer from a name ('glorot_uniform'), an instance or callable, or a serialized dict
    (``serialize``'s form, as Keras 3's ``get``); ValueError as Keras 3 otherwise."""
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]].from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, Initializer) or callable(identifier) and not isinstance(identifier, str):
        return identifier
    try:
        return _BY_NAME[identifier]()
    except (KeyError, TypeError):
        raise ValueError(f"Could not interpret initializer identifier: {identifier}") from None
