"""Activations by name, with Keras 3.15's signatures (``keras.activations.*``)."""
from .. import ops as _ops


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), or with Keras's options: ``negative_slope * min(x - threshold, 0)`` below
    ``threshold``, clipped at ``max_value`` (Keras 3's ``ReLU.static_call`` formula)."""
    if negative_slope == 0.0 and max_value is None and threshold == 0:
        return _ops.relu(x)
    x = _ops.convert_to_tensor(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return _ops.leaky_relu(x, alpha=negative_slope)
        negative_part = _ops.relu(_ops.add(_ops.negative(x), threshold) if threshold != 0 else _ops.negative(x))
    clip_max = max_value is not None
    if threshold != 0:
        x = _ops.where(_ops.greater(x, _ops.cast(threshold, x.dtype)), x, _ops.zeros_like(x))
    elif max_value == 6:
        x, clip_max = _ops.relu6(x), False
    else:
        x = _ops.relu(x)
    if clip_max:
        # Python bounds take x's dtype in the op and are checked on the host (no device read on CuPy)
        hi = float(max_value) if isinstance(max_value, (int, float)) else _ops.cast(max_value, x.dtype)
        x = _ops.clip_by_value(x, 0.0, hi)
    if negative_slope != 0.0:
        x = _ops.subtract(x, _ops.multiply(negative_part, negative_slope))
    return x


def leaky_relu(x, negative_slope=0.2):
    return _ops.leaky_relu(x, alpha=negative_slope)


def relu6(x):
    return _ops.relu6(x)


def elu(x, alpha=1.0):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    res = _ops.elu(x)
    if alpha == 1:
        return res
    return _ops.where(_ops.greater(x, 0.0), res, _ops.multiply(res, alpha))


def selu(x):
    return _ops.selu(x)


def gelu(x, approximate=False):
    return _ops.gelu(x, approximate=approximate)


def sigmoid(x):
    return _ops.sigmoid(x)


def tanh(x):
    return _ops.tanh(x)


def softplus(x):
    return _ops.softplus(x)


def silu(x):
    return _ops.silu(x)


swish = silu


def softmax(x, axis=-1):
    return _ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return _ops.log_softmax(x, axis=axis)


_BY_NAME = dict(linear=linear, softmax=softmax, log_softmax=log_softmax, relu=relu, tanh=tanh, sigmoid=sigmoid,
                softplus=softplus, elu=elu, selu=selu, gelu=gelu, silu=silu, swish=swish, leaky_relu=leaky_relu,
                relu6=relu6)


def get(identifier):
    """An activation function from a name, a callable or None (linear); ValueError as Keras 3."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    try:
        return _BY_NAME[identifier]
    except (KeyError, TypeError):
        raise ValueError(f"Could not interpret activation function identifier: {identifier}") from None


def name_of(fn):
    for n, f in _BY_NAME.items():
        if f is fn:
            return n
    return None
