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
    def __call__(self, shape, dtype=None):
        raise NotImplementedError


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return zeros(shape, dtype=dtype)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return ones(shape, dtype=dtype)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        from ..ops import fill, cast
        return cast(fill(shape, float(self.value)), dtype or np.float32)


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return random.normal(shape, self.mean, self.stddev, dtype=dtype, seed=self.seed)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None):
        return random.uniform(shape, self.minval, self.maxval, dtype=dtype, seed=self.seed)


class GlorotUniform(Initializer):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        _no_axes("GlorotUniform", input_axes, output_axes)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fi, fo = _fans(tuple(shape))
        limit = math.sqrt(6.0 / (fi + fo))
        return random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)


class GlorotNormal(Initializer):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        _no_axes("GlorotNormal", input_axes, output_axes)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fi, fo = _fans(tuple(shape))
        return random.truncated_normal(shape, 0.0, math.sqrt(2.0 / (fi + fo)) / 0.87962566103423978,
                                       dtype=dtype, seed=self.seed)


class HeNormal(Initializer):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        _no_axes("HeNormal", input_axes, output_axes)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fi, _ = _fans(tuple(shape))
        return random.truncated_normal(shape, 0.0, math.sqrt(2.0 / fi) / 0.87962566103423978, dtype=dtype,
                                       seed=self.seed)


class HeUniform(Initializer):
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


def get(identifier):
    if isinstance(identifier, Initializer) or callable(identifier) and not isinstance(identifier, str):
        return identifier
    try:
        return _BY_NAME[identifier]()
    except (KeyError, TypeError):
        raise ValueError(f"Could not interpret initializer identifier: {identifier}") from None
