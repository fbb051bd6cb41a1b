"""Keras 3's functional API: ``Input`` gives a symbolic ``KerasTensor``; calling a layer on
KerasTensors records a ``Node`` and gives new KerasTensors; ``Model(inputs, outputs)`` is a
``Functional`` model that replays the recorded graph on real tensors.

    >>> x = Input(shape=(3,))
    >>> h = layers.Dense(4, activation="relu")(x)
    >>> model = Model(x, layers.Dense(1)(h))
    >>> model(np.ones((2, 3), "float32")).shape
    TensorShape([2, 1])

How shapes are found (differs from Keras 3, same result): a layer called on KerasTensors is built
with the symbolic input shapes (``None`` for unknown dimensions, as Keras), then its ``call`` runs
twice on zeros, with every unknown dimension filled by two different sizes and ``training=False``
(no moving-statistics update, no dropout draw, tapes paused, ``add_loss`` results dropped); an
output dimension that differs between the two runs is unknown (``None``).  Keras 3 runs ``call``
once on symbolic tensors instead.  A ``call`` that cannot run on zeros of those sizes (an unknown
dimension shorter than a kernel) raises its own error when the graph is built.

Graph order, ``layers`` and ``summary`` follow Keras 3's ``map_graph``: operations by decreasing
depth from the outputs, ties in first-visit order of a depth-first walk from the outputs.
"""
import collections

import numpy as np

from .. import nest as _nest
from .. import ops as _ops
from ..state import state as _state
from ..tensor import _Base
from . import naming as _naming
from .layers import Layer, _keras_shape, _layer_dtype, _not_implemented, _takes_training

# unknown dimensions are filled with these sizes in the two shape-finding runs (batch first)
_FILL_BATCH = (2, 3)
_FILL_OTHER = (12, 24)         # many divisors: a Reshape of an unknown dimension still divides


class KerasTensor:
    """A symbolic tensor of a functional model (Keras 3's ``KerasTensor``): ``shape`` (a tuple,
    ``None`` for unknown dimensions), ``dtype`` (a name, e.g. 'float32'), ``name``, ``ndim``.
    It holds no values: calling a gputape op on it is TypeError; pass it to layers and ``Model``."""

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name if name is not None else _naming.auto_name("KerasTensor")
        self._keras_history = history            # (operation, node_index, tensor_index)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, ragged=False, "
                f"name={self.name}>")

    def __array__(self, *a, **k):
        raise TypeError(f"A KerasTensor ({self.name}) is symbolic: it has no values. Call layers on it and "
                        f"build a keras.Model(inputs, outputs), then call the model on real data.")

    def __bool__(self):
        raise TypeError(f"A symbolic KerasTensor ({self.name}) cannot be used as a Python bool.")

    # Keras 3 lets KerasTensors meet in arithmetic; each operator becomes a node of the graph
    def __add__(self, other):
        return _operator("add", _ops.add, self, other)

    def __radd__(self, other):
        return _operator("add", _ops.add, other, self)

    def __sub__(self, other):
        return _operator("subtract", _ops.subtract, self, other)

    def __rsub__(self, other):
        return _operator("subtract", _ops.subtract, other, self)

    def __mul__(self, other):
        return _operator("multiply", _ops.multiply, self, other)

    def __rmul__(self, other):
        return _operator("multiply", _ops.multiply, other, self)

    def __truediv__(self, other):
        return _operator("divide", _ops.divide, self, other)

    def __neg__(self):
        return _operator("negative", _ops.negative, self)

    def __getitem__(self, key):
        return _operator("get_item", lambda x: x[key], self)


def _is_keras_tensor(x):
    return isinstance(x, KerasTensor)


def has_keras_tensor(*structures):
    return any(_is_keras_tensor(x) for s in structures for x in _nest.flatten(s))


class Node:
    """One call of an operation on KerasTensors: its arguments (KerasTensors nested inside) and outputs."""
    __slots__ = ("operation", "args", "kwargs", "outputs", "input_tensors", "output_tensors", "is_input")

    def __init__(self, operation, args, kwargs, outputs, is_input=False):
        self.operation, self.args, self.kwargs, self.outputs = operation, args, kwargs, outputs
        self.input_tensors = [x for x in _nest.flatten([args, kwargs]) if _is_keras_tensor(x)]
        self.output_tensors = _nest.flatten(outputs)
        self.is_input = is_input

    @property
    def parent_nodes(self):
        out = []
        for t in self.input_tensors:
            op, i, _ = t._keras_history
            out.append(op._inbound_nodes[i])
        return out


def _nodes(op):
    nodes = op.__dict__.get("_inbound_nodes")
    if nodes is None:
        nodes = []
        object.__setattr__(op, "_inbound_nodes", nodes)     # not tracked: nodes hold no state
    return nodes


class InputLayer(Layer):
    """Keras 3's ``InputLayer(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
    batch_shape=None, input_tensor=None, optional=False, name=None)``: the layer behind ``Input``;
    ``output`` is its KerasTensor.  ``sparse``, ``ragged``, ``input_tensor`` and ``optional``
    raise NotImplementedError; default name 'input_layer' (auto-numbered)."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        _not_implemented("InputLayer", sparse=sparse or None, ragged=ragged or None, input_tensor=input_tensor,
                         optional=optional or None)
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_size is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the same time.")
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument.")
            batch_shape = (batch_size,) + _keras_shape(shape)
        batch_shape = _keras_shape(batch_shape)
        super().__init__(name=name, **kwargs)
        self.batch_shape = batch_shape
        self._input_dtype = _layer_dtype(dtype, "InputLayer")
        self.built = True
        out = KerasTensor(batch_shape, self._input_dtype, history=(self, 0, 0))
        _nodes(self).append(Node(self, (), {}, out, is_input=True))

    @property
    def shape(self):
        return self.batch_shape

    def get_config(self):
        """Keras 3.15's InputLayer config."""
        return {"batch_shape": self.batch_shape, "dtype": self._input_dtype, "sparse": False, "ragged": False,
                "name": self.name, "optional": False}

    @classmethod
    def from_config(cls, config):
        return cls(**dict(config))

    def call(self):
        return self.output


def node_output(layer, what="output"):
    """Keras 3's ``Layer.output`` / ``Layer.input``: of the layer's only node (AttributeError when
    it has none, ValueError when it has several, as Keras 3)."""
    nodes = layer.__dict__.get("_inbound_nodes") or []
    if not nodes:
        raise AttributeError(f"Layer {layer.name} has no inbound nodes.")
    if len(nodes) > 1:
        raise ValueError(f"The layer {layer.name} has multiple inbound nodes, with different {what} shapes. "
                         f"Hence the notion of \"{what}\" is ill-defined for the layer.")
    n = nodes[0]
    if what == "output":
        return n.outputs
    return n.outputs if n.is_input else n.args[0]


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None, name=None, tensor=None,
          optional=False):
    """A symbolic model input (Keras 3's ``Input``): ``shape`` without the batch dimension, or
    ``batch_shape``; ``dtype`` default float32.  Returns the ``KerasTensor`` of a new ``InputLayer``
    named ``name``.  ``sparse``, ``ragged``, ``tensor`` and ``optional`` raise NotImplementedError."""
    _not_implemented("Input", sparse=sparse or None, ragged=ragged or None, tensor=tensor, optional=optional or None)
    if shape is not None and batch_shape is not None:
        raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
    if batch_shape is None and shape is None:
        raise ValueError("You must pass a `shape` argument.")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape, name=name)
    return layer.output


# ---------------------------------------------------------------- symbolic calls
class _PausedTapes:
    """No tape or accumulator records the shape-finding runs."""

    def __enter__(self):
        self.saved = _state.stack
        if self.saved:
            _state.stack = []

    def __exit__(self, *exc):
        if self.saved:
            _state.stack = self.saved
        return False


def _zeros_for(kt, fill):
    shape = [(fill[0] if i == 0 else fill[1]) if d is None else d for i, d in enumerate(kt.shape)]
    return _ops.zeros(shape, dtype=kt.dtype)


def _substitute(structure, values):
    """``structure`` (args/kwargs) with each KerasTensor replaced by ``values[id(kt)]``."""
    if _is_keras_tensor(structure):
        return values[id(structure)]
    if isinstance(structure, dict):
        return type(structure)((k, _substitute(v, values)) for k, v in structure.items())
    if isinstance(structure, (list, tuple)):
        items = [_substitute(v, values) for v in structure]
        if isinstance(structure, tuple) and hasattr(structure, "_fields"):
            return type(structure)(*items)
        return type(structure)(items)
    return structure


def _symbolic_shapes(x):
    if _is_keras_tensor(x):
        return tuple(x.shape)
    if isinstance(x, dict):
        return {k: _symbolic_shapes(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_symbolic_shapes(v) for v in x]
    if isinstance(x, _Base):
        return tuple(x.shape)
    return tuple(np.shape(x))


def _dtype_name(t):
    return t.dtype.name if hasattr(t.dtype, "name") else str(t.dtype)


def _trial_outputs(run, kts):
    """Run ``run(values)`` twice on zeros (unknown dims filled two ways); the outputs' structure,
    shapes (``None`` where the runs differ) and dtypes."""
    results = []
    with _PausedTapes():
        for fill in zip(_FILL_BATCH, _FILL_OTHER):
            values = {id(kt): _zeros_for(kt, fill) for kt in kts}
            results.append(run(values))
    flat_a, flat_b = _nest.flatten(results[0]), _nest.flatten(results[1])
    specs = []
    for a, b in zip(flat_a, flat_b):
        if not isinstance(a, _Base):
            raise TypeError(f"A layer called on KerasTensors must return tensors; got {type(a).__name__}")
        shape = tuple(p if p == q else None for p, q in zip(a.shape, b.shape))
        specs.append((shape, _dtype_name(a)))
    return results[0], specs


def symbolic_call(layer, inputs, args, kwargs):
    """``layer(inputs, *args, **kwargs)`` where KerasTensors are among the arguments: build the
    layer for the symbolic shapes (Keras 3), find the output shapes, record a Node, return
    KerasTensors nested as the layer's outputs."""
    call_args = (inputs,) + tuple(args)
    kts = [x for x in _nest.flatten([call_args, kwargs]) if _is_keras_tensor(x)]
    for x in _nest.flatten(call_args):
        if not (x is None or _is_keras_tensor(x) or isinstance(x, _Base) or isinstance(x, np.ndarray)):
            raise ValueError(f"Only input tensors may be passed as positional arguments. The following argument "
                             f"value should be passed as a keyword argument: {x} (of type {type(x)})")
    if not layer.built and not getattr(type(layer).__call__, "_routes_keras_tensors", False):
        # (a layer with its own __call__ builds itself there, in the first shape-finding run)
        shapes = _symbolic_shapes(inputs)
        layer.build(shapes)
        layer.built = True
        layer._lock_state()
        object.__setattr__(layer, "_build_shapes", shapes)
    trial_kwargs = dict(kwargs)
    if _takes_training(type(layer)):
        trial_kwargs["training"] = False

    def run(values):
        a = _substitute(call_args, values)
        kw = _substitute(trial_kwargs, values)
        out = layer(*a, **kw)
        return out

    had_losses = list(layer.__dict__.get("_losses", ()))
    try:
        sample, specs = _trial_outputs(run, kts)
    except Exception as e:
        if hasattr(e, "add_note"):              # Python 3.11+: say where, keep the class and message
            e.add_note(f"(while calling layer '{layer.name}' on KerasTensors of shapes "
                       f"{[kt.shape for kt in kts]}: gputape runs the layer on zeros with unknown dimensions "
                       f"filled by {_FILL_BATCH[0]}/{_FILL_OTHER[0]} to find its output shape)")
        raise
    finally:
        if "_losses" in layer.__dict__:
            layer._clear_losses()
            layer._losses.extend(had_losses)
    nodes = _nodes(layer)
    node_index = len(nodes)
    outs = [KerasTensor(shape, dtype, history=(layer, node_index, i)) for i, (shape, dtype) in enumerate(specs)]
    outputs = _nest.pack_sequence_as(sample, outs)
    nodes.append(Node(layer, call_args, dict(kwargs), outputs))
    return outputs


# operator -> (Keras 3's op class name, its auto-name stem)
_OP_NAMES = {"add": ("Add", "add"), "subtract": ("Subtract", "subtract"), "multiply": ("Multiply", "multiply"),
             "divide": ("TrueDivide", "true_divide"), "negative": ("Negative", "negative"),
             "get_item": ("GetItem", "get_item")}


class _Operator:
    """A graph node made by an operator on KerasTensors (``x + y``): not a layer (absent from
    ``layers``), but a row of ``summary()``, as Keras 3's ops."""
    built = True

    def __init__(self, name, fn):
        self._summary_type, stem = _OP_NAMES[name]
        self.name, self.fn = _naming.uniquify(stem), fn
        self._inbound_nodes = []

    def count_params(self):
        return 0

    def __call__(self, *args):
        return self.fn(*[_ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args])


def _operator(name, fn, *args):
    op = _Operator(name, fn)
    kts = [a for a in args if _is_keras_tensor(a)]

    def run(values):
        return op(*_substitute(list(args), values))

    sample, specs = _trial_outputs(run, kts)
    outs = [KerasTensor(shape, dtype, history=(op, 0, i)) for i, (shape, dtype) in enumerate(specs)]
    outputs = _nest.pack_sequence_as(sample, outs)
    op._inbound_nodes.append(Node(op, tuple(args), {}, outputs))
    return outputs


# ---------------------------------------------------------------- the graph
def map_graph(inputs, outputs):
    """(nodes by decreasing depth, operations in Keras 3's order) of the graph between ``inputs``
    and ``outputs`` (flat lists of KerasTensors); ValueError for a cycle or a disconnected input."""
    finished, in_progress, order = set(), set(), []
    op_index = {}
    input_ids = {id(t) for t in inputs}

    def visit(tensor):
        op, node_index, _ = tensor._keras_history
        node = op._inbound_nodes[node_index]
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f"Tensor {tensor} from operation '{op.name}' is part of a cycle.")
        op_index.setdefault(op, len(op_index))
        in_progress.add(id(node))
        if not node.is_input and id(tensor) not in input_ids:
            for t in node.input_tensors:
                visit(t)
        finished.add(id(node))
        in_progress.discard(id(node))
        order.append(node)

    for t in outputs:
        visit(t)
    node_depth, op_depth = {}, {}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), op_depth.get(node.operation, 0))
        op_depth[node.operation] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    by_id = {id(n): n for n in order}
    for t in inputs:
        op = t._keras_history[0]
        if op not in op_depth:
            op_depth[op] = 0
            op_index[op] = -1
            node_depth[id(op._inbound_nodes[0])] = 0
            by_id[id(op._inbound_nodes[0])] = op._inbound_nodes[0]
    nodes_by_depth = collections.defaultdict(list)
    for nid, d in node_depth.items():
        nodes_by_depth[d].append(by_id[nid])
    ops_by_depth = collections.defaultdict(list)
    for op, d in op_depth.items():
        ops_by_depth[d].append(op)
    operations = []
    for d in sorted(ops_by_depth, reverse=True):
        operations.extend(sorted(ops_by_depth[d], key=lambda o: op_index[o]))
    nodes = []
    for d in sorted(nodes_by_depth, reverse=True):
        nodes.extend(nodes_by_depth[d])
    # every tensor a node needs must come from the inputs
    known = set(input_ids)
    for node in nodes:
        if node.is_input:
            continue
        for t in node.input_tensors:
            if id(t) not in known:
                raise ValueError(f"Graph disconnected: cannot find parent for tensor {t} of operation "
                                 f"'{node.operation.name}'. Pass every keras.Input the outputs depend on as "
                                 f"`inputs`.")
        known.update(id(t) for t in node.output_tensors)
    return dict(nodes_by_depth), operations, nodes


# ---------------------------------------------------------------- the model
from .models import Model  # noqa: E402  (models imports layers, which imports this module last)


def _structure_of_history(structure, to_triple):
    if _is_keras_tensor(structure):
        return to_triple(structure)
    if isinstance(structure, dict):
        return {k: _structure_of_history(v, to_triple) for k, v in structure.items()}
    return [_structure_of_history(v, to_triple) for v in structure]


class Functional(Model):
    """``keras.Model(inputs, outputs, name=None, trainable=True)`` (Keras 3's ``Functional``):
    the graph of layers between ``inputs`` (KerasTensors from ``keras.Input``: one, a list or a
    dict, nested) and ``outputs`` (KerasTensors, in any nested list/tuple/dict structure).

    Calling the model runs each recorded layer call in graph order on real tensors (``training``
    reaches every layer whose ``call`` takes it, as Keras 3) and returns the outputs in the same
    structure.  Inputs are given in the structure of ``inputs`` (a dict by key; a dict given to a
    model of listed inputs is matched by the ``Input`` names, ValueError naming a missing one; a list
    given to a model of dict inputs warns and is taken in sorted-key order, as Keras 3); each is converted
    to its ``Input``'s dtype and checked against its shape (ValueError, Keras 3's message); a
    rank one more with a trailing 1, or one less where the Input's last dimension is 1, is squeezed
    or expanded first, as Keras 3's ``_adjust_input_rank``.

    ``layers`` lists the ``InputLayer``s and layers in graph order (Keras 3's), ``weights`` each
    layer's weights in that order; ``get_layer``, ``summary`` (with Keras's 'Connected to' column
    when the graph is not a chain), ``count_params``, ``get_config``/``from_config`` (Keras 3.15's
    form) work as Keras.  A subclass of ``Model`` whose ``__init__`` calls
    ``super().__init__(inputs, outputs)`` becomes a Functional subclass, as Keras 3 (its base
    ``Model`` is replaced by ``Functional``; its own ``call``, if any, may call ``super().call``).
    Deliberate differences: an intermediate (non-``Input``) KerasTensor as a model input and masks
    (``mask=``) raise NotImplementedError.
    """

    def __init__(self, inputs, outputs, name=None, **kwargs):
        flat_in, flat_out = _nest.flatten(inputs), _nest.flatten(outputs)
        for t in flat_in:
            if not _is_keras_tensor(t):
                raise ValueError(f"All `inputs` values must be KerasTensors. Received: inputs={inputs} including "
                                 f"invalid value {t} of type {type(t)}")
            if not isinstance(t._keras_history[0], InputLayer):
                raise NotImplementedError("keras.Model: an intermediate KerasTensor (not made by keras.Input) as a "
                                          "model input is not implemented in gputape")
        for t in flat_out:
            if not _is_keras_tensor(t):
                raise ValueError(f"All `outputs` values must be KerasTensors. Received: outputs={outputs} including "
                                 f"invalid value {t} of type {type(t)}")
        if name is None:
            name = _naming.auto_name(type(self).__name__)       # 'functional', or 'my_model' for a subclass
        Layer.__init__(self, name=name, **kwargs)
        object.__setattr__(self, "_inputs_struct", inputs)
        object.__setattr__(self, "_outputs_struct", outputs)
        object.__setattr__(self, "inputs", list(flat_in))
        object.__setattr__(self, "outputs", list(flat_out))
        by_depth, operations, nodes = map_graph(flat_in, flat_out)
        object.__setattr__(self, "_nodes_by_depth", by_depth)
        object.__setattr__(self, "_operations", operations)
        object.__setattr__(self, "_run_nodes", [n for n in nodes if not n.is_input])
        self._graph_layers = [op for op in operations if isinstance(op, Layer)]
        if not self.trainable:
            self.trainable = False          # Model(..., trainable=False) freezes every layer, as Keras 3
        self.built = True                   # not locked: a subclass may add layers after (Keras 3)

    @property
    def layers(self):
        return list(self._graph_layers)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        s = _nest.map_structure(lambda t: t.shape, self._inputs_struct)
        return s

    @property
    def output_shape(self):
        return _nest.map_structure(lambda t: t.shape, self._outputs_struct)

    def build(self, input_shape=None):
        """Already built from its inputs (Keras 3)."""
        self.built = True

    # ------------------------------------------------------------ running the graph
    def _flatten_call_inputs(self, inputs):
        struct = self._inputs_struct
        if _is_keras_tensor(struct):
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
                inputs = inputs[0]
            return [inputs]
        names = [kt._keras_history[0].name for kt in self.inputs]
        if isinstance(inputs, dict) and not isinstance(struct, dict):
            for n in names:                              # Keras 3: a dict is matched by the Inputs' names
                if n not in inputs:
                    raise ValueError(f"Missing data for input \"{n}\". You passed a data dictionary with keys "
                                     f"{sorted(inputs)}. Expected the following keys: {sorted(names)}")
            return [inputs[n] for n in names]
        if isinstance(struct, dict):
            if isinstance(inputs, dict):
                if set(inputs) != set(struct):
                    raise ValueError(f"Layer \"{self.name}\" expects a dict of inputs with keys {sorted(struct)}; "
                                     f"received keys {sorted(inputs)}")
            else:
                import warnings
                warnings.warn(f"The structure of `inputs` doesn't match the expected structure.\nExpected: "
                              f"{ {k: v._keras_history[0].name for k, v in struct.items()} }\nReceived: inputs="
                              f"{type(inputs).__name__} (taken in the order of the sorted keys, as Keras 3)",
                              UserWarning, stacklevel=4)
        flat = _nest.flatten(inputs) if isinstance(inputs, (list, tuple, dict)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(f"Layer \"{self.name}\" expects {len(self.inputs)} input(s), but it received "
                             f"{len(flat)} input tensors. Inputs received: {inputs}")
        return flat

    def _standardize(self, i, kt, x):
        if not isinstance(x, _Base):
            x = _ops.convert_to_tensor(x)
        if _dtype_name(x) != kt.dtype:
            x = _ops.cast(x, kt.dtype)
        ref = kt.shape
        if x.ndim == len(ref) + 1 and x.shape[-1] == 1:
            x = _ops.squeeze(x, axis=-1)
        elif x.ndim == len(ref) - 1 and ref[-1] == 1:
            x = _ops.expand_dims(x, -1)
        if x.ndim != len(ref) or any(r is not None and r != s for r, s in zip(ref, x.shape)):
            raise ValueError(f"Input {i} with name '{kt._keras_history[0].name}' of layer '{self.name}' is "
                             f"incompatible with the layer: expected shape={ref}, found shape={tuple(x.shape)}")
        return x

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            raise NotImplementedError(f"{self.name}: masks (mask=) are not implemented in gputape's functional models")
        flat = self._flatten_call_inputs(inputs)
        values = {id(kt): self._standardize(i, kt, x) for i, (kt, x) in enumerate(zip(self.inputs, flat))}
        for node in self._run_nodes:
            args = _substitute(node.args, values)
            kwargs = _substitute(node.kwargs, values)
            out = node.operation(*args, **kwargs)
            for kt, v in zip(node.output_tensors, _nest.flatten(out)):
                values[id(kt)] = v
        return _substitute(self._outputs_struct, values)

    # ------------------------------------------------------------ summary
    def _model_node_indices(self, layer):
        """Indices (into ``layer._inbound_nodes``) of the nodes that belong to this model."""
        ids = {id(n) for n in self._run_nodes}
        return [i for i, n in enumerate(_nodes(layer)) if id(n) in ids or (n.is_input and layer in self._operations)]

    def _summary_operations(self):
        """Layers and operators in graph order (Keras 3's summary lists both)."""
        return [op for op in self._operations if isinstance(op, (Layer, _Operator))]

    def _sequential_like(self):
        nodes = []
        for v in self._nodes_by_depth.values():
            if len(v) > 1 or (len(v) == 1 and len(v[0].input_tensors) > 1):
                return False
            nodes += v
        ids = {id(n) for n in nodes}
        for layer in self.layers:
            if sum(1 for n in _nodes(layer) if id(n) in ids) > 1:
                return False
        return True

    def _summary_rows(self):
        rows = []
        for l in self._summary_operations():
            outs = [n.output_tensors for i, n in enumerate(_nodes(l)) if i in self._model_node_indices(l)]
            shapes = [tuple(ts[0].shape) if len(ts) == 1 else [tuple(t.shape) for t in ts] for ts in outs]
            if shapes and all(x == shapes[0] for x in shapes):
                rows.append((l, shapes[0]))          # a list of shapes for a layer with several outputs
            else:
                rows.append((l, "multiple" if shapes else None))
        return rows

    def _summary_connected(self):
        """Keras 3's 'Connected to' cells (None when the graph is a chain: no such column)."""
        if self._sequential_like():
            return None
        cells = []
        for l in self._summary_operations():
            parts = []
            for i in self._model_node_indices(l):
                for t in _nodes(l)[i].input_tensors:
                    op, ni, ti = t._keras_history
                    parts.append(f"{op.name}[{ni}][{ti}]")
            cells.append(", ".join(parts) if parts else "-")
        return cells

    # ------------------------------------------------------------ config
    def get_config(self):
        """Keras 3.15's functional config: ``name``, ``trainable``, ``layers`` (each with its
        serialized config, ``build_config``, ``name`` and ``inbound_nodes``: args/kwargs with
        KerasTensors as ``__keras_tensor__`` dicts), ``input_layers``, ``output_layers``."""
        node_index_map = {}
        for l in self._operations:
            if isinstance(l, _Operator):
                raise NotImplementedError(f"{self.name}.get_config: an operator on KerasTensors ({l.name}) is not "
                                          f"serializable in gputape; use layers (e.g. keras.layers.Add)")
            for new_i, old_i in enumerate(self._model_node_indices(l)):
                node_index_map[(id(l), old_i)] = new_i

        def triple(t):
            op, ni, ti = t._keras_history
            return [op.name, node_index_map[(id(op), ni)], ti]

        def ser(x):
            if _is_keras_tensor(x):
                return {"class_name": "__keras_tensor__",
                        "config": {"shape": x.shape, "dtype": x.dtype, "keras_history": triple(x)}}
            if isinstance(x, dict):
                return {k: ser(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [ser(v) for v in x]
            if isinstance(x, _Base):
                raise NotImplementedError(f"{self.name}.get_config: a constant tensor argument in the graph is not "
                                          f"serializable in gputape")
            return x

        layers = []
        for l in self.layers:
            entry = {"module": "keras.layers", "class_name": type(l).__name__, "config": l.get_config(),
                     "registered_name": None}
            if type(l).__name__ in ("Functional", "Sequential"):
                entry["module"] = "keras"
            if not isinstance(l, InputLayer) and "_build_shapes" in l.__dict__:
                entry["build_config"] = {"input_shape": l._build_shapes}
            entry["name"] = l.name
            entry["inbound_nodes"] = [] if isinstance(l, InputLayer) else [
                {"args": ser(list(_nodes(l)[i].args)), "kwargs": ser(_nodes(l)[i].kwargs)}
                for i in self._model_node_indices(l)]
            layers.append(entry)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": _structure_of_history(self._inputs_struct, triple),
                "output_layers": _structure_of_history(self._outputs_struct, triple)}

    @classmethod
    def from_config(cls, config):
        """A functional model from ``get_config``'s form (Keras 3): each layer by class name among
        gputape's built-in layers (another is NotImplementedError naming it), its nodes replayed."""
        config = dict(config)
        created, made, order = {}, {}, []
        for entry in config["layers"]:
            layer = deserialize_layer(entry)
            created[entry["name"]] = layer
            order.append((layer, list(entry.get("inbound_nodes", []))))
            if isinstance(layer, InputLayer):
                made[(layer.name, 0)] = [layer.output]

        def de(x):
            if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
                name, ni, ti = x["config"]["keras_history"]
                return made[(name, ni)][ti]
            if isinstance(x, dict):
                return {k: de(v) for k, v in x.items()}
            if isinstance(x, list):
                return [de(v) for v in x]
            return x

        def ready(x):
            if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
                name, ni, _ = x["config"]["keras_history"]
                return (name, ni) in made
            if isinstance(x, dict):
                return all(ready(v) for v in x.values())
            if isinstance(x, list):
                return all(ready(v) for v in x)
            return True

        done = {id(l): 0 for l, _ in order}
        progress = True
        while progress:
            progress = False
            for layer, nodes in order:
                while done[id(layer)] < len(nodes) and ready(nodes[done[id(layer)]]):
                    nd = nodes[done[id(layer)]]
                    out = layer(*de(nd["args"]), **de(nd.get("kwargs", {})))
                    made[(layer.name, done[id(layer)])] = _nest.flatten(out)
                    done[id(layer)] += 1
                    progress = True
        if any(done[id(l)] < len(n) for l, n in order):
            raise ValueError("Functional.from_config: the config's graph has nodes whose inputs are never made")

        def pick(s):
            if isinstance(s, list) and len(s) == 3 and isinstance(s[0], str) and isinstance(s[1], int):
                return made[(s[0], s[1])][s[2]]
            if isinstance(s, dict):
                return {k: pick(v) for k, v in s.items()}
            return [pick(v) for v in s]

        return cls(pick(config["input_layers"]), pick(config["output_layers"]), name=config.get("name"),
                   trainable=config.get("trainable", True))


def deserialize_layer(entry):
    """A layer from Keras 3's serialized form {'class_name', 'config', ...}: gputape's built-in
    layers, ``Sequential`` and ``Functional``; another class is NotImplementedError naming it."""
    from . import layers as _layers_mod, models as _models
    name, cfg = entry["class_name"], dict(entry["config"])
    klass = {"Functional": Functional, "Sequential": _models.Sequential,
             "InputLayer": InputLayer}.get(name) or getattr(_layers_mod, name, None)
    if not (isinstance(klass, type) and issubclass(klass, Layer)):
        raise NotImplementedError(f"from_config: layer class {name!r} is not implemented in gputape")
    return klass.from_config(cfg)      # built when the graph calls it (``build_config`` not needed)


def inject_functional_base(cls):
    """Make ``cls`` (a ``Model`` subclass) a ``Functional`` subclass in place, as Keras 3's
    ``inject_functional_model_class``: every class on its line whose base is ``Model`` gets
    ``Functional`` instead."""
    if cls is Model or issubclass(cls, Functional):
        return
    if Model in cls.__bases__:
        cls.__bases__ = tuple(Functional if b is Model else b for b in cls.__bases__)
        return
    for b in cls.__bases__:
        if isinstance(b, type) and issubclass(b, Model):
            inject_functional_base(b)
