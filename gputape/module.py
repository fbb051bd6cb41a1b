"""``gputape.Module`` (``tf.Module``): a container that finds the Variables and sub-Modules it holds.

Tracking is by walking, as TF 2.21's ``tf.Module``: every access to ``variables``,
``trainable_variables`` or ``submodules`` walks the module's attributes (``vars(self)``) in
sorted attribute-name order; inside an attribute, lists and tuples are walked in order and
dicts in sorted key order (TF's ``nest``; a dict whose keys cannot be sorted is ValueError,
"Error processing property ..."), to any depth.  All of a module's own leaves come first, then
each sub-module found, depth first, in the order found; an object met twice (a shared Variable or
Module) is listed once, at its first place; cycles end.  Results are tuples, as TF.

    >>> class Net(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = Variable(1.0, name="w")
    ...         self.blocks = [Module(name="b0")]
    >>> Net().name, [v.name for v in Net().variables]
    ('net', ['w:0'])

A Keras ``Layer`` (a ``Module`` subclass here) held by a Module is walked in Keras's order (its
own weights, trainable first, then its tracked sub-layers).  Deliberate difference from TF 2.21 +
Keras 3: there, a Keras 3 layer is not a ``tf.Module``, so a ``tf.Module`` holding a Keras
layer reports none of its variables (recorded in ``tests/tf_fixtures/module.json``, case
``module_holding_keras_layer``); gputape lists them rather than drop them silently.
"""
import re
import threading
import weakref

from .state import state as _state
from .tensor import Variable

_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_scope_counts = threading.local()


def _camel_to_snake(name):
    """TF's rule for a default module name: 'MyModule' -> 'my_module', 'MLP' -> 'mlp'."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z\d])([A-Z])", r"\1_\2", s).lower()


class NameScope:
    """The object behind ``Module.name_scope``: ``.name`` is the scope string ('outer/net/');
    ``with`` it, Variables and Modules created get that prefix on their names, as TF eager."""

    def __init__(self, name):
        self.name = name
        self._saved = []

    def __enter__(self):
        self._saved.append(_state.name_scope)
        _state.name_scope = self.name
        return self.name

    def __exit__(self, *exc):
        _state.name_scope = self._saved.pop()
        return False

    def __repr__(self):
        return f"<NameScope {self.name!r}>"


def _leaves(value, key, owner):
    """The leaves of one attribute value: lists/tuples in order, dicts by sorted key (TF's nest)."""
    if isinstance(value, dict):
        try:
            keys = sorted(value)
        except TypeError:
            raise ValueError(f"Error processing property {key!r} of {value!r}") from None
        for k in keys:
            yield from _leaves(value[k], key, owner)
    elif isinstance(value, (list, tuple)):
        for e in value:
            yield from _leaves(e, key, owner)
    else:
        yield value


def _children(module):
    """A node's direct leaves, in walk order: a Module's attributes by sorted name; a Keras Layer's
    tracked weights (trainable-tracked first) then its tracked sub-layers."""
    own = getattr(module, "_module_children", None)
    if own is not None:
        yield from own()
        return
    d = vars(module)
    for key in sorted(d):
        yield from _leaves(d[key], key, module)


def walk(module, predicate, recursive=True):
    """Objects reachable from ``module`` satisfying ``predicate``, in TF's ``Module._flatten`` order:
    the node's own leaves, then each sub-module depth first; each object once."""
    seen = {id(module)}
    out = []

    def visit(node):
        subs = []
        for leaf in _children(node):
            if id(leaf) in seen:
                continue
            seen.add(id(leaf))
            if predicate(leaf):
                out.append(leaf)
            if recursive and isinstance(leaf, Module):
                subs.append(leaf)
        for s in subs:
            visit(s)

    visit(module)
    return out


# Deferred restores (gputape.train): object -> callbacks to run when it has created new state (a
# Layer's build returned, an optimizer built its slots, a Module attribute was set).  Weak keys: a
# restore waiting for an object that is gone waits no more.
_pending_restores = weakref.WeakKeyDictionary()


def state_created(obj):
    """Tell pending checkpoint restores that ``obj`` may hold new Variables now."""
    callbacks = _pending_restores.get(obj)
    if callbacks:
        for cb in list(callbacks):
            cb(obj)


def _is_variable(x):
    return isinstance(x, Variable)


def _is_trainable_variable(x):
    return isinstance(x, Variable) and x.trainable


def _is_module(x):
    return isinstance(x, Module)


class Module:
    """``tf.Module(name=None)``: ``name`` a valid Python identifier (else ValueError as TF), by
    default the class name in snake case; ``name_scope`` is ``<enclosing scope><name>/``."""

    def __init__(self, name=None):
        if name is None:
            name = _camel_to_snake(type(self).__name__)
        elif not isinstance(name, str) or not _VALID_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid Python "
                             f"identifiers (e.g. a valid class name).")
        self._name = name
        self._scope_name = _state.name_scope + name + "/"

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if _pending_restores and isinstance(value, (Variable, Module, list, tuple, dict)):
            state_created(self)

    @property
    def name(self):
        """The module's name (read-only, as TF)."""
        return self._name

    @property
    def name_scope(self):
        """A context manager whose ``.name`` is this module's scope ('outer/my_module/')."""
        return NameScope(self._scope_name)

    @property
    def variables(self):
        """Every Variable reachable from this module (tuple; TF's order, see the module docstring)."""
        return tuple(walk(self, _is_variable))

    @property
    def trainable_variables(self):
        """The reachable Variables whose ``trainable`` is True (tuple, same order as ``variables``)."""
        return tuple(walk(self, _is_trainable_variable))

    @property
    def non_trainable_variables(self):
        return tuple(walk(self, lambda x: isinstance(x, Variable) and not x.trainable))

    @property
    def submodules(self):
        """Every Module reachable from this one, excluding itself (tuple, depth first)."""
        return tuple(walk(self, _is_module))

    @classmethod
    def with_name_scope(cls, method):
        """Decorator: run ``method`` inside ``self.name_scope`` (TF's ``Module.with_name_scope``)."""
        import functools

        @functools.wraps(method)
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return wrapped

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object named {self.name!r}>"
