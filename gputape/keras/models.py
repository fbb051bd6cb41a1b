"""``keras.Model`` (subclassing) and ``keras.Sequential``, as Keras 3.15.

A subclassed model is a ``Layer`` with ``layers`` and ``get_layer``: the sub-layers it holds as
attributes (also in lists and dicts) are tracked, so ``trainable_variables`` lists their weights:

    >>> class Net(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.d1 = layers.Dense(4)
    ...     def call(self, x):
    ...         return self.d1(x)
    >>> net = Net(); _ = net(ones((1, 3))); len(net.trainable_variables)
    2

The functional API (``Model(inputs, outputs)``) is not implemented: calling ``Model`` the way
Keras 3 routes to it (two positional arguments, or ``inputs=`` and ``outputs=``) raises
NotImplementedError rather than build something else.
"""
from .layers import Layer, _InputSpec
from .. import ops as _ops

_FUNCTIONAL = ("keras.Model(inputs, outputs): the functional API is not implemented in gputape; subclass "
               "keras.Model (layers in __init__, the computation in call) or use keras.Sequential")


def _functional_init_arguments(args, kwargs):
    """Keras 3's test for a functional-API construction."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


class Model(Layer):
    """Keras 3's ``Model`` for subclassing: ``Model(*, trainable=True, dtype=None, autocast=True,
    name=None)`` (the base-layer keywords; an unknown one is ValueError naming the class, as Keras).
    ``fit``/``compile``/``evaluate``/``predict`` and ``summary`` are not implemented (AttributeError)."""

    def __init__(self, *args, **kwargs):
        if _functional_init_arguments(args, kwargs):
            raise NotImplementedError(_FUNCTIONAL)
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes no positional arguments besides the functional "
                            f"API's (inputs, outputs); got {len(args)}")
        super().__init__(**kwargs)

    @property
    def layers(self):
        """The sub-layers tracked directly by this model, in tracking order (Keras 3)."""
        return [l for l in self._tr().layers if isinstance(l, Layer)]

    def get_layer(self, name=None, index=None):
        """A layer of ``layers`` by ``name`` or ``index`` (ValueError with Keras 3's messages)."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        layers = self.layers
        if index is not None:
            if len(layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has {len(layers)} "
                                 f"layers.")
            return layers[index]
        if name is not None:
            for l in layers:
                if l.name == name:
                    return l
            raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")


class Sequential(Model):
    """Layers applied in order (Keras 3's ``Sequential(layers=None, trainable=True, name=None)``).

    A first element ``Input(shape)``, or a first layer given ``input_shape``/``input_dim``, builds
    the model at once (its weights exist before the first call), as in Keras 3."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._seq_layers = []
        self._input_spec_shape = None
        for l in layers or []:
            self.add(l)

    @property
    def layers(self):
        return list(self._seq_layers)

    def add(self, layer, rebuild=True):
        """Append ``layer``; with an input shape known (and ``rebuild``) the new layer is built at once."""
        if isinstance(layer, _InputSpec):
            if self._seq_layers:
                raise ValueError("Sequential.add: an Input must come first")
            self._input_spec_shape = layer.batch_shape
            return
        if not callable(layer):
            raise TypeError(f"Sequential.add: expected a layer, got {type(layer).__name__}")
        if not self._seq_layers and self._input_spec_shape is None and getattr(layer, "_input_shape_arg", None):
            self._input_spec_shape = (None,) + tuple(layer._input_shape_arg)
        tracker = self._tr()
        tracker.locked = False              # Sequential grows after build (Keras 3 rebuilds it)
        self._seq_layers.append(layer)
        if self.built:
            tracker.locked = True
        if rebuild and self._input_spec_shape is not None:
            self._build_from(self._input_spec_shape)

    def _build_from(self, batch_shape):
        """Create every weight now: a forward pass over zeros of ``batch_shape`` (unknown dims 1)."""
        x = _ops.zeros([1 if d is None else d for d in batch_shape], dtype=self.dtype)
        self(x)

    def call(self, inputs, training=None):
        x = inputs
        for l in self._seq_layers:
            x = l(x, training=training) if isinstance(l, Layer) else l(x)
        return x

    def build(self, input_shape):
        self.built = True
