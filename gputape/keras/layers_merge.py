"""Merging layers as Keras 3.15: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
Dot.  Each is called on a list of tensors (ValueError, Keras's message, otherwise); inputs of
different ranks get unit axes inserted at axis 1 until the ranks agree, then broadcast, as Keras 3's
``Merge``."""
from .. import ops as _ops
from .layers import Layer, _is_int

_EPSILON = 1e-7      # keras.backend.epsilon()


def _check_list(inputs):
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"A merge layer should be called on a list of inputs. Received: inputs={inputs} (not a "
                         f"list of tensors)")


class _Merge(Layer):
    _min_inputs = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"input_shape={input_shape} (not a list of shapes)")
        if len(input_shape) < self._min_inputs:
            raise ValueError(f"A merge layer should be called on a list of at least {self._min_inputs} input"
                             f"{'s' if self._min_inputs > 1 else ''}. Received {len(input_shape)} inputs. Full "
                             f"input_shape received: {input_shape}")
        batch = {s[0] for s in input_shape if s and s[0] is not None}
        if len(batch) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Received tensors with shapes "
                             f"{input_shape}")
        self.built = True

    def _same_rank(self, inputs):
        top = max(x.ndim for x in inputs)
        out = []
        for x in inputs:
            for _ in range(top - x.ndim):
                x = _ops.expand_dims(x, 1)
            out.append(x)
        return out

    def call(self, inputs):
        _check_list(inputs)
        inputs = self._same_rank(list(inputs))
        shapes = [tuple(x.shape) for x in inputs]
        for i in range(1, shapes[0].__len__()):
            dims = {s[i] for s in shapes} - {1}
            if len(dims) > 1:
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {shapes[0]} and "
                                 f"{[s for s in shapes if s != shapes[0]][0]}")
        return self._merge(inputs)


class Add(_Merge):
    """Element-wise sum of a list of tensors (same shape, or broadcastable as Keras)."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.add(out, x)
        return out


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` for exactly two tensors."""
    _min_inputs = 2

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: "
                             f"input_shape={input_shape}")

    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: inputs={inputs}")
        return _ops.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """Element-wise product of a list of tensors."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.multiply(out, x)
        return out


class Average(_Merge):
    """Element-wise mean of a list of tensors (their sum divided by their count)."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.add(out, x)
        return _ops.divide(out, _ops.cast(len(inputs), out.dtype))


class Maximum(_Merge):
    """Element-wise maximum of a list of tensors."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.maximum(out, x)
        return out


class Minimum(_Merge):
    """Element-wise minimum of a list of tensors."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = _ops.minimum(out, x)
        return out


class Concatenate(Layer):
    """Joins a list of tensors along ``axis`` (default -1); every other dimension must agree."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"A `Concatenate` layer should be called on a list of at least 1 input. Received: "
                             f"input_shape={input_shape}")
        ranks = {len(s) for s in input_shape}
        if len(ranks) != 1:
            raise ValueError(self._err(input_shape))
        rank = ranks.pop()
        axis = self.axis % rank
        for d in range(rank):
            if d == axis:
                continue
            dims = {s[d] for s in input_shape if s[d] is not None}
            if len(dims) > 1 and not (d == 0):
                raise ValueError(self._err(input_shape))
        self.built = True

    def _err(self, shapes):
        return (f"A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. "
                f"Received: input_shape={shapes}")

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
        return _ops.concat(list(inputs), axis=self.axis)

    def get_config(self):
        return dict(super().get_config(), axis=self.axis)


def _l2_normalize(x, axis):
    """Keras 3's ``normalize``: ``x * min(rsqrt(sum(x**2)), 1/epsilon)``."""
    inv = _ops.rsqrt(_ops.reduce_sum(_ops.square(x), axis=axis, keepdims=True))
    return _ops.multiply(x, _ops.minimum(inv, _ops.cast(1.0 / _EPSILON, x.dtype)))


def _batch_dot(x, y, a0, a1):
    """Keras 3's ``batch_dot`` for one contracted axis each (not the batch axis): the result has
    ``x``'s other axes then ``y``'s (batch once); a batch-only result becomes ``(batch, 1)``."""
    xt = _ops.transpose(x, [d for d in range(x.ndim) if d != a0] + [a0])
    yt = _ops.transpose(y, [0, a1] + [d for d in range(1, y.ndim) if d != a1])
    b, k = x.shape[0], x.shape[a0]
    x_mid = tuple(xt.shape[1:-1])
    y_mid = tuple(yt.shape[2:])
    mx = 1
    for d in x_mid:
        mx *= d
    my = 1
    for d in y_mid:
        my *= d
    out = _ops.matmul(_ops.reshape(xt, (b, mx, k)), _ops.reshape(yt, (b, k, my)))
    shape = (b,) + x_mid + y_mid
    if len(shape) == 1:
        shape = (b, 1)
    return _ops.reshape(out, shape)


class Dot(Layer):
    """Batch-wise dot product of two tensors along ``axes`` (an int, or one axis per input; the
    batch axis cannot be contracted), with ``normalize=True`` L2-normalizing each along its axis
    first (cosine proximity), as Keras 3's ``Dot``."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(axes):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: "
                                f"axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. Received: "
                                 f"axes={axes}")
            if not _is_int(axes[0]) or not _is_int(axes[1]):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. "
                                 f"Received: axes={axes}")
        self.axes, self.normalize = axes, normalize

    def _axes(self, s1, s2):
        if _is_int(self.axes):
            return [self.axes % len(s1), self.axes % len(s2)] if self.axes < 0 else [self.axes] * 2
        return [a % len(s) if a < 0 else a for a, s in zip(self.axes, (s1, s2))]

    def build(self, input_shape):
        if not isinstance(input_shape[0], (tuple, list)) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        s1, s2 = input_shape
        a = self._axes(s1, s2)
        if s1[a[0]] != s2[a[1]]:
            raise ValueError(f"Incompatible input shapes: axis values {s1[a[0]]} (at axis {a[0]}) != {s2[a[1]]} "
                             f"(at axis {a[1]}). Full input shapes: {tuple(s1)}, {tuple(s2)}")
        self.built = True

    def call(self, inputs):
        _check_list(inputs)
        if len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received: inputs={inputs}")
        x1, x2 = inputs
        if x1.ndim < 2 or x2.ndim < 2:
            raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes "
                             f"{tuple(x1.shape)} and {tuple(x2.shape)}.")
        a = self._axes(tuple(x1.shape), tuple(x2.shape))
        if 0 in a:
            raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
                             "batch dimension to your inputs using keras.ops.expand_dims(x, 0)")
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a[0]), _l2_normalize(x2, a[1])
        return _batch_dot(x1, x2, a[0], a[1])

    def get_config(self):
        return dict(super().get_config(), axes=self.axes, normalize=self.normalize)
