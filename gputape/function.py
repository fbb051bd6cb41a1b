"""``gputape.function``: tf.function's tracing, with the traced call replayed on arrays (issue 12).

The first call for an input signature runs the Python function eagerly while ``gputape.replay``
records the flat program of primitive computations it performs (forward ops, the backward sweep of
the tapes inside it, optimizer steps, Variable assignments, random draws, ``tf.print``) over array
slots.  Later calls with the same signature (the exact shapes, dtypes and Python values) replay that
program on the new arguments' arrays: no Tensor objects, no tape bookkeeping, no Python body -- so
Python side effects (``print``) happen at trace time only, as in TF, while ``tf.print`` prints on
every call.  Replays read Variables' current buffers, draw new random numbers from the same streams
as eager calls, and give results bit-equal to eager calls.  On CuPy the first replay captures the
program's runs of ops as CUDA graphs (``gputape.cuda_graph``).  ``jit_compile=True`` is accepted and
means the same replay (nothing is compiled further).

A signature whose trace cannot be replayed exactly -- a host read of a traced value (``.numpy()``,
``float()``, ``if`` on a tensor), an op with a data-dependent output shape, a value computed by a path
the recorder does not see, an unrecorded Variable write (see ``gputape.replay``) -- runs eagerly on
every call, with one warning naming the reason and the line.  A call made while a GradientTape (or
another recorder, or check_numerics) is active runs eagerly too, so that the outer tape sees its ops.
A call that created Variables is not replayed next time (the body runs again and may fail with TF's
"singleton" ValueError, as below); a tensor captured from outside the function is confirmed as a
constant by the second call, which also runs the body.  ``REPLAY = False`` in this module
(``sys.modules["gputape.function"]``) turns replay off.

What is kept from tf.function is everything a
TensorFlow program can observe about tracing:

- one trace per input signature: shapes and dtypes of tensor arguments (Variables and numpy arrays
  count as tensors), Python values of the other arguments, so three float learning rates give three
  traces and one tensor learning rate gives one;
- ``input_signature`` (arguments are checked and converted; one trace) and ``reduce_retracing``
  (the second shape seen for an argument relaxes it to ``None``);
- ``experimental_get_tracing_count()``, ``trace_count``, ``pretty_printed_concrete_signatures()``;
- Variables may be created on the first call only; a later call that creates one raises TF's
  ValueError (checked when a call that runs the body returns).  Only
  Variables made by the calling thread count (a per-thread count, ``gputape.state``), so other threads
  creating Variables meanwhile never make a call fail; calls that started before any call finished
  are all first calls.
- The retracing warning, by TF 2.21's rule: when 5 (``FREQUENT_TRACING_WARNING_THRESHOLD``) of the last
  10 or so calls (``FREQUENT_TRACING_WARNING_MAX_CALL_HISTORY``) traced, TF's text is logged with
  ``logging.getLogger("gputape").warning``, at most twice (``..._MAX_WARNING_PER_DETECTOR``) per Python
  function: the count is kept per code object, so ``gputape.function`` made anew in a loop around one
  Python function warns too.

Deliberate difference: the traces are an LRU cache of at most ``MAX_TRACES`` (256) per function
(TensorFlow keeps every trace forever, so a new Python float per call grows memory without end).
A call whose trace was evicted traces again (``experimental_get_tracing_count()`` counts every trace
ever made, as TF's; ``trace_count`` and ``pretty_printed_concrete_signatures()`` show the traces kept).
A trace record here holds the key (shapes, dtypes, Python values), the argument names and a short
description of the outputs: no tensors.
"""
import collections
import functools
import inspect
import logging
import threading
import weakref

import warnings

import numpy as np

from . import backend as _b
from . import nest as _nest
from . import op as _op
from . import replay as _replay
from .dtypes import as_dtype, float32
from .state import state as _state
from .tensor import Tensor, Variable, TensorShape, _Base, convert_to_tensor


class TensorSpec:
    """The shape (``None`` for unknown dimensions or rank) and dtype a tensor argument must have.

    >>> TensorSpec([None, 3], gputape.float32)
    TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)
    """
    __slots__ = ("_dims", "dtype", "name")

    def __init__(self, shape, dtype=float32, name=None):
        self._dims = None if shape is None else tuple(None if d is None else int(d) for d in shape)
        self.dtype = as_dtype(dtype)
        self.name = name

    @property
    def shape(self):
        return TensorShape(self._dims) if self._dims is not None else _UNKNOWN_RANK

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tuple(tensor.shape), tensor.dtype, name)

    def is_compatible_with(self, value):
        """True for a spec or tensor whose dtype matches and whose shape fits this one."""
        if isinstance(value, TensorSpec):
            dims, dtype = value._dims, value.dtype
        else:
            dims, dtype = tuple(value.shape), as_dtype(value.dtype)
        return dtype == self.dtype and _dims_fit(self._dims, dims)

    def __repr__(self):
        shape = "None" if self._dims is None else _dims_str(self._dims)
        return f"TensorSpec(shape={shape}, dtype={self.dtype!r}, name={self.name!r})"

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self._dims == other._dims and self.dtype == other.dtype
                and self.name == other.name)

    def __hash__(self):
        return hash((self._dims, self.dtype.name, self.name))


class _UnknownRank(tuple):
    """TensorShape(None): a shape of unknown rank."""
    rank = ndims = None

    def __repr__(self):
        return "TensorShape(None)"

    __str__ = lambda self: "<unknown>"  # noqa: E731


_UNKNOWN_RANK = _UnknownRank()


def _dims_str(dims):
    return "(" + ", ".join("None" if d is None else str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _dims_fit(spec_dims, dims):
    if spec_dims is None:
        return True
    if dims is None or len(dims) != len(spec_dims):
        return False
    return all(a is None or a == b for a, b in zip(spec_dims, dims))


# ---------------------------------------------------------------- trace keys
class _Leaf(tuple):
    """A tensor-like argument in a trace key: (kind, dims or None, dtype name)."""
    __slots__ = ()

    def __new__(cls, kind, dims, dtype):
        return super().__new__(cls, (kind, dims, dtype))

    kind = property(lambda self: self[0])
    dims = property(lambda self: self[1])
    dtype = property(lambda self: self[2])

    def spec(self):
        return TensorSpec(self.dims, self.dtype)


_LITERALS = (type(None), bool, int, float, complex, str, bytes)
_new_leaf = tuple.__new__           # _Leaf(kind, dims, dtype) without its Python-level __new__


_DTNAMES = {}


def _dtname(d):
    """``d.name`` (NumPy computes it on every access), cached per dtype."""
    n = _DTNAMES.get(d)
    if n is None:
        n = _DTNAMES[d] = d.name
    return n


def _encode(value):
    """A hashable key for one argument: tensors by shape and dtype, Python values by value."""
    if type(value) is Tensor:            # the usual argument, first (as the _Base branch below)
        v = value._v
        return _new_leaf(_Leaf, ("tensor", tuple(v.shape), _dtname(v.dtype)))
    if isinstance(value, Variable):
        return _Leaf("variable", tuple(value._v.shape), _dtname(value._v.dtype))
    if isinstance(value, _Base):
        return _Leaf("tensor", tuple(value._v.shape), _dtname(value._v.dtype))
    if isinstance(value, np.ndarray):
        return _Leaf("tensor", tuple(value.shape), value.dtype.name)
    if isinstance(value, TensorSpec):
        return _Leaf("tensor", value._dims, value.dtype.name)
    if isinstance(value, _LITERALS) or isinstance(value, np.generic):
        return ("value", type(value).__name__, value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return ("namedtuple", type(value), tuple(_encode(v) for v in value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_encode(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted(((repr(k), _encode(v)) for k, v in value.items()), key=lambda kv: kv[0])))
    if isinstance(value, type) or callable(value) and not hasattr(value, "__dict__"):
        try:
            hash(value)
            return ("value", type(value).__name__, value)
        except TypeError:
            pass
    try:
        if type(value).__hash__ is not object.__hash__ and type(value).__eq__ is not object.__eq__:
            hash(value)
            return ("value", type(value).__name__, value)
    except TypeError:
        pass
    return ("object", type(value).__qualname__, id(value))     # other objects: by identity, as TensorFlow


def _fits(spec, key):
    """Whether an argument key ``key`` can use a trace made for ``spec`` (which may hold None dims)."""
    if isinstance(spec, _Leaf):
        return isinstance(key, _Leaf) and spec.dtype == key.dtype and spec.kind == key.kind and \
            _dims_fit(spec.dims, key.dims)
    if isinstance(spec, tuple):
        return isinstance(key, tuple) and not isinstance(key, _Leaf) and len(spec) == len(key) and \
            all(_fits(a, b) for a, b in zip(spec, key))
    return spec == key


def _relax(spec, key):
    """The most specific key that both fit (differing dims become None), or None when they cannot share."""
    if isinstance(spec, _Leaf):
        if not isinstance(key, _Leaf) or spec.dtype != key.dtype or spec.kind != key.kind:
            return None
        if spec.dims is None or key.dims is None or len(spec.dims) != len(key.dims):
            return _Leaf(spec.kind, None, spec.dtype)
        return _Leaf(spec.kind, tuple(a if a == b else None for a, b in zip(spec.dims, key.dims)), spec.dtype)
    if isinstance(spec, tuple):
        if not isinstance(key, tuple) or isinstance(key, _Leaf) or len(spec) != len(key):
            return None
        out = []
        for a, b in zip(spec, key):
            r = _relax(a, b)
            if r is None:
                return None
            out.append(r)
        return tuple(out)
    return spec if spec == key else None


def _has_unknown(key):
    if isinstance(key, _Leaf):
        return key.dims is None or None in key.dims
    return isinstance(key, tuple) and any(_has_unknown(k) for k in key)


def _describe_key(k):
    if isinstance(k, _Leaf):
        return repr(k.spec()) if k.kind == "tensor" else f"VariableSpec{repr(k.spec())[10:]}"
    if isinstance(k, tuple) and k and k[0] == "value":
        r = repr(k[2])
        return r if len(r) < 60 else r[:57] + "..."
    if isinstance(k, tuple) and k and k[0] == "object":
        return f"<{k[1]} object>"
    if isinstance(k, tuple) and k and k[0] in ("list", "tuple"):
        inner = ", ".join(_describe_key(e) for e in k[1])
        return f"[{inner}]" if k[0] == "list" else f"({inner}{',' if len(k[1]) == 1 else ''})"
    if isinstance(k, tuple) and k and k[0] == "namedtuple":
        return f"{k[1].__name__}({', '.join(_describe_key(e) for e in k[2])})"
    if isinstance(k, tuple) and k and k[0] == "dict":
        return "{" + ", ".join(f"{n}: {_describe_key(v)}" for n, v in k[1]) + "}"
    return repr(k)


def _describe_output(out):
    if isinstance(out, Variable):
        return f"VariableSpec{repr(TensorSpec.from_tensor(out))[10:]}"
    if isinstance(out, _Base):
        return repr(TensorSpec.from_tensor(out))
    if isinstance(out, (list, tuple)) and not hasattr(out, "_fields"):
        inner = ", ".join(_describe_output(o) for o in out)
        return f"[{inner}]" if isinstance(out, list) else f"({inner}{',' if len(out) == 1 else ''})"
    if isinstance(out, dict):
        return "{" + ", ".join(f"{k!r}: {_describe_output(v)}" for k, v in out.items()) + "}"
    r = repr(out)
    return r if len(r) < 60 else r[:57] + "..."


# ---------------------------------------------------------------- traces
class _Trace:
    """One input signature this function was traced for, and what the tracing call saw."""
    __slots__ = ("key", "names", "relaxed", "outputs", "ops", "host_reads", "calls", "concrete", "seq", "program",
                 "has_var")

    def __init__(self, key, names, relaxed, seq):
        self.key, self.names, self.relaxed, self.seq = key, names, relaxed, seq
        self.outputs = None           # description of the first call's result
        self.ops = self.host_reads = None
        self.calls = 0
        self.concrete = False         # made by get_concrete_function: not run yet
        self.program = None           # what replays it (replay.Program.describe()) or why it runs eagerly
        self.has_var = None           # whether a Variable is among the arguments (programs keyed by identity)


class _TraceRecorder:
    """The op-dispatch hook (``state.capture``) while a new trace runs: counts ops and host reads."""
    __slots__ = ("ops", "host_reads", "parent")

    def __init__(self, parent):
        self.ops = self.host_reads = 0
        self.parent = parent

    def op(self, op, args, out, params):
        self.ops += 1
        if self.parent is not None:
            self.parent.op(op, args, out, params)

    def host_read(self, tensor):
        self.host_reads += 1
        if self.parent is not None:
            self.parent.host_read(tensor)

    # the other hooks of replay.Recorder: only passed on to an enclosing recorder
    def _forward(name):
        def hook(self, *args):
            if self.parent is not None:
                getattr(self.parent, name)(*args)
        hook.__name__ = name
        return hook

    raw_host_read = _forward("raw_host_read")
    constant = _forward("constant")
    shape_constant = _forward("shape_constant")
    converted = _forward("converted")
    fail = _forward("fail")
    opaque_begin = _forward("opaque_begin")
    opaque_end = _forward("opaque_end")
    guard = _forward("guard")
    del _forward


_SINGLETON = ("tf.function only supports singleton tf.Variables created on the first call. Make sure the "
              "tf.Variable is only created once or created outside tf.function.")
_NON_FIRST = "Creating variables on a non-first call to a function decorated with tf.function."

MAX_TRACES = 256
"""The most traces one Function keeps (least recently used ones are dropped; see the module docstring)."""

REPLAY = True
"""Replay recorded programs (set False to run every call eagerly, as before issue 12)."""
CUDA_GRAPHS = True
"""On CuPy, capture a replayed program's op runs as CUDA graphs (gputape.cuda_graph)."""
_EAGER = object()      # a signature whose program cannot be replayed: it runs eagerly on every call


class _Pending:
    """A recorded signature whose captured arrays of unknown origin are checked on its next call."""
    __slots__ = ("externals",)

    def __init__(self, externals):
        self.externals = externals


def _tensor_args(x):
    """NumPy array arguments become Tensors, as tf.function converts them."""
    if type(x) is np.ndarray:
        return convert_to_tensor(x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*[_tensor_args(e) for e in x])
    if isinstance(x, (list, tuple)):
        return type(x)(_tensor_args(e) for e in x)
    if isinstance(x, dict):
        return type(x)((k, _tensor_args(v)) for k, v in x.items()) if type(x) is not dict else \
            {k: _tensor_args(v) for k, v in x.items()}
    return x


def _has_variable(key):
    if isinstance(key, _Leaf):
        return key.kind == "variable"
    return isinstance(key, tuple) and any(_has_variable(k) for k in key if isinstance(k, tuple))


def _walk_leaves(x, fn):
    if isinstance(x, (_Base, np.ndarray)):
        fn(x)
    elif isinstance(x, (list, tuple)):
        for e in x:
            _walk_leaves(e, fn)
    elif isinstance(x, dict):
        for k in sorted(x, key=repr):
            _walk_leaves(x[k], fn)


def _input_leaves(x):
    out = []
    _walk_leaves(x, out.append)
    return out


def _array_leaves(x, ins, arg_vars):
    """The arrays of tensor arguments (NumPy arrays as they are) and the Variable arguments, in leaf order."""
    def take(e):
        if isinstance(e, Variable):
            arg_vars.append(e)
        elif isinstance(e, _Base):
            ins.append(e._v)
        else:
            ins.append(_b.get_xp().asarray(e))
    _walk_leaves(x, take)


# TF 2.21's frequent-retracing rule (tensorflow/python/eager/polymorphic_function), recorded in
# tests/tf_fixtures/runtime.json
FREQUENT_TRACING_WARNING_MAX_CALL_HISTORY = 10
FREQUENT_TRACING_WARNING_THRESHOLD = 5
FREQUENT_TRACING_WARNING_MAX_WARNING_PER_DETECTOR = 2
_RETRACING = ("{} out of the last {} calls to {} triggered tf.function retracing. Tracing is expensive and the "
              "excessive number of tracings could be due to (1) creating @tf.function repeatedly in a loop, (2) "
              "passing tensors with different shapes, (3) passing Python objects instead of tensors. For (1), "
              "please define your @tf.function outside of the loop. For (2), @tf.function has "
              "reduce_retracing=True option that can avoid unnecessary retracing. For (3), please refer to "
              "https://www.tensorflow.org/guide/function#controlling_retracing and "
              "https://www.tensorflow.org/api_docs/python/tf/function for  more details.")
logger = logging.getLogger("gputape")


class _RetraceDetector:
    """Recent calls of one Python function: a list of runs, each a tracing call and the calls after it
    that did not trace (only the runs within the last ``..._MAX_CALL_HISTORY`` calls are kept)."""
    __slots__ = ("runs", "calls", "warned")

    def __init__(self):
        self.runs = collections.deque()
        self.calls = 0
        self.warned = 0

    def called(self, traced, function):
        if not traced:
            if not self.runs:
                self.runs.append(0)     # a trace made by get_concrete_function: not counted as tracing
            self.runs[-1] += 1
            self.calls += 1
            return
        self.calls += 1
        self.runs.append(1)
        while self.runs and self.calls - self.runs[0] > FREQUENT_TRACING_WARNING_MAX_CALL_HISTORY:
            self.calls -= self.runs.popleft()
        if self.warned < FREQUENT_TRACING_WARNING_MAX_WARNING_PER_DETECTOR and \
                len(self.runs) >= FREQUENT_TRACING_WARNING_THRESHOLD:
            self.warned += 1
            logger.warning(_RETRACING.format(len(self.runs), self.calls, function))


_detectors = weakref.WeakKeyDictionary()   # code object (or the Function) -> _RetraceDetector
_detectors_lock = threading.Lock()


def _detector_key(fn, function):
    """As TF: the code object of the innermost wrapped function, so that functions made anew in a loop
    around one Python function share their count."""
    while True:
        if hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        elif isinstance(fn, functools.partial):
            fn = fn.func
        else:
            break
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    return code if code is not None else function


def _note_call(function, traced):
    with _detectors_lock:
        det = function._detector        # the detector of its code object (kept alive by the Function)
        if det is None:
            key = function._stats_key
            det = _detectors.get(key)
            if det is None:
                det = _detectors[key] = _RetraceDetector()
            function._detector = det
        det.called(traced, function._python_function)


class Function:
    """A callable with tf.function's tracing bookkeeping that traces its Python function once per input
    signature and replays the recorded program afterwards (see the module docstring)."""

    def __init__(self, python_function, input_signature=None, autograph=True, jit_compile=None,
                 reduce_retracing=False, name=None):
        if not callable(python_function):
            raise TypeError(f"function: expected a callable to decorate, got {type(python_function).__name__}")
        functools.update_wrapper(self, python_function, updated=())
        self._python_function = python_function
        self._name = name or getattr(python_function, "__name__", type(python_function).__name__)
        self._input_signature = None if input_signature is None else _check_signature(input_signature)
        self._autograph = autograph
        self._jit_compile = jit_compile
        self._reduce_retracing = bool(reduce_retracing)
        self._traces = collections.OrderedDict()  # key -> _Trace, least recently used first
        self._programs = collections.OrderedDict()  # exact key -> replay.Program or _EAGER (LRU)
        self._n_traced = 0                        # traces ever made (TF's tracing count)
        self._lock = threading.Lock()             # guards _traces (threads may share a Function)
        self._initialized = False
        self._bound = {}
        try:
            self._signature = inspect.signature(python_function)
        except (TypeError, ValueError):
            self._signature = None
        self._n_simple, self._simple_names = -1, ()
        if self._signature is not None:
            ps = list(self._signature.parameters.values())
            if all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in ps):
                self._n_simple, self._simple_names = len(ps), tuple(p.name for p in ps)
        try:
            self._stats_key = _detector_key(python_function, self)
            weakref.ref(self._stats_key)
        except TypeError:
            self._stats_key = self
        self._detector = None

    # -- tf.function's attributes
    @property
    def python_function(self):
        return self._python_function

    @property
    def input_signature(self):
        return self._input_signature

    @property
    def jit_compile(self):
        return self._jit_compile

    @property
    def trace_count(self):
        """How many traces (concrete signatures) this function holds now (at most ``MAX_TRACES``)."""
        return len(self._traces)

    def experimental_get_tracing_count(self):
        """How many times this function has traced (as TF: every trace made, kept or since dropped)."""
        return self._n_traced

    def __repr__(self):
        return f"<gputape.function {self._name}: {len(self._traces)} trace(s)>"

    # -- methods: one Function per instance, as tf.function does
    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        bound = self._bound.get(id(instance))
        if bound is None or bound[0]() is not instance:
            fn = Function(functools.partial(self._python_function, instance), self._input_signature,
                          self._autograph, self._jit_compile, self._reduce_retracing, name=self._name)
            try:
                ref = weakref.ref(instance, lambda _, k=id(instance), d=self._bound: d.pop(k, None))
            except TypeError:
                ref = (lambda inst: (lambda: inst))(instance)
            bound = (ref, fn)
            self._bound[id(instance)] = bound
        return bound[1]

    # -- calling
    def __call__(self, *args, **kwargs):
        bound = self._bind(args, kwargs)
        if bound is None:                       # the arguments do not fit: let Python say why
            return self._python_function(*args, **kwargs)
        args, kwargs, key, names = bound
        with self._lock:
            trace = self._lookup(key)
            new = trace is None or trace.concrete
            if trace is None:
                trace = self._add_trace(key, names)
            if trace.has_var is None:
                trace.has_var = _has_variable(key)
            if trace.has_var:
                # a program reads the very Variables it was recorded with: Variable arguments by identity
                key = (key, tuple(id(v) for v in _input_leaves((args, kwargs)) if isinstance(v, Variable)))
            prog = None if new else self._programs.get(key)
            if prog is not None:
                self._programs.move_to_end(key)
        if prog is not None and prog is not _EAGER and not _state.hooked and REPLAY and \
                type(prog) is not _Pending and prog.backend == _b.name:
            return self._replay(trace, prog, args, kwargs)
        return self._run(trace, new, args, kwargs, key=key if prog is None or type(prog) is _Pending else None)

    def _replay(self, trace, prog, args, kwargs):
        """Run the recorded program of this exact signature on the new arguments' arrays."""
        ins = []
        if not kwargs:
            for a in args:
                if type(a) is not Tensor:
                    break
                ins.append(a._v)
            else:
                kwargs = None
        if kwargs is not None:
            ins, arg_vars = [], []
            _array_leaves((args, kwargs), ins, arg_vars)
        if _b.name == "cupy" and CUDA_GRAPHS:       # the first replay captures CUDA graphs (cuda_graph.py)
            runner = prog.graph
            if runner is None:
                from . import cuda_graph
                runner = prog.graph = cuda_graph.GraphRunner(prog)
            leaves = runner.run(ins, ())
        else:
            leaves = prog.run(ins, ())
        _note_call(self, False)
        trace.calls += 1
        return _nest.pack_sequence_as(prog.structure, leaves) if prog.structure is not None else leaves[0]

    def _run(self, trace, new, args, kwargs, note=True, key=None):
        first = not self._initialized        # calls that start before any call has finished are first calls
        before = _state.variables_created     # this thread's count: other threads' Variables do not matter
        prev = _state.capture
        record = key is not None and REPLAY
        if record:
            _replay.install()
            args, kwargs = _tensor_args(args), _tensor_args(kwargs)
            rec = _replay.Recorder(prev, self._name)
            ins, arg_vars = [], []
            _array_leaves((args, kwargs), ins, arg_vars)
            rec.add_inputs(_input_leaves((args, kwargs)))
        else:
            rec = _TraceRecorder(prev) if new else None
        if rec is not None:
            _state.capture = rec
        try:
            out = self._python_function(*args, **kwargs)
        finally:
            if rec is not None:
                _state.capture = prev
        after = _state.variables_created
        if note:                              # calls of a ConcreteFunction do not count, as in TF
            _note_call(self, new)
        if not first and after != before:
            text = _NON_FIRST if new else _SINGLETON
            raise ValueError(f"{text} (gputape.function '{self._name}' created {after - before} "
                             f"Variable(s) on a call after the first; create them on the first call only, for "
                             f"example behind `if self.v is None:`, or outside the function.)")
        if first and new and after != before:
            # TF 2.21 traces a first call that creates Variables twice (once to create them, once more
            # for the function that runs afterwards): its tracing count is 2 after that call.  gputape ran
            # the body once; the next call runs it again to record (not counted again)
            self._n_traced += 1
        self._initialized = True
        trace.calls += 1
        if new:
            trace.concrete = False
            trace.ops, trace.host_reads = rec.ops, rec.host_reads
            trace.outputs = _describe_output(out)
        if record and after == before:
            # a call that created Variables is not kept: the next call runs the body again (recording), so
            # that a function creating Variables on every call fails there, as in TF
            self._keep_program(key, rec, out, trace)
        return out

    def _keep_program(self, key, rec, out, trace):
        structure = out if _nest._is_seq(out) else None
        leaves = _nest.flatten(out)
        with self._lock:
            old = self._programs.get(key)
        try:
            prog = rec.finish(out, leaves)
            prog.structure = structure
            trace.program = "replayed: " + prog.describe()
            if prog.externals:
                # arrays of unknown origin: captured constants if the next call sees the very same objects
                # (that call runs the body again); an unrecorded computation would give new ones
                if type(old) is not _Pending:
                    prog = _Pending(prog.externals)
                    trace.program = "recorded; the next call checks its captured tensors"
                elif len(old.externals) != len(prog.externals) or any(
                        a is not b for (a, _), (b, _) in zip(old.externals, prog.externals)):
                    name = next((n for (a, n), (b, _) in zip(old.externals, prog.externals) if a is not b),
                                prog.externals[0][1])
                    raise _replay.NonReplayable(f"an input of {name} was computed by a path gputape.function "
                                                f"cannot record (a new array on each call)", "")
        except _replay.NonReplayable as e:
            reason, site = e.args
            prog = _EAGER
            trace.program = f"runs eagerly: {reason}"
            if "host" in reason:
                how = ("avoid the host read: select with gputape.where (both sides computed on the device; "
                       "gputape.cond and while_loop read their predicate on the host, as TF's eager ones), or "
                       "pass the deciding values as Python arguments")
            else:
                how = "compute the value with gputape ops"
            warnings.warn(f"gputape.function '{self._name}': this input signature runs eagerly on every call "
                          f"(no replay): {reason}{' at ' + site if site else ''}. To replay it, {how}.",
                          RuntimeWarning, stacklevel=_op.user_stacklevel())
        with self._lock:
            self._programs[key] = prog
            while len(self._programs) > MAX_TRACES:
                self._programs.popitem(last=False)

    def _bind(self, args, kwargs):
        """(args, kwargs, key, names) with input_signature conversions applied, or None if binding fails."""
        sig = self._signature
        if not kwargs and len(args) == self._n_simple and self._input_signature is None:
            # positional arguments filling every parameter (no *args, **kwargs or keyword-only ones)
            return args, kwargs, tuple(map(_encode, args)), self._simple_names
        if sig is None:
            names = [f"arg{i}" for i in range(len(args))] + sorted(kwargs)
            values = list(args) + [kwargs[k] for k in sorted(kwargs)]
            return args, kwargs, tuple(_encode(v) for v in values), tuple(names)
        try:
            ba = sig.bind(*args, **kwargs)
        except TypeError:
            return None
        if self._input_signature is not None:
            ba = self._apply_signature(ba)
            args, kwargs = ba.args, ba.kwargs
        ba.apply_defaults()
        names = tuple(ba.arguments)
        key = tuple(_encode(v) for v in ba.arguments.values())
        if self._input_signature is not None:
            n = len(self._input_signature)
            key = tuple(_tensor_kind(k) for k in key[:n]) + key[n:]
        return args, kwargs, key, names

    def _apply_signature(self, ba):
        specs = self._input_signature
        params = [p for p in self._signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        given = list(ba.arguments)
        extra = [n for n in given if n not in [p.name for p in params[:len(specs)]]]
        if extra or any(p.kind is p.VAR_POSITIONAL for p in self._signature.parameters.values()
                        if p.name in given):
            raise TypeError(f"{self._name}: with an input_signature of {len(specs)} entries, only the first "
                            f"{len(specs)} positional parameters may be passed; got {given}")
        for p, spec in zip(params, specs):
            if p.name not in ba.arguments:
                if p.default is p.empty:
                    raise TypeError(f"{self._name}: missing required argument {p.name!r} "
                                    f"(input_signature entry {spec!r})")
                continue
            ba.arguments[p.name] = _conform(ba.arguments[p.name], spec, self._name, p.name)
        return ba

    def _lookup(self, key):
        """The trace for ``key`` (marked most recently used), or None.  Call with ``_lock`` held."""
        traces = self._traces
        t = traces.get(key)
        if t is None:
            for t in reversed(traces.values()):
                if t.relaxed and _fits(t.key, key):
                    break
            else:
                return None
        if next(reversed(traces)) is not t.key:
            traces.move_to_end(t.key)
        return t

    def _add_trace(self, key, names):
        spec = key
        if self._input_signature is not None:
            spec = _relax_to_signature(key, names, self._signature, self._input_signature)
        elif self._reduce_retracing:
            for t in reversed(self._traces.values()):
                r = _relax(t.key, key)
                if r is not None:
                    spec = r
                    break
        self._n_traced += 1
        t = _Trace(spec, names, relaxed=_has_unknown(spec), seq=self._n_traced)
        traces = self._traces
        traces[spec] = t
        traces.move_to_end(spec)
        while len(traces) > MAX_TRACES:       # bounded: drop the least recently used trace
            traces.popitem(last=False)
        return t

    def _replay_report(self):
        """One line per input signature recorded: what replays it, or why it runs eagerly (issue 12)."""
        with self._lock:
            traces = sorted(self._traces.values(), key=lambda t: t.seq)
        return [f"trace {t.seq}: {t.program}" for t in traces if t.program is not None]

    # -- concrete functions and the report
    def get_concrete_function(self, *args, **kwargs):
        """The trace for these arguments (tensors or TensorSpecs), made if needed without running anything."""
        if not args and not kwargs and self._input_signature is not None:
            args = tuple(self._input_signature)
        bound = self._bind(args, kwargs)
        if bound is None:
            raise TypeError(f"{self._name}: get_concrete_function arguments do not match the parameters "
                            f"{self._signature}")
        _, _, key, names = bound
        with self._lock:
            t = self._lookup(key)
            if t is None:
                t = self._add_trace(key, names)
                t.concrete = True
        return ConcreteFunction(self, t)

    def pretty_printed_concrete_signatures(self, verbose=True):
        """One block per trace: the argument specs and values it was made for, and what it returned."""
        blocks = []
        with self._lock:
            traces = sorted(self._traces.values(), key=lambda t: t.seq)   # in the order they were made
        n = len(traces)
        for i, t in enumerate(traces, 1):
            blocks.append(_trace_block(self._name, t, i, n, verbose))
        return "\n\n".join(blocks)


class ConcreteFunction:
    """One trace of a Function: callable with arguments that fit its signature."""

    def __init__(self, function, trace):
        self._function, self._trace = function, trace

    @property
    def structured_input_signature(self):
        return tuple(k.spec() if isinstance(k, _Leaf) else k for k in self._trace.key)

    def pretty_printed_signature(self, verbose=True):
        return _trace_block(self._function._name, self._trace, None, None, verbose)

    def __call__(self, *args, **kwargs):
        f = self._function
        bound = f._bind(args, kwargs)
        if bound is None or not _fits(self._trace.key, bound[2]):
            got = "" if bound is None else ", ".join(_describe_key(k) for k in bound[2])
            raise TypeError(f"{f._name}: this concrete function takes ({', '.join(_describe_key(k) for k in self._trace.key)}), "
                            f"got ({got})")
        return f._run(self._trace, self._trace.concrete, bound[0], bound[1], note=False)


def _trace_block(name, t, i, n, verbose):
    head = f"{name}({', '.join(t.names)})"
    if i is not None:
        if t.concrete:
            runs = "not run yet"
        else:
            runs = f"{t.calls} call(s)"
            if verbose and t.ops is not None:
                runs += f"; {t.ops} ops and {t.host_reads} host reads while tracing"
        head += f"  [trace {i} of {n}{', relaxed' if t.relaxed else ''}; {runs}]"
    lines = [head, "  Args:"]
    lines += [f"    {nm}: {_describe_key(k)}" for nm, k in zip(t.names, t.key)] or ["    (none)"]
    lines += ["  Returns:", f"    {t.outputs if t.outputs is not None else '(not run yet)'}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- input_signature
def _check_signature(sig):
    if not isinstance(sig, (list, tuple)):
        raise TypeError(f"input_signature must be a list or tuple of TensorSpecs, got {type(sig).__name__}")
    out = []
    for s in sig:
        out.append(_check_signature(s) if isinstance(s, (list, tuple)) else _as_spec(s))
    return tuple(out)


def _as_spec(s):
    if isinstance(s, TensorSpec):
        return s
    if hasattr(s, "shape") and hasattr(s, "dtype") and not isinstance(s, _Base):
        shape = s.shape
        dims = None if shape is None or getattr(shape, "rank", 0) is None else tuple(shape)
        return TensorSpec(dims, s.dtype, getattr(s, "name", None))
    raise TypeError(f"input_signature entries must be TensorSpecs (or nested lists of them), got {s!r}")


def _conform(value, spec, fname, pname):
    """``value`` checked against (and converted to) ``spec``, recursively for nested signatures."""
    if isinstance(spec, tuple):
        if not isinstance(value, (list, tuple)) or len(value) != len(spec):
            raise TypeError(f"{fname}: argument {pname!r} must be a sequence of {len(spec)} tensors to match the "
                            f"input_signature, got {value!r}")
        return type(value)(_conform(v, s, fname, pname) for v, s in zip(value, spec))
    if isinstance(value, TensorSpec):          # get_concrete_function(TensorSpec(...))
        if value.dtype != spec.dtype or not _dims_fit(spec._dims, value._dims):
            raise TypeError(f"{fname}: argument {pname!r} {value!r} does not match the input_signature entry "
                            f"{spec!r}")
        return value
    if not isinstance(value, _Base):
        try:
            value = convert_to_tensor(value, dtype=spec.dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{fname}: argument {pname!r} cannot be converted to {spec!r}: {e}") from None
    if not spec.is_compatible_with(value):
        kind = "Variable" if isinstance(value, Variable) else "Tensor"
        raise TypeError(f"{fname}: argument {pname!r} is a {value.dtype.name} {kind} of shape "
                        f"{_dims_str(tuple(value.shape))}, which does not match the input_signature entry {spec!r}")
    return value


def _relax_to_signature(key, names, signature, specs):
    params = [p.name for p in signature.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][:len(specs)]
    by_name = dict(zip(params, specs))
    return tuple(_spec_key(by_name[n], k) if n in by_name else k for n, k in zip(names, key))


def _spec_key(spec, k):
    if isinstance(spec, tuple):
        return (k[0], tuple(_spec_key(s, e) for s, e in zip(spec, k[1])))
    return _Leaf("tensor", spec._dims, spec.dtype.name)


def _tensor_kind(k):
    """Variables passed for an input_signature entry count as tensors of that spec."""
    if isinstance(k, _Leaf):
        return _Leaf("tensor", k.dims, k.dtype)
    if isinstance(k, tuple) and k and k[0] in ("list", "tuple"):
        return (k[0], tuple(_tensor_kind(e) for e in k[1]))
    return k


# ---------------------------------------------------------------- the decorator
def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             experimental_implements=None, experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None, experimental_follow_type_hints=None):
    """Decorate a Python function as tf.function does: traced once per signature, then replayed (see the
    module docstring), with results identical to eager calls.

    >>> @function
    ... def f(x):
    ...     return x * x
    >>> f(constant(3.0)).numpy(), f.experimental_get_tracing_count()
    (9.0, 1)
    """
    if experimental_relax_shapes is not None:
        reduce_retracing = reduce_retracing or bool(experimental_relax_shapes)
    if experimental_compile is not None and jit_compile is None:
        jit_compile = experimental_compile
    if func is None:
        return lambda f: Function(f, input_signature, autograph, jit_compile, reduce_retracing)
    if isinstance(func, Function):
        func = func.python_function
    return Function(func, input_signature, autograph, jit_compile, reduce_retracing)


__all__ = ["function", "Function", "ConcreteFunction", "TensorSpec"]
