"""Layers: Dense, Conv2D, MaxPooling2D, Flatten, Activation, Dropout and Sequential, with Keras 3's
constructor arguments: each one implemented or raising NotImplementedError naming it; an
unknown keyword raises ValueError("Unrecognized keyword arguments passed to <Layer>: {...}")
as Keras 3.15 does.  Auto-names ('dense', 'dense_1', ...) count per thread as in Keras 3
(``gputape.keras.naming``)."""
import functools
import inspect
import warnings

import numpy as np

from .. import ops as _ops
from ..tensor import Variable, _Base, convert_to_tensor
from . import activations as _act, initializers as _init, naming as _naming

_MIXED = ("mixed_float16", "mixed_bfloat16")


def _not_implemented(owner, **args):
    """NotImplementedError for the first Keras argument given a non-default value gputape lacks."""
    for k, v in args.items():
        if v is not None:
            raise NotImplementedError(f"{owner}: argument `{k}` is not implemented in gputape (got {k}={v!r})")


def _layer_dtype(dtype, owner):
    if dtype is None:
        return "float32"
    if isinstance(dtype, str) and dtype in _MIXED:
        raise NotImplementedError(f"{owner}: mixed-precision dtype policy {dtype!r} is not implemented in gputape")
    from ..dtypes import np_dtype
    try:
        return np.dtype(np_dtype(dtype)).name
    except Exception:
        raise ValueError(f"{owner}: invalid `dtype` {dtype!r}") from None


@functools.lru_cache(maxsize=None)
def _takes_training(cls):
    """Whether ``cls.call`` has a ``training`` parameter (Keras passes the flag only then)."""
    try:
        return "training" in inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return False


class Layer:
    """Base layer (Keras 3's ``Layer``): builds its variables on the first call, tracks sub-layers.

    Keyword arguments, as Keras 3.15: ``activity_regularizer`` (NotImplementedError unless None),
    ``trainable`` (a bool, else ValueError), ``dtype`` (a float dtype name or DType; mixed
    policies NotImplementedError), ``autocast`` (cast floating inputs to ``dtype``), ``name``
    (a str without '/', else ValueError; default a per-thread auto-name), ``input_shape`` /
    ``input_dim`` (warn as Keras; a ``Sequential`` whose first layer has one is built at once);
    anything else ValueError.
    """
    _min_ndim = None                  # Keras InputSpec(min_ndim=...)

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None,
                 **kwargs):
        input_dim = kwargs.pop("input_dim", None)
        input_shape = (input_dim,) if input_dim is not None else kwargs.pop("input_shape", None)
        if input_shape is not None:
            warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential "
                          "models, prefer using an `Input(shape)` object as the first layer in the model instead.",
                          UserWarning, stacklevel=3)
            self._input_shape_arg = tuple(input_shape)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if name is None:
            name = _naming.auto_name(type(self).__name__)
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character `/`. Received: "
                             f"name={name} (of type {type(name)})")
        if not isinstance(trainable, bool):
            raise ValueError(f"Expected `trainable` to be a boolean. Received: trainable={trainable} "
                             f"(of type {type(trainable)})")
        _not_implemented(type(self).__name__, activity_regularizer=activity_regularizer)
        self.name = name
        self.trainable = trainable
        self.built = False
        self._own_vars = []
        self.dtype = _layer_dtype(dtype, type(self).__name__)
        self.autocast = bool(autocast)

    _input_shape_arg = None

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False, name=None):
        """A Variable owned by this layer, named ``<outer layers>/<layer>/<name>`` (Keras 3's signature:
        up to ``shape, initializer, dtype`` positionally, ``name`` by keyword only).  The default
        initializer is glorot_uniform for floats, zeros otherwise; ``regularizer``, ``constraint``
        and ``overwrite_with_gradient`` raise NotImplementedError; ``aggregation`` is accepted
        (one replica: nothing to aggregate); ``autocast`` has no effect without mixed precision."""
        if args:
            if len(args) > 3:
                raise TypeError(f"add_weight() takes at most 3 positional arguments but {len(args)} were given.")
            if isinstance(args[0], str):
                raise ValueError(f"`name` must be passed as a keyword argument. Received: add_weight('{args[0]}', "
                                 f"...). Use: add_weight(shape=..., name='{args[0]}').")
            given = dict(shape=shape, initializer=initializer, dtype=dtype)
            for k, v in zip(("shape", "initializer", "dtype"), args):
                if given[k] is not None:
                    raise ValueError(f"`{k}` was passed both positionally and as a keyword argument.")
                given[k] = v
            shape, initializer, dtype = given["shape"], given["initializer"], given["dtype"]
        _not_implemented(f"{type(self).__name__}.add_weight", regularizer=regularizer, constraint=constraint,
                         overwrite_with_gradient=overwrite_with_gradient or None)
        if aggregation not in ("none", None, "mean", "sum", "only_first_replica"):
            raise ValueError(f"Invalid value for argument `aggregation`. Expected one of `None`, `'none'`, `'mean'`, "
                             f"`'sum'`, `'only_first_replica'`. Received: aggregation={aggregation}")
        dtype = _layer_dtype(dtype, type(self).__name__) if dtype is not None else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        init = _init.get(initializer)
        name = name if name is not None else _naming.auto_name("Variable")
        path = "/".join(_naming.scope() + [self.name, name])   # 'sequential/dense/kernel' inside a Sequential
        v = Variable(init(tuple(() if shape is None else shape), dtype=dtype), trainable=trainable, name=path)
        self._own_vars.append(v)
        return v

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, **kwargs):
        raise NotImplementedError

    def _check_input(self, inputs):
        if self._min_ndim is not None and inputs.ndim < self._min_ndim:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                             f"min_ndim={self._min_ndim}, found ndim={inputs.ndim}. Full shape received: "
                             f"{tuple(inputs.shape)}")

    def __call__(self, inputs, *args, training=None, **kwargs):
        """``call(inputs, *args, **kwargs)`` after building; ``kwargs`` go to ``call`` unchanged
        (an argument ``call`` lacks is Python's TypeError there)."""
        if _takes_training(type(self)):
            kwargs["training"] = training
        if not isinstance(inputs, _Base):
            inputs = convert_to_tensor(inputs, dtype_hint=self.dtype)
        if self.autocast and inputs.dtype.is_floating and inputs.dtype.name != self.dtype:
            inputs = _ops.cast(inputs, self.dtype)
        self._check_input(inputs)
        scope = _naming.scope()
        if not self.built:
            self.build(tuple(inputs.shape))
            self.built = True
        scope.append(self.name)
        try:
            return self.call(inputs, *args, **kwargs)
        finally:
            scope.pop()

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
        """Assign ``weights`` (arrays, in ``layer.weights`` order); ValueError as Keras 3 when the
        count or a shape differs, before anything is assigned."""
        weights = list(weights)
        layer_weights = self.weights
        if len(layer_weights) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of "
                             f"length {len(weights)}, but the layer was expecting {len(layer_weights)} weights.")
        for v, w in zip(layer_weights, weights):
            shape = tuple(w.shape) if hasattr(w, "shape") else np.shape(w)
            if tuple(v.shape) != tuple(shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(v.shape)} is not compatible with provided "
                                 f"weight shape {tuple(shape)}.")
        for v, w in zip(layer_weights, weights):
            v.assign(_ops.cast(w, v.dtype) if isinstance(w, _Base) else np.asarray(w).astype(v.dtype.as_numpy_dtype))

    def count_params(self):
        return int(sum(np.prod(v.shape) for v in self.variables))


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; bias and a relu/tanh/sigmoid activation run as one fused op.

    Inputs need at least 2 dimensions (ValueError as Keras's input spec).  ``units`` must be a
    positive Python int (Keras 3: ``Dense(2.5)`` is ValueError).  Regularizers, constraints,
    LoRA and quantization raise NotImplementedError when given.

    >>> layer = Dense(2, activation="relu")
    >>> y = layer(constant([[1., 2., 3.]]))
    >>> [v.name for v in layer.trainable_variables]
    ['dense/kernel:0', 'dense/bias:0']
    """
    _min_ndim = 2

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: "
                             f"units={units}")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _not_implemented("Dense", kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, lora_rank=lora_rank,
                         lora_alpha=lora_alpha, quantization_config=quantization_config)
        self.units = int(units)
        self.activation = _act.get(activation)
        self._fused = _act.name_of(self.activation) if _act.name_of(self.activation) in (
            "relu", "tanh", "sigmoid", "linear") else None
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = _init.get(kernel_initializer), _init.get(bias_initializer)
        self.kernel = self.bias = None

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                             f"min_ndim=2 and a known last dimension, got shape {tuple(input_shape)}")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer, name="bias")
        self.built = True

    def call(self, inputs):
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis -1 "
                             f"of input shape to have value {self.kernel.shape[0]}, but received input with shape "
                             f"{tuple(inputs.shape)}")
        kernel, bias = self.kernel, self.bias
        if inputs.dtype != kernel.dtype:
            if not inputs.dtype.is_floating:
                inputs = _ops.cast(inputs, kernel.dtype)           # ints promote to the kernel's float dtype
            else:                                                  # autocast=False: Keras's float promotion
                d = np.promote_types(inputs.dtype.as_numpy_dtype, kernel.dtype.as_numpy_dtype)
                inputs = _ops.cast(inputs, d) if inputs.dtype.as_numpy_dtype != d else inputs
                kernel = _ops.cast(kernel, d) if kernel.dtype.as_numpy_dtype != d else kernel
                bias = _ops.cast(bias, d) if bias is not None and bias.dtype.as_numpy_dtype != d else bias
        if inputs.ndim == 2:
            z = _ops.matmul(inputs, kernel)
        else:
            z = _ops.tensordot(inputs, kernel, [[inputs.ndim - 1], [0]])
        if self.use_bias and self._fused is not None:
            return _ops.bias_act(z, bias, activation=self._fused)
        if self.use_bias:
            z = _ops.bias_act(z, bias, activation="linear")
        return self.activation(z)


class Sequential(Layer):
    """Layers applied in order (Keras 3's ``Sequential(layers=None, trainable=True, name=None)``).

    A first element ``Input(shape)``, or a first layer given ``input_shape``/``input_dim``, builds
    the model at once (its weights exist before the first call), as in Keras 3."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self.layers = []
        self._input_spec_shape = None
        for l in layers or []:
            self.add(l)

    def add(self, layer, rebuild=True):
        """Append ``layer``; with an input shape known (and ``rebuild``) the new layer is built at once."""
        if isinstance(layer, _InputSpec):
            if self.layers:
                raise ValueError("Sequential.add: an Input must come first")
            self._input_spec_shape = layer.batch_shape
            return
        if not callable(layer):
            raise TypeError(f"Sequential.add: expected a layer, got {type(layer).__name__}")
        if not self.layers and self._input_spec_shape is None and getattr(layer, "_input_shape_arg", None):
            self._input_spec_shape = (None,) + tuple(layer._input_shape_arg)
        self.layers.append(layer)
        if rebuild and self._input_spec_shape is not None:
            self._build_from(self._input_spec_shape)

    def _build_from(self, batch_shape):
        """Create every weight now: a forward pass over zeros of ``batch_shape`` (unknown dims 1)."""
        x = _ops.zeros([1 if d is None else d for d in batch_shape], dtype=self.dtype)
        self(x)

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
    def __init__(self, batch_shape, dtype=None, name=None):
        self.batch_shape, self.dtype, self.name = tuple(batch_shape), dtype, name
        self.shape = self.batch_shape


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None, name=None, tensor=None,
          optional=False):
    """A model input of ``shape`` (without the batch dimension) or ``batch_shape`` (Keras 3's
    ``Input``); ``sparse``, ``ragged``, ``tensor`` and ``optional`` raise NotImplementedError."""
    _not_implemented("Input", sparse=sparse or None, ragged=ragged or None, tensor=tensor, optional=optional or None)
    if shape is not None and batch_shape is not None:
        raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
    if batch_shape is None:
        if shape is None:
            raise ValueError("You must pass a `shape` argument.")
        batch_shape = (batch_size,) + tuple(shape)
    return _InputSpec(batch_shape, dtype, name)


InputLayer = Input


class Flatten(Layer):
    """[batch, ...] -> [batch, prod(...)]; ``data_format='channels_first'`` moves channels last first."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                             f"Received: data_format={data_format}")
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 1:
            inputs = _ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
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
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if int(filters) <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}.")
        if data_format not in (None, "channels_last"):
            if data_format == "channels_first":
                raise NotImplementedError("Conv2D: data_format='channels_first' is not implemented in gputape")
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                             f"Received: data_format={data_format}")
        if groups != 1:
            raise NotImplementedError(f"Conv2D: grouped convolution (groups={groups}) is not implemented in gputape")
        _not_implemented("Conv2D", kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
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
        self.kernel = self.add_weight(shape=self.kernel_size + (input_shape[-1], self.filters),
                                      initializer=self.kernel_initializer, name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer=self.bias_initializer, name="bias")
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
        super().__init__(name=name, **kwargs)
        if data_format not in (None, "channels_last"):
            if data_format == "channels_first":
                raise NotImplementedError("MaxPooling2D: data_format='channels_first' is not implemented in gputape")
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                             f"Received: data_format={data_format}")
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
    ``training=True``; otherwise it returns its input unchanged.

    With a ``seed`` the layer owns one random stream (Keras 3's ``SeedGenerator``): each call
    draws the next mask from it, so calls differ, runs repeat, and nothing grows per call.
    Without one, masks come from the global stream (``gputape.random.set_seed``).  Dropped
    elements are exact zeros even where the input is inf or NaN (TF's ``where``, not ``x * 0``);
    ``rate=1`` gives zeros, as Keras."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate}")
        self.rate, self.seed = float(rate), seed
        self.noise_shape = self._validate_noise_shape(noise_shape)
        self._rng = None

    @staticmethod
    def _validate_noise_shape(noise_shape):
        if noise_shape is None:
            return None
        if isinstance(noise_shape, str):
            raise ValueError(f"Invalid value received for argument `noise_shape`. Expected a tuple or list of "
                             f"integers. Received: noise_shape={noise_shape}")
        try:
            noise_shape = tuple(noise_shape)
        except TypeError:
            raise ValueError(f"Invalid value received for argument `noise_shape`. Expected an iterable of integers "
                             f"(e.g., a tuple or list). Received: noise_shape={noise_shape}") from None
        for i, dim in enumerate(noise_shape):
            if dim is not None and (not isinstance(dim, int) or dim <= 0):
                raise ValueError(f"Invalid value received for argument `noise_shape`. Expected all elements to be "
                                 f"positive integers or None. Received element at index {i}: {dim}")
        return noise_shape

    def _uniform(self, shape):
        from .. import backend as _b
        xp = _b.get_xp()
        if self.seed is None:
            return _ops.random.uniform(shape)._v
        if self._rng is None:
            self._rng = xp.random.default_rng(int(self.seed)) if xp is not np else np.random.default_rng(int(self.seed))
        return self._rng.random(shape, dtype=np.float32)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return _ops.zeros_like(inputs)
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            if len(self.noise_shape) != len(shape):
                raise ValueError(f"Dropout: noise_shape {self.noise_shape} must have rank {len(shape)} to match "
                                 f"inputs of shape {shape}")
            shape = tuple(s if d is None else d for d, s in zip(self.noise_shape, shape))
        keep = convert_to_tensor(self._uniform(shape) >= np.float32(self.rate))
        if shape != tuple(inputs.shape):
            keep = _ops.broadcast_to(keep, tuple(inputs.shape))
        scaled = _ops.multiply(inputs, 1.0 / (1.0 - self.rate))
        return _ops.where(keep, scaled, _ops.zeros_like(inputs))
