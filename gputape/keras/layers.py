"""Layers: the base Layer, Dense, Flatten, Activation and Dropout here; the functional API
(Input, InputLayer) in functional.py and issue 8's layers in layers_core/conv/norm/merge.py, all
exported from this module.  Keras 3's
constructor arguments: each one implemented or raising NotImplementedError naming it; an
unknown keyword raises ValueError("Unrecognized keyword arguments passed to <Layer>: {...}")
as Keras 3.15 does.  Auto-names ('dense', 'dense_1', ...) count per thread as in Keras 3
(``gputape.keras.naming``)."""
import functools
import inspect
import warnings
import weakref

import numpy as np

from .. import ops as _ops
from ..tensor import Tensor, Variable, _Base, convert_to_tensor
from ..ops.linalg import _matmul
from . import activations as _act, initializers as _init, naming as _naming
from .. import module as _module
from ..dtypes import from_np as _from_np
from ..module import Module as _Module

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


_MISSING = object()
# Bumped whenever a tracker gains or loses a Variable or sub-layer, or a layer is frozen/unfrozen:
# what ``weights`` and ``trainable_weights`` return can only change then (for Layer's own properties).
_GEN = [0]


def _dtype_name(d):
    """``d.name`` of a NumPy dtype, read from gputape's DType (NumPy computes the name in Python on
    every read; the DType holds it)."""
    return _from_np(d).name


def _call_signature(cls):
    try:
        return inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return {}


@functools.lru_cache(maxsize=None)
def _takes_training(cls):
    """Whether ``cls.call`` has a ``training`` parameter (Keras passes the flag only then)."""
    return "training" in _call_signature(cls)


@functools.lru_cache(maxsize=None)
def _training_position(cls):
    """Index of ``training`` in ``call``'s positional parameters after ``inputs`` (None if keyword-only/absent)."""
    names = []
    for p in _call_signature(cls).values():
        if p.kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            break
        names.append(p.name)
    names = names[2:]                     # drop self, inputs
    return names.index("training") if "training" in names else None


@functools.lru_cache(maxsize=None)
def _call_info(cls):
    """(call has ``training``, its positional index after ``inputs``, its default) for ``cls``."""
    return _takes_training(cls), _training_position(cls), _training_default(cls)


@functools.lru_cache(maxsize=None)
def _training_default(cls):
    """The default of ``call``'s ``training`` parameter (Keras 3 uses it when no outer call sets one)."""
    p = _call_signature(cls).get("training")
    return None if p is None or p.default is inspect.Parameter.empty else p.default


# ---------------------------------------------------------------- attribute tracking (Keras 3's Tracker)
class _Tracker:
    """What a layer tracks, in tracking order (Keras 3 ``Tracker``): Variables, split by their
    ``trainable`` flag when first tracked, and sub-layers / sub-Modules; each object once."""
    __slots__ = ("owner", "trainable_vars", "non_trainable_vars", "layers", "ids", "locked", "tw")

    def __init__(self, owner):
        self.owner = owner
        self.locked = False
        self.tw = None                # (tracking generation, owner's trainable_weights) -- see _GEN
        self.trainable_vars, self.non_trainable_vars, self.layers = [], [], []
        self.ids = set()

    def _check_unlocked(self):
        if self.locked:
            raise ValueError("You cannot add new elements of state (variables or sub-layers) to a layer that is "
                             "already built. All state must be created in the `__init__()` method or in the "
                             "`build()` method.")

    def track(self, value):
        """Record ``value`` (a Variable, Layer or Module); wrap lists/dicts so later changes are seen.
        A new Variable or layer once the owner is built is ValueError (Keras 3 locks its state)."""
        if isinstance(value, Variable):
            if id(value) not in self.ids:
                self._check_unlocked()
                self.ids.add(id(value))
                _GEN[0] += 1
                (self.trainable_vars if value._trainable else self.non_trainable_vars).append(value)
                if not self.owner.__dict__.get("_trainable", True) and value._trainable:
                    value._frozen = True          # a variable joining a frozen layer is frozen (Keras 3)
            return value
        if isinstance(value, _Module):
            if value is not self.owner and id(value) not in self.ids:
                self._check_unlocked()
                self.ids.add(id(value))
                _GEN[0] += 1
                self.layers.append(value)
            return value
        if isinstance(value, (_TrackedList, _TrackedDict, _TrackedSet)) and value._tracker is self:
            return value
        if isinstance(value, list):
            return _TrackedList(value, self)
        if isinstance(value, dict):
            return _TrackedDict(value, self)
        if isinstance(value, set) and not isinstance(value, _TrackedSet):
            return _TrackedSet(value, self)
        if isinstance(value, tuple):
            items = [self.track(e) for e in value]
            if hasattr(value, "_fields"):                      # a namedtuple
                return type(value)(*items)
            return type(value)(items) if type(value) is not tuple else tuple(items)
        return value

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__ if k not in ("ids", "tw")}

    def __setstate__(self, state):
        """``ids`` holds ``id()``s, meaningless in another process: rebuilt from what is tracked."""
        for k, v in state.items():
            setattr(self, k, v)
        self.ids = {id(x) for x in self.trainable_vars + self.non_trainable_vars + self.layers}
        self.tw = None

    def untrack(self, value):
        """Forget ``value`` itself (not what a container holds), as Keras 3's ``Tracker.untrack``."""
        if id(value) in self.ids:
            self.ids.discard(id(value))
            _GEN[0] += 1
            for store in (self.trainable_vars, self.non_trainable_vars, self.layers):
                for i, e in enumerate(store):
                    if e is value:
                        del store[i]
                        return


class _TrackedList(list):
    """A layer attribute's list (Keras 3 ``TrackedList``): ``append``/``insert``/``extend`` track
    what they add, ``remove``/``pop``/``clear``/``del`` untrack what they take out; ``self.lst +=
    [...]`` re-assigns the attribute, which tracks everything in it.  Deliberate difference:
    ``lst[i] = x`` tracks ``x`` here (Keras 3 does not, leaving its weights silently out of
    ``weights``); like attribute re-assignment, the replaced item stays tracked."""

    def __init__(self, values, tracker):
        self._tracker = tracker
        super().__init__(tracker.track(v) for v in values)

    def append(self, value):
        super().append(self._tracker.track(value))

    def insert(self, index, value):
        super().insert(index, self._tracker.track(value))

    def extend(self, values):
        super().extend([self._tracker.track(v) for v in values])

    def __iadd__(self, values):
        self.extend(values)
        return self

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            value = [self._tracker.track(v) for v in value]
        else:
            value = self._tracker.track(value)
        super().__setitem__(index, value)

    def __delitem__(self, index):
        old = self[index]
        super().__delitem__(index)
        self._tracker.untrack(old)

    def remove(self, value):
        self._tracker.untrack(value)
        super().remove(value)

    def pop(self, index=-1):
        self._tracker.untrack(self[index])
        return super().pop(index)

    def clear(self):
        for v in self:
            self._tracker.untrack(v)
        super().clear()

    def __reduce_ex__(self, protocol):
        return list, (list(self),)


class _TrackedDict(dict):
    """A layer attribute's dict (Keras 3 ``TrackedDict``): ``d[k] = x``, ``update`` and (here also)
    ``setdefault`` track; ``pop``/``popitem``/``clear`` untrack; ``del d[k]`` does not (as Keras 3)."""

    def __init__(self, values, tracker):
        self._tracker = tracker
        super().__init__((k, tracker.track(v)) for k, v in values.items())

    def __setitem__(self, key, value):
        super().__setitem__(key, self._tracker.track(value))

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs):
        for k, v in dict(*args, **kwargs).items():
            self[k] = v

    def pop(self, key, *default):
        if key not in self:
            return super().pop(key, *default)
        value = super().pop(key)
        self._tracker.untrack(value)
        return value

    def popitem(self):
        k, v = super().popitem()
        self._tracker.untrack(v)
        return k, v

    def clear(self):
        for v in self.values():
            self._tracker.untrack(v)
        super().clear()

    def __reduce_ex__(self, protocol):
        return dict, (dict(self),)


# Layers whose ``_losses`` may be non-empty: an outermost call skips the clearing walk when none do.
_LOSS_HOLDERS = weakref.WeakSet()


class _TrackedSet(set):
    """A layer attribute's set (Keras 3 ``TrackedSet``): ``add``/``update`` track, ``remove``/
    ``discard``/``pop``/``clear`` untrack."""

    def __init__(self, values, tracker):
        self._tracker = tracker
        super().__init__(tracker.track(v) for v in values)

    def add(self, value):
        super().add(self._tracker.track(value))

    def update(self, *others):
        for o in others:
            for v in o:
                self.add(v)

    def remove(self, value):
        super().remove(value)
        self._tracker.untrack(value)

    def discard(self, value):
        if value in self:
            self.remove(value)

    def pop(self):
        value = super().pop()
        self._tracker.untrack(value)
        return value

    def clear(self):
        for v in self:
            self._tracker.untrack(v)
        super().clear()

    def __reduce_ex__(self, protocol):
        return set, (set(self),)


class _CallContext:
    """One outermost layer call (Keras 3 ``CallContext``): the layer it entered by and the
    training flag, which every layer called inside reads when not given ``training=`` and
    overwrites with its own resolved value (Keras 3's rule, quirks included)."""
    __slots__ = ("entry_layer", "training")

    def __init__(self, entry_layer):
        self.entry_layer, self.training = entry_layer, None


def _call_context():
    return getattr(_naming._state, "call_context", None)


def _shapes(x):
    """The shapes of a call's first argument, nested like it (what Keras passes to ``build``)."""
    if isinstance(x, _Base):
        return tuple(x.shape)
    if isinstance(x, dict):
        return {k: _shapes(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_shapes(v) for v in x]
    return tuple(np.shape(x))


def _has_input_spec(x):
    if isinstance(x, _functional.KerasTensor):
        return True
    if isinstance(x, dict):
        return any(_has_input_spec(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(_has_input_spec(v) for v in x)
    return False


def _is_array(x):
    return isinstance(x, np.ndarray) or hasattr(x, "__cuda_array_interface__")


def _check_positional(args):
    """Keras 3: every leaf of the positional arguments is a tensor, an array or None; anything else
    (a Python number or list, a bool flag) is ValueError -- it must go by keyword."""
    stack = list(reversed(args))           # first leaf first, as Keras's tree.flatten (dicts by key)
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x[k] for k in reversed(sorted(x, key=str)))
        elif isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif not (x is None or isinstance(x, _Base) or _is_array(x)):
            raise ValueError(f"Only input tensors may be passed as positional arguments. The following argument "
                             f"value should be passed as a keyword argument: {x} (of type {type(x)})")


def get_regularizer(identifier, owner="add_weight", arg="regularizer"):
    """A weight regularizer from a callable, or a name / serialized dict through
    ``keras.regularizers.get`` (NotImplementedError naming ``owner`` and ``arg`` where that module
    is missing)."""
    if identifier is None or (callable(identifier) and not isinstance(identifier, (str, dict))):
        return identifier
    try:
        from . import regularizers as _reg
    except ImportError:
        raise NotImplementedError(f"{owner}: argument `{arg}`={identifier!r} needs keras.regularizers, which is "
                                  f"not available in this gputape; pass a callable weight -> scalar loss") from None
    return _reg.get(identifier)


def get_constraint(identifier, owner="add_weight", arg="constraint"):
    """A weight constraint through ``keras.constraints.get`` (NotImplementedError naming ``owner`` and
    ``arg`` where that module is missing); ``add_weight(constraint=...)`` applies it."""
    if identifier is None:
        return None
    try:
        from . import constraints as _con
    except ImportError:
        raise NotImplementedError(f"{owner}: argument `{arg}`={identifier!r} needs keras.constraints, which is "
                                  f"not available in this gputape") from None
    return _con.get(identifier)


def serialize_constraint(c, owner):
    """Keras 3's serialized constraint (None stays None)."""
    if c is None:
        return None
    try:
        from . import constraints as _con
        return _con.serialize(c)
    except (ImportError, AttributeError, TypeError, ValueError):
        raise NotImplementedError(f"{owner}.get_config: the constraint {c!r} is not serializable in gputape") \
            from None


def serialize_regularizer(r, owner):
    """Keras 3's serialized regularizer (None stays None)."""
    if r is None:
        return None
    try:
        from . import regularizers as _reg
        return _reg.serialize(r)
    except (ImportError, AttributeError, TypeError, ValueError):
        raise NotImplementedError(f"{owner}.get_config: the regularizer {r!r} is not serializable in gputape") \
            from None


class Layer(_Module):
    """Base layer (Keras 3's ``Layer``): builds on the first call, tracks what its attributes hold.

    Keyword arguments, as Keras 3.15: ``activity_regularizer`` (NotImplementedError unless None),
    ``trainable`` (a bool, else ValueError), ``dtype`` (a float dtype name or DType; mixed
    policies NotImplementedError), ``autocast`` (cast floating inputs to ``dtype``), ``name``
    (a str without '/', else ValueError; default a per-thread auto-name), ``input_shape`` /
    ``input_dim`` (warn as Keras; a ``Sequential`` whose first layer has one is built at once);
    anything else ValueError.

    Tracking (Keras 3's ``Tracker``): assigning a Variable, a Layer or a ``gputape.Module`` to an
    attribute -- directly or inside lists, tuples and dicts, nested, including items appended
    later -- tracks it; ``add_weight`` tracks what it creates.  ``weights`` lists the layer's own
    Variables (those trainable when tracked, then the others, each in tracking order), then each
    tracked sub-layer's ``weights`` in tracking order, each Variable once.  Re-assigning or deleting
    an attribute does not untrack the old value (as Keras 3); ``pop``/``remove`` from a tracked
    list or dict does (see ``_TrackedList`` for the one deliberate difference).
    Once built (``build`` returned), a new Variable or sub-layer is ValueError, as Keras 3.
    Deliberate differences from Keras 3 on TF: a raw ``tf.Variable`` attribute is not tracked by
    Keras 3 (gputape has one Variable class and tracks it); Keras 3's ``variables`` also lists
    seed-generator state (gputape's ``Dropout`` has none), so here ``variables == weights``; on the
    first call of a layer without its own ``build``, Keras 3 runs ``call`` once symbolically
    (training=None) to build sub-layers -- gputape runs it once, for real.

    ``trainable = False`` freezes the layer: its trainable-tracked Variables and those of every
    sub-layer report ``trainable=False`` and leave ``trainable_weights`` (a GradientTape still
    watches them, as TF does); ``trainable = True`` unfreezes all of them (Keras 3's setter).
    """
    _min_ndim = None                  # Keras InputSpec(min_ndim=...)
    _input_shape_arg = None

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
        self.dtype = _layer_dtype(dtype, type(self).__name__)
        self.autocast = bool(autocast)

    # ------------------------------------------------------------ tracking
    def _tr(self):
        t = self.__dict__.get("_tracker")
        if t is None:
            t = _Tracker(self)
            object.__setattr__(self, "_tracker", t)
            object.__setattr__(self, "_losses", [])
        return t

    def __setattr__(self, name, value):
        if name != "_tracker":
            value = self._tr().track(value)
        object.__setattr__(self, name, value)
        if name == "built" and value is True and _module._pending_restores:
            _module.state_created(self)         # a checkpoint restore may be waiting for these weights

    def __init_subclass__(cls, **kwargs):
        """Wrap a subclass's own ``build`` so that, when the outermost ``build`` returns, the layer
        is ``built`` and its state locked (Keras 3's build wrapper; ``super().build`` chains count once)."""
        super().__init_subclass__(**kwargs)
        c = cls.__dict__.get("__call__")
        if c is not None and not getattr(c, "_routes_keras_tensors", False):
            @functools.wraps(c)
            def __call__(self, *args, **kw):
                # a subclass's own __call__ (which may convert its arguments first) still builds a
                # functional graph when given KerasTensors
                if args and _functional.has_keras_tensor(args, kw):
                    return _functional.symbolic_call(self, args[0], args[1:], kw)
                return c(self, *args, **kw)
            __call__._routes_keras_tensors = True
            cls.__call__ = __call__
        b = cls.__dict__.get("build")
        if b is None or getattr(b, "_locks_state", False):
            return

        @functools.wraps(b)
        def build(self, *args, **kw):
            depth = self.__dict__.get("_build_depth", 0)
            object.__setattr__(self, "_build_depth", depth + 1)
            try:
                out = b(self, *args, **kw)
            finally:
                object.__setattr__(self, "_build_depth", depth)
            if depth == 0:
                self.built = True
                self._lock_state()
            return out
        build._locks_state = True
        cls.build = build

    def _lock_state(self):
        """No new Variables or sub-layers from now on (Keras 3 ``_lock_state``, after ``build``)."""
        self._tr().locked = True

    def _module_children(self):
        """Walk order for ``gputape.module.walk``: own Variables (trainable-tracked first), then sub-layers."""
        t = self._tr()
        return t.trainable_vars + t.non_trainable_vars + t.layers

    @property
    def name(self):
        return self.__dict__.get("_name")

    @name.setter
    def name(self, value):
        object.__setattr__(self, "_name", value)

    @property
    def _scope_name(self):
        return self.name + "/"

    @property
    def trainable(self):
        """Whether the layer trains; setting it (a bool) freezes or unfreezes its trainable-tracked
        Variables and every sub-layer, as Keras 3."""
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        object.__setattr__(self, "_trainable", value)
        _GEN[0] += 1
        t = self._tr()
        for v in t.trainable_vars:
            v._frozen = not value
        for l in t.layers:
            if isinstance(l, Layer):
                l.trainable = value

    @property
    def weights(self):
        """Own Variables (trainable-tracked, then the others), then each tracked sub-layer's
        ``weights`` in tracking order (a held ``gputape.Module``: its ``variables``), each Variable
        once at its first place -- Keras 3's recursion exactly (a layer reachable both directly and
        through a sub-layer is listed where the first of them puts it).  A cycle of layers stops."""
        t = self.__dict__.get("_tracker")
        if t is not None and not t.layers:
            # no sub-layers: the own Variables, tracked once each (the tracker's ids), nothing to recurse into
            return t.trainable_vars + t.non_trainable_vars
        busy = _naming._state.__dict__.setdefault("weights_busy", set())
        if id(self) in busy:
            return []
        busy.add(id(self))
        try:
            t = self._tr()
            out, seen = [], set()
            for group in [t.trainable_vars + t.non_trainable_vars] + [
                    l.weights if isinstance(l, Layer) else l.variables for l in t.layers]:
                for w in group:
                    if id(w) not in seen:
                        seen.add(id(w))
                        out.append(w)
            return out
        finally:
            busy.discard(id(self))

    def _flatten_layers(self):
        """Every sub-layer once, in Keras 3's ``_flatten_layers`` order (a deque: pop left, push the
        popped layer's sub-layers on the left)."""
        import collections
        out, seen = [], set()
        dq = collections.deque(l for l in self._tr().layers if isinstance(l, Layer))
        while dq:
            l = dq.popleft()
            if id(l) in seen:
                continue
            seen.add(id(l))
            out.append(l)
            dq.extendleft(s for s in l._tr().layers if isinstance(s, Layer))
        return out

    @property
    def variables(self):
        """Same as ``weights`` (gputape layers hold no seed-generator or metric state)."""
        return self.weights

    @property
    def trainable_weights(self):
        """The trainable Variables of ``weights`` (none when the layer is frozen).  Remembered until
        anything tracked, untracked or frozen anywhere changes (``_GEN``), for layer trees whose
        ``weights``/``trainable`` are Layer's own and that hold no plain ``gputape.Module``."""
        t = self.__dict__.get("_tracker")
        if t is not None:
            c = t.tw
            if c is not None and c[0] == _GEN[0]:
                return list(c[1])
        gen = _GEN[0]
        out = [v for v in self.weights if v.trainable] if self.trainable else []
        if t is not None and _GEN[0] == gen and _plain_tree(self):
            t.tw = (gen, tuple(out))
        return out

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def submodules(self):
        return tuple(_module.walk(self, _module._is_module))

    @property
    def _layers(self):
        return list(self._tr().layers)

    @property
    def output(self):
        """The KerasTensor(s) this layer gave when called once in a functional graph (Keras 3)."""
        return _functional.node_output(self, "output")

    @property
    def input(self):
        """The KerasTensor(s) this layer was called on once in a functional graph (Keras 3)."""
        return _functional.node_output(self, "input")

    # ------------------------------------------------------------ losses
    def add_loss(self, loss):
        """Record a scalar loss tensor (or a nested list of them); ``losses`` returns them until the
        next outermost call clears them, as Keras 3.  A non-tensor is ValueError (Keras 3's message)."""
        from .. import nest as _nest
        for x in _nest.flatten(loss):
            if not isinstance(x, _Base):
                raise ValueError(f"`add_loss()` can only be called from inside `build()` or `call()`, on a tensor "
                                 f"input. Received invalid value: {x}")
        self._tr()
        self._losses.extend(_nest.flatten(loss))
        _LOSS_HOLDERS.add(self)

    @property
    def losses(self):
        """This layer's ``add_loss`` tensors, then each sub-layer's in ``_flatten_layers`` order, then the
        weight regularizers' penalties over ``trainable_weights`` (computed now), as Keras 3."""
        self._tr()
        out = list(self._losses)
        for l in self._flatten_layers():
            out.extend(l.__dict__.get("_losses", ()))
        out.extend(v.regularizer(v) for v in self.trainable_weights if v.regularizer is not None)
        return out

    def _clear_losses(self):
        self._tr()
        self._losses.clear()
        _LOSS_HOLDERS.discard(self)
        for l in self._flatten_layers():
            if "_losses" in l.__dict__:
                l._losses.clear()
                _LOSS_HOLDERS.discard(l)

    # ------------------------------------------------------------ weights
    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False, name=None):
        """A Variable owned by this layer, named ``<outer layers>/<layer>/<name>`` (Keras 3's signature:
        up to ``shape, initializer, dtype`` positionally, ``name`` by keyword only).  The default
        initializer is glorot_uniform for floats, zeros otherwise; ``regularizer`` (its penalty on
        the weight joins ``losses`` while the weight is trainable) and ``constraint`` (applied by the
        optimizers after each step) as Keras 3; ``overwrite_with_gradient`` raises
        NotImplementedError; ``aggregation`` is accepted (one replica: nothing to aggregate);
        ``autocast`` has no effect without mixed precision.  Created in a frozen layer, the Variable
        starts frozen (Keras 3)."""
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
        _not_implemented(f"{type(self).__name__}.add_weight", overwrite_with_gradient=overwrite_with_gradient or None)
        from . import regularizers as _reg, constraints as _con
        regularizer, constraint = _reg.get(regularizer), _con.get(constraint)
        if aggregation not in ("none", None, "mean", "sum", "only_first_replica"):
            raise ValueError(f"Invalid value for argument `aggregation`. Expected one of `None`, `'none'`, `'mean'`, "
                             f"`'sum'`, `'only_first_replica'`. Received: aggregation={aggregation}")
        dtype = _layer_dtype(dtype, type(self).__name__) if dtype is not None else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        init = _init.get(initializer)
        name = name if name is not None else _naming.auto_name("Variable")
        path = "/".join(_naming.scope() + [self.name, name])   # 'sequential/dense/kernel' inside a Sequential
        v = Variable(init(tuple(() if shape is None else shape), dtype=dtype), trainable=trainable, name=path,
                     constraint=constraint)
        v.regularizer = regularizer
        self._tr().track(v)
        return v

    def get_weights(self):
        """The values of ``weights`` as NumPy arrays, in ``weights`` order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Assign ``weights`` (arrays, in ``layer.weights`` order); ValueError as Keras 3 when the
        count or a shape differs, raised before anything is assigned (Keras 3 assigns the weights
        before the mismatching one first; deliberate difference)."""
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
        """The number of scalars in ``weights``; ValueError (Keras 3's) before the layer is built."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                             f"You can build it manually via: `layer.build(input_shape)`.")
        return int(sum(np.prod(v.shape) for v in self.weights))

    # ------------------------------------------------------------ config
    def get_config(self):
        """Keras 3.15's base config: ``name``, ``trainable`` and ``dtype`` as a DTypePolicy dict;
        the built-in layers add their constructor arguments under Keras 3's keys and values
        (tuples as Keras: ``kernel_size=(3, 3)``; initializers as Keras's serialized dicts;
        activations by name).  Not recorded: Keras's ``build_config`` (gputape rebuilds on first
        call or through ``Sequential``'s input shape).  A layer subclass with its own constructor
        arguments must override ``get_config`` (Keras 3 raises NotImplementedError too)."""
        return {"name": self.name, "trainable": self.trainable,
                "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": self.dtype},
                          "registered_name": None}}

    @classmethod
    def from_config(cls, config):
        """``cls(**config)`` (a DTypePolicy dict given as ``dtype`` read back as its name; serialized
        initializers accepted), as Keras 3.  A key the class does not know is TypeError("Error when
        deserializing class ..."), as Keras 3; a known key with a value gputape does not implement
        raises the constructor's NotImplementedError naming it."""
        config = dict(config)
        dtype = config.get("dtype")
        if isinstance(dtype, dict):
            if dtype.get("class_name") != "DTypePolicy":
                raise NotImplementedError(f"{cls.__name__}.from_config: dtype policy {dtype!r} is not implemented "
                                          f"in gputape")
            config["dtype"] = dtype["config"]["name"]
        try:
            return cls(**config)
        except NotImplementedError:
            raise
        except Exception as e:
            raise TypeError(f"Error when deserializing class '{cls.__name__}' using config={config}.\n\n"
                            f"Exception encountered: {e}") from e

    def _activation_name(self, fn):
        name = _act.name_of(fn)
        if name is None:
            raise NotImplementedError(f"{type(self).__name__}.get_config: a custom activation {fn!r} is not "
                                      f"serializable in gputape (only the built-in activations by name)")
        return name

    # ------------------------------------------------------------ calling
    def build(self, input_shape):
        """Create the layer's weights for inputs of ``input_shape``; then the layer is ``built`` and
        its state locked (a subclass's own ``build`` is wrapped to do the same)."""
        self.built = True
        if self.__dict__.get("_build_depth", 0) == 0:
            self._lock_state()

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` method implemented.")

    def _check_input(self, inputs):
        if self._min_ndim is not None and inputs.ndim < self._min_ndim:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                             f"min_ndim={self._min_ndim}, found ndim={inputs.ndim}. Full shape received: "
                             f"{tuple(inputs.shape)}")

    def _convert(self, x):
        if not isinstance(x, _Base):
            x = convert_to_tensor(x)            # an array keeps its dtype (Keras 3: no dtype hint)
        if self.autocast:
            d = x._v.dtype                      # x.dtype.is_floating / .name, without the DType object
            if d.kind == "f" and _dtype_name(d) != self.dtype:
                x = _ops.cast(x, self.dtype)
        return x

    def _convert_nested(self, x):
        """Arrays and tensors in ``x`` (nested lists/tuples/dicts) as tensors, floats autocast."""
        if isinstance(x, _Base) or _is_array(x):
            return self._convert(x)
        if isinstance(x, dict):
            return {k: self._convert_nested(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            items = [self._convert_nested(v) for v in x]
            return tuple(items) if isinstance(x, tuple) else items
        return x

    def __call__(self, inputs, *args, **kwargs):
        """``call(inputs, *args, **kwargs)`` after building, as Keras 3's ``Layer.__call__``.

        Positional arguments must be tensors, arrays or None, nested in lists/tuples/dicts (a
        Python number or list, or a flag, is ValueError, as Keras 3); arrays in any argument become
        tensors and floating tensors are cast to ``dtype`` when ``autocast``.  ``build`` runs
        once, given the shape(s) of the first argument.  ``training``: an explicit value wins, else
        the enclosing layer call's, else the default of ``call``'s ``training`` parameter; it is
        passed only when ``call`` has that parameter (and then becomes the enclosing value for layers
        called inside).  Any other keyword (``mask=`` included) goes to ``call`` unchanged, so a
        ``call`` without it raises Python's TypeError, as Keras 3.  The outermost call clears the
        ``losses`` of every layer it contains first."""
        if not isinstance(inputs, _Base) and (_has_input_spec(inputs) or any(_has_input_spec(a) for a in args)
                                              or any(_has_input_spec(v) for v in kwargs.values())):
            return _functional.symbolic_call(self, inputs, args, kwargs)     # builds a functional-API graph
        if isinstance(inputs, _Base):                       # the common case: one tensor
            inputs = self._convert(inputs)
            mn = self._min_ndim
            if mn is not None and inputs._v.ndim < mn:
                self._check_input(inputs)
        else:
            _check_positional((inputs,))
            inputs = self._convert_nested(inputs)
            if isinstance(inputs, _Base):
                self._check_input(inputs)
        if args:
            _check_positional(args)
            args = tuple(self._convert_nested(a) for a in args)
        if kwargs:
            for k, v in kwargs.items():        # a fresh dict (**kwargs): values replaced in place
                if not (v is None or isinstance(v, (bool, str))):
                    kwargs[k] = self._convert_nested(v)
        ctx = _call_context()
        entry = ctx is None
        if entry:
            ctx = _CallContext(self)
            _naming._state.call_context = ctx
        try:
            takes, pos, default = _call_info(type(self))
            positional = pos is not None and len(args) > pos
            training = args[pos] if positional else kwargs.pop("training", None)
            if training is None:
                training = ctx.training
                if training is None:
                    training = default
            ctx.training = training
            if positional:
                args = args[:pos] + (training,) + args[pos + 1:]
            elif training is not None and takes:
                kwargs["training"] = training
            if entry and _LOSS_HOLDERS:
                self._clear_losses()
            if not self.built:
                shapes = _shapes(inputs)
                self.build(shapes)
                self.built = True
                self._lock_state()
                object.__setattr__(self, "_build_shapes", shapes)     # for Model.summary (Keras 3 keeps them too)
            scope = _naming.scope()
            scope.append(self.name)
            try:
                return self.call(inputs, *args, **kwargs)
            finally:
                scope.pop()
        finally:
            if entry:
                _naming._state.call_context = None


_WEIGHTS_PROP = Layer.__dict__["weights"]
_TRAINABLE_PROP = Layer.__dict__["trainable"]


def _plain_tree(layer):
    """Whether ``layer`` and every layer under it use Layer's ``weights``/``trainable`` and hold only
    Layers (a plain ``gputape.Module``'s variables change without its owner's tracker knowing)."""
    seen, todo = set(), [layer]
    while todo:
        l = todo.pop()
        if id(l) in seen:
            continue
        seen.add(id(l))
        cls = type(l)
        if not isinstance(l, Layer) or cls.weights is not _WEIGHTS_PROP or \
                getattr(cls, "trainable", None) is not _TRAINABLE_PROP:
            return False
        todo.extend(l._tr().layers)
    return True


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; bias and a relu/tanh/sigmoid activation run as one fused op.

    Inputs need at least 2 dimensions (ValueError as Keras's input spec).  ``units`` must be a
    positive Python int (Keras 3: ``Dense(2.5)`` is ValueError).  Regularizers and constraints go
    to ``add_weight`` (``losses``; applied after each optimizer step); LoRA and quantization raise
    NotImplementedError when given.

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
        self.kernel_regularizer = get_regularizer(kernel_regularizer, "Dense", "kernel_regularizer")
        self.bias_regularizer = get_regularizer(bias_regularizer, "Dense", "bias_regularizer")
        self.kernel_constraint = get_constraint(kernel_constraint, "Dense", "kernel_constraint")
        self.bias_constraint = get_constraint(bias_constraint, "Dense", "bias_constraint")
        _not_implemented("Dense", lora_rank=lora_rank, lora_alpha=lora_alpha,
                         quantization_config=quantization_config)
        self.units = int(units)
        self.activation = _act.get(activation)
        self._fused = _act.name_of(self.activation) if _act.name_of(self.activation) in (
            "relu", "tanh", "sigmoid", "linear") else None
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = _init.get(kernel_initializer), _init.get(bias_initializer)
        self.kernel = self.bias = None

    def get_config(self):
        """Keras 3.15's Dense config (``lora_rank``/``lora_alpha`` appear there only when set: never here)."""
        return dict(super().get_config(), units=self.units, activation=self._activation_name(self.activation),
                    use_bias=self.use_bias, kernel_initializer=_init.serialize(self.kernel_initializer, "Dense"),
                    bias_initializer=_init.serialize(self.bias_initializer, "Dense"),
                    kernel_regularizer=serialize_regularizer(self.kernel_regularizer, "Dense"),
                    bias_regularizer=serialize_regularizer(self.bias_regularizer, "Dense"),
                    kernel_constraint=serialize_constraint(self.kernel_constraint, "Dense"),
                    bias_constraint=serialize_constraint(self.bias_constraint, "Dense"), quantization_config=None)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                             f"min_ndim=2 and a known last dimension, got shape {tuple(input_shape)}")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        kernel, bias = self.kernel, self.bias
        if type(inputs) is Tensor and type(kernel) is Variable:
            # the usual call: a 2-D input of the kernel's dtype and width (the checks below, on the arrays)
            xv, kv = inputs._v, kernel._v
            if xv.ndim == 2 and xv.shape[-1] == kv.shape[0] and xv.dtype == kv.dtype:
                z = _matmul(inputs, kernel, ta=False, tb=False)
                if self.use_bias and self._fused is not None:
                    return _ops.bias_act(z, bias, activation=self._fused)
                if self.use_bias:
                    z = _ops.bias_act(z, bias, activation="linear")
                return self.activation(z)
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


class Flatten(Layer):
    """[batch, ...] -> [batch, prod(...)]; ``data_format='channels_first'`` moves channels last first."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                             f"Received: data_format={data_format}")
        self.data_format = data_format or "channels_last"

    def get_config(self):
        return dict(super().get_config(), data_format=self.data_format)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 1:
            inputs = _ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        rest = int(np.prod(inputs.shape[1:])) if inputs.ndim > 1 else 1
        return _ops.reshape(inputs, (inputs.shape[0], rest))


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _act.get(activation)

    def get_config(self):
        return dict(super().get_config(), activation=self._activation_name(self.activation))

    def call(self, inputs):
        return self.activation(inputs)


# ---------------------------------------------------------------- convolution, pooling, dropout
def _is_int(e):
    return isinstance(e, (int, np.integer)) and not isinstance(e, bool)


def _keras_shape(shape):
    """``shape`` as a tuple of ints and Nones, as Keras 3's ``standardize_shape`` (its ValueErrors)."""
    if not isinstance(shape, tuple):
        if shape is None:
            raise ValueError("Undefined shapes are not supported.")
        if not hasattr(shape, "__iter__"):
            raise ValueError(f"Cannot convert '{shape}' to a shape.")
        shape = tuple(shape)
    for e in shape:
        if e is None:
            continue
        if not _is_int(e):
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid dimension '{e}' of type "
                             f"'{type(e)}'.")
        if e < 0:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Negative dimensions are not allowed.")
    return tuple(None if e is None else int(e) for e in shape)


# Conv2D and MaxPooling2D live in layers_conv.py (with Conv1D and the other pooling layers), exported below.


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
        if seed is not None and not _is_int(seed):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.rate, self.seed = float(rate), seed
        self.noise_shape = self._validate_noise_shape(noise_shape)
        self._rng = None

    def get_config(self):
        return dict(super().get_config(), rate=self.rate, seed=self.seed, noise_shape=self.noise_shape)

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
        # the comparison as an op (same values as NumPy's >=), so gputape.function records it (replay.py)
        keep = _ops.greater_equal(convert_to_tensor(self._uniform(shape)), np.float32(self.rate))
        if shape != tuple(inputs.shape):
            keep = _ops.broadcast_to(keep, tuple(inputs.shape))
        scaled = _ops.multiply(inputs, 1.0 / (1.0 - self.rate))
        return _ops.where(keep, scaled, _ops.zeros_like(inputs))


# ---------------------------------------------------------------- the functional API (keras.Input, InputLayer)
from . import functional as _functional  # noqa: E402  (functional builds on Layer, defined above)
from .functional import Input, InputLayer, KerasTensor  # noqa: E402,F401
_InputSpec = KerasTensor

# ---------------------------------------------------------------- issue 8's layers (one file per family)
from .layers_core import (Embedding, GaussianNoise, Lambda, LeakyReLU, Permute, ReLU,  # noqa: E402,F401
                          RepeatVector, Rescaling, Reshape, Softmax, SpatialDropout2D)
from .layers_conv import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, Conv1D,  # noqa: E402,F401
                          Conv2D, Convolution1D, Convolution2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                          GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPooling1D,
                          GlobalMaxPooling2D, MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D, UpSampling2D,
                          ZeroPadding2D)
from .layers_norm import BatchNormalization, LayerNormalization, Normalization  # noqa: E402,F401
from .layers_merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,  # noqa: E402,F401
                           Subtract)
# recurrent layers (gputape/keras/layers_rnn.py)
from .layers_rnn import (RNN, SimpleRNN, LSTM, GRU, SimpleRNNCell, LSTMCell, GRUCell,  # noqa: E402,F401
                         Bidirectional, TimeDistributed)
from .layers_attention import MultiHeadAttention  # noqa: E402,F401
