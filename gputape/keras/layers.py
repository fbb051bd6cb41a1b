"""Layers: Dense and Sequential (more arrive with the CNN work)."""
import collections
import functools
import inspect

import numpy as np

from .. import ops as _ops
from ..tensor import Variable, _Base, convert_to_tensor
from . import activations as _act, initializers as _init

_name_counts = collections.Counter()
_scope = []       # names of the layers whose call() is running: sub-layers build their variables under them


def _unique(base):
    n = _name_counts[base]
    _name_counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


def _snake(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i:
            out.append("_")
        out.append(c.lower())
    return "".join(out)


@functools.lru_cache(maxsize=None)
def _takes_training(cls):
    """Whether ``cls.call`` has a ``training`` parameter (Keras passes the flag only then)."""
    try:
        return "training" in inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return False


class Layer:
    """Base layer: builds its variables on the first call, tracks sub-layers."""

    def __init__(self, name=None, trainable=True, dtype=None, **kwargs):
        self.name = name or _unique(_snake(type(self).__name__))
        self.trainable = trainable
        self.built = False
        self._own_vars = []
        self.dtype = dtype or "float32"

    def add_weight(self, name, shape, initializer="glorot_uniform", dtype=None, trainable=True):
        init = _init.get(initializer)
        path = "/".join(_scope + [self.name, name])       # 'sequential/dense/kernel' inside a Sequential
        v = Variable(init(tuple(shape), dtype=dtype or self.dtype), trainable=trainable, name=path)
        self._own_vars.append(v)
        return v

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, **kwargs):
        raise NotImplementedError

    def __call__(self, inputs, *args, training=None, **kwargs):
        if _takes_training(type(self)):
            kwargs["training"] = training
        if not isinstance(inputs, _Base):
            inputs = convert_to_tensor(inputs, dtype_hint=self.dtype)
        if not self.built:
            self.build(tuple(inputs.shape))
            self.built = True
        _scope.append(self.name)
        try:
            return self.call(inputs, *args, **kwargs)
        finally:
            _scope.pop()

    def _sublayers(self):
        return []

    @property
    def variables(self):
        out = list(self._own_vars)
        for l in self._sublayers():
            out += l.variables
        return out

    weights = variables

    @property
    def trainable_variables(self):
        if not self.trainable:
            return []
        out = [v for v in self._own_vars if v.trainable]
        for l in self._sublayers():
            out += l.trainable_variables
        return out

    trainable_weights = trainable_variables

    @property
    def non_trainable_variables(self):
        if not self.trainable:
            return self.variables
        out = [v for v in self._own_vars if not v.trainable]
        for l in self._sublayers():
            out += l.non_trainable_variables
        return out

    def get_weights(self):
        return [v.numpy() for v in self.variables]

    def set_weights(self, weights):
        for v, w in zip(self.variables, weights):
            v.assign(w)

    def count_params(self):
        return int(sum(np.prod(v.shape) for v in self.variables))


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; bias and a relu/tanh/sigmoid activation run as one fused op.

    >>> layer = Dense(2, activation="relu")
    >>> y = layer(constant([[1., 2., 3.]]))
    >>> [v.name for v in layer.trainable_variables]
    ['dense/kernel:0', 'dense/bias:0']
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None, **kwargs):
        super().__init__(name=name, **{k: v for k, v in kwargs.items() if k in ("trainable", "dtype")})
        if int(units) <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: "
                             f"units={units}")
        self.units = int(units)
        self.activation = _act.get(activation)
        self._fused = _act.name_of(self.activation) if _act.name_of(self.activation) in (
            "relu", "tanh", "sigmoid", "linear") else None
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel = self.bias = None

    def build(self, input_shape):
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(f"Dense: the last dimension of the inputs must be known, got shape {input_shape}")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer)
        self.built = True

    def call(self, inputs):
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis -1 "
                             f"of input shape to have value {self.kernel.shape[0]}, but received input with shape "
                             f"{tuple(inputs.shape)}")
        if inputs.dtype != self.kernel.dtype:
            inputs = _ops.cast(inputs, self.kernel.dtype)
        if inputs.ndim == 2:
            z = _ops.matmul(inputs, self.kernel)
        else:
            z = _ops.tensordot(inputs, self.kernel, [[inputs.ndim - 1], [0]])
        if self.use_bias and self._fused is not None:
            return _ops.bias_act(z, self.bias, activation=self._fused)
        if self.use_bias:
            z = _ops.bias_act(z, self.bias, activation="linear")
        return self.activation(z)


class Sequential(Layer):
    """Layers applied in order."""

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self.layers = []
        for l in layers or []:
            self.add(l)

    def add(self, layer):
        if isinstance(layer, _InputSpec):
            return
        if not callable(layer):
            raise TypeError(f"Sequential.add: expected a layer, got {type(layer).__name__}")
        self.layers.append(layer)

    def _sublayers(self):
        return [l for l in self.layers if isinstance(l, Layer)]

    def call(self, inputs, training=None):
        x = inputs
        for l in self.layers:
            x = l(x, training=training) if isinstance(l, Layer) else l(x)
        return x

    def build(self, input_shape):
        self.built = True


class _InputSpec:
    def __init__(self, shape, dtype=None):
        self.shape, self.dtype = shape, dtype


def Input(shape=None, batch_size=None, dtype=None, name=None):
    return _InputSpec(shape, dtype)


InputLayer = Input


class Flatten(Layer):
    def call(self, inputs):
        rest = int(np.prod(inputs.shape[1:])) if inputs.ndim > 1 else 1
        return _ops.reshape(inputs, (inputs.shape[0], rest))


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _act.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


# ---------------------------------------------------------------- convolution, pooling, dropout
def _int_pair(v, what):
    t = (int(v), int(v)) if isinstance(v, (int, np.integer)) else tuple(int(e) for e in v)
    if len(t) != 2 or any(e <= 0 for e in t):
        raise ValueError(f"The `{what}` argument must be a tuple of 2 positive integers. Received: {what}={v!r}")
    return t


def _padding_arg(padding):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. Received: padding={padding!r}")
    return p.upper()


def _expect_rank4(layer, shape):
    if len(shape) != 4:
        raise ValueError(f"Input 0 of layer \"{layer.name}\" is incompatible with the layer: expected ndim=4, "
                         f"found ndim={len(shape)}. Full shape received: {tuple(shape)} "
                         f"(images are [batch, height, width, channels])")


class Conv2D(Layer):
    """2-D convolution over [batch, height, width, channels] images; kernel [kh, kw, in, filters].

    >>> layer = Conv2D(8, 3, padding="same", activation="relu")
    >>> layer(gputape.zeros([2, 8, 8, 1])).shape
    TensorShape([2, 8, 8, 8])
    >>> [v.name for v in layer.trainable_variables]
    ['conv2d/kernel:0', 'conv2d/bias:0']
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None, **kwargs):
        super().__init__(name=name or _unique("conv2d"),
                         **{k: v for k, v in kwargs.items() if k in ("trainable", "dtype")})
        if int(filters) <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}.")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Conv2D: only data_format='channels_last' is supported, got {data_format!r}")
        if groups != 1:
            raise ValueError(f"Conv2D: grouped convolution is not supported, got groups={groups}")
        self.filters = int(filters)
        self.kernel_size = _int_pair(kernel_size, "kernel_size")
        self.strides = _int_pair(strides, "strides")
        self.dilation_rate = _int_pair(dilation_rate, "dilation_rate")
        self.padding = _padding_arg(padding).lower()
        self.activation = _act.get(activation)
        name_ = _act.name_of(self.activation)
        self._fused = name_ if name_ in ("relu", "tanh", "sigmoid", "linear") else None
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel = self.bias = None

    def build(self, input_shape):
        _expect_rank4(self, input_shape)
        self.kernel = self.add_weight("kernel", self.kernel_size + (input_shape[-1], self.filters),
                                      self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)
        self.built = True

    def call(self, inputs):
        from ..ops.conv import conv2d
        _expect_rank4(self, tuple(inputs.shape))
        if inputs.shape[-1] != self.kernel.shape[2]:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis -1 "
                             f"of input shape to have value {self.kernel.shape[2]}, but received input with shape "
                             f"{tuple(inputs.shape)}")
        if inputs.dtype != self.kernel.dtype:
            inputs = _ops.cast(inputs, self.kernel.dtype)
        z = conv2d(inputs, self.kernel, strides=self.strides, padding=self.padding.upper(),
                   dilations=self.dilation_rate)
        if self.use_bias and self._fused is not None:
            return _ops.bias_act(z, self.bias, activation=self._fused)
        if self.use_bias:
            z = _ops.bias_act(z, self.bias, activation="linear")
        return self.activation(z)


Convolution2D = Conv2D


class MaxPooling2D(Layer):
    """Max over pool_size windows (strides default to pool_size), on [batch, height, width, channels]."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name or _unique("max_pooling2d"),
                         **{k: v for k, v in kwargs.items() if k in ("trainable", "dtype")})
        if data_format not in (None, "channels_last"):
            raise ValueError(f"MaxPooling2D: only data_format='channels_last' is supported, got {data_format!r}")
        self.pool_size = _int_pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _int_pair(strides, "strides")
        self.padding = _padding_arg(padding).lower()

    def call(self, inputs):
        from ..ops.conv import max_pool2d
        _expect_rank4(self, tuple(inputs.shape))
        return max_pool2d(inputs, self.pool_size, self.strides, self.padding.upper())


MaxPool2D = MaxPooling2D


class Dropout(Layer):
    """Zeroes a ``rate`` fraction of its inputs and scales the rest by 1/(1-rate), only when called with
    ``training=True``; otherwise it returns its input unchanged."""

    def __init__(self, rate, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name or _unique("dropout"),
                         **{k: v for k, v in kwargs.items() if k in ("trainable", "dtype")})
        if not isinstance(rate, (int, float, np.floating, np.integer)) or not 0 <= float(rate) <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed
        self._draws = 0

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return _ops.multiply(inputs, 0.0)
        from ..ops.nn import dropout
        seed = None
        if self.seed is not None:      # a fixed op seed would repeat one mask: advance it per call
            seed = int(self.seed) + self._draws
            self._draws += 1
        return dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=seed)
