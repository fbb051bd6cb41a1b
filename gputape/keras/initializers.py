"""Weight initializers with Keras 3.15's constructors, fans, formulas and configs.

Random draws: an initializer given an int ``seed`` draws from a fresh generator seeded with it on
every call, so it gives the same values on every call (as Keras 3's seeded initializers); without a
seed it draws from gputape's global stream, so ``gputape.random.set_seed`` (or
``keras.utils.set_random_seed``) makes it reproducible and each call gives new values.  Deliberate
difference: Keras 3.15 fixes a random seed when an unseeded initializer is *constructed* (so the
same instance repeats its values too, and only ``keras.utils.set_random_seed`` makes it
reproducible); gputape keeps the global-stream behaviour that ``tf.random.set_seed`` controls.
The values themselves are NumPy/CuPy's, not TensorFlow's (the statistics, shapes and fans are
Keras's).

Deterministic initializers (``Zeros``, ``Ones``, ``Constant``, ``Identity``) give Keras's values
exactly; ``Constant`` casts a Python number as Keras's ``ops.cast`` does (through float32) and
broadcasts an array value to the shape (InvalidArgumentError if it cannot).
"""
import math

import numpy as np

from ..ops import random as _random, zeros as _zeros, ones as _ones
from ..ops.creation import _Random
from ..errors import InvalidArgumentError
from .. import backend as _b

_TRUNC_STD = 0.87962566103423978      # stddev of a unit normal truncated to [-2, 2]


def compute_fans(shape, input_axes=None, output_axes=None):
    """Keras 3's ``compute_fans``: with both axis lists, the products of those dimensions; otherwise
    (d,) -> (d, d), (a, b) -> (a, b), and a kernel (..., in, out) -> (in * receptive, out * receptive)."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        fan_in = int(np.prod([shape[a] for a in input_axes])) if input_axes else 1
        fan_out = int(np.prod([shape[a] for a in output_axes])) if output_axes else 1
        return fan_in, fan_out
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return int(shape[-2]) * receptive, int(shape[-1]) * receptive


_fans = compute_fans


class Initializer:
    """Base initializer: ``initializer(shape, dtype=None)`` -> a Tensor.  ``get_config()`` returns
    the constructor arguments under Keras 3.15's keys (``_config``); ``from_config(config)`` is
    ``cls(**config)``."""
    _config = ()

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {k: getattr(self, k) for k in self._config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return self.__class__.from_config(self.get_config())


def _dtype_or_float32(dtype):
    return np.float32 if dtype is None else dtype


class Zeros(Initializer):
    """All zeros (``dtype`` default float32)."""

    def __call__(self, shape, dtype=None):
        return _zeros(shape, dtype=dtype)


class Ones(Initializer):
    """All ones (``dtype`` default float32)."""

    def __call__(self, shape, dtype=None):
        return _ones(shape, dtype=dtype)


class Constant(Initializer):
    """``value`` (a number, or an array broadcast to the shape), cast to ``dtype`` as Keras 3's
    ``ops.cast(value, dtype) * ops.ones(shape)``."""
    _config = ("value",)

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        from ..ops import cast, broadcast_to
        from ..tensor import convert_to_tensor
        shape = tuple(int(d) for d in shape)
        v = cast(convert_to_tensor(self.value), _dtype_or_float32(dtype))
        try:
            out = np.broadcast_shapes(tuple(v.shape), shape)
        except ValueError:
            out = None
        if out != shape:
            raise InvalidArgumentError(f"Constant initializer: a value of shape {tuple(v.shape)} cannot fill a "
                                       f"variable of shape {shape} (TensorFlow: Incompatible shapes)")
        return broadcast_to(v, shape) if tuple(v.shape) != shape else v


class Identity(Initializer):
    """``gain * eye(rows, cols)`` for a 2-D shape (Keras 3's ``Identity``; ValueError otherwise)."""
    _config = ("gain",)

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. Received: "
                             f"shape={tuple(shape)} of rank {len(shape)}.")
        from ..ops import eye, multiply
        e = eye(int(shape[0]), int(shape[1]), dtype=_dtype_or_float32(dtype))
        return multiply(self.gain, e) if self.gain != 1.0 else e

    def get_config(self):
        return {}                     # Keras 3.15's Identity reports no config


# ---------------------------------------------------------------- random initializers
def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"`seed` argument should be an instance of `keras.random.SeedGenerator()` or an integer. "
                         f"Received: seed={seed}")
    return None if seed is None else int(seed)


def _source(seed):
    """The generator of one call: a fresh one seeded with ``seed`` (same values every call), or the
    global stream."""
    if seed is None:
        return _random
    src = _Random()
    xp = _b.get_xp()
    src._gen = xp.random.default_rng(seed) if xp is not np else np.random.default_rng(seed)
    return src


class RandomInitializer(Initializer):
    """Base of the random initializers: ``seed`` an int or None (else ValueError, as Keras 3)."""

    def __init__(self, seed=None):
        self.seed = _check_seed(seed)

    def get_config(self):
        return {"seed": self.seed, **{k: getattr(self, k) for k in self._config}}


class RandomNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev`` (defaults 0.0, 0.05)."""
    _config = ("mean", "stddev")

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _source(self.seed).normal(shape, self.mean, self.stddev, dtype=_dtype_or_float32(dtype))


class TruncatedNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev`` (defaults 0.0, 0.05), redrawn until within two
    standard deviations of the mean."""
    _config = ("mean", "stddev")

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _source(self.seed).truncated_normal(shape, self.mean, self.stddev, dtype=_dtype_or_float32(dtype))


class RandomUniform(RandomInitializer):
    """Uniform draws in ``[minval, maxval)`` (defaults -0.05, 0.05)."""
    _config = ("minval", "maxval")

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _source(self.seed).uniform(shape, self.minval, self.maxval, dtype=_dtype_or_float32(dtype))


class VarianceScaling(RandomInitializer):
    """Keras 3's ``VarianceScaling(scale=1.0, mode='fan_in', distribution='truncated_normal')``:
    ``scale / max(1, n)`` with ``n`` fan_in, fan_out or their mean (``compute_fans``, with
    ``input_axes``/``output_axes`` when both are given) is the variance of a truncated normal
    (stddev ``sqrt(s) / 0.8796...``), an untruncated normal, or a uniform on ``+-sqrt(3 s)``;
    ``distribution='normal'`` means truncated, as Keras.  ValueError for ``scale <= 0``, an unknown
    ``mode`` or ``distribution``."""
    _config = ("scale", "mode", "distribution", "input_axes", "output_axes")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        modes = {"fan_in", "fan_out", "fan_avg"}
        if mode not in modes:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {modes}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        dists = {"uniform", "truncated_normal", "untruncated_normal"}
        if distribution not in dists:
            raise ValueError(f"Invalid `distribution` argument: {distribution}.Please use one of {dists}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed)

    def _variance(self, shape):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        return self.scale / max(1.0, n)

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        s = self._variance(shape)
        src, dtype = _source(self.seed), _dtype_or_float32(dtype)
        if self.distribution == "truncated_normal":
            return src.truncated_normal(shape, 0.0, math.sqrt(s) / _TRUNC_STD, dtype=dtype)
        if self.distribution == "untruncated_normal":
            return src.normal(shape, 0.0, math.sqrt(s), dtype=dtype)
        limit = math.sqrt(3.0 * s)
        return src.uniform(shape, -limit, limit, dtype=dtype)


def _scaling(name, scale, mode, distribution, doc):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)
    return type(name, (VarianceScaling,), {"__init__": __init__, "_config": ("input_axes", "output_axes"),
                                           "__doc__": doc, "__module__": __name__})


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform",
                         "Uniform on ``+-sqrt(6 / (fan_in + fan_out))`` (Keras 3's ``GlorotUniform``).")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                        "Truncated normal, stddev ``sqrt(2 / (fan_in + fan_out)) / 0.8796`` (Keras 3).")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal",
                    "Truncated normal, stddev ``sqrt(2 / fan_in) / 0.8796`` (Keras 3's ``HeNormal``).")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform",
                     "Uniform on ``+-sqrt(6 / fan_in)`` (Keras 3's ``HeUniform``).")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal",
                       "Truncated normal, stddev ``sqrt(1 / fan_in) / 0.8796`` (Keras 3's ``LecunNormal``).")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform",
                        "Uniform on ``+-sqrt(3 / fan_in)`` (Keras 3's ``LecunUniform``).")


class Orthogonal(RandomInitializer):
    """``gain`` times an orthogonal matrix (the Q of a normal matrix's QR, columns signed by R's
    diagonal; transposed for wide shapes), reshaped to ``shape`` (rank >= 2, else ValueError), as
    Keras 3's ``Orthogonal``.  The QR runs on the device (float16 in float32)."""
    _config = ("gain",)

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. Received: shape={shape} "
                             f"of rank {len(shape)}.")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        dtype = np.dtype(_dtype_or_float32(dtype))
        a = _source(self.seed).normal((max(rows, cols), min(rows, cols)), dtype=dtype)._v
        xp = _b.array_module(a)
        q, r = xp.linalg.qr(a if dtype.itemsize >= 4 else a.astype(np.float32))
        q = q * xp.sign(xp.diag(r))
        if rows < cols:
            q = q.T
        from ..tensor import _wrap
        return _wrap((q.dtype.type(self.gain) * q).reshape(shape).astype(dtype))
        return constant((self.gain * q).reshape(shape).astype(dtype))


_BY_NAME = {"zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
            "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
            "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
            "random_normal": RandomNormal, "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
            "variance_scaling": VarianceScaling, "orthogonal": Orthogonal}
_BY_CLASS = {c.__name__: c for c in _BY_NAME.values()}
_BY_CLASS.update(IdentityInitializer=Identity, OrthogonalInitializer=Orthogonal)
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal
# Keras 3's snake-case aliases of the classes
zeros, ones = Zeros, Ones
constant, identity, orthogonal = Constant, Identity, Orthogonal
glorot_uniform, glorot_normal, he_normal, he_uniform = GlorotUniform, GlorotNormal, HeNormal, HeUniform
lecun_normal, lecun_uniform, variance_scaling = LecunNormal, LecunUniform, VarianceScaling
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal


def serialize(initializer, owner="serialize"):
    """Keras 3's serialized form of a built-in initializer: {'module': 'keras.initializers', 'class_name',
    'config', 'registered_name': None}; a custom initializer is NotImplementedError naming ``owner``."""
    if not isinstance(initializer, Initializer) or type(initializer).__name__ not in _BY_CLASS:
        raise NotImplementedError(f"{owner}: get_config of a custom initializer {initializer!r} is not implemented "
                                  f"in gputape")
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config):
    """The initializer of ``serialize``'s form."""
    return get(config)


def get(identifier):
    """An initializer from a name ('glorot_uniform'), an instance or callable, or a serialized dict
    (``serialize``'s form, as Keras 3's ``get``); ValueError as Keras 3 otherwise."""
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]].from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, Initializer) or callable(identifier) and not isinstance(identifier, str):
        return identifier
    try:
        return (_BY_NAME.get(identifier) or _BY_CLASS[identifier])()
    except (KeyError, TypeError):
        raise ValueError(f"Could not interpret initializer identifier: {identifier}") from None
