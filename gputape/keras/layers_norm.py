"""Normalization layers as Keras 3.15: BatchNormalization, LayerNormalization, Normalization.

Moments are the mean, then the mean squared difference from the mean (TF's ``nn.moments`` stops the
gradient through that mean: the same first derivatives, but second derivatives short of the true
ones; here they are the true ones, as ``gputape.nn.moments``), the affine step TF's
``nn.batch_normalization`` form ``x * inv + (beta - mean * inv)`` with ``inv = rsqrt(var + eps) *
gamma``, so values agree with Keras to float32 rounding."""
import numpy as np

from .. import ops as _ops
from . import initializers as _init
from .layers import (Layer, _is_int, _not_implemented, get_constraint, get_regularizer, serialize_constraint,
                     serialize_regularizer)


def _moments(x, axes):
    mean = _ops.reduce_mean(x, axis=axes, keepdims=True)
    var = _ops.reduce_mean(_ops.squared_difference(x, mean), axis=axes, keepdims=True)
    return mean, var


def _normalize(x, mean, var, beta, gamma, epsilon):
    inv = _ops.rsqrt(_ops.add(var, epsilon))
    if gamma is not None:
        inv = _ops.multiply(inv, gamma)
    shift = _ops.negative(_ops.multiply(mean, inv)) if beta is None else \
        _ops.subtract(beta, _ops.multiply(mean, inv))
    return _ops.add(_ops.multiply(x, inv), shift)


def _compute_dtype(x):
    """Keras 3: statistics in at least float32 (float16 inputs upcast)."""
    return "float64" if x.dtype.name == "float64" else "float32"


class BatchNormalization(Layer):
    """Keras 3's ``BatchNormalization``: weights ``gamma``, ``beta`` (trainable), ``moving_mean``,
    ``moving_variance`` (non-trainable), in that order, each of shape ``(input_shape[axis],)``.

    With ``training=True`` (and the layer trainable) it normalizes by the batch's mean and
    (biased) variance over every axis but ``axis`` and updates ``moving = moving * momentum +
    batch * (1 - momentum)``; otherwise (inference, or a frozen layer: Keras 3 runs a
    non-trainable BatchNormalization in inference mode) by the moving statistics.  ``mask``
    ([batch, ...] one dim fewer than the inputs) weights the statistics, as Keras 3.
    ``renorm=True`` raises NotImplementedError; constraints go to ``add_weight``; ``synchronized`` is accepted
    (one replica: the same statistics)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        _not_implemented("BatchNormalization", renorm=renorm or None)
        self.beta_constraint = get_constraint(beta_constraint, "BatchNormalization", "beta_constraint")
        self.gamma_constraint = get_constraint(gamma_constraint, "BatchNormalization", "gamma_constraint")
        if renorm_clipping is not None:
            raise NotImplementedError("BatchNormalization: `renorm_clipping` is not implemented in gputape "
                                      "(renorm is not)")
        self.axis = int(axis)
        self.synchronized = bool(synchronized)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = _init.get(beta_initializer)
        self.gamma_initializer = _init.get(gamma_initializer)
        self.moving_mean_initializer = _init.get(moving_mean_initializer)
        self.moving_variance_initializer = _init.get(moving_variance_initializer)
        self.beta_regularizer = get_regularizer(beta_regularizer, type(self).__name__, "beta_regularizer")
        self.gamma_regularizer = get_regularizer(gamma_regularizer, type(self).__name__, "gamma_regularizer")
        self.renorm, self.renorm_clipping, self.renorm_momentum = False, None, float(renorm_momentum)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"Axis {self.axis} is out of bounds for input of rank {ndim}")
        n = input_shape[self.axis]
        if n is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {tuple(input_shape)}.")
        shape = (n,)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer, trainable=False)
        self._ndim = ndim
        self.built = True

    def _param_shape(self, ndim):
        shape = [1] * ndim
        shape[self.axis] = -1
        return shape

    def call(self, inputs, training=None, mask=None):
        if mask is not None and mask.ndim != inputs.ndim - 1:
            raise ValueError(f"The mask provided should be one dimension less than the inputs. Received: "
                             f"mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}")
        out_dtype = inputs.dtype.name
        dt = _compute_dtype(inputs)
        x = _ops.cast(inputs, dt) if inputs.dtype.name != dt else inputs
        ndim = x.ndim
        axis = self.axis % ndim
        red = [d for d in range(ndim) if d != axis]
        pshape = self._param_shape(ndim)

        def param(v):
            if v is None:
                return None
            v = _ops.cast(v, dt) if v.dtype.name != dt else v
            return _ops.reshape(v, pshape)

        gamma, beta = param(self.gamma), param(self.beta)
        if training and self.trainable:
            if mask is None:
                mean, var = _moments(x, red)
            else:
                m = _ops.cast(_ops.broadcast_to(_ops.expand_dims(mask, -1), tuple(x.shape)), dt)
                count = _ops.reduce_sum(m, axis=red, keepdims=True)
                mean = _ops.divide(_ops.reduce_sum(_ops.multiply(x, m), axis=red, keepdims=True), count)
                diff = _ops.squared_difference(x, mean)
                var = _ops.divide(_ops.reduce_sum(_ops.multiply(diff, m), axis=red, keepdims=True), count)
            flat_mean = _ops.reshape(mean, (-1,))
            flat_var = _ops.reshape(var, (-1,))
            mom = self.momentum
            mm, mv = self.moving_mean, self.moving_variance
            self.moving_mean.assign(_ops.cast(_ops.add(_ops.multiply(_ops.cast(mm, dt), mom),
                                                       _ops.multiply(_ops.stop_gradient(flat_mean), 1.0 - mom)),
                                              mm.dtype))
            self.moving_variance.assign(_ops.cast(_ops.add(_ops.multiply(_ops.cast(mv, dt), mom),
                                                           _ops.multiply(_ops.stop_gradient(flat_var), 1.0 - mom)),
                                                  mv.dtype))
        else:
            mean, var = param(self.moving_mean), param(self.moving_variance)
        out = _normalize(x, mean, var, beta, gamma, self.epsilon)
        return _ops.cast(out, out_dtype) if out.dtype.name != out_dtype else out

    def get_config(self):
        def ser(i):
            return _init.serialize(i, "BatchNormalization")
        return dict(super().get_config(), axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
                    center=self.center, scale=self.scale, beta_initializer=ser(self.beta_initializer),
                    gamma_initializer=ser(self.gamma_initializer),
                    moving_mean_initializer=ser(self.moving_mean_initializer),
                    moving_variance_initializer=ser(self.moving_variance_initializer),
                    beta_regularizer=serialize_regularizer(self.beta_regularizer, "BatchNormalization"),
                    gamma_regularizer=serialize_regularizer(self.gamma_regularizer, "BatchNormalization"),
                    beta_constraint=serialize_constraint(self.beta_constraint, "BatchNormalization"),
                    gamma_constraint=serialize_constraint(self.gamma_constraint, "BatchNormalization"),
                    synchronized=self.synchronized,
                    renorm=False, renorm_clipping=None, renorm_momentum=self.renorm_momentum)


class LayerNormalization(Layer):
    """Keras 3's ``LayerNormalization``: per example, normalize over ``axis`` (an int or a list)
    by its mean and biased variance, then ``* gamma + beta`` (weights ``gamma``, ``beta``, in that
    order, of the shape of the normalized axes).  After ``build`` ``axis`` is a sorted list, as
    Keras 3.  The deprecated ``rms_scaling=True`` keyword warns as Keras and scales by the variance
    (Keras 3's formula); regularizers and constraints go to ``add_weight``."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        if rms_scaling:
            import warnings
            warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales "
                          "the input by the variance, not the root mean square. To correctly use RMS "
                          "Normalization, please use `keras.layers.RMSNormalization` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.beta_constraint = get_constraint(beta_constraint, "LayerNormalization", "beta_constraint")
        self.gamma_constraint = get_constraint(gamma_constraint, "LayerNormalization", "gamma_constraint")
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif _is_int(axis):
            self.axis = int(axis)
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: "
                            f"{axis!r}")
        self.epsilon, self.center, self.scale = float(epsilon), center, scale
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = _init.get(beta_initializer)
        self.gamma_initializer = _init.get(gamma_initializer)
        self.beta_regularizer = get_regularizer(beta_regularizer, type(self).__name__, "beta_regularizer")
        self.gamma_regularizer = get_regularizer(gamma_regularizer, type(self).__name__, "gamma_regularizer")
        self.gamma = self.beta = None

    def build(self, input_shape):
        if isinstance(self.axis, list):
            self.axis = sorted(self.axis)
        else:
            self.axis = [self.axis]
        shape = tuple(input_shape[d] for d in self.axis)
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs):
        out_dtype = inputs.dtype.name
        dt = _compute_dtype(inputs)
        x = _ops.cast(inputs, dt) if inputs.dtype.name != dt else inputs
        ndim = x.ndim
        axes = [a % ndim for a in self.axis]
        bshape = [1] * ndim
        for a in axes:
            bshape[a] = x.shape[a]

        def param(v):
            if v is None:
                return None
            v = _ops.cast(v, dt) if v.dtype.name != dt else v
            return v if axes == [ndim - 1] else _ops.reshape(v, bshape)

        gamma, beta = param(self.gamma), param(self.beta)
        if self.rms_scaling:
            mean = _ops.reduce_mean(x, axis=axes, keepdims=True)
            var = _ops.reduce_mean(_ops.square(_ops.subtract(x, mean)), axis=axes, keepdims=True)
            out = _ops.multiply(x, _ops.rsqrt(_ops.add(var, self.epsilon)))
            if gamma is not None:
                out = _ops.multiply(out, gamma)
        else:
            mean, var = _moments(x, axes)
            out = _normalize(x, mean, var, beta, gamma, self.epsilon)
        return _ops.cast(out, out_dtype) if out.dtype.name != out_dtype else out

    def get_config(self):
        def ser(i):
            return _init.serialize(i, "LayerNormalization")
        out = dict(super().get_config(), axis=self.axis, epsilon=self.epsilon, center=self.center,
                   scale=self.scale, beta_initializer=ser(self.beta_initializer),
                   gamma_initializer=ser(self.gamma_initializer),
                   beta_regularizer=serialize_regularizer(self.beta_regularizer, "LayerNormalization"),
                   gamma_regularizer=serialize_regularizer(self.gamma_regularizer, "LayerNormalization"),
                   beta_constraint=serialize_constraint(self.beta_constraint, "LayerNormalization"),
                   gamma_constraint=serialize_constraint(self.gamma_constraint, "LayerNormalization"),
                   rms_scaling=self.rms_scaling)
        return out


_EPSILON = 1e-7      # keras.backend.epsilon()


class Normalization(Layer):
    """Keras 3's ``Normalization(axis=-1, mean=None, variance=None, invert=False)``:
    ``(x - mean) / max(sqrt(variance), 1e-7)`` (``invert``: ``mean + x * max(sqrt(variance),
    1e-7)``), with per-position statistics along ``axis`` (None: one scalar mean and variance).

    Given ``mean`` and ``variance`` the layer has no weights.  Otherwise ``build`` creates the
    non-trainable weights ``mean``, ``variance`` and ``count`` (Keras 3's names and order) and
    ``adapt(data)`` (a NumPy array or a tensor; datasets and iterables of batches raise
    NotImplementedError) sets them from the data's mean and (biased) variance over the other axes,
    computed by NumPy in float64 for arrays and cast to the layer's dtype, as Keras 3."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif _is_int(axis):
            axis = (int(axis),)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        if (mean is not None) != (variance is not None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. Received: "
                             f"mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"When setting values directly, `mean` and `variance` must have the same shape. "
                                 f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes "
                                 f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis {self.axis}")
        self._build_input_shape = None
        self._mean = self._variance = None

    def build(self, input_shape):
        ndim = len(input_shape)
        self._build_input_shape = tuple(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        self._keep_axis = tuple(sorted(d if d >= 0 else d + ndim for d in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                                 f"inputs.shape={tuple(input_shape)}, with unknown axis at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)]
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64", initializer="zeros",
                                         trainable=False)
        else:
            mean = np.asarray(self.input_mean, dtype=np.float64)
            var = np.asarray(self.input_variance, dtype=np.float64)
            if mean.ndim:
                expanded = [1] * ndim
                for i in range(1, mean.ndim + 1):
                    expanded[self._keep_axis[-i]] = mean.shape[-i]
                mean, var = mean.reshape(expanded), var.reshape(expanded)
            bshape = tuple(self._broadcast_shape)
            self._mean = _ops.convert_to_tensor(np.broadcast_to(mean, bshape).astype(self.dtype))
            self._variance = _ops.convert_to_tensor(np.broadcast_to(var, bshape).astype(self.dtype))
        self.built = True

    def adapt(self, data):
        """Set ``mean``/``variance`` from ``data`` (NumPy array or tensor), as Keras 3's ``adapt``."""
        if hasattr(data, "numpy") and not isinstance(data, np.ndarray):
            data = data.numpy()
        elif not isinstance(data, np.ndarray):
            raise NotImplementedError(f"Normalization.adapt: data of type {type(data).__name__} (a dataset or an "
                                      f"iterable of batches) is not implemented in gputape; pass a NumPy array")
        if not self.built:
            self.build(data.shape)
        else:
            for d in self._keep_axis:
                if data.shape[d] != self._build_input_shape[d]:
                    raise ValueError(f"The layer was built with input_shape={self._build_input_shape}, but adapt() "
                                     f"is being called with data with an incompatible shape, data.shape="
                                     f"{data.shape}")
        if self.input_mean is not None:
            raise ValueError("Normalization.adapt: the layer was given `mean` and `variance`; it has nothing to "
                             "adapt")
        self.adapt_mean.assign(np.mean(data, axis=self._reduce_axis).astype(self.adapt_mean.dtype.as_numpy_dtype))
        self.adapt_variance.assign(np.var(data, axis=self._reduce_axis).astype(
            self.adapt_variance.dtype.as_numpy_dtype))

    def _stats(self):
        if self.input_mean is not None:
            return self._mean, self._variance
        return (_ops.reshape(self.adapt_mean, self._broadcast_shape),
                _ops.reshape(self.adapt_variance, self._broadcast_shape))

    def call(self, inputs):
        if inputs.dtype.name != self.dtype:
            inputs = _ops.cast(inputs, self.dtype)
        mean, var = self._stats()
        mean, var = _ops.cast(mean, self.dtype), _ops.cast(var, self.dtype)
        denom = _ops.maximum(_ops.sqrt(var), _ops.cast(_EPSILON, self.dtype))
        if self.invert:
            return _ops.add(mean, _ops.multiply(inputs, denom))
        return _ops.divide(_ops.subtract(inputs, mean), denom)

    def get_config(self):
        def ser(v):
            return np.asarray(v).tolist() if v is not None and not np.isscalar(v) else v
        return dict(super().get_config(), axis=self.axis, invert=self.invert, mean=ser(self.input_mean),
                    variance=ser(self.input_variance))
