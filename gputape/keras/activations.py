"""Activations by name."""
from .. import ops as _ops


def linear(x):
    return x


relu = _ops.relu
tanh = _ops.tanh
sigmoid = _ops.sigmoid
softplus = _ops.softplus
elu = _ops.elu
selu = _ops.selu
gelu = _ops.gelu
silu = swish = _ops.silu
leaky_relu = _ops.leaky_relu
relu6 = _ops.relu6


def softmax(x, axis=-1):
    return _ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return _ops.log_softmax(x, axis=axis)


_BY_NAME = {f.__name__ if hasattr(f, "__name__") else n: f for n, f in dict(
    linear=linear, softmax=softmax, log_softmax=log_softmax).items()}
_BY_NAME.update(relu=relu, tanh=tanh, sigmoid=sigmoid, softplus=softplus, elu=elu, selu=selu, gelu=gelu, silu=silu,
                swish=swish, leaky_relu=leaky_relu, relu6=relu6)


def get(identifier):
    """An activation function from a name, a callable or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    try:
        return _BY_NAME[identifier]
    except KeyError:
        raise ValueError(f"Unknown activation function: {identifier!r}; known: {sorted(_BY_NAME)}") from None


def name_of(fn):
    for n, f in _BY_NAME.items():
        if f is fn:
            return n
    return None
