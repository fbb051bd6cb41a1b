"""``gputape.function``'s tracer and replayer: the flat program of one call, run again on ``xp`` arrays.

While a new input signature is traced, ``state.capture`` is a ``Recorder``.  It sees

- every op the dispatch runs (``op._hooks``): an instruction ``out = op.fwd(xp, *ins, **params)``
  over array slots (the same call the dispatch makes: its ufunc, its CUDA kernel on CuPy, its checks);
- reads of Variables (an op argument that is a Variable, or a read snapshot sharing its buffer): a
  ``load`` of the Variable's *current* buffer at that point of the program;
- a few whole library calls recorded as one instruction each and called again on replay with the new
  arrays ("opaque" calls, listed in ``_OPAQUE``): ``Optimizer.apply_gradients`` (its Python step count,
  schedule and per-variable update run exactly as in eager mode), ``Variable.assign/assign_add/
  assign_sub``, the random draws (``gputape.random.uniform/normal/truncated_normal``, Dropout's
  seeded stream: each replay draws the next numbers of the same generator, as eager calls do) and
  ``gputape.print`` (prints on every call, as ``tf.print``), and Keras metrics' ``update_state``/
  ``reset_state``/``result`` (they compute on raw arrays);
- constants: Python numbers and lists converted by the dispatch or by ``constant``/``convert_to_tensor``,
  NumPy arrays the user's code converts, cached scalar constants, ``ones``/``zeros``/``ones_like``;
- host reads (``.numpy()``, ``float``/``int``/``bool``, ``backend.to_host``);
- value checks the ops' Python wrappers make on the host before an op (``checks.check_indices``,
  gather_nd's and the unsorted segment ops' range checks, the sparse cross-entropy's label range): "guard"
  calls that run again on every replay, so a replay raises what the eager call raises.

Soundness rules (a replayed program must never differ from an eager call):

- an op input whose array is none of the above (computed by a path that does not go through the
  dispatch) makes the signature non-replayable;
- a host read of a traced value (one that depends on inputs, Variables or random draws) makes it
  non-replayable: Python may have branched on the value;
- an op whose output shape depends on values (``_DATA_DEPENDENT``) makes it non-replayable;
- a Variable written during the trace by anything but a recorded instruction (content compared
  before/after the trace for every live Variable; a write to a slice, ``v[i].assign``, always)
  makes it non-replayable;
- a read of a Variable's buffer after a recorded write to that Variable through an array captured
  before the write (a stale snapshot) makes it non-replayable.

What a Program simplifies when it compiles the recording (each exact: the same NumPy calls on the same
operands, so the same bits as eager; tests/test_function_replay_fast.py):

- ops nothing uses are dropped; ops on constants made from Python values or shapes are folded;
- on NumPy, an op whose check reads only shapes and dtypes skips it when its inputs have the traced
  shapes (the signature fixes the inputs'; each Variable load verifies its own, and a change turns
  the checks back on for the rest of the call);
- on NumPy, a few hot ops run as twins of their forwards (``replay_twins``), pinned by source hash;
- a recorded ``Optimizer.apply_gradients`` with nothing but per-variable updates to do runs as the
  optimizer's own ``_update`` calls (``_OptimizerStep``), Adam's and plain SGD's as twins writing
  their temporaries into scratch buffers; anything else (clipping, decay, EMA, constraints, ...)
  is checked on every call and runs the whole method.

A non-replayable signature runs eagerly on every call, with one warning naming the reason and line.
Replay also never happens while a tape, accumulator or numerics check is active (``state.hooked``):
the call then runs eagerly so that the outer recorders see its ops.
"""
import functools
import sys
import threading
import weakref

import numpy as np

from . import backend as _b
from . import op as _op
from .state import state as _state
from .tensor import Tensor, Variable, _Base, _wrap

# ops whose output shape depends on input values: Python code after them may have used the shape
_DATA_DEPENDENT = frozenset((
    "boolean_mask", "unique", "unique_with_counts", "where_indices", "where1", "nonzero", "dynamic_partition",
    "sequence_mask", "repeat", "bincount", "ragged", "unsorted_segment_ids", "segment_ids",
))

_ALL_VARIABLES = {}   # id -> weakref of every live Variable (tensor.Variable.__init__ calls note_variable)


def note_variable(v):
    k = id(v)
    _ALL_VARIABLES[k] = weakref.ref(v, lambda _, k=k: _ALL_VARIABLES.pop(k, None))


def _live_variables():
    """Live Variables whose buffers are arrays of the current backend (a test process may keep Variables
    of another backend alive: the CuPy stand-in's in a real-CuPy run, seen on the H200)."""
    arr = _b.get_xp().ndarray
    return [v for v in (r() for r in list(_ALL_VARIABLES.values())) if v is not None and isinstance(v._v, arr)]


class NonReplayable(Exception):
    pass


# slot kinds
_IN, _CONST, _VAR, _OUT = 0, 1, 2, 3


class Recorder:
    """The ``state.capture`` hook while one trace runs; ``finish()`` gives a Program or a reason."""

    def __init__(self, parent, name):
        self.parent, self.name = parent, name
        self.ops = self.host_reads = 0
        self.slot = {}          # id(array) -> slot
        self.kind = []          # slot -> kind
        self.arrays = []        # slot -> the array it held during the trace (shapes, dtypes, aliasing)
        self.keep = []          # arrays seen (kept alive so ids stay unique during the trace)
        self.const = {}         # slot -> constant array
        self.code = []          # instructions (tuples, compiled by Program)
        self.vars = []          # Variables referenced (captured ones and argument ones)
        self.var_index = {}     # id(Variable) -> index in vars
        self.var_slots = {}     # var index -> [slots loaded from it]
        self.bad = None         # (reason, site): the first reason this trace cannot be replayed
        self.explained = set()  # ids of Variables written by recorded instructions
        self.consts_registered = {}   # id(array) -> array registered as constant
        self.pure = set()       # ids of constants made from Python values or shapes (no user memory behind them)
        self.in_slots = []      # slots of the input arrays, in leaf order
        self.externals = []     # (array, op name): arrays of unknown origin, taken as captured constants
        self.arg_vars = []      # var indices of Variable arguments, in leaf order
        self._cache_ids = None
        self.before = {id(v): (v, v._v.copy()) for v in _live_variables()}

    # -- slots
    def _new_slot(self, arr, kind):
        s = len(self.kind)
        self.kind.append(kind)
        self.arrays.append(arr)
        self.slot[id(arr)] = s
        self.keep.append(arr)
        return s

    def fail(self, reason, site=None):
        if self.bad is None:
            self.bad = (reason, site or _op.user_site())

    def add_inputs(self, leaves):
        for x in leaves:
            if isinstance(x, Variable):
                self.arg_vars.append(self._var(x))
            else:
                self.in_slots.append(self._new_slot(x._v, _IN))

    def _var(self, v):
        k = self.var_index.get(id(v))
        if k is None:
            k = self.var_index[id(v)] = len(self.vars)
            self.vars.append(v)
            self.keep.append(v)
        return k

    def _cached_const(self, arr):
        if self._cache_ids is None or id(arr) not in self._cache_ids:     # the caches grow during the trace
            ids = set()
            for d in list(_op._CONST_TENSORS.values()):
                ids.update(id(t._v) for t in list(d.values()))
            for d in list(_op._CONSTS.values()):
                ids.update(id(a) for a in list(d.values()))
            self._cache_ids = ids
        return id(arr) in self._cache_ids

    def operand(self, x, opname):
        """The slot an op argument reads (a load instruction for a Variable)."""
        if type(x) is Variable or isinstance(x, Variable):
            k = self._var(x)
            s = len(self.kind)
            self.kind.append(_VAR)
            self.arrays.append(x._v)
            self.slot[id(x._v)] = s
            self.keep.append(x._v)
            self.var_slots.setdefault(k, []).append(s)
            self.code.append(("load", k, s))
            return s
        arr = x._v
        s = self.slot.get(id(arr))
        if s is not None:
            return s
        if id(arr) in self.consts_registered or self._cached_const(arr) or (
                type(arr) is np.ndarray and not arr.flags.writeable):
            s = self._new_slot(arr, _CONST)
            self.const[s] = arr
            return s
        # an array from outside the trace (a tensor made before the call and captured by the function, as
        # TF captures it) or one computed by a path that is not recorded: the caller tells them apart on
        # the next call (``externals``: the same objects again, or not); a Variable's buffer never counts
        for v in _live_variables():
            if v._v is arr or _b.get_xp().may_share_memory(v._v, arr):
                self.fail(f"an input of {opname} shares the buffer of Variable '{v.name}' outside a recorded read")
                return None
        s = self._new_slot(arr, _CONST)
        self.const[s] = arr
        self.externals.append((arr, opname))
        return s

    def _out(self, arr):
        return self._new_slot(arr, _OUT)

    # -- hooks called by the library
    def op(self, op, args, out, params):
        self.ops += 1
        if self.parent is not None:
            self.parent.op(op, args, out, params)
        if self.bad is not None:
            return
        if op.name in _DATA_DEPENDENT:
            self.fail(f"{op.name} gives an output whose shape depends on input values")
            return
        if op.name in _VALUE_CHECKED and _b.get_xp() is np:
            # the op's Python wrapper checked input values on the host before it: so does every replay
            fn, which = _VALUE_CHECKED[op.name]
            self.guard(fn, [a._v if i in which else a for i, a in enumerate(args)], {})
            if self.bad is not None:
                return
        ins = []
        for a in args:
            s = self.operand(a, op.name)
            if s is None:
                return
            ins.append(s)
        var_args = tuple(i for i, a in enumerate(args) if isinstance(a, Variable))
        if type(out) is tuple:
            outs = tuple(self._out(o._v) for o in out)
        else:
            outs = self._out(out._v)
        self.code.append(("op", op, tuple(ins), outs, dict(params), var_args))

    def host_read(self, tensor):
        self.host_reads += 1
        if self.parent is not None:
            self.parent.host_read(tensor)
        self._read(tensor._v)

    def raw_host_read(self, arr):
        if self.parent is not None:
            self.parent.raw_host_read(arr)
        self._read(arr)

    def _read(self, arr):
        if self.bad is not None:
            return
        s = self.slot.get(id(arr))
        if s is not None and self.kind[s] == _CONST:
            return
        if s is None and (id(arr) in self.consts_registered or self._cached_const(arr)):
            return
        self.fail("a traced value is read to the host (.numpy(), float(), int(), bool() or an `if` on a "
                  "tensor): Python may branch on it")

    def constant(self, value, t):
        """``constant``/``convert_to_tensor`` made ``t`` from ``value``: a constant when ``value`` is Python
        data, or a NumPy array handed over by the user's own code (TF captures it by value)."""
        if self.parent is not None:
            self.parent.constant(value, t)
        if isinstance(value, _Base) or id(t._v) in self.slot:
            return
        if _python_data(value) or (isinstance(value, np.ndarray) and type(value) is np.ndarray
                                   and _caller_is_user(2)):
            self.consts_registered[id(t._v)] = t._v
            self.keep.append(t._v)
            if _python_data(value):
                self.pure.add(id(t._v))

    def shape_constant(self, t):
        """``t`` (ones/zeros/ones_like) depends only on a shape and dtype: a constant of this signature."""
        if self.parent is not None:
            self.parent.shape_constant(t)
        self.consts_registered[id(t._v)] = t._v
        self.pure.add(id(t._v))
        self.keep.append(t._v)

    def converted(self, orig, args):
        """The dispatch converted Python values among an op's arguments into constants."""
        if self.parent is not None:
            self.parent.converted(orig, args)
        for o, a in zip(orig, args):
            if a is not o and isinstance(a, _Base) and _python_data(o):
                self.consts_registered[id(a._v)] = a._v
                self.pure.add(id(a._v))
                self.keep.append(a._v)

    # -- opaque calls
    def _template(self, x):
        """The structure of an opaque call's argument with tensors as slot references."""
        if type(x) is Tensor:
            s = self.operand(x, "a recorded call")
            ids = _gathered_ids(x)
            if ids is not None and s is not None:
                # a gather's gradient keeps its mark on replay: an optimizer refuses a repeated index there too
                si = self.operand(ids, "a recorded call")
                if si is not None:
                    return ("g", s, si)
            return ("s", s)
        if isinstance(x, Variable):
            return ("v", self._var(x))
        if isinstance(x, (list, tuple)):
            items = [self._template(e) for e in x]
            if isinstance(x, tuple) and hasattr(x, "_fields"):
                return ("nt", type(x), items)
            return ("l" if isinstance(x, list) else "t", items)
        if isinstance(x, dict):
            return ("d", type(x), [(k, self._template(v)) for k, v in x.items()])
        if isinstance(x, _Base):
            self.fail(f"a recorded call got a {type(x).__name__}")
        if _b.xp is not np and isinstance(x, _b.xp.ndarray) or isinstance(x, np.ndarray) and id(x) in self.slot:
            s = self.slot.get(id(x))
            if s is None:
                self.fail("a recorded call got an array computed by a path gputape.function cannot record")
            return ("s", s)
        return ("c", x)

    def _bind_out(self, x):
        if isinstance(x, Variable):
            return ("v", self._var(x))
        if isinstance(x, _Base):
            return ("s", self._out(x._v))
        if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
            return ("l" if isinstance(x, list) else "t", [self._bind_out(e) for e in x])
        if x is None:
            return ("c", None)
        if isinstance(x, np.ndarray) or (_b.xp is not np and isinstance(x, _b.xp.ndarray)):
            return ("a", self._out(x))
        self.fail(f"a recorded call returned a {type(x).__name__}")
        return ("c", x)

    def _raw(self, x):
        """The template of a raw array a host check reads: its slot, a Variable's load, or a constant."""
        s = self.slot.get(id(x))
        if s is None:
            for v in _live_variables():
                if v._v is x:
                    s = self.operand(v, "a host check")
                    break
            else:                   # a constant of the trace (a parameter, a converted Python value)
                s = self._new_slot(x, _CONST)
                self.const[s] = x
        return ("a", s)

    def _guard_template(self, x):
        if isinstance(x, np.ndarray) or (_b.xp is not np and isinstance(x, _b.xp.ndarray)):
            return self._raw(x)
        if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
            return ("l" if isinstance(x, list) else "t", [self._guard_template(e) for e in x])
        return self._template(x)

    def guard(self, fn, args, kwargs):
        """``fn`` checks input values on the host outside any op (an index range, a label range): it runs
        again on every replay, before the ops that follow it, with the call's arrays."""
        if self.parent is not None:
            self.parent.guard(fn, args, kwargs)
        if self.bad is not None:
            return
        t_args = self._guard_template(list(args))
        t_kw = ("d", dict, [(k, self._guard_template(v)) for k, v in kwargs.items()])
        if self.bad is None:
            self.code.append(("call", fn, t_args, t_kw, ("c", None)))

    def opaque_begin(self, fn, args, kwargs, writes):
        if self.parent is not None:
            self.parent.opaque_begin(fn, args, kwargs, writes)
        if self.bad is not None:
            return
        t_args = self._template(list(args))
        t_kw = self._template(dict(kwargs))
        if writes is not None:
            self.explained.update(id(v) for v in writes)
            for v in writes:           # loads made before the write must not be used after it
                k = self.var_index.get(id(v))
                for s in self.var_slots.pop(k, ()) if k is not None else ():
                    for arr_id, slot in list(self.slot.items()):
                        if slot == s:
                            del self.slot[arr_id]
        self._pending = (fn, t_args, t_kw)

    def opaque_end(self, out):
        if self.parent is not None:
            self.parent.opaque_end(out)
        if self.bad is not None:
            return
        fn, t_args, t_kw = self._pending
        self.code.append(("call", fn, t_args, t_kw, self._bind_out(out)))

    # -- the end of the trace
    def finish(self, out, out_leaves):
        """A Program for this trace, or raise NonReplayable(reason, site)."""
        if self.bad is None:
            for v, old in list(self.before.values()):
                if id(v) not in self.explained and (v._v.shape != old.shape or not _same(v._v, old)):
                    self.fail(f"Variable '{v.name}' was written by a path gputape.function cannot record", "")
                    break
        if self.bad is None:
            outs = []
            for leaf in out_leaves:
                if isinstance(leaf, Variable):
                    outs.append(("v", self._var(leaf)))
                elif isinstance(leaf, _Base):
                    s = self.operand(leaf, "the function's result")
                    outs.append(("s", s))
                else:
                    outs.append(("c", leaf))
            if self.bad is None:
                return Program(self, outs)
        raise NonReplayable(*self.bad)


def _same(a, b):
    xp = _b.get_xp()
    return bool(xp.array_equal(a, b, equal_nan=True)) if a.dtype.kind in "fc" else bool(xp.array_equal(a, b))


def _python_data(v):
    if isinstance(v, (bool, int, float, complex, np.generic, str, bytes)) or v is None:
        return True
    if isinstance(v, (list, tuple)):
        return all(_python_data(e) for e in v)
    return False


def _caller_is_user(depth):
    f = sys._getframe(depth + 1)
    while f is not None and f.f_globals.get("__name__", "").startswith("gputape.replay"):
        f = f.f_back
    # the first frame outside tensor.py: the caller of constant/convert_to_tensor
    while f is not None and f.f_globals.get("__name__", "") == "gputape.tensor":
        f = f.f_back
    return f is not None and not f.f_globals.get("__name__", "").startswith("gputape")


# ---------------------------------------------------------------- opaque calls
def _opaque(fn, writes_of=None):
    """``fn`` recorded as one instruction while tracing (called again on replay)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        cap = _state.capture
        if cap is None:
            return fn(*args, **kwargs)
        args = tuple(list(a) if _is_iterator(a) else a for a in args)
        writes = writes_of(args, kwargs) if writes_of is not None else None
        cap.opaque_begin(fn, args, kwargs, writes)
        _state.capture = None              # the call's own ops are not recorded: it is replayed whole
        try:
            out = fn(*args, **kwargs)
        finally:
            _state.capture = cap
        cap.opaque_end(out)
        return out
    wrapper.__gputape_opaque__ = fn
    return wrapper


def _guarded(fn):
    """``fn``, a host-side value check outside an op, recorded while tracing so that replays check too."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        cap = _state.capture
        if cap is not None:
            cap.guard(fn, args, kwargs)
        return fn(*args, **kwargs)
    wrapper.__gputape_guard__ = fn
    return wrapper


def _sparse_labels_check(labels, logits):
    """As ``nn.sparse_softmax_cross_entropy_with_logits`` checks its labels on NumPy before the op."""
    if labels.size:
        n = logits.shape[-1]
        # one reduction finds both bounds: a negative label is a huge one seen as unsigned
        if labels.dtype.kind == "i" and labels.dtype.itemsize in (4, 8):
            if labels.view(f"u{labels.dtype.itemsize}").max() < n:
                return
        hi, lo = int(labels.max()), int(labels.min())
        if hi >= n or lo < 0:
            from .errors import InvalidArgumentError
            raise InvalidArgumentError(f"Received a label value of {hi if hi >= n else lo} "
                                       f"which is outside the valid range of [0, {n}).")


# op -> (check, the argument positions it reads as raw arrays): value checks made by the op's wrapper
_VALUE_CHECKED = {"sparse_softmax_cross_entropy_with_logits": (_sparse_labels_check, (0, 1))}


def _is_iterator(a):
    return hasattr(a, "__next__") and not isinstance(a, (list, tuple, dict, _Base))


def _assign_writes(args, kwargs):
    return [args[0]]


def _optimizer_writes(args, kwargs):
    opt = args[0]
    pairs = args[1] if len(args) > 1 else kwargs.get("grads_and_vars", ())
    out = list(opt.variables)
    try:
        out += [p[1] for p in pairs if isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[1], Variable)]
    except TypeError:
        pass
    return out


def _metric_writes(args, kwargs):
    return list(args[0].variables)


def _no_writes(args, kwargs):
    return []


_installed = [False]
_APPLY = [None]       # Optimizer.apply_gradients itself (install() wraps it)


def install():
    """Wrap the opaque calls (once; the wrappers cost one thread-local read when not tracing)."""
    if _installed[0]:
        return
    _installed[0] = True
    from . import optimizers as _optm
    from . import tensor as _t
    from . import printing as _p
    import gputape as _g
    from .ops import creation as _cr
    for name in ("assign", "assign_add", "assign_sub"):
        setattr(Variable, name, _opaque(getattr(Variable, name), _assign_writes))
    _APPLY[0] = _optm.Optimizer.apply_gradients
    _optm.Optimizer.apply_gradients = _opaque(_optm.Optimizer.apply_gradients, _optimizer_writes)
    for name in ("uniform", "normal", "truncated_normal"):
        setattr(_cr._Random, name, _opaque(getattr(_cr._Random, name), _no_writes))
    p = _opaque(_p.print, _no_writes)
    _p.print = p
    _g.print = p
    try:
        from .keras import layers as _kl
        _kl.Dropout._uniform = _opaque(_kl.Dropout._uniform, _no_writes)
        from .keras import metrics as _km
        for cls in list(vars(_km).values()):     # metrics compute on raw arrays: each method one recorded call
            if isinstance(cls, type) and issubclass(cls, _km.Metric):
                for name, writes in (("update_state", _metric_writes), ("reset_state", _metric_writes),
                                     ("result", _no_writes)):
                    if name in cls.__dict__:
                        setattr(cls, name, _opaque(cls.__dict__[name], writes))
    except ImportError:       # pragma: no cover
        pass
    # host-side value checks made outside ops (by the ops' Python wrappers), recorded as guards
    from . import checks as _checks
    _checks.check_indices = _guarded(_checks.check_indices)
    for mod, name in (("gputape.ops.indexing", "_check_nd"), ("gputape.ops.segment", "_unsorted_args")):
        m = sys.modules.get(mod)
        if m is not None and hasattr(m, name):
            setattr(m, name, _guarded(getattr(m, name)))
    real = _b.to_host

    def to_host(a):
        cap = _state.capture
        if cap is not None:
            cap.raw_host_read(a)
        return real(a)
    to_host.__wrapped__ = real
    _b.to_host = to_host
    del _t


# ---------------------------------------------------------------- the program
class Program:
    """A recorded call, replayed on arrays: ``run(in_arrays, arg_vars)`` gives the output leaves."""

    def __init__(self, rec, outs):
        self.backend = _b.name
        self.nslots = len(rec.kind)
        self.vars = rec.vars[:]
        self.arg_var_pos = rec.arg_vars[:]
        self.in_slots = rec.in_slots[:]
        code = _prune(rec.code, outs)
        self.n_dropped = sum(1 for c in rec.code if c[0] == "op") - sum(1 for c in code if c[0] == "op")
        self.consts = dict(rec.const)
        code, self.n_folded = _fold(code, rec, outs, self.consts)
        self.n_ops = sum(1 for c in code if c[0] == "op")
        self.n_calls = sum(1 for c in code if c[0] == "call")
        self.code = code
        self.outs = outs
        # ``checked``: every op as the dispatch runs it (checks included); ``steps``: on NumPy, the ops whose
        # checks depend only on shapes, dtypes and parameters skip them when their inputs' shapes and dtypes
        # are those of the trace (fixed by the signature; a Variable's are verified where it is loaded, and a
        # change switches the rest of the call to ``checked``)
        self.checked = [_compile(c, rec, None) for c in code]
        if _b.name == "numpy":
            stable = _stable_slots(code, rec, self.consts)
            self.steps = [_compile(c, rec, stable) for c in code]
        else:
            self.steps = self.checked
        self.n_fast_calls = sum(1 for f in self.steps if isinstance(f, _OptimizerStep))
        self._template = [None] * self.nslots      # the register file with the constants in place
        for s, a in self.consts.items():
            self._template[s] = a
        self.graph = None          # CuPy: a captured CUDA graph (see cuda_graph.py)
        self.externals = rec.externals[:]

    def run(self, in_arrays, arg_vars):
        r = self._template[:]
        for s, a in zip(self.in_slots, in_arrays):
            r[s] = a
        V = self.vars
        if arg_vars:
            V = V[:]
            for k, v in zip(self.arg_var_pos, arg_vars):
                V[k] = v
        _op.ensure_warning_filter()
        self.run_steps(r, V, range(len(self.steps)))
        out = []
        for kind, x in self.outs:
            if kind == "s":
                out.append(_wrap(r[x]))
            elif kind == "v":
                out.append(V[x])
            else:
                out.append(x)
        return out

    def run_steps(self, r, V, idx):
        """Run the instructions ``idx`` (indices into ``code``) on the register file ``r``, with ``run``'s
        handling of NumPy warnings made errors, op errors and changed Variable shapes; the CUDA-graph
        runner runs its uncaptured segments this way."""
        steps = self.steps
        k, n = 0, len(idx)
        while k < n:
            try:
                for k in range(k, n):
                    steps[idx[k]](r, V)
                k = n
            except _ShapeChanged:          # a Variable's shape or dtype is not the trace's: checks from here on
                steps = self.checked
            except RuntimeWarning:         # a user filter turned NumPy's warning into an error: as the dispatch
                c = self.code[idx[k]]
                if c[0] != "op":           # (a recorded call raises it, as eagerly)
                    raise
                _store(r, c[3], _op._quiet(c[1], _b.xp, [r[s] for s in c[2]], c[4]))
                k += 1
            except (ValueError, TypeError, IndexError) as e:
                c = self.code[idx[k]]
                if c[0] != "op":
                    raise
                _op._reraise(c[1], e, [r[s] for s in c[2]], c[4])

    def describe(self):
        fast = f" ({self.n_fast_calls} optimizer step{'s' if self.n_fast_calls > 1 else ''} replayed without its " \
               f"wrapper)" if self.n_fast_calls else ""
        return (f"{self.n_ops} ops, {self.n_calls} recorded calls{fast}, {len(self.vars)} variables"
                f"{f', {self.n_dropped} unused ops dropped' if self.n_dropped else ''}"
                f"{f', {self.n_folded} ops on constants folded' if self.n_folded else ''}")


def _store(r, outs, o):
    if type(outs) is tuple:
        for s, v in zip(outs, o):
            r[s] = v
    else:
        r[outs] = o


def _prune(code, outs):
    """Drop ops whose results nothing uses (loads likewise); calls always stay."""
    live = {x for k, x in outs if k == "s"}
    kept = []
    for c in reversed(code):
        if c[0] == "op":
            o = c[3]
            if not (any(s in live for s in o) if type(o) is tuple else o in live):
                continue
            live.update(c[2])
        elif c[0] == "load":
            if c[2] not in live:
                continue
        else:
            _slots_of(c[2], live)
            _slots_of(c[3], live)
        kept.append(c)
    kept.reverse()
    return kept


def _slots_of(t, acc):
    k = t[0]
    if k in ("s", "a"):
        acc.add(t[1])
    elif k == "g":
        acc.add(t[1])
        acc.add(t[2])
    elif k in ("l", "t"):
        for e in t[1]:
            _slots_of(e, acc)
    elif k == "nt":
        for e in t[2]:
            _slots_of(e, acc)
    elif k == "d":
        for _, e in t[2]:
            _slots_of(e, acc)


def _build(t, r, V):
    k = t[0]
    if k == "s":
        return _wrap(r[t[1]])
    if k == "v":
        return V[t[1]]
    if k == "c":
        return t[1]
    if k == "a":
        return r[t[1]]
    if k == "g":
        x = _wrap(r[t[1]])
        _mark_gathered(x, _wrap(r[t[2]]))
        return x
    if k == "l":
        return [_build(e, r, V) for e in t[1]]
    if k == "t":
        return tuple(_build(e, r, V) for e in t[1])
    if k == "nt":
        return t[1](*[_build(e, r, V) for e in t[2]])
    return t[1]((kk, _build(e, r, V)) for kk, e in t[2])


def _bind(t, out, r):
    k = t[0]
    if k == "s":
        r[t[1]] = out._v
    elif k == "a":
        r[t[1]] = out
    elif k in ("l", "t"):
        for e, o in zip(t[1], out):
            _bind(e, o, r)


def _fold(code, rec, outs, consts):
    """Ops computed from constants only (the seed of a gradient broadcast to a shape, a count divided
    into it): their traced results become constants, as the same computation gives the same bits.  Only
    constants made from Python values, shapes or the ops' own constant caches count (a NumPy array the
    user's code converted, or a tensor captured from outside, shares memory the user may write between
    calls, which eager calls see); not the function's results (each call returns new arrays, as eagerly)."""
    known = {s for s, a in consts.items() if id(a) in rec.pure or rec._cached_const(a)}
    results = {x for k, x in outs if k == "s"}
    kept, n = [], 0
    for c in code:
        if c[0] == "op":
            o = c[3] if type(c[3]) is tuple else (c[3],)
            if all(s in known for s in c[2]) and not any(s in results for s in o) and \
                    all(_plain_param(v) for v in c[4].values()):
                for s in o:
                    known.add(s)
                    consts[s] = rec.arrays[s]
                n += 1
                continue
        kept.append(c)
    return kept, n


def _plain_param(v):
    if v is None or isinstance(v, (bool, int, float, str, complex, np.dtype, np.generic, type)):
        return True
    if isinstance(v, (tuple, list)):
        return all(_plain_param(e) for e in v)
    return False


class _ShapeChanged(Exception):
    pass


def _stable_slots(code, rec, consts):
    """Slots whose shape and dtype are the trace's on every replay that gets past the Variable loads'
    checks: the inputs (the signature fixes them), constants, Variable loads (checked), and what ops make
    from stable slots only.  Results of recorded calls are not counted."""
    stable = set(rec.in_slots) | set(consts)
    for c in code:
        if c[0] == "load":
            stable.add(c[2])
        elif c[0] == "op" and all(s in stable for s in c[2]):
            stable.update(c[3] if type(c[3]) is tuple else (c[3],))
    return stable


def _shape_only_checks():
    """The op checks that read only shapes, dtypes and parameters (never values): on inputs of the traced
    shapes and dtypes they pass again."""
    if not _SHAPE_ONLY:
        m = sys.modules
        lin, nn = m["gputape.ops.linalg"], m["gputape.ops.nn"]
        _SHAPE_ONLY.update(f for f in (getattr(lin, "_mm_check", None), getattr(lin, "_mv_check", None),
                                       getattr(nn, "_bias_check", None), getattr(nn, "_sparse_check", None))
                           if f is not None)
    return _SHAPE_ONLY


_SHAPE_ONLY = set()


def _check_is_shape_only(check):
    if check is None:
        return True
    safe = _shape_only_checks()
    if check in safe:
        return True
    if getattr(check, "__qualname__", "") == "_arg_dtype_check.<locals>.check":     # op._arg_dtype_check
        cells = dict(zip(check.__code__.co_freevars, check.__closure__ or ()))
        inner = cells.get("inner")
        return inner is not None and (inner.cell_contents is None or inner.cell_contents in safe)
    return False


def _compile(c, rec, stable):
    kind = c[0]
    if kind == "load":
        _, k, s = c
        if stable is None:
            def load(r, V):
                r[s] = V[k]._v
            return load
        shape, dtype = rec.arrays[s].shape, rec.arrays[s].dtype

        def load_checked(r, V):
            a = V[k]._v
            if a.shape != shape or a.dtype != dtype:
                raise _ShapeChanged
            r[s] = a
        return load_checked
    if kind == "call":
        _, fn, t_args, t_kw, t_out = c

        def call(r, V):
            out = fn(*_build(t_args, r, V), **_build(t_kw, r, V))
            _bind(t_out, out, r)
        if fn is _APPLY[0] and fn is not None:
            fast = _OptimizerStep.make(t_args, t_kw, t_out, rec, call)
            if fast is not None:
                return fast
        if t_out == ("c", None) and t_args[0] == "l" and not t_kw[2] and all(a[0] in ("a", "c") for a in t_args[1]):
            # a guard (or any call) on raw arrays and constants: its arguments picked straight from the slots
            picks = tuple((a[0] == "a", a[1]) for a in t_args[1])
            if len(picks) == 2 and picks[0][0] and picks[1][0]:
                x, y = picks[0][1], picks[1][1]

                def call_aa(r, V):
                    fn(r[x], r[y])
                return call_aa

            def call_flat(r, V):
                fn(*[r[v] if slot else v for slot, v in picks])
            return call_flat
        return call
    _, op, ins, outs, params, var_args = c
    xp = _b.xp if _b.xp is not None else _b.get_xp()
    if stable is not None and xp is np and all(s in stable for s in ins) and \
            _check_is_shape_only(op.check) and not (op.aliases and var_args):
        from .replay_twins import compile_op
        twin = compile_op(op, ins, outs, params, [rec.arrays[s] for s in ins])
        if twin is not None:
            return twin
    if op._plain:
        f = op._ufn
        if f is not None:
            if len(ins) == 2:
                a, b = ins

                def uf2(r, V):
                    r[outs] = f(r[a], r[b])
                return uf2
            if len(ins) == 1:
                (a,) = ins

                def uf1(r, V):
                    r[outs] = f(r[a])
                return uf1
        fwd = op.fwd
        if len(ins) == 2 and not params:
            a, b = ins

            def fw2(r, V):
                r[outs] = fwd(xp, r[a], r[b])
            return fw2
        if len(ins) == 1 and not params:
            (a,) = ins

            def fw1(r, V):
                r[outs] = fwd(xp, r[a])
            return fw1

        def fwn(r, V):
            r[outs] = fwd(xp, *[r[s] for s in ins], **params)
        return fwn
    # the dispatch's _full: checks, CUDA kernel, aliasing, several outputs
    check, cuda, fwd, aliases = op.check, op.cuda, op.fwd, op.aliases
    gpu = _b.name == "cupy"
    if stable is not None and not gpu and not (aliases and var_args) and _check_is_shape_only(check) and \
            (check is None or all(s in stable for s in ins)):
        # NumPy, no aliasing to undo, a check that passed at the trace on these very shapes: the forward alone
        if type(outs) is tuple:
            def fwd_n(r, V):
                for s, v in zip(outs, fwd(xp, *[r[s] for s in ins], **params)):
                    r[s] = v
            return fwd_n
        if len(ins) == 2:
            a, b = ins

            def fwd_2(r, V):
                r[outs] = fwd(xp, r[a], r[b], **params)
            return fwd_2

        def fwd_1(r, V):
            r[outs] = fwd(xp, *[r[s] for s in ins], **params)
        return fwd_1

    def full(r, V):
        vals = [r[s] for s in ins]
        if check is not None:
            check(*vals, **params)
        o = None
        if cuda is not None and gpu:
            o = cuda(xp, *vals, **params)
        if o is None:
            o = fwd(xp, *vals, **params)
        if aliases and var_args:
            for i in var_args:
                if xp.may_share_memory(o, vals[i]):
                    o = o.copy()
                    break
        _store(r, outs, o)
    return full


def _gathered_ids(t):
    from .ops.shape import gathered_rows
    return gathered_rows(t)


def _mark_gathered(t, ids):
    """``t`` is a gather's gradient with indices ``ids``, as ``ops.shape._gather_vjp`` marks it."""
    _sh = sys.modules["gputape.ops.shape"]      # (``gputape.ops.shape`` the attribute is the shape op)
    key = id(t)
    _sh._GATHERED[key] = (weakref.ref(t, lambda _, k=key: _sh._GATHERED.pop(k, None)), ids)


# ---------------------------------------------------------------- the optimizer step, replayed without its wrapper
# What ``Optimizer.apply_gradients`` does on a step with no clipping, weight decay, loss scaling, gradient
# accumulation, EMA, flat update or constraint, every gradient a dense float array of its variable's dtype
# and shape, none a gather's: per variable ``_update(w, g, var, lr, t + 1)`` in order (read snapshots
# detached first), then ``_t += 1`` and ``iterations += 1``.  ``_OptimizerStep`` does exactly this, calling
# the optimizer's own ``_lr_now``, ``_update`` and ``optimizers._in_dtype``; any other case (checked on
# every call) runs the whole ``apply_gradients``.  The flow it mirrors is pinned by the hash of these
# methods' source: if they change, the shortcut is off (and tests/test_function_replay.py says so) until
# someone checks the mirror again and updates ``_OPT_FLOW_SHA1``.
_OPT_FLOW = ("apply_gradients", "_step", "_dense_gradient", "_grad_array", "_clip_gradients", "_filter_empty",
             "_pairs", "_check_known", "?_grad_arrays")        # ?: mirrored where it exists
_OPT_FLOW_SHA1 = (
    "8febd169234c855368566a8844c82f05e6e7d3b2",     # main at dd1b4ce
    # h-eager at d16e008: apply_gradients takes its arrays from _grad_arrays, which passes the usual gradient
    # (a dense float Tensor of the variable's shape, no gather's) straight through: the same arrays
    "89deb0d8388dde9b7f774ffe38b5f8f46169e2c6",
)
_flow_ok = []


def _source_sha1(fns):
    import hashlib
    import inspect
    try:
        return hashlib.sha1("".join(inspect.getsource(f) for f in fns).encode()).hexdigest()
    except (OSError, TypeError):
        return None


def _resolve(names, get):
    """The functions ``names`` name (``get(name)``; a name starting with ``?`` may be missing), or None."""
    fns = []
    for n in names:
        f = get(n.lstrip("?"))
        if f is None:
            if n.startswith("?"):
                continue
            return None
        fns.append(f)
    return fns


def _flow_sha1():
    from . import optimizers as _optm
    fns = _resolve(_OPT_FLOW, lambda n: _APPLY[0] if n == "apply_gradients" and _APPLY[0] is not None
                   else getattr(_optm.Optimizer, n, None))
    return None if fns is None else _source_sha1(fns)


def _optimizer_flow_unchanged():
    if not _flow_ok:
        _flow_ok.append(_flow_sha1() in _OPT_FLOW_SHA1)
    return _flow_ok[0]


def _twin_sha1(twin):
    from . import optimizers as _optm

    def get(n):
        try:
            return functools.reduce(getattr, n.split("."), _optm)
        except AttributeError:
            return None
    fns = _resolve(twin.SOURCES, get)
    return None if fns is None else _source_sha1(fns)


class _UpdateTwin:
    """One step of the updates of a built-in optimizer's ``_update`` for every variable, as the very ufunc
    calls of that method in its order, writing its temporaries into scratch buffers made once (``out=``)
    instead of new arrays: the same operations on the same operands in the same dtypes, so the same bits
    (only correctly rounded +, -, *, /, sqrt).  The step's scalars come from the optimizer's own code
    (``_scalars``, ``_lr_now``) on every call.  Pinned by the hash of the mirrored methods' source
    (``SOURCES``, ``SHA1``): another source turns the twin off (``_update`` runs), and
    tests/test_function_replay_fast.py says so."""
    SOURCES = ()
    SHA1 = ()
    SLOTS = ()
    N_SCRATCH = 1
    _ok = None

    @classmethod
    def make(cls, opt, variables):
        from . import optimizers as _optm
        twin = {_optm.Adam: _AdamTwin, _optm.SGD: _SGDTwin}.get(type(opt))
        if twin is None or _b.get_xp() is not np:
            return None
        if twin._ok is None:
            twin._ok = _twin_sha1(twin) in twin.SHA1
        if not twin._ok:
            return None
        self = twin()
        self.lock = threading.Lock()       # one set of scratch buffers: one replay at a time
        self.scratch = [[np.empty(v._v.shape, v._v.dtype) for _ in range(twin.N_SCRATCH)] for v in variables]
        try:
            self.slots = [[opt._slot_lists[n][opt._index[v._uid]] for v in variables] for n in twin.SLOTS]
        except (AttributeError, KeyError, IndexError):
            return None
        return self


class _AdamTwin(_UpdateTwin):
    SOURCES = ("Adam._update", "Adam._scalars", "Optimizer._slot", "?Optimizer._slot_pair")
    SHA1 = ("37f7b8e986efdb12fc9f4263bf236e2584ffa6fc",     # main at dd1b4ce
            # h-eager at d16e008: alpha, c1, c2, eps once per step and dtype (the same values), both slots
            # through _slot_pair (each detached as by _slot)
            "0447b4bc4a16f9cf506b8d07b1a75f573b6978b3")
    SLOTS = ("momentum", "velocity")
    N_SCRATCH = 2

    @staticmethod
    def usable(opt):
        return not opt.amsgrad

    def run(self, opt, work, lrs, t):
        subtract, multiply, add, sqrt, divide = np.subtract, np.multiply, np.add, np.sqrt, np.true_divide
        ms, vs = self.slots
        consts = {}
        for i, (g, var) in enumerate(work):
            w = var._v
            d = w.dtype
            c = consts.get(d)
            if c is None:
                s2, q1, c1, c2, eps = opt._scalars(d, t)
                c = consts[d] = (lrs[d] * s2 / q1, c1, c2, eps)        # alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)
            alpha, c1, c2, eps = c
            s = ms[i]
            if s._reads:                      # as Optimizer._slot
                s._detach_reads()
            m = s._v
            s = vs[i]
            if s._reads:
                s._detach_reads()
            v = s._v
            tmp, den = self.scratch[i]
            subtract(g, m, out=tmp)           # tmp = g - m
            multiply(tmp, c1, out=tmp)        # tmp *= c1
            add(m, tmp, out=m)                # m += tmp
            multiply(g, g, out=tmp)           # tmp = g * g
            subtract(tmp, v, out=tmp)         # tmp -= v
            multiply(tmp, c2, out=tmp)        # tmp *= c2
            add(v, tmp, out=v)                # v += tmp
            sqrt(v, out=den)                  # den = sqrt(v)
            add(den, eps, out=den)            # den += eps
            multiply(m, alpha, out=tmp)       # tmp = m * alpha
            divide(tmp, den, out=tmp)         # tmp /= den
            subtract(w, tmp, out=w)           # w -= tmp


class _SGDTwin(_UpdateTwin):
    SOURCES = ("SGD._update", "Optimizer._slot")
    SHA1 = ("d63435c04e2a17cfbdd47e90698206a68f3751b6",)

    @staticmethod
    def usable(opt):
        return opt.momentum == 0

    def run(self, opt, work, lrs, t):
        multiply, subtract = np.multiply, np.subtract
        for i, (g, var) in enumerate(work):
            w = var._v
            (tmp,) = self.scratch[i]
            multiply(g, lrs[w.dtype], out=tmp)     # w -= g * lr
            subtract(w, tmp, out=w)


class _OptimizerStep:
    """A recorded ``apply_gradients`` call replayed as the optimizer's per-variable updates (see above)."""
    __slots__ = ("opt", "pairs", "generic", "shapes", "twin")

    @classmethod
    def make(cls, t_args, t_kw, t_out, rec, generic):
        from . import optimizers as _optm
        if t_kw != ("d", dict, []) or t_args[0] != "l" or len(t_args[1]) != 2 or t_args[1][0][0] != "c":
            return None
        opt = t_args[1][0][1]
        pairs_t = t_args[1][1]
        if not isinstance(opt, _optm.Optimizer) or pairs_t[0] not in ("l", "t") or not pairs_t[1]:
            return None
        base = _optm.Optimizer
        for n in _OPT_FLOW:
            n = n.lstrip("?")
            if getattr(type(opt), n, None) is not getattr(base, n, None):
                return None
        if not _optimizer_flow_unchanged() or not cls._plain(opt):
            return None
        pairs, seen = [], set()
        for p in pairs_t[1]:
            if p[0] not in ("l", "t") or len(p[1]) != 2:
                return None
            (gk, gs), (vk, k) = p[1][0][:2], p[1][1][:2]
            if gk != "s" or vk != "v" or k in seen:
                return None
            seen.add(k)
            a, v = rec.arrays[gs], rec.vars[k]
            if type(a) is not type(v._v) or a.dtype != v._v.dtype or a.dtype.kind != "f" or a.shape != v._v.shape:
                return None
            if any(_b.get_xp().may_share_memory(a, u._v) for u in rec.vars):
                return None       # a gradient that is (a view of) a Variable's buffer: eager detaches it first
            pairs.append((gs, k))
        if t_out != ("v", rec.var_index.get(id(opt._iterations), -1)):
            return None
        self = cls()
        self.opt, self.pairs, self.generic = opt, pairs, generic
        self.shapes = [rec.arrays[gs].shape for gs, _ in pairs]
        self.twin = _UpdateTwin.make(opt, [rec.vars[k] for _, k in pairs])
        return self

    @staticmethod
    def _plain(opt):
        return not (opt.clipnorm or opt.global_clipnorm or opt.clipvalue or opt.weight_decay is not None
                    or opt.loss_scale_factor is not None or opt.gradient_accumulation_steps or opt.use_ema
                    or opt._flat is not None or not opt.built)

    def __call__(self, r, V):
        opt = self.opt
        if not self._plain(opt):
            return self.generic(r, V)
        work = []
        for (gs, k), shape in zip(self.pairs, self.shapes):
            v = V[k]
            if v.constraint is not None or v._v.shape != shape:
                return self.generic(r, V)
            work.append((r[gs], v))
        _in_dtype = sys.modules["gputape.optimizers"]._in_dtype
        lr = opt._lr_now()
        t = opt._t
        twin = self.twin
        if twin is not None and twin.usable(opt) and twin.lock.acquire(False):
            try:
                lrs = {}
                for g, v in work:
                    if v._reads:
                        v._detach_reads()
                    d = v._v.dtype
                    if d not in lrs:
                        lrs[d] = _in_dtype(lr, d)
                twin.run(opt, work, lrs, t + 1)
            finally:
                twin.lock.release()
            opt._t += 1
            opt._iterations._v += 1
            return
        update = opt._update
        by_dtype = {}
        for g, v in work:
            if v._reads:
                v._detach_reads()
            w = v._v
            d = w.dtype
            lr_d = by_dtype.get(d)
            if lr_d is None:
                lr_d = by_dtype[d] = _in_dtype(lr, d)
            update(w, g, v, lr_d, t + 1)
        opt._t += 1
        opt._iterations._v += 1


def _register():
    from . import tensor as _t
    _t._note_variable[0] = note_variable


_register()
