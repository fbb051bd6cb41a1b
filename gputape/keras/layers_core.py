"""Core Keras 3 layers: Embedding, Reshape, Permute, RepeatVector, ReLU, LeakyReLU, Softmax, Lambda,
Rescaling, SpatialDropout2D, GaussianNoise -- each with Keras 3.15's constructor arguments (an
unknown keyword is ValueError, an argument gputape lacks NotImplementedError naming it),
``get_config``/``from_config`` with Keras's keys and Keras's weight names and order."""
import inspect
import warnings

import numpy as np

from .. import ops as _ops
from . import activations as _act, initializers as _init
from .layers import (Dropout, Layer, _is_int, _not_implemented, get_constraint, get_regularizer,
                     serialize_constraint, serialize_regularizer)


def _incompatible(layer, what, shape):
    return ValueError(f"Input 0 of layer \"{layer.name}\" is incompatible with the layer: {what}, found "
                      f"ndim={len(shape)}. Full shape received: {tuple(shape)}")


class Embedding(Layer):
    """Rows of an ``(input_dim, output_dim)`` table (weight ``embeddings``) looked up by integer
    ``inputs`` (other dtypes are cast to int32 first, as Keras 3); output ``inputs.shape +
    (output_dim,)``.  An index outside ``[0, input_dim)`` is InvalidArgumentError (TF on CPU).

    The gradient to the table is a dense tensor of the table's shape (TF gives an
    ``IndexedSlices``; the values are the same once densified).  Consequence: Keras 3's Adam (and
    the other optimizers that square the gradient) square an ``IndexedSlices`` gradient row by row
    before summing an index that repeats in the batch, gputape's optimizers square the summed
    row, so Adam training of an Embedding differs from Keras where ids repeat; SGD agrees.  ``weights=[table]`` sets the
    initial table, as Keras 3.  ``mask_zero=True``, LoRA and quantization raise NotImplementedError
    (gputape's layers carry no masks)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        _not_implemented("Embedding", mask_zero=mask_zero or None,
                         lora_rank=lora_rank, lora_alpha=lora_alpha, quantization_config=quantization_config)
        for what, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not _is_int(v) or v <= 0:
                raise ValueError(f"Received an invalid value for `{what}`, expected a positive integer. "
                                 f"Received: {what}={v}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = _init.get("random_uniform" if embeddings_initializer == "uniform"
                                                else embeddings_initializer)
        self.embeddings_regularizer = get_regularizer(embeddings_regularizer, "Embedding", "embeddings_regularizer")
        self.embeddings_constraint = get_constraint(embeddings_constraint, "Embedding", "embeddings_constraint")
        self.mask_zero = False
        self.embeddings = None
        if weights is not None:
            self.build(None)
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer, name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if inputs.dtype.name not in ("int32", "int64"):
            inputs = _ops.cast(inputs, "int32")
        return _ops.gather(self.embeddings, inputs)

    def get_config(self):
        return dict(super().get_config(), input_dim=self.input_dim, output_dim=self.output_dim,
                    embeddings_initializer=_init.serialize(self.embeddings_initializer, "Embedding"),
                    embeddings_regularizer=serialize_regularizer(self.embeddings_regularizer, "Embedding"),
                    activity_regularizer=None,
                    embeddings_constraint=serialize_constraint(self.embeddings_constraint, "Embedding"),
                    mask_zero=False,
                    quantization_config=None)


class Reshape(Layer):
    """``inputs`` reshaped to ``(batch,) + target_shape`` (at most one -1, resolved from the size)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(target_shape)
        except TypeError:
            raise ValueError(f"Expected `target_shape` to be a tuple or list of ints. Received: "
                             f"target_shape={target_shape}") from None
        for d in target_shape:
            if not _is_int(d) or (d < 0 and d != -1):
                raise ValueError(f"Invalid value for `target_shape`: {target_shape}. Each dimension must be a "
                                 f"positive integer or -1.")
        if sum(1 for d in target_shape if d == -1) > 1:
            raise ValueError(f"There must be at most one unknown dimension (-1) in `target_shape`. Received: "
                             f"target_shape={target_shape}")
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        size = int(np.prod(inputs.shape[1:]))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        if (-1 in self.target_shape and (known == 0 or size % known)) or \
                (-1 not in self.target_shape and known != size):
            raise ValueError(f"The total size of the tensor must be unchanged. Received: input_shape="
                             f"{tuple(inputs.shape[1:])}, target_shape={self.target_shape}")
        target = tuple(size // known if d == -1 else d for d in self.target_shape)
        return _ops.reshape(inputs, (inputs.shape[0],) + target)

    def get_config(self):
        return dict(super().get_config(), target_shape=self.target_shape)


class Permute(Layer):
    """Permutes the non-batch axes: ``dims`` is a permutation of 1..n (1-based, as Keras)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={dims}")
        self.dims = dims

    def call(self, inputs):
        if inputs.ndim != len(self.dims) + 1:
            raise _incompatible(self, f"expected ndim={len(self.dims) + 1}", inputs.shape)
        return _ops.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        return dict(super().get_config(), dims=self.dims)


class RepeatVector(Layer):
    """``(batch, features)`` -> ``(batch, n, features)``, the input repeated ``n`` times."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(n):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.n = int(n)

    def call(self, inputs):
        if inputs.ndim != 2:
            raise _incompatible(self, "expected ndim=2", inputs.shape)
        x = _ops.expand_dims(inputs, 1)
        return _ops.broadcast_to(x, (inputs.shape[0], self.n, inputs.shape[1]))

    def get_config(self):
        return dict(super().get_config(), n=self.n)


class ReLU(Layer):
    """Keras 3's ``ReLU(max_value=None, negative_slope=0.0, threshold=0.0)``: ``x`` above ``threshold``
    (clipped at ``max_value``), ``negative_slope * (x - threshold)`` below."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: max_value={max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be a negative value. Received: "
                             f"negative_slope={negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be a negative value. Received: threshold={threshold}")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        return _act.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                         threshold=self.threshold)

    def get_config(self):
        return dict(super().get_config(), max_value=self.max_value, negative_slope=self.negative_slope,
                    threshold=self.threshold)


class LeakyReLU(Layer):
    """``x`` for x > 0, ``negative_slope * x`` otherwise (Keras 3 default 0.3; the old ``alpha=``
    keyword is taken with Keras's deprecation warning)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                             f"Expected a float. Received: negative_slope={negative_slope}")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return _ops.leaky_relu(inputs, alpha=self.negative_slope)

    def get_config(self):
        return dict(super().get_config(), negative_slope=self.negative_slope)


def _large_negative(dtype):
    return -3e4 if dtype.name == "float16" else -1e9


class Softmax(Layer):
    """Softmax over ``axis`` (an int or a tuple of axes); with ``mask`` (True where kept), masked
    positions get a large negative logit first (-1e9; -3e4 in float16), as Keras 3."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            adder = _ops.multiply(_ops.subtract(1.0, _ops.cast(mask, inputs.dtype)), _large_negative(inputs.dtype))
            inputs = _ops.add(inputs, adder)
        if isinstance(self.axis, (tuple, list)):
            if len(self.axis) > 1:
                lse = _ops.reduce_logsumexp(inputs, axis=list(self.axis), keepdims=True)
                out = _ops.exp(_ops.subtract(inputs, lse))
            else:
                out = _ops.softmax(inputs, axis=self.axis[0])
        else:
            out = _ops.softmax(inputs, axis=self.axis)
        if mask is not None:
            out = _ops.multiply(out, _ops.cast(mask, out.dtype))
        return out

    def get_config(self):
        return dict(super().get_config(), axis=self.axis)


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer (``mask``/``training`` passed when the
    function takes them, as Keras 3).  ``output_shape`` is recorded for the config (gputape finds
    shapes by running the function); ``mask`` (an output mask) raises NotImplementedError.
    ``get_config`` keeps the Python function object itself under ``function`` (Keras 3 stores its
    bytecode): it round-trips within a process, not through JSON."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        _not_implemented("Lambda", mask=mask)
        if not callable(function):
            raise ValueError(f"`function` must be callable. Received: function={function}")
        self.function, self._output_shape = function, output_shape
        self.arguments = dict(arguments or {})
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_takes_mask = "mask" in params
        self._fn_takes_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kw = dict(self.arguments)
        if self._fn_takes_mask:
            kw["mask"] = mask
        if self._fn_takes_training:
            kw["training"] = training
        return self.function(inputs, **kw)

    def get_config(self):
        return dict(super().get_config(), function=self.function, output_shape=self._output_shape,
                    arguments=self.arguments)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.get("function")
        if isinstance(fn, dict):
            raise NotImplementedError("Lambda.from_config: a serialized (bytecode) function is not implemented in "
                                      "gputape; give the Python function")
        return super().from_config(config)


class Rescaling(Layer):
    """``inputs * scale + offset`` (each a number or an array broadcast against the inputs), in the
    layer's dtype, as Keras 3."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        if inputs.dtype.name != self.dtype:
            inputs = _ops.cast(inputs, self.dtype)
        scale = _ops.cast(_ops.convert_to_tensor(np.asarray(self.scale)), self.dtype)
        offset = _ops.cast(_ops.convert_to_tensor(np.asarray(self.offset)), self.dtype)
        return _ops.add(_ops.multiply(inputs, scale), offset)

    def get_config(self):
        def ser(v):
            return v.tolist() if isinstance(v, np.ndarray) else v
        return dict(super().get_config(), scale=ser(self.scale), offset=ser(self.offset))


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per (sample, channel) of a 4-D input
    (Keras 3's ``SpatialDropout2D(rate, data_format=None, seed=None, name=None, dtype=None)``);
    only with ``training=True``."""

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                             f"Received: data_format={data_format}")
        self.data_format = data_format or "channels_last"

    def call(self, inputs, training=False):
        if inputs.ndim != 4:
            raise _incompatible(self, "expected ndim=4", inputs.shape)
        b = inputs.shape[0]
        self.noise_shape = ((b, 1, 1, inputs.shape[3]) if self.data_format == "channels_last"
                            else (b, inputs.shape[1], 1, 1))
        return super().call(inputs, training=training)

    def get_config(self):
        """Keras 3.15's SpatialDropout2D config: its own arguments only, ``dtype`` as a name."""
        return {"rate": self.rate, "data_format": self.data_format, "seed": self.seed, "name": self.name,
                "dtype": self.dtype}


class GaussianNoise(Layer):
    """``inputs + N(0, stddev)`` noise when called with ``training=True``; the inputs unchanged
    otherwise.  With ``seed`` the layer owns its random stream (as ``Dropout``)."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(f"Invalid value received for argument `stddev`. Expected a float value between 0 and "
                             f"1. Received: stddev={stddev}")
        if seed is not None and not _is_int(seed):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.stddev, self.seed = float(stddev), seed
        self._rng = None

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        from .. import backend as _b
        shape = tuple(inputs.shape)
        if self.seed is None:
            noise = _ops.random.normal(shape, stddev=self.stddev, dtype=inputs.dtype)
        else:
            xp = _b.get_xp()
            if self._rng is None:
                self._rng = xp.random.default_rng(int(self.seed))
            noise = _ops.convert_to_tensor(
                (self._rng.standard_normal(shape, dtype=np.float32) * np.float32(self.stddev)))
            noise = _ops.cast(noise, inputs.dtype)
        return _ops.add(inputs, noise)

    def get_config(self):
        return dict(super().get_config(), stddev=self.stddev, seed=self.seed)
