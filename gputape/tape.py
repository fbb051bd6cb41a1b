"""GradientTape, ForwardAccumulator and the reverse sweep.

A tape keeps ``entries`` in execution order (hence already topologically
sorted) and ``tracked``: id -> tensor for every watched tensor and every
recorded output, which keeps those ids alive and unique while the tape lives.
"""
import enum
import logging

from . import backend as _b
from . import nest
from . import op as _op_mod
from .op import Op, debug, user_site, _check_numerics
from .state import state as _state
from .tensor import Tensor, Variable, _Base, _wrap, _short

ops = None   # gputape.ops, bound at import

log = logging.getLogger("gputape")


class UnconnectedGradients(enum.Enum):
    NONE = "none"
    ZERO = "zero"


def _unconnected(u):
    if u is UnconnectedGradients.NONE or u is UnconnectedGradients.ZERO:
        return u
    try:
        return UnconnectedGradients(u.value if isinstance(u, UnconnectedGradients) else u)
    except ValueError:
        raise ValueError(f"Unknown value for unconnected_gradients: {u!r}") from None


read_variable = Op("read_variable", lambda xp, v: v, linear=True)
read_variable.def_vjp(lambda g, out, v: g)
_op_mod._read_op[0] = read_variable


def _push(rec):
    _state.stack = _state.stack + [rec]


def _pop(rec):
    _state.stack = [r for r in _state.stack if r is not rec]


def _is_float(t):
    return t._v.dtype.kind in "fc"


# ---------------------------------------------------------------- reverse sweep

def unbroadcast(g, shape, nb=0):
    """Sum ``g`` (with ``nb`` leading batch axes) back down to ``batch + shape``."""
    gs = g._v.shape
    shape = tuple(shape)
    if gs[nb:] == shape:
        return g
    lead = len(gs) - nb - len(shape)
    axes = list(range(nb, nb + max(lead, 0)))
    if lead >= 0:
        axes += [nb + lead + i for i, d in enumerate(shape) if d == 1 and gs[nb + lead + i] != 1]
        if axes:
            g = ops.reduce_sum(g, axis=tuple(axes))
    want = tuple(gs[:nb]) + shape
    if tuple(g._v.shape) != want:
        if g._v.size == _prod(want):
            g = ops.reshape(g, want)
        else:
            g = ops.broadcast_to(g, want)
    return g


def _prod(s):
    n = 1
    for d in s:
        n *= d
    return n


def _vjp_call(op, gs, out, inputs, params, needs, site=None, nb=None):
    """Cotangents for ``inputs`` (None where not needed or not differentiable)."""
    if op.vjp_all is not None:
        grads = list(op.vjp_all(gs, out, inputs, needs, **params))
    else:
        g = gs
        grads = [None] * len(inputs)
        vjps = op.vjps
        if vjps is None:
            raise LookupError(f"gradient registry has no entry for: {op.name} (recorded at {site or 'an unknown line'}); "
                              f"wrap the call in gputape.stop_gradient or gputape.custom_gradient")
        for i, need in enumerate(needs):
            if need and vjps[i] is not None:
                grads[i] = vjps[i](g, out, *inputs, **params)
    if nb is None:
        nb = _batch_axes(gs, out)
    for i, gi in enumerate(grads):
        if gi is not None:
            if not isinstance(gi, _Base):
                gi = ops.convert_to_tensor(gi, dtype=inputs[i].dtype)
            grads[i] = unbroadcast(gi, inputs[i]._v.shape, nb)
    if debug.check_numerics:
        for i, gi in enumerate(grads):
            if gi is not None:
                _check_numerics(op, gi, f"gradient for input #{i}", site)
    return grads


def _batch_axes(gs, out):
    if type(out) is tuple:
        for g, o in zip(gs, out):
            if g is not None:
                return g._v.ndim - o._v.ndim
        return 0
    return gs._v.ndim - out._v.ndim


def backprop(entries, seeds, source_ids, dep=None):
    """Reverse sweep over ``entries`` from ``seeds`` (id -> cotangent); returns id -> cotangent.

    ``dep`` holds the ids that may lead to a source.  A tape passes its ``tracked`` ids: every
    recorded entry descends from a watched tensor, so no forward pruning pass is needed (a
    branch towards a watched non-source costs work, never correctness)."""
    if dep is not None:
        path = entries
    else:
        dep, path = _prune(entries, source_ids)
    return _sweep_entries(path, seeds, source_ids, dep)


def _prune(entries, source_ids):
    dep = set(source_ids)
    path = []
    for e in entries:
        for i in e[1]:
            if i in dep:
                out = e[3]
                if type(out) is tuple:
                    dep.update(map(id, out))
                else:
                    dep.add(id(out))
                path.append(e)
                break
    return dep, path


def _sweep_entries(path, seeds, source_ids, dep):
    cot = {k: v for k, v in seeds.items() if k in dep}
    if not cot:
        return cot
    add = ops.add
    slow = debug.check_numerics
    for e in reversed(path):
        op, ids, inputs, out, params, site = e
        if type(out) is tuple:
            oids = [id(o) for o in out]
            gs = [cot.get(k) for k in oids]
            if all(g is None for g in gs):
                continue
            for k in oids:
                if k not in source_ids:
                    cot.pop(k, None)
        else:
            oid = id(out)
            gs = cot.pop(oid, None)
            if gs is None:
                continue
            if oid in source_ids:
                cot[oid] = gs
            if op is read_variable and not slow and type(gs) is Tensor and gs._v.shape == out._v.shape:
                # a Variable's read snapshot: its cotangent goes to the Variable as is (the rule is g)
                iid = ids[0]
                if iid in dep:
                    prev = cot.get(iid)
                    cot[iid] = gs if prev is None else add(prev, gs)
                continue
            vjps = op.vjps
            if vjps is not None and not slow:
                # the common case, inlined: one rule per needed input, unbroadcast only on a shape change
                i = 0
                for iid in ids:
                    rule = vjps[i]
                    if rule is not None and iid in dep:
                        gi = rule(gs, out, *inputs, **params) if params else rule(gs, out, *inputs)
                        if gi is not None:
                            if type(gi) is not Tensor:
                                gi = ops.convert_to_tensor(gi, dtype=inputs[i]._v.dtype)
                            xshape = inputs[i]._v.shape
                            if gi._v.shape != xshape:
                                gi = unbroadcast(gi, xshape, gs._v.ndim - out._v.ndim)
                            prev = cot.get(iid)
                            cot[iid] = gi if prev is None else add(prev, gi)
                    i += 1
                continue
        needs = [i in dep for i in ids]
        if op.vjp_all is not None and not slow:
            # _vjp_call's shared-rule case, inlined (unbroadcast only where it would change something)
            try:
                grads = op.vjp_all(gs, out, inputs, needs, **params)
            except FloatingPointError as e:
                if "while computing the gradient of" in str(e):
                    raise
                raise type(e)(f"{e}, while computing the gradient of {op.name} recorded at {site}") from None
            nb = None
            for iid, gi, x in zip(ids, grads, inputs):
                if gi is None or iid not in dep:
                    continue
                if not isinstance(gi, _Base):
                    gi = ops.convert_to_tensor(gi, dtype=x.dtype)
                if nb is None:
                    nb = _batch_axes(gs, out)
                if nb or gi._v.shape != x._v.shape:
                    gi = unbroadcast(gi, x._v.shape, nb)
                prev = cot.get(iid)
                cot[iid] = gi if prev is None else add(prev, gi)
            continue
        try:
            grads = _vjp_call(op, gs, out, inputs, params, needs, site)
        except FloatingPointError as e:       # check_numerics inside a rule: name the forward op too
            if "while computing the gradient of" in str(e):
                raise
            raise type(e)(f"{e}, while computing the gradient of {op.name} recorded at {site}") from None
        for iid, gi in zip(ids, grads):
            if gi is None or iid not in dep:
                continue
            prev = cot.get(iid)
            cot[iid] = gi if prev is None else add(prev, gi)
    return cot


# ---------------------------------------------------------------- GradientTape

class GradientTape:
    """Records operations on watched tensors for reverse-mode differentiation.

    >>> x = constant(3.0)
    >>> with GradientTape() as t:
    ...     t.watch(x)
    ...     y = x * x
    >>> t.gradient(y, x).numpy()
    6.0
    """

    _warned_inside = False
    _inline_record = True        # the dispatch may record on a lone tape without calling _record

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._entries = None          # None: never entered, or dropped after gradient()
        self._tracked = {}
        self._watched_vars = {}
        self._recording = False
        self._cuts = []               # (op name, site) where a tracked tensor left the tape
        self._ever_entered = False
        self._released = None         # (tracked ids, cuts, (target ids, {source id: reached})) after use

    # -- context
    def __enter__(self):
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter an "
                             "already-active tape.")
        if self._entries is None:
            self._entries = []
            self._tracked = {}
            self._cuts = []
        self._ever_entered = True
        self._recording = True
        _push(self)
        return self

    def __exit__(self, *exc):
        if self._recording:
            self._recording = False
            _pop(self)
        return False

    # -- recorder interface (called by op dispatch)
    def _record(self, op, inputs, out, params, stack, k):
        tracked = self._tracked
        for x in inputs:
            if id(x) in tracked:
                break
        else:
            return
        if type(out) is tuple:
            outs = [o for o in out if _is_float(o)]
            if not outs:
                return
            for o in outs:
                tracked[id(o)] = o
        else:
            if out._v.dtype.kind not in "fc":
                self._cuts.append((op.name, user_site(), "it returns an integer/bool tensor"))
                return
            tracked[id(out)] = out
        self._entries.append((op, tuple(map(id, inputs)), inputs, out, params,
                              user_site() if debug.record_sites else None))

    def _read(self, var, snap, stack, k):
        vid = id(var)
        if vid not in self._tracked:
            if not (self._watch_accessed and var._trainable):
                return
            self._watched_vars[var._uid] = var
            self._tracked[vid] = var
        if var._v.dtype.kind in "fc":
            self._tracked[id(snap)] = snap
            self._entries.append((read_variable, (vid,), (var,), snap, {},
                                  user_site() if debug.record_sites else None))

    def _note_cut(self, op, args):
        tracked = self._tracked
        hit = False
        for a in args:
            if id(a) in tracked:
                hit = True
            elif type(a) is Variable and self._watch_accessed and a._trainable:
                # any read of a trainable variable watches it, even by a non-differentiable op (as TF)
                self._watched_vars[a._uid] = a
                tracked[id(a)] = a
                hit = True
        if hit:
            self._cuts.append((op.name, user_site(), "it has no gradient (non-differentiable)"))

    def _note_host_read(self, t, how=".numpy()"):
        if id(t) in self._tracked:
            why = ("values read to the host leave the tape" if how == ".numpy()" else
                   "a new constant made from a tensor is not connected to it")
            self._cuts.append((how, user_site(), why))

    # -- public surface
    def watch(self, tensor):
        """Track ``tensor`` (a tensor, a variable, or a nested structure of them) on this tape."""
        if self._entries is None:
            raise AttributeError("'NoneType' object has no attribute '_tape': GradientTape.watch was called "
                                 "on a tape that is not active; call it inside `with tape:`")
        for t in nest.flatten(tensor):
            if not isinstance(t, _Base):
                raise ValueError(f"Passed in object {t} of type '{type(t).__name__}', not tf.Tensor or "
                                 f"tf.Variable or ExtensionType.")
            if not _is_float(t):
                log.warning("The dtype of the watched tensor must be floating (e.g. tf.float32), got %s",
                            t._v.dtype.name)
            if isinstance(t, Variable):
                self._watched_vars[t._uid] = t
            self._tracked[id(t)] = t

    def watched_variables(self):
        return tuple(v for _, v in sorted(self._watched_vars.items()))

    def stop_recording(self):
        """A context in which this tape (only) records nothing."""
        return _StopRecording(self)

    def reset(self):
        """Forget everything recorded and watched so far; keep recording."""
        if not self._recording:
            raise ValueError("Tape is not recording.")
        self._entries = []
        self._tracked = {}
        self._watched_vars = {}
        self._cuts = []

    def _begin_use(self, what):
        if self._entries is None:
            raise RuntimeError(f"A non-persistent GradientTape can only be used to compute one set of "
                               f"gradients (or jacobians). Create the tape with "
                               f"GradientTape(persistent=True) to call {what}() more than once"
                               + ("" if self._ever_entered else
                                  ", and record on it inside `with tape:` first") + ".")
        if self._recording:
            if not self._persistent:
                self._recording = False
                _pop(self)
            elif not GradientTape._warned_inside:
                GradientTape._warned_inside = True
                log.warning("Calling GradientTape.gradient on a persistent tape inside its context is "
                            "significantly less efficient than calling it outside the context (it causes "
                            "the gradient ops to be recorded on the tape, leading to increased CPU and memory "
                            "usage). Only call GradientTape.gradient inside the context if you actually want "
                            "to trace the gradient in order to compute higher order derivatives.")

    def _end_use(self):
        if not self._persistent:
            # keep what explain() needs once the records go: ids, op names and sites, no arrays
            # (gradient() adds which of its sources it reached)
            self._released = (set(self._tracked), self._cuts, None)
            self._entries = None
            self._tracked = {}

    def _sweep(self, seeds, source_ids):
        """backprop with this tape paused, other recorders still recording."""
        entries = self._entries[:]
        if self._recording and self._persistent:
            return backprop(entries, seeds, source_ids, self._tracked)
        saved = _state.stack
        if not any(r is self for r in saved):        # the usual case: gradient() after the with block
            return backprop(entries, seeds, source_ids, self._tracked)
        _state.stack = [r for r in saved if r is not self]
        try:
            return backprop(entries, seeds, source_ids, self._tracked)
        finally:
            _state.stack = saved

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of targets)/d(source) for each source, in the structure of ``sources``."""
        if target is None:
            raise TypeError("Argument `target` should be a list or nested structure of Tensors, Variables or "
                            "CompositeTensors to be differentiated, but received None.")
        self._begin_use("gradient")
        unconnected = _unconnected(unconnected_gradients)
        targets = nest.flatten(target)
        for t in targets:
            if t is None:
                raise TypeError("Cannot convert the argument `type_value`: None to a TensorFlow DType. "
                                "(a target in the list passed to gradient() is None)")
        plain = type(sources) is list and all(type(x) is Variable or type(x) is Tensor for x in sources)
        if plain:                     # the usual list of variables: already flat, already checked
            flat_sources = sources
        else:
            flat_sources = nest.flatten(sources)
            _check_sources(flat_sources)
        ogs = nest.flatten(output_gradients) if output_gradients is not None else []
        seeds = {}
        for j, t in enumerate(targets):
            if not isinstance(t, _Base):
                raise AttributeError(
                    f"'{type(t).__name__}' object has no attribute 'dtype': GradientTape.gradient's target "
                    f"{_short(t)} is a {type(t).__name__}, not a tensor computed on the tape (float(loss) and "
                    f"loss.numpy() leave the tape; pass the loss tensor itself)")
            if not _is_float(t):
                continue
            og = ogs[j] if j < len(ogs) else None
            if og is None:
                if j < len(ogs):
                    raise ValueError("Attempt to convert a value (None) with an unsupported type "
                                     "(<class 'NoneType'>) to a Tensor.")
                seed = ops.ones_like(t)
            else:
                seed = _seed_from(og, t)
            k = id(t)
            seeds[k] = seed if k not in seeds else ops.add(seeds[k], seed)
        tracked = self._tracked
        src_ids = {id(s) for s in flat_sources if _is_float(s) and id(s) in tracked}
        try:
            cot = self._sweep(seeds, src_ids) if seeds else {}
        finally:
            self._end_use()
        out = []
        for s in flat_sources:
            g = cot.get(id(s)) if _is_float(s) else None
            if g is None and _is_float(s):
                g = seeds.get(id(s))          # a target that is itself the source contributes 1
            if g is not None and tuple(g._v.shape) != tuple(s._v.shape):
                g = unbroadcast(g, s._v.shape)
            if g is None and unconnected is UnconnectedGradients.ZERO:
                g = ops.zeros(s._v.shape, dtype=s._v.dtype)
            out.append(g)
        if not self._persistent:
            tracked_ids, cuts, _ = self._released
            reached = {id(s): (id(s) in cot or id(s) in seeds) for s in flat_sources}
            self._released = (tracked_ids, cuts, (frozenset(map(id, targets)), reached))
        return out if plain else nest.pack_sequence_as(sources, out)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target / d source of shape ``target.shape + source.shape``, in one batched sweep."""
        if not isinstance(target, _Base):
            raise AttributeError(f"'{type(target).__name__}' object has no attribute 'shape': "
                                 f"GradientTape.jacobian's target must be a single tensor, got {_short(target)}")
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError("GradientTape must be created with persistent=True to compute the jacobian "
                               "with eager execution enabled and with  experimental_use_pfor set to False.")
        self._begin_use("jacobian")
        unconnected = _unconnected(unconnected_gradients)
        flat_sources = nest.flatten(sources)
        _check_sources(flat_sources, "jacobian")
        tshape = tuple(target._v.shape)
        n = _prod(tshape)
        xp = _b.get_xp()
        seeds = {}
        if _is_float(target):
            seeds[id(target)] = _shape_const(_wrap(xp.eye(n, dtype=target._v.dtype).reshape((n,) + tshape)))
        src_ids = {id(s) for s in flat_sources if _is_float(s) and id(s) in self._tracked}
        try:
            cot = self._sweep(seeds, src_ids) if seeds else {}
        finally:
            self._end_use()
        out = []
        for s in flat_sources:
            sshape = tuple(s._v.shape)
            g = cot.get(id(s)) if _is_float(s) else None
            if g is None:
                out.append(ops.zeros(tshape + sshape, dtype=s._v.dtype)
                           if unconnected is UnconnectedGradients.ZERO else None)
                continue
            g = unbroadcast(g, sshape, nb=1) if tuple(g._v.shape) != (n,) + sshape else g
            out.append(ops.reshape(g, tshape + sshape))
        return nest.pack_sequence_as(sources, out)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example jacobians: ``[b, y...]`` by ``[b, x...]`` gives ``[b, y..., x...]``.

        ``target`` and ``source`` are single tensors (TF: AttributeError for a list, "'list' object
        has no attribute 'shape'")."""
        for arg, t in (("target", target), ("source", source)):
            if not isinstance(t, _Base):
                raise AttributeError(f"'{type(t).__name__}' object has no attribute 'shape': "
                                     f"GradientTape.batch_jacobian's {arg} must be a single tensor, got "
                                     f"{_short(t)}")
        tshape, sshape = tuple(target._v.shape), tuple(source._v.shape)
        if len(tshape) < 2:
            raise ValueError(f"Shape {_shape(tshape)} must have rank at least 2")
        if len(sshape) < 2:
            raise ValueError(f"Shape {_shape(sshape)} must have rank at least 2")
        if tshape[0] != sshape[0]:
            raise ValueError(f"Need first dimension of target shape ({_shape(tshape)}) and source shape "
                             f"({_shape(sshape)}) to match.")
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError("GradientTape must be created with persistent=True to compute the batch_jacobian "
                               "with eager execution enabled and  with experimental_use_pfor set to False.")
        self._begin_use("batch_jacobian")
        _unconnected(unconnected_gradients)
        _check_sources([source], "batch_jacobian")
        b, ys, xs = tshape[0], tshape[1:], sshape[1:]
        m = _prod(ys)
        xp = _b.get_xp()
        seeds = {}
        if _is_float(target):
            e = xp.eye(m, dtype=target._v.dtype).reshape((m, 1) + ys)
            seeds[id(target)] = _shape_const(_wrap(xp.ascontiguousarray(xp.broadcast_to(e, (m, b) + ys))))
        try:
            cot = (self._sweep(seeds, {id(source)}) if seeds and _is_float(source) and id(source) in self._tracked
                   else {})
        finally:
            self._end_use()
        g = cot.get(id(source))
        if g is None:
            return ops.zeros((b,) + ys + xs, dtype=source._v.dtype)
        g = unbroadcast(g, sshape, nb=1)
        g = ops.transpose(g, (1, 0) + tuple(range(2, g._v.ndim)))
        return ops.reshape(g, (b,) + ys + xs)

    def explain(self, target, source):
        """Why ``gradient(target, source)`` is (or is not) None, in words."""
        return _explain(self, target, source)


def _shape_const(t):
    """gputape.function: a seed that depends on shapes only is a constant of the traced signature."""
    if _state.capture is not None:
        _state.capture.shape_constant(t)
    return t


def _shape(s):
    return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def _seed_from(og, t):
    og = ops.convert_to_tensor(og, dtype_hint=t._v.dtype) if not isinstance(og, _Base) else og
    if og._v.dtype != t._v.dtype:
        from .errors import InvalidArgumentError
        raise InvalidArgumentError(f"output_gradients: cannot compute Mul as input #1(zero-based) was expected "
                                   f"to be a {t._v.dtype.name} tensor but is a {og._v.dtype.name} tensor "
                                   f"(the upstream gradient for a target of dtype {t._v.dtype.name})")
    if tuple(og._v.shape) != tuple(t._v.shape):
        try:
            og = ops.broadcast_to(og, t._v.shape)
        except ValueError:
            from .errors import InvalidArgumentError
            raise InvalidArgumentError(f"output_gradients: Incompatible shapes: {list(og._v.shape)} vs. "
                                       f"{list(t._v.shape)} (upstream gradient vs. its target)") from None
    return og


def _check_sources(flat, api="gradient"):
    """Sources must be tensors or variables.  As TF 2.21: None and strings are TypeError ("Cannot
    convert the argument `type_value`: None to a TensorFlow DType."), other objects (floats, numpy
    arrays) AttributeError."""
    for s in flat:
        if isinstance(s, _Base):
            continue
        if s is None or isinstance(s, (str, bytes)):
            raise TypeError(f"Cannot convert the argument `type_value`: {s!r} to a TensorFlow DType. "
                            f"(GradientTape.{api}: a source is {s!r}; sources must be tensors or variables)")
        raise AttributeError(f"'{type(s).__name__}' object has no attribute '_id': GradientTape.{api}: sources "
                             f"must be tensors or variables, got {_short(s)} (wrap it with gputape.constant and "
                             f"tape.watch it before using it)")


class _StopRecording:
    def __init__(self, tape):
        self.tape = tape

    def __enter__(self):
        t = self.tape
        if not t._recording:
            if not t._ever_entered:
                raise RuntimeError("Trying to stop recording a tape which is not recording.")
            raise ValueError("Tape is not recording.")
        self.saved = _state.stack
        _state.stack = [r for r in self.saved if r is not t]
        t._recording = False

    def __exit__(self, *exc):
        t = self.tape
        t._recording = True
        # re-insert at the same depth, keeping recorders entered meanwhile
        pos = self.saved.index(t)
        before = [r for r in self.saved[:pos] if r in _state.stack]
        rest = [r for r in _state.stack if r not in before]
        _state.stack = before + [t] + rest
        return False


# ---------------------------------------------------------------- forward mode

class ForwardAccumulator:
    """Forward-mode autodiff: JVPs of everything computed from ``primals`` while active.

    >>> x = constant(2.0)
    >>> with ForwardAccumulator(x, constant(1.0)) as acc:
    ...     y = x * x
    >>> acc.jvp(y).numpy()
    4.0
    """

    def __init__(self, primals, tangents):
        fp, ft = nest.flatten(primals), nest.flatten(tangents)
        try:
            nest.assert_same_structure(primals, tangents)
        except ValueError as e:
            raise ValueError(f"The two structures don't have the same nested structure. {e}") from None
        self._tangents = {}
        self._keep = {}
        for p, t in zip(fp, ft):
            if not isinstance(p, _Base):
                raise ValueError(f"Passed in object {p} of type '{type(p).__name__}', not tf.Tensor or "
                                 f"tf.Variable or ExtensionType.")
            if id(p) in self._tangents:
                raise ValueError("Tensor {} was specified as a primal multiple times. This may indicate an "
                                 "error. If it was intended, please sum the corresponding tangents.")
            if not _is_float(p):
                log.warning("The dtype of the watched primal must be floating (e.g. tf.float32), got %s",
                            p._v.dtype.name)
                continue
            t = ops.cast(t, p._v.dtype) if isinstance(t, _Base) else ops.convert_to_tensor(t, dtype=p._v.dtype)
            self._tangents[id(p)] = t
            self._keep[id(p)] = p
        self._recording = False

    def __enter__(self):
        if self._recording:
            raise ValueError("Accumulator is already recording.")
        self._recording = True
        _push(self)
        return self

    def __exit__(self, *exc):
        if self._recording:
            self._recording = False
            _pop(self)
        return False

    def _record(self, op, inputs, out, params, stack, k):
        tans = self._tangents
        ts = [tans.get(id(i)) for i in inputs]
        if all(t is None for t in ts):
            return
        saved = _state.stack
        _state.stack = list(stack[:k])
        try:
            tout = jvp_of(op, ts, out, inputs, params)
        finally:
            _state.stack = saved
        if type(out) is tuple:
            for o, t in zip(out, tout):
                if t is not None and _is_float(o):
                    tans[id(o)] = t
                    self._keep[id(o)] = o
        elif tout is not None and _is_float(out):
            tans[id(out)] = tout
            self._keep[id(out)] = out

    def _read(self, var, snap, stack, k):
        t = self._tangents.get(id(var))
        if t is not None:
            self._tangents[id(snap)] = t
            self._keep[id(snap)] = snap

    def jvp(self, primals, unconnected_gradients=UnconnectedGradients.NONE):
        """The tangents already computed for ``primals`` (any nested structure)."""
        unconnected = _unconnected(unconnected_gradients)
        out = []
        for p in nest.flatten(primals):
            t = self._tangents.get(id(p))
            if t is None and unconnected is UnconnectedGradients.ZERO:
                t = ops.zeros_like(p)
            out.append(t)
        return nest.pack_sequence_as(primals, out)


def jvp_of(op, ts, out, inputs, params):
    """The output tangent of one op call, from its JVP rule or the transpose of its VJP."""
    if op.nondiff:
        return None
    if op.jvp is not None:
        return op.jvp(ts, out, *inputs, **params)
    if op.elementwise and op.vjps is not None:
        acc = None
        for i, t in enumerate(ts):
            if t is not None and op.vjps[i] is not None:
                c = op.vjps[i](t, out, *inputs, **params)
                acc = c if acc is None else ops.add(acc, c)
        if acc is not None and tuple(acc._v.shape) != tuple(out._v.shape):
            acc = ops.broadcast_to(acc, out._v.shape)
        return acc
    if op.linear and op.nout == 1:
        # inputs with no tangent enter as zeros, except non-float ones (indices, masks): kept as is
        args = [t if t is not None else ops.zeros_like(x) if _is_float(x) else x for t, x in zip(ts, inputs)]
        return op(*args, **params)
    return _jvp_by_transpose(op, ts, out, inputs, params)


def _jvp_by_transpose(op, ts, out, inputs, params):
    """J t as the gradient of <vjp(u), t> with respect to the cotangent u (the VJP is linear in u)."""
    outs = out if type(out) is tuple else (out,)
    us = [ops.zeros_like(o) for o in outs]
    with GradientTape() as tape:
        tape.watch(us)
        gs = us if type(out) is tuple else us[0]
        grads = _vjp_call(op, gs, out, inputs, params, [t is not None for t in ts])
        h = None
        for g, t in zip(grads, ts):
            if g is not None and t is not None:
                term = ops.reduce_sum(ops.multiply(g, ops.cast(t, g._v.dtype)))
                h = term if h is None else ops.add(h, term)
    if h is None:
        return None if type(out) is not tuple else (None,) * len(outs)
    res = tape.gradient(h, us)
    return tuple(res) if type(out) is tuple else res[0]


# ---------------------------------------------------------------- explain a None

def _explain(tape, target, source):
    if not isinstance(source, _Base):
        return f"source is a {type(source).__name__}, not a tensor or variable: it cannot have a gradient"
    if not _is_float(source):
        return (f"source has integer/bool dtype {source._v.dtype.name}: only floating tensors have gradients "
                f"(cast it to float before the computation)")
    targets = [t for t in nest.flatten(target) if isinstance(t, _Base)]
    if tape._entries is not None:
        tracked, cuts, prefix = tape._tracked, tape._cuts, ""

        def connected():
            seeds = {id(t): ops.ones_like(t) for t in targets if _is_float(t)}
            return id(source) in backprop(list(tape._entries), seeds, {id(source)})
    elif tape._released is None:
        return "the tape recorded nothing: use it as `with tape:` around the computation"
    else:
        # a non-persistent tape after gradient(): what it kept (ids, op names and sites, no arrays)
        tracked, cuts, last = tape._released
        prefix = "(from the ids, op names and sites kept after the earlier gradient() call) "

        def connected():      # None: that call was about other targets or sources
            if last is None or frozenset(map(id, targets)) != last[0] or id(source) not in last[1]:
                return None
            return last[1][id(source)]
    if id(source) not in tracked:
        return prefix + _unwatched(source)
    why = "; ".join(f"{name} at {site}: {reason}" for name, site, reason in cuts[-5:])
    if not any(id(t) in tracked for t in targets):
        return prefix + ("target was not computed on this tape from watched values"
                         + (f"; the path was cut: {why}" if why else
                            " (built from .numpy(), gputape.constant(...) or outside the `with` block?)"))
    ok = connected()
    if ok:
        return prefix + "connected: the gradient is not None"
    cut = f"; operations that cut a path: {why}" if why else ""
    if ok is None:
        return prefix + ("the source and target were both recorded, but the records were released by an "
                         "earlier call about other targets or sources (use GradientTape(persistent=True) to "
                         "ask about more)" + cut)
    return prefix + "no recorded path leads from the source to the target" + cut


def _unwatched(source):
    """Why a source the tape never tracked has no gradient."""
    if isinstance(source, Variable) and not source._trainable:   # watch flag: frozen Keras weights are watched
        return f"variable '{source.name}' has trainable=False, so it is not watched automatically: tape.watch it"
    if isinstance(source, Variable):
        return (f"variable '{source.name}' was never read while the tape recorded "
                f"(or watch_accessed_variables=False and it was not watched)")
    return ("source was never watched: tensors (unlike trainable Variables) must be passed to "
            "tape.watch() before they are used")
