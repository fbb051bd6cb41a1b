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

``summary()`` prints Keras 3.15's table (layers, output shapes, parameter counts, totals);
``Sequential`` has ``add``/``pop``/``build``/``get_layer`` and ``get_config``/``from_config`` with
Keras 3.15's keys (checked against recorded Keras output in tests/test_models_surface.py).

The functional API: ``Model(inputs, outputs)`` (two positional arguments, or ``inputs=`` and
``outputs=``, as Keras 3 routes them) returns a ``Functional`` model
(``gputape.keras.functional``).
"""
from .layers import Layer
from .. import ops as _ops



def _functional_init_arguments(args, kwargs):
    """Keras 3's test for a functional-API construction."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


class Model(Layer):
    """Keras 3's ``Model`` for subclassing: ``Model(*, trainable=True, dtype=None, autocast=True,
    name=None)`` (the base-layer keywords; an unknown one is ValueError naming the class, as Keras).
    ``fit``/``compile``/``evaluate``/``predict`` are not implemented (AttributeError)."""

    def __new__(cls, *args, **kwargs):
        if _functional_init_arguments(args, kwargs):
            from .functional import Functional
            if cls is Model:
                return object.__new__(Functional)     # Python then runs Functional.__init__(inputs, outputs)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if _functional_init_arguments(args, kwargs):
            # a subclass calling super().__init__(inputs, outputs): Keras 3 makes the class a Functional
            # (its base Model replaced by Functional), then builds the graph
            from .functional import Functional, inject_functional_base
            inject_functional_base(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes no positional arguments besides the functional "
                            f"API's (inputs, outputs); got {len(args)}")
        super().__init__(**kwargs)

    @classmethod
    def from_config(cls, config):
        """A functional config (with ``input_layers``) makes a ``Functional`` model, as Keras 3's
        ``Model.from_config``; otherwise ``cls(**config)``."""
        if cls is Model and "input_layers" in config and "output_layers" in config:
            from .functional import Functional
            return Functional.from_config(config)
        return super().from_config(config)

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

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Write the weights to ``filepath``: ``*.weights.h5`` in Keras 3's HDF5 layout (needs h5py:
        ``pip install "gputape[h5]"``) or ``*.weights.npz`` (gputape's checkpoint format); any other
        name is ValueError as Keras 3.  Atomic (a temporary file renamed into place).  See
        ``gputape.keras.saving``."""
        from .saving import save_weights
        save_weights(self, filepath, overwrite, max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Read weights written by ``save_weights`` (or by Keras 3 for the same architecture), strictly:
        the counts, shapes and dtypes of every layer are checked before anything is assigned
        (ValueError, Keras 3's wording); ``skip_mismatch=True`` warns and skips mismatching layers.
        Any other keyword is ValueError("Invalid keyword arguments"), as Keras 3 for these formats."""
        from .saving import load_weights
        load_weights(self, filepath, skip_mismatch, **kwargs)

    def _summary_rows(self):
        """(layer, output shape or None) for a subclassed model: each built layer's output for zeros of
        the input shape it was built with (Keras 3: ``compute_output_shape`` of its build shapes); a
        layer not built, built on nested inputs, or whose call needs more than one tensor: None ('?')."""
        rows = []
        for l in self.layers:
            shape = l.__dict__.get("_build_shapes")
            out = None
            if isinstance(shape, tuple) and all(isinstance(d, int) for d in shape):
                try:
                    y = l(_ops.zeros(shape, dtype=l.dtype), training=False) if isinstance(l, Layer) else None
                    out = tuple(y.shape) if hasattr(y, "shape") and not isinstance(y, (list, tuple, dict)) else None
                except Exception:               # noqa: BLE001 - a call that needs more: '?' as unknown
                    out = None
            rows.append((l, out))
        return rows

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Print a table of the layers (``name (Type)``), their output shapes and parameter counts,
        then the total, trainable and non-trainable parameter counts with their memory size, as
        Keras 3.15's ``Model.summary`` (``print_fn(text)`` is called once with the whole text,
        as Keras 3 does; default ``print``).

        Differences from Keras 3: the table is plain text in Keras's box-drawing layout at its
        default widths (no rich colours or bold); the name, shape (and a functional model's
        'Connected to') cells wrap at spaces, a word longer than the column cut with '…', as
        Keras's.  Operators on KerasTensors (``x + y``) are rows too.  A Sequential's output shapes come from forward passes over zeros
        (Keras: symbolic shape inference; same shapes); a subclassed model's from calling each built
        layer on zeros of the shape it was built with (Keras: ``compute_output_shape`` of those
        shapes), '?' for a layer that cannot be called so.  ``line_length``, ``positions``,
        ``expand_nested=True``, ``show_trainable=True`` and ``layer_range`` raise
        NotImplementedError.  No "Optimizer params" line (gputape models have no ``compile``)."""
        from .layers import _not_implemented
        _not_implemented("Model.summary", line_length=line_length, positions=positions,
                         expand_nested=expand_nested or None, show_trainable=show_trainable or None,
                         layer_range=layer_range)
        print_fn = print if print_fn is None else print_fn
        print_fn(_summary_text(self))


class Sequential(Model):
    """Layers applied in order (Keras 3's ``Sequential(layers=None, trainable=True, name=None)``).

    A first element ``Input(shape)``, or a first layer given ``input_shape``/``input_dim``, builds
    the model at once (its weights exist before the first call), as in Keras 3; so does
    ``build(input_shape)``, and a model with a known input shape is rebuilt after ``add``/``pop``.
    Only ``keras.Layer`` instances may be added (ValueError, Keras 3's message, for anything else,
    a plain function included: wrap it in a ``Layer`` subclass).  ``pop()`` on an
    empty model is IndexError ("list index out of range"), as Keras 3."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._seq_layers = []
        self._input_spec_shape = None
        self._input_spec = None
        for l in layers or []:
            self.add(l, rebuild=False)
        if self._input_spec_shape is not None and self._seq_layers:
            self._build_from(self._input_spec_shape)

    @property
    def layers(self):
        return list(self._seq_layers)

    def add(self, layer, rebuild=True):
        """Append ``layer`` (a ``keras.Layer``); with an input shape known (and ``rebuild``) the model
        is built at once.  An ``Input`` must come first (ValueError otherwise)."""
        from .functional import InputLayer, KerasTensor
        if isinstance(layer, KerasTensor):
            if not isinstance(layer._keras_history[0], InputLayer):
                raise ValueError("Sequential.add: a KerasTensor must be a keras.Input")
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._seq_layers:
                raise ValueError("Sequential.add: an Input must come first")
            self._input_spec_shape = layer.batch_shape
            object.__setattr__(self, "_input_spec", layer)
            return
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential model. Received: "
                             f"{layer} (of type {type(layer)})")
        if not self._seq_layers and self._input_spec_shape is None and getattr(layer, "_input_shape_arg", None):
            self._input_spec_shape = (None,) + tuple(layer._input_shape_arg)
        tracker = self._tr()
        locked, tracker.locked = tracker.locked, False      # Sequential grows after build (Keras 3 rebuilds it)
        try:
            self._seq_layers.append(layer)
        finally:
            tracker.locked = locked
        if rebuild and self._input_spec_shape is not None:
            self._build_from(self._input_spec_shape)

    def pop(self, rebuild=True):
        """Remove and return the last layer (IndexError on an empty model, as Keras 3); its weights
        leave ``weights``.  With an input shape known (and ``rebuild``) the model is rebuilt."""
        layer = self._seq_layers[-1]                  # IndexError: list index out of range
        self._seq_layers.pop()
        if rebuild and self._input_spec_shape is not None and self._seq_layers:
            self._build_from(self._input_spec_shape)
        return layer

    def _build_from(self, batch_shape):
        """Create every weight now: a forward pass over zeros of ``batch_shape`` (unknown dims 1)."""
        x = _ops.zeros([1 if d is None else d for d in batch_shape], dtype=self.dtype)
        object.__setattr__(self, "_in_build_from", True)
        try:
            self.built = False
            self(x)
        finally:
            object.__setattr__(self, "_in_build_from", False)

    def call(self, inputs, training=None):
        x = inputs
        for l in self._seq_layers:
            x = l(x, training=training)
        return x

    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (a batch shape, None for unknown dims), so
        ``count_params()`` and ``weights`` work before a first call (Keras 3).  With no shape given,
        the ``Input``'s or first layer's ``input_shape``; none known is ValueError."""
        if self.__dict__.get("_in_build_from"):
            return
        if input_shape is None:
            input_shape = self._input_spec_shape
            if input_shape is None:
                raise ValueError("You must provide an `input_shape` argument.")
        input_shape = tuple(input_shape)
        if self._input_spec_shape is None:
            self._input_spec_shape = input_shape
        self._build_from(input_shape)

    def get_config(self):
        """Keras 3.15's Sequential config: the base keys, ``layers`` (each serialized as
        {'module': 'keras.layers', 'class_name', 'config', 'registered_name': None}, an
        ``InputLayer`` first when the input shape is known) and ``build_input_shape`` when built.
        Not recorded: each layer's ``build_config`` (Keras 3 has it for built layers that have a
        ``build``; gputape rebuilds from ``build_input_shape``)."""
        layers = []
        if self._input_spec_shape is not None:
            from .functional import InputLayer
            spec = self._input_spec or InputLayer(batch_shape=self._input_spec_shape)
            object.__setattr__(self, "_input_spec", spec)
            layers.append({"module": "keras.layers", "class_name": "InputLayer", "config": spec.get_config(),
                           "registered_name": None})
        for l in self._seq_layers:
            layers.append({"module": "keras.layers", "class_name": type(l).__name__, "config": l.get_config(),
                           "registered_name": None})
        out = dict(super().get_config(), layers=layers)
        if self.built and self._input_spec_shape is not None:
            out["build_input_shape"] = self._input_spec_shape
        return out

    @classmethod
    def from_config(cls, config):
        """A Sequential from ``get_config``'s form (Keras 3): each layer by its ``class_name`` among
        gputape's built-in layers (another is NotImplementedError naming it), built from the
        ``InputLayer`` or ``build_input_shape``."""
        from . import layers as _layers_mod
        config = dict(config)
        model = cls(name=config.pop("name", None), trainable=config.pop("trainable", True))
        layer_configs = config.pop("layers", [])
        build_shape = config.pop("build_input_shape", None)
        config.pop("dtype", None)
        if config:
            raise TypeError(f"Error when deserializing class 'Sequential' using config={config}.")
        for entry in layer_configs:
            name, cfg = entry["class_name"], dict(entry["config"])
            if name == "InputLayer":
                from .functional import Input
                model.add(Input(batch_shape=cfg["batch_shape"], dtype=cfg.get("dtype"), name=cfg.get("name")),
                          rebuild=False)
                continue
            klass = getattr(_layers_mod, name, None)
            if not (isinstance(klass, type) and issubclass(klass, Layer)):
                raise NotImplementedError(f"Sequential.from_config: layer class {name!r} is not implemented in "
                                          f"gputape")
            model.add(klass.from_config(cfg), rebuild=False)
        if model._input_spec_shape is not None and model._seq_layers:
            model._build_from(model._input_spec_shape)
        elif build_shape is not None:
            model.build(tuple(build_shape))
        return model

    @property
    def input_shape(self):
        """The batch input shape (``None`` for unknown dims), once known (Keras 3: AttributeError before)."""
        if self._input_spec_shape is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return tuple(self._input_spec_shape)

    @property
    def output_shape(self):
        """The batch output shape once the model is built with a known input shape (shapes from forward
        passes over zeros, as ``summary``); Keras 3's AttributeError before."""
        if not self.built or self._input_spec_shape is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")
        if not self._seq_layers:
            return tuple(self._input_spec_shape)
        return self._summary_rows()[-1][1]

    def _summary_rows(self):
        """(layer, output shape or None) for each layer; shapes by two forward passes over zeros
        (unknown dims 1, then 2: a dimension that follows is unknown, None)."""
        if not self.built or self._input_spec_shape is None:
            return [(l, None) for l in self._seq_layers]
        shapes = []
        for fill in (1, 2):
            x = _ops.zeros([fill if d is None else d for d in self._input_spec_shape], dtype=self.dtype)
            row = []
            for l in self._seq_layers:
                x = l(x, training=False)
                row.append(tuple(x.shape))
            shapes.append(row)
        return [(l, tuple(a if a == b else None for a, b in zip(s1, s2)))
                for l, s1, s2 in zip(self._seq_layers, *shapes)]


def _memory(n_bytes):
    """Keras 3's ``readable_memory_size``: '92.00 B', '4.82 KB', ..."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes / 1024 < 1:
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} PB"


def _shape_text(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _wrap(text, width):
    """Greedy word wrap at spaces; a word longer than ``width`` is cut with '…' (Keras's rich table)."""
    lines = []
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _summary_text(model):
    import numpy as np
    connected = getattr(model, "_summary_connected", lambda: None)()
    widths = [33, 24, 15] if connected is None else [21, 19, 12, 19]
    rows = []
    for l, shape in model._summary_rows():
        if shape is None:
            shape_text = "?"
        elif isinstance(shape, str):
            shape_text = shape
        elif isinstance(shape, list):
            shape_text = "[" + ", ".join(_shape_text(x) for x in shape) + "]"
        else:
            shape_text = _shape_text(shape)
        params = f"{l.count_params():,}" if l.built else "0 (unbuilt)"
        rows.append([f"{l.name} ({getattr(l, '_summary_type', type(l).__name__)})", shape_text, params])
    if connected is not None:
        for r, c in zip(rows, connected):
            r.append(c)
    for r in rows:
        # with 'Connected to' (Keras's fixed widths), the name and connection cells wrap instead
        widths[2] = max(widths[2], len(r[2]) + 2)        # the text cells wrap instead

    def line(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(r, edge, right_last=True):
        out = [" " + r[0].ljust(widths[0] - 1), " " + r[1].ljust(widths[1] - 1),
               r[2].rjust(widths[2] - 1) + " "] + [" " + c.ljust(w - 1) for c, w in zip(r[3:], widths[3:])]
        return edge + edge.join(out) + edge

    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if connected is None else ["Connected to"])
    text = [f'Model: "{model.name}"', line("┏", "━", "┳", "┓"), cells(header, "┃"),
            line("┡", "━", "╇", "┩")]
    for i, r in enumerate(rows):
        if i:
            text.append(line("├", "─", "┼", "┤"))
        parts = [_wrap(c, widths[j] - 2) if j != 2 else [c] for j, c in enumerate(r)]
        for k in range(max(len(p) for p in parts)):
            text.append(cells([p[k] if k < len(p) else "" for p in parts], "│"))
    text.append(line("└", "─", "┴", "┘"))
    weights = model.weights if model.built else []
    trainable = model.trainable_weights if model.built else []
    trainable_ids = {id(v) for v in trainable}

    def size(vs):
        return sum(int(np.prod(v.shape)) for v in vs), sum(int(np.prod(v.shape)) * np.dtype(v.dtype.as_numpy_dtype).itemsize for v in vs)

    total, non = size(weights), size([v for v in weights if id(v) not in trainable_ids])
    tr = size(trainable)
    text += [f" Total params: {total[0]:,} ({_memory(total[1])})",
             f" Trainable params: {tr[0]:,} ({_memory(tr[1])})",
             f" Non-trainable params: {non[0]:,} ({_memory(non[1])})", ""]
    return "\n".join(text)
