"""Convolution, pooling and spatial-resizing layers as Keras 3.15: Conv1D, Conv2D (``padding``,
``strides``, ``dilation_rate``, ``groups``, ``data_format``), MaxPooling1D/2D, AveragePooling1D/2D,
GlobalAverage/GlobalMaxPooling1D/2D, UpSampling2D, ZeroPadding2D.

The 1-D forms run the 2-D ops with a unit height axis; average pooling sums the window's strided
slices and divides by the count of real (unpadded) elements, as TF's ``avg_pool`` with 'SAME'.
``channels_first`` inputs are transposed to channels-last and back.  Regularizers and constraints
go to ``add_weight`` (``losses``; applied after each optimizer step)."""
import numpy as np

from .. import ops as _ops
from . import activations as _act, initializers as _init
from .layers import (Layer, _is_int, get_constraint, get_regularizer, serialize_constraint,
                     serialize_regularizer)


def _data_format(v):
    if v is None:
        return "channels_last"
    v = str(v).lower()
    if v not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                         f"Received: data_format={v}")
    return v


def _tuple(v, n, what, allow_zero=False):
    """Keras 3's ``standardize_tuple``: an int or ``n`` ints, each positive (or >= 0)."""
    msg = f"The `{what}` argument must be a tuple of {n} integers. Received {what}={v}"
    if _is_int(v):
        t = (int(v),) * n
    else:
        try:
            t = tuple(v)
        except TypeError:
            raise ValueError(msg) from None
        if len(t) != n:
            raise ValueError(msg)
        for e in t:
            if not _is_int(e):
                raise ValueError(f"{msg} including element {e} of type {type(e)}")
        t = tuple(int(e) for e in t)
    bad = [e for e in t if e < 0 or (e == 0 and not allow_zero)]
    if bad:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"The `{what}` argument must be a tuple of {n} {kind} integers. Received: {what}={v!r}")
    return t


def _padding(v, allow_causal=False):
    p = str(v).lower()
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if p not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}. Received: padding={v}")
    return p


def _check_rank(layer, x, n):
    if x.ndim != n:
        raise ValueError(f"Input 0 of layer \"{layer.name}\" is incompatible with the layer: expected ndim={n}, "
                         f"found ndim={x.ndim}. Full shape received: {tuple(x.shape)}")


def _to_last(x, data_format):
    if data_format == "channels_first":
        return _ops.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
    return x


def _from_last(x, data_format):
    if data_format == "channels_first":
        return _ops.transpose(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))
    return x


# ---------------------------------------------------------------- convolution
class _Conv(Layer):
    _rank = 2

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                 use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 activity_regularizer, kernel_constraint, bias_constraint, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        self.kernel_constraint = get_constraint(kernel_constraint, owner, "kernel_constraint")
        self.bias_constraint = get_constraint(bias_constraint, owner, "bias_constraint")
        r = self._rank
        if isinstance(filters, float) and filters.is_integer():
            filters = int(filters)                 # Keras 3 takes Conv2D(2.0, 3)
        if not _is_int(filters) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}.")
        if not _is_int(groups) or groups <= 0:
            raise ValueError(f"The number of groups must be a positive integer. Received: groups={groups}.")
        if filters % groups != 0:
            raise ValueError(f"The number of filters must be evenly divisible by the number of groups. Received: "
                             f"groups={groups}, filters={filters}.")
        self.filters, self.groups = int(filters), int(groups)
        self.kernel_size = _tuple(kernel_size, r, "kernel_size")
        self.strides = _tuple(strides, r, "strides")
        self.dilation_rate = _tuple(dilation_rate, r, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.padding = _padding(padding, allow_causal=(r == 1))
        self.data_format = _data_format(data_format)
        self.activation = _act.get(activation)
        name_ = _act.name_of(self.activation)
        self._fused = name_ if name_ in ("relu", "tanh", "sigmoid", "linear") else None
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.bias_initializer = _init.get(kernel_initializer), _init.get(bias_initializer)
        self.kernel_regularizer = get_regularizer(kernel_regularizer, type(self).__name__, "kernel_regularizer")
        self.bias_regularizer = get_regularizer(bias_regularizer, type(self).__name__, "bias_regularizer")
        self.kernel = self.bias = None

    def get_config(self):
        owner = type(self).__name__
        return dict(super().get_config(), filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                    padding=self.padding, data_format=self.data_format, dilation_rate=self.dilation_rate,
                    groups=self.groups, activation=self._activation_name(self.activation), use_bias=self.use_bias,
                    kernel_initializer=_init.serialize(self.kernel_initializer, owner),
                    bias_initializer=_init.serialize(self.bias_initializer, owner),
                    kernel_regularizer=serialize_regularizer(self.kernel_regularizer, owner),
                    bias_regularizer=serialize_regularizer(self.bias_regularizer, owner), activity_regularizer=None,
                    kernel_constraint=serialize_constraint(self.kernel_constraint, owner),
                    bias_constraint=serialize_constraint(self.bias_constraint, owner))

    def _channels(self, input_shape):
        return input_shape[-1] if self.data_format == "channels_last" else input_shape[1]

    def build(self, input_shape):
        if len(input_shape) != self._rank + 2:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                             f"ndim={self._rank + 2}, found ndim={len(input_shape)}. Full shape received: "
                             f"{tuple(input_shape)}")
        cin = self._channels(input_shape)
        if cin is None:
            raise ValueError(f"{type(self).__name__}: the channel dimension of the inputs must be known; received "
                             f"input shape {tuple(input_shape)}")
        if cin % self.groups != 0:
            raise ValueError(f"The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {cin} channels (full input shape "
                             f"is {tuple(input_shape)}).")
        self.kernel = self.add_weight(shape=self.kernel_size + (cin // self.groups, self.filters),
                                      initializer=self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer=self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def _conv(self, x, w):
        """``x`` channels-last 4-D, ``w`` 4-D: one conv2d per group."""
        from ..ops.conv import conv2d
        strides, dil, pad = self._op_args()
        if self.groups == 1:
            return conv2d(x, w, strides=strides, padding=pad, dilations=dil)
        xs = _ops.split(x, self.groups, axis=3)
        ws = _ops.split(w, self.groups, axis=3)
        return _ops.concat([conv2d(a, b, strides=strides, padding=pad, dilations=dil) for a, b in zip(xs, ws)],
                           axis=3)

    def _op_args(self):
        return self.strides, self.dilation_rate, self.padding.upper()

    def _finish(self, z):
        if self.use_bias and self._fused is not None:
            return _ops.bias_act(z, self.bias, activation=self._fused)
        if self.use_bias:
            z = _ops.bias_act(z, self.bias, activation="linear")
        return self.activation(z)

    def _check_call(self, inputs):
        _check_rank(self, inputs, self._rank + 2)
        cin = self._channels(tuple(inputs.shape))
        if cin != self.kernel.shape[-2] * self.groups:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis "
                             f"{-1 if self.data_format == 'channels_last' else 1} of input shape to have value "
                             f"{self.kernel.shape[-2] * self.groups}, but received input with shape "
                             f"{tuple(inputs.shape)}")
        if inputs.dtype != self.kernel.dtype:
            inputs = _ops.cast(inputs, self.kernel.dtype)
        return _to_last(inputs, self.data_format)


class Conv2D(_Conv):
    """2-D convolution over ``[batch, height, width, channels]`` images (``channels_first``:
    ``[batch, channels, height, width]``); kernel ``[kh, kw, in_channels // groups, filters]``, bias
    ``[filters]``.  ``padding`` 'valid' or 'same'; ``strides`` and ``dilation_rate`` (not both > 1,
    ValueError as Keras); ``groups`` splits the channels into independent convolutions.

    >>> layer = Conv2D(8, 3, padding="same", activation="relu")
    >>> layer(gputape.zeros([2, 8, 8, 1])).shape
    TensorShape([2, 8, 8, 8])
    """
    _rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def call(self, inputs):
        x = self._check_call(inputs)
        return _from_last(self._finish(self._conv(x, self.kernel)), self.data_format)


class Conv1D(_Conv):
    """1-D convolution over ``[batch, steps, channels]`` (``channels_first``: ``[batch, channels,
    steps]``); kernel ``[kernel_size, in_channels // groups, filters]``.  ``padding`` 'valid',
    'same' or 'causal' (zeros before the sequence only: output ``t`` sees inputs ``<= t``), as
    Keras 3; run as a 2-D convolution with a unit height axis."""
    _rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def _op_args(self):
        pad = "VALID" if self.padding == "causal" else self.padding.upper()
        return (1,) + self.strides, (1,) + self.dilation_rate, pad

    def call(self, inputs):
        x = self._check_call(inputs)
        if self.padding == "causal":
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            x = _ops.pad(x, [[0, 0], [left, 0], [0, 0]])
        z = self._conv(_ops.expand_dims(x, 1), _ops.expand_dims(self.kernel, 0))
        return _from_last(self._finish(_ops.squeeze(z, axis=1)), self.data_format)


Convolution1D = Conv1D
Convolution2D = Conv2D


# ---------------------------------------------------------------- pooling
def _same_pads(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return out, (total // 2, total - total // 2)


def _avg_pool2d(x, pool, strides, padding):
    """Mean over each window of channels-last ``x`` [N, H, W, C]; 'same' counts only real elements."""
    (kh, kw), (sh, sw) = pool, strides
    h, w = x.shape[1], x.shape[2]
    if padding == "same":
        ho, ph = _same_pads(h, kh, sh)
        wo, pw = _same_pads(w, kw, sw)
    else:
        ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
        ph = pw = (0, 0)
        if ho <= 0 or wo <= 0:
            raise ValueError(f"AveragePooling: the pool ({kh}, {kw}) is larger than the input's spatial size "
                             f"({h}, {w}) with padding='valid' (input shape {tuple(x.shape)})")
    if ph != (0, 0) or pw != (0, 0):
        x = _ops.pad(x, [[0, 0], list(ph), list(pw), [0, 0]])
    total = None
    for i in range(kh):
        for j in range(kw):
            part = x[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw, :]
            total = part if total is None else _ops.add(total, part)
    if padding == "same":
        ones = np.pad(np.ones((h, w), np.float32), [ph, pw])
        count = np.zeros((ho, wo), np.float32)
        for i in range(kh):
            for j in range(kw):
                count += ones[i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
        count = _ops.cast(_ops.convert_to_tensor(count.reshape(1, ho, wo, 1)), x.dtype)
        return _ops.divide(total, count)
    return _ops.divide(total, _ops.cast(kh * kw, x.dtype))


class _Pooling(Layer):
    _rank = 2
    _kind = "max"

    def __init__(self, pool_size, strides, padding, data_format, name, **kwargs):
        super().__init__(name=name, **kwargs)
        r = self._rank
        self.pool_size = _tuple(pool_size, r, "pool_size")
        self.strides = self.pool_size if strides is None else _tuple(strides, r, "strides")
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)

    def get_config(self):
        return dict(super().get_config(), pool_size=self.pool_size, padding=self.padding, strides=self.strides,
                    data_format=self.data_format)

    def call(self, inputs):
        from ..ops.conv import max_pool2d
        _check_rank(self, inputs, self._rank + 2)
        x = _to_last(inputs, self.data_format)
        if self._rank == 1:
            x = _ops.expand_dims(x, 1)
            pool, strides = (1,) + self.pool_size, (1,) + self.strides
        else:
            pool, strides = self.pool_size, self.strides
        if self._kind == "max":
            y = max_pool2d(x, pool, strides, self.padding.upper())
        else:
            y = _avg_pool2d(x, pool, strides, self.padding)
        if self._rank == 1:
            y = _ops.squeeze(y, axis=1)
        return _from_last(y, self.data_format)


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps (``strides`` default ``pool_size``) of ``[batch, steps,
    channels]``, as Keras 3."""
    _rank, _kind = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps; with 'same' padding the mean of the real elements."""
    _rank, _kind = 1, "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of ``[batch, height, width, channels]``; with 'same' padding
    the mean of the real (unpadded) elements, as TF's ``avg_pool``."""
    _rank, _kind = 2, "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows (``strides`` default ``pool_size``) of ``[batch, height, width,
    channels]`` (``channels_first``: ``[batch, channels, height, width]``), as Keras 3; the gradient
    goes to the first maximum of a window."""
    _rank, _kind = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D


class _GlobalPooling(Layer):
    _rank = 2
    _kind = "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)
        self.keepdims = bool(keepdims)

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format, keepdims=self.keepdims)

    def _axes(self):
        return list(range(1, self._rank + 1)) if self.data_format == "channels_last" else \
            list(range(2, self._rank + 2))

    def call(self, inputs):
        _check_rank(self, inputs, self._rank + 2)
        fn = _ops.reduce_mean if self._kind == "avg" else _ops.reduce_max
        return fn(inputs, axis=self._axes(), keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps axis; with ``mask`` ([batch, steps], True where kept) the mean of the
    kept steps, as Keras 3."""
    _rank, _kind = 1, "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        _check_rank(self, inputs, 3)
        axis = self._axes()[0]
        m = _ops.cast(mask, inputs.dtype)
        m = _ops.expand_dims(m, 2 if self.data_format == "channels_last" else 1)
        num = _ops.reduce_sum(_ops.multiply(inputs, m), axis=axis, keepdims=self.keepdims)
        return _ops.divide(num, _ops.reduce_sum(m, axis=axis, keepdims=self.keepdims))


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over the spatial axes of 4-D inputs."""
    _rank, _kind = 2, "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps axis of 3-D inputs."""
    _rank, _kind = 1, "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over the spatial axes of 4-D inputs."""
    _rank, _kind = 2, "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)


GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D


# ---------------------------------------------------------------- resizing
class UpSampling2D(Layer):
    """Repeats rows ``size[0]`` times and columns ``size[1]`` times (``interpolation='nearest'``;
    'bilinear' and the other methods raise NotImplementedError)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = _tuple(size, 2, "size")
        self.data_format = _data_format(data_format)
        if interpolation != "nearest":
            if interpolation in ("bilinear", "bicubic", "lanczos3", "lanczos5", "area"):
                raise NotImplementedError(f"UpSampling2D: interpolation={interpolation!r} is not implemented in "
                                          f"gputape (only 'nearest')")
            raise ValueError(f"`interpolation` argument should be one of: 'nearest', 'bilinear', 'bicubic', "
                             f"'lanczos3', 'lanczos5', 'area'. Received: '{interpolation}'.")
        self.interpolation = interpolation

    def call(self, inputs):
        _check_rank(self, inputs, 4)
        x = _to_last(inputs, self.data_format)
        n, h, w, c = x.shape
        sh, sw = self.size
        x = _ops.reshape(x, (n, h, 1, w, 1, c))
        x = _ops.broadcast_to(x, (n, h, sh, w, sw, c))
        return _from_last(_ops.reshape(x, (n, h * sh, w * sw, c)), self.data_format)

    def get_config(self):
        return dict(super().get_config(), size=self.size, data_format=self.data_format,
                    interpolation=self.interpolation)


class ZeroPadding2D(Layer):
    """Zeros around images: ``padding`` an int (all sides), a pair (symmetric height, width) or
    ``((top, bottom), (left, right))``, as Keras 3."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)
        if _is_int(padding):
            self.padding = ((int(padding),) * 2,) * 2
        elif hasattr(padding, "__len__"):
            if len(padding) != 2:
                raise ValueError(f"`padding` should have two elements. Received: padding={padding}.")
            h = _tuple(padding[0], 2, "1st entry of padding", allow_zero=True)
            w = _tuple(padding[1], 2, "2nd entry of padding", allow_zero=True)
            self.padding = (h, w)
        else:
            raise ValueError(f"`padding` should be either an int, a tuple of 2 ints (symmetric_height_crop, "
                             f"symmetric_width_crop), or a tuple of 2 tuples of 2 ints ((top_crop, bottom_crop), "
                             f"(left_crop, right_crop)). Received: padding={padding}.")

    def call(self, inputs):
        _check_rank(self, inputs, 4)
        (t, b), (l, r) = self.padding
        if self.data_format == "channels_last":
            pads = [[0, 0], [t, b], [l, r], [0, 0]]
        else:
            pads = [[0, 0], [0, 0], [t, b], [l, r]]
        return _ops.pad(inputs, pads)

    def get_config(self):
        return dict(super().get_config(), padding=self.padding, data_format=self.data_format)
