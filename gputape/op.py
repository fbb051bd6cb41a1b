"""The op record: one declaration per op (forward, rules, optional CUDA kernel),
the dispatch that runs it, and the recording hook for tapes and accumulators.

An op call with no active recorder is unwrap, compute, wrap.  Recording work
happens only in ``_record``, and only when a recorder is active.
"""
import math
import operator
import sys
import warnings
import weakref

import numpy as np

from . import backend as _b
from . import dtype_rules as _rules
from . import tensor as _tensor_mod
from .errors import InvalidArgumentError, NumericsError, describe
from .state import state as _state, hooked_anywhere as _hooked, debug  # noqa: F401 (debug: per-thread switches)
from .tensor import Tensor, Variable, _Base, _infer_np, _wrap, _short
from .tensor import _to_np   # TF's conversion rules for non-scalar arguments (_const)

# NumPy's RuntimeWarnings from gputape's own array calls (log(0), x/0, inf - inf, overflow) stay
# off the user's stderr, as TensorFlow prints none.  NumPy attributes a ufunc's warning to the
# Python module that called the ufunc, so one "ignore" filter for gputape's modules hides them
# and nothing else: NumPy's error state (np.seterr) is left alone and the user's own NumPy
# warnings are kept.  A ``warnings.catch_warnings`` block around gputape's import (pytest's
# collection is one) drops the filter when it exits: ``ensure_warning_filter`` puts it back and
# runs on the paths that are not per-elementwise-op hot (the checked and multi-output dispatch,
# argument conversion, recording, and the Python wrappers of reductions and nn ops) -- an
# identity test per call there would cost W1 ~2% if made on every op.  A filter the user adds
# ahead of it later (``simplefilter("error")``) turns the warning into an exception: the
# dispatch then computes the op again quietly (``_quiet``), at no cost to calls that raise nothing.
_WF = None


def _filter_warnings():
    global _WF
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"gputape(\.|$)")
    _WF = warnings.filters


def ensure_warning_filter():
    """Put op.py's RuntimeWarning filter back if ``warnings.filters`` was swapped since it was set."""
    if warnings.filters is not _WF:
        _filter_warnings()


_tensor_mod._ensure_wf[0] = ensure_warning_filter


_filter_warnings()

_new = object.__new__
_getv = operator.attrgetter("_v")
_ALL_OPS = weakref.WeakSet()
_PAIR = (0, 1)
_F32 = np.dtype(np.float32)


class Op:
    """A primitive: ``fwd(xp, *arrays, **params)`` plus VJP/JVP rules written with gputape ops.

    - ``vjps[i](g, out, *inputs, **params)`` gives the cotangent of input ``i`` (``None`` for
      a non-differentiable input).  ``g`` may carry extra leading batch axes (jacobians).
    - ``vjp_all(gs, outs, inputs, needs, **params)`` instead, for ops whose rule is shared.
    - ``jvp(tangents, out, *inputs, **params)``; elementwise ops derive it from their VJPs,
      ``linear`` ops apply themselves to the tangents, and the rest fall back to the
      transpose of the VJP.
    """
    __slots__ = ("name", "fwd", "cuda", "vjps", "vjp_all", "jvp", "nout", "nondiff", "linear",
                 "elementwise", "same_dtype", "_convert_ref", "aliases", "check", "_plain", "ufunc", "_ufn", "allowed",
                 "_dfast", "_kw", "_cplain", "__weakref__")

    def __init__(self, name, fwd, *, cuda=None, nout=1, nondiff=False, linear=False,
                 elementwise=False, same_dtype=None, aliases=False, check=None, ufunc=None):
        self.name = name
        self.fwd = fwd
        self.cuda = cuda
        self.vjps = None
        self.vjp_all = None
        self.jvp = None
        self.nout = nout
        self.nondiff = nondiff
        self.linear = linear
        self.elementwise = elementwise
        same_dtype = tuple(same_dtype) if same_dtype else None
        if same_dtype == _PAIR:
            same_dtype = _PAIR              # identity test in the dispatch
        self.same_dtype = same_dtype if same_dtype and len(same_dtype) > 1 else None  # dtypes must agree
        self._convert_ref = same_dtype      # positions whose non-tensor args take the tensors' dtype
        self.aliases = aliases              # forward may return a view of an input
        self.check = check                  # check(*arrays, **params) raises before any compute
        # the dtypes TF allows (gputape.dtype_rules, found by the op's name): input 0 is checked
        # inline by the dispatch (one set lookup); another typed input goes through ``check``
        rule = _rules.RULES.get(name)
        self.allowed = rule.allowed if rule is not None and rule.arg == 0 else None
        self._dfast = _F32 if self.allowed and _F32 in self.allowed else None   # skips the set lookup
        if rule is not None and rule.arg != 0:
            self.check = _arg_dtype_check(name, rule, check)
        self._plain = False
        self._cplain = False
        self.ufunc = ufunc                  # name of an xp function equal to fwd(xp, *arrays)
        self._ufn = None
        self._kw = {}                       # number of array inputs -> keyword params fwd takes
        self._replan()
        _ALL_OPS.add(self)

    def _replan(self):
        gpu = _b.name == "cupy"
        simple = self.nout == 1 and not self.aliases and (self.cuda is None or not gpu)
        self._plain = self.check is None and simple
        self._cplain = self.check is not None and simple     # _full's work is the check, then as _plain
        self._ufn = getattr(_b.xp, self.ufunc) if (self.ufunc and _b.xp is not None) else None

    def def_vjp(self, *rules):
        self.vjps = rules
        return self

    def def_vjp_all(self, rule):
        self.vjp_all = rule
        return rule

    def def_jvp(self, rule):
        self.jvp = rule
        return rule

    def __repr__(self):
        return f"<gputape op {self.name}>"

    def __call__(self, *args, **params):
        if params:
            kw = self._kw.get(len(args))
            if kw is None or not params.keys() <= kw:      # known keywords: one C-level subset test
                params = _public_params(self, len(args), params)
        try:
            if len(args) == 2:
                vals = (args[0]._v, args[1]._v)
            elif len(args) == 1:
                vals = (args[0]._v,)
            else:
                vals = tuple(map(_getv, args))
        except AttributeError:
            orig = args
            args, vals = _convert_args(self, args)
            if _state.capture is not None:     # gputape.function: Python values became constants (replay.py)
                _state.capture.converted(orig, args)
        sd = self.same_dtype
        al = self.allowed
        if sd is not None:
            if sd is _PAIR:
                d0 = vals[0].dtype
                d = vals[1].dtype
                if d is not d0 and d != d0:
                    _dtype_mismatch(self, args, vals, 0, 1)
                if al is not None and d0 is not self._dfast and d0 not in al:
                    _rules.raise_for(self.name, d0, vals[0].shape)
            else:
                _check_same(self, args, vals, sd)
                if al is not None and vals[0].dtype not in al:
                    _rules.raise_for(self.name, vals[0].dtype, vals[0].shape)
        elif al is not None:
            d0 = vals[0].dtype
            if d0 is not self._dfast and d0 not in al:
                _rules.raise_for(self.name, d0, vals[0].shape)
        if self._plain or self._cplain:
            if self._cplain:               # _full's work for a checked op: the check, then as a plain op
                ensure_warning_filter()
                self.check(*vals, **params)
            try:
                f = self._ufn
                if f is not None:
                    out_v = f(vals[0]) if len(vals) == 1 else f(*vals)
                elif params:
                    out_v = self.fwd(_b.xp, *vals, **params)
                else:
                    out_v = self.fwd(_b.xp, *vals)
            except (ValueError, TypeError, IndexError) as e:
                _reraise(self, e, vals, params)
            except RuntimeWarning:
                out_v = _quiet(self, _b.xp, vals, params)
            except MemoryError as e:
                _oom(self, e, vals)
            out = _new(Tensor)
            out._v = out_v
        else:
            out = self._full(args, vals, params)
        if _hooked[0]:
            st = _state
            if st.hooked:
                tape = st.fast_tape
                if tape is not None and not self.nondiff and type(out) is Tensor:
                    # one GradientTape and nothing else listening: record inline (as GradientTape._record)
                    tracked = tape._tracked
                    hit = False
                    for x in args:
                        if type(x) is not Tensor:
                            break
                        if id(x) in tracked:
                            hit = True
                    else:
                        if hit:
                            if out._v.dtype.kind in "fc":
                                tracked[id(out)] = out
                                n = len(args)
                                ids = ((id(args[0]), id(args[1])) if n == 2 else (id(args[0]),) if n == 1
                                       else tuple(map(id, args)))
                                tape._entries.append((self, ids, args, out, params, None))
                            else:
                                tape._record(self, args, out, params, st.stack, 0)
                        return out
                    _record_lone(tape, self, args, vals, out, params)
                    return out
                _hooks(self, args, vals, out, params, st)
        return out

    def _full(self, args, vals, params):
        """Dispatch with argument checks, a CUDA kernel, aliasing or several outputs."""
        ensure_warning_filter()
        if self.check is not None:
            self.check(*vals, **params)
        xp = _b.xp or _b.get_xp()
        try:
            out_v = None
            if self.cuda is not None and _b.name == "cupy":
                out_v = self.cuda(xp, *vals, **params)
            if out_v is None:
                out_v = self.fwd(xp, *vals, **params)
        except (ValueError, TypeError, IndexError) as e:
            _reraise(self, e, vals, params)
        except RuntimeWarning:
            out_v = _quiet(self, xp, vals, params)
        except MemoryError as e:
            _oom(self, e, vals)
        if self.nout == 1:
            if self.aliases:
                out_v = _own(out_v, args)
            return _wrap(out_v)
        if type(out_v) is tuple and len(out_v) == 2:
            return _wrap(out_v[0]), _wrap(out_v[1])
        return tuple(_wrap(v) for v in out_v)


def _arg_dtype_check(name, rule, inner):
    """A ``check`` hook refusing the dtypes ``rule`` does not allow at input ``rule.arg``, then ``inner``."""
    i, allowed = rule.arg, rule.allowed

    def check(*vals, **params):
        if vals[i].dtype not in allowed:
            _rules.raise_for(name, vals[i].dtype, vals[i].shape)
        if inner is not None:
            inner(*vals, **params)
    return check


def _public_params(op, n, params):
    """An op's keyword arguments, checked before any compute: ``name`` (TF's op name, which
    gputape records nowhere) is accepted and dropped; any keyword the op's forward does not take
    after its ``n`` array inputs is TypeError, as Python and TF raise for an unknown argument."""
    if "name" in params:
        params = {k: v for k, v in params.items() if k != "name"}
        if not params:
            return params
    allowed = op._kw.get(n)
    if allowed is None:
        allowed = op._kw[n] = _fwd_keywords(op.fwd, n)
    for k in params:
        if k not in allowed:
            raise TypeError(f"{op.name}() got an unexpected keyword argument '{k}' (it takes "
                            f"{', '.join(sorted(allowed | {'name'}))})")
    return params


def _fwd_keywords(fwd, n):
    import inspect
    try:
        ps = list(inspect.signature(fwd).parameters.values())[1:]      # after xp
    except (TypeError, ValueError):
        return frozenset()
    out = set()
    taken = 0
    for p in ps:
        if p.kind is p.VAR_POSITIONAL:
            taken = n
            continue
        if p.kind is p.POSITIONAL_OR_KEYWORD and taken < n:
            taken += 1               # filled by an array input
            continue
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            out.add(p.name)
    return frozenset(out)


def _check_same(op, args, vals, sd):
    d0 = vals[sd[0]].dtype
    for i in sd[1:]:
        d = vals[i].dtype
        if d is not d0 and d != d0:
            _dtype_mismatch(op, args, vals, sd[0], i)


def _quiet(op, xp, vals, params):
    """The forward again with NumPy's floating-point warnings off: reached only when a warnings filter
    of the user's ("error") put ahead of op.py's turned a NumPy RuntimeWarning into an exception."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return op.fwd(xp, *vals, **params)


def _reraise(op, e, vals, params):
    if isinstance(e, InvalidArgumentError):
        raise e
    raise InvalidArgumentError(f"{op.name}: {e} (inputs: {describe(vals)}"
                               f"{', params: ' + repr(params) if params else ''})") from e


def _oom(op, e, vals):
    """The backend ran out of memory in ``op``'s forward (NumPy's "Unable to allocate", CuPy's
    OutOfMemoryError): ResourceExhaustedError naming the op, its input shapes and the broadcast
    shape, as TF's OOM.  Reached only from the dispatch's except branch: nothing is checked up front."""
    from .errors import ResourceExhaustedError
    shapes = [tuple(v.shape) for v in vals]
    try:
        out_shape = np.broadcast_shapes(*shapes)
    except ValueError:
        out_shape = None
    dt = vals[0].dtype if vals else None
    what = ""
    if out_shape is not None and dt is not None:
        nbytes = math.prod(out_shape) * dt.itemsize
        what = (f" when allocating tensor with shape {list(out_shape)} and type {dt.name} "
                f"({nbytes / 2**30:.3g} GiB")
        try:
            from .checks import memory_limit
            what += f"; this device has {memory_limit() / 2**30:.3g} GiB)"
        except Exception:       # noqa: BLE001  (the limit is only for the message)
            what += ")"
    raise ResourceExhaustedError(f"{op.name}: OOM{what} (inputs: {describe(vals)})") from e


def _replan_all():
    """Recompute every op's fast-path flag (the backend decides whether ``cuda=`` matters)."""
    for op in list(_ALL_OPS):
        op._replan()
    _bind_const_tensors()


def _hooks(op, args, vals, out, params, st):
    """The slow tail of a dispatch: numerics checks, recording, function capture."""
    ensure_warning_filter()
    if st.check_numerics:
        _check_numerics(op, out, "forward")
    stack = st.stack
    if stack:
        if op.nondiff:
            _note_cut(op, args, stack)
        else:
            _record(op, args, vals, out, params, stack)
    if st.capture is not None:
        st.capture.op(op, args, out, params)


def defop(name, fwd, **kw):
    """Declare an op; see ``Op``."""
    return Op(name, fwd, **kw)


def _own(v, args):
    for a in args:
        if type(a) is Variable and _b.get_xp().may_share_memory(v, a._v):
            return v.copy()
    return v


def _dtype_mismatch(op, args, vals, i, j):
    a, b = vals[i], vals[j]
    raise InvalidArgumentError(
        f"cannot compute {op.name} as input #{j}(zero-based) was expected to be a {a.dtype.name} tensor "
        f"but is a {b.dtype.name} tensor (shapes {tuple(a.shape)} and {tuple(b.shape)}); gputape, like "
        f"TensorFlow, does not promote between tensors: cast one with gputape.cast(x, gputape.{a.dtype.name})")


def _convert_args(op, args):
    """Arrays for mixed arguments: non-tensors take the dtype of the op's tensor arguments."""
    ensure_warning_filter()
    if len(args) == 2 and op._convert_ref:
        a, b = args
        tb = type(b)
        if (tb is float or tb is int) and isinstance(a, _Base):
            c = _const_tensor(b, a._v.dtype)
            return (a, c), (a._v, c._v)
        ta = type(a)
        if (ta is float or ta is int) and isinstance(b, _Base):
            c = _const_tensor(a, b._v.dtype)
            return (c, b), (c._v, b._v)
    try:
        return _convert_rest(op, args)
    except (ValueError, TypeError) as e:
        if str(e).startswith(op.name + ":"):
            raise
        try:
            err = type(e)(f"{op.name}: {e} (converting its arguments: "
                          f"{', '.join(_arg_kind(a) for a in args)})")
        except Exception:       # noqa: BLE001  (an exception class that takes other arguments: keep it)
            raise e from None
        raise err from None


def _arg_kind(a):
    if isinstance(a, _Base):
        return f"{a._v.dtype.name} tensor of shape {tuple(a._v.shape)}"
    return f"{type(a).__name__} {_short(a)}"


def _convert_rest(op, args):
    # objects with TF's conversion protocol (IndexedSlices) become their tensor, recorded on the tape
    args = tuple(a.__tf_tensor__() if hasattr(type(a), "__tf_tensor__") else a for a in args)
    ref = None
    sd = op._convert_ref or ()
    for i in sd:
        if isinstance(args[i], _Base):
            ref = args[i]._v.dtype
            break
    else:
        if sd:
            ref = _infer_np(args[sd[0]]).dtype
    xp = _b.get_xp()
    vals = []
    targs = []
    for i, a in enumerate(args):
        if isinstance(a, _Base):
            vals.append(a._v)
            targs.append(a)
            continue
        if isinstance(a, (list, tuple)) and any(isinstance(e, _Base) for e in a):
            from . import ops
            t = ops.stack(list(a))            # recorded: the gradient reaches the listed tensors (as TF's pack)
            vals.append(t._v)
            targs.append(t)
            continue
        if ref is not None and i in sd:
            v = _const(a, ref, xp)
        elif xp is not np and isinstance(a, xp.ndarray):
            v = a
        else:
            v = xp.asarray(_infer_np(a))
        vals.append(v)
        targs.append(_wrap(v))
    return tuple(targs), vals


# Constants are cached per array module, so NumPy code (the CPU path, and the NumPy twins that are the
# GPU tests' oracle in a CuPy process) never receives a CuPy constant and CuPy code never a read-only
# NumPy one.  One dict per module, each keyed (value, type, dtype): NumPy's lookup costs what it did.
_CONSTS_NP = {}
_CONSTS = {np: _CONSTS_NP}      # array module -> {(value, type, dtype): 0-d array}
_CONST_TENSORS = {}             # array module -> {(value, type, dtype): Tensor}


def _const_tensors(xp):
    """The constant-Tensor cache of array module ``xp``."""
    d = _CONST_TENSORS.get(xp)
    if d is None:
        d = _CONST_TENSORS[xp] = {}
    return d


def _bind_const_tensors():
    """Point tensor.py's operator fast path at the backend's constant-Tensor cache (``_replan_all``)."""
    _tensor_mod._CONSTS = _const_tensors(_b.xp if _b.xp is not None else np)


def _const_tensor(a, npd):
    """A shared, immutable Tensor for a Python number meeting a tensor of dtype ``npd``."""
    key = (a, type(a), npd)
    xp = _b.xp
    cache = _const_tensors(xp)
    t = cache.get(key)
    if t is None:
        t = _wrap(_const(a, npd, xp))
        if len(cache) < 4096:
            cache[key] = t
    return t


def _const(a, npd, xp):
    """A Python or numpy value meeting a tensor of dtype ``npd`` takes that dtype (TF's rule); an
    array of module ``xp``."""
    if type(a) is float or type(a) is int:
        key = (a, type(a), npd)
        if xp is np:
            cache = _CONSTS_NP
        else:
            cache = _CONSTS.get(xp)
            if cache is None:
                cache = _CONSTS[xp] = {}
        c = cache.get(key)
        if c is not None:
            return c
        if npd.kind in "iub" and type(a) is float:     # TF: not even 2.0 becomes an integer
            raise TypeError(f"Cannot convert {a!r} to EagerTensor of dtype {npd.name}")
        try:
            if npd.kind in "iu" and not np.iinfo(npd).min <= a <= np.iinfo(npd).max:
                raise OverflowError
            c = xp.asarray(a, dtype=npd)    # a 0-d array: numpy's fast path, unlike a numpy scalar
        except OverflowError:
            raise TypeError(f"Cannot convert {a!r} to EagerTensor of dtype {npd.name}: out of range") from None
        if xp is np:
            c.flags.writeable = False       # shared between calls: never written
        if len(cache) < 4096:
            cache[key] = c
        return c
    if xp is not np and isinstance(a, xp.ndarray):
        return a.astype(npd, copy=False)
    return xp.asarray(_to_np(a, npd))       # TF's conversion rules and errors (tensor._to_np)


# ---------------------------------------------------------------- recording

def _record(op, args, vals, out, params, stack):
    """Put one op call on every active recorder that tracks one of its inputs; the tape sees
    variables as read snapshots and other non-tensors as constant tensors."""
    inputs = args
    for i, a in enumerate(args):
        if type(a) is Tensor:
            continue
        if inputs is args:
            inputs = list(args)
        inputs[i] = _read_variable(a, stack) if type(a) is Variable else _wrap(vals[i])
    inputs = tuple(inputs)
    for k, rec in enumerate(stack):
        rec._record(op, inputs, out, params, stack, k)


def _record_lone(tape, op, args, vals, out, params):
    """``_hooks`` for one GradientTape and nothing else listening (``state.fast_tape``), with a
    Variable or non-tensor among ``args``: ``_record`` with the reads made on that tape directly."""
    ensure_warning_filter()
    tracked = tape._tracked
    inputs = list(args)
    hit = False
    for i, a in enumerate(args):
        ta = type(a)
        if ta is Tensor:
            if id(a) in tracked:
                hit = True
            continue
        if ta is Variable:
            snap = a._snapshot()
            # GradientTape._read, inline
            vid = id(a)
            if vid not in tracked and tape._watch_accessed and a._trainable:
                tape._watched_vars[a._uid] = a
                tracked[vid] = a
            if vid in tracked and a._v.dtype.kind in "fc":
                tracked[id(snap)] = snap
                tape._entries.append((_read_op[0], (vid,), (a,), snap, {}, None))
                hit = True
            inputs[i] = snap
        else:
            inputs[i] = _wrap(vals[i])
    if hit:
        # GradientTape._record, inline (``out`` is one Tensor; a lone tape records no sites)
        if out._v.dtype.kind not in "fc":
            tape._cuts.append((op.name, user_site(), "it returns an integer/bool tensor"))
            return
        tracked[id(out)] = out
        inputs = tuple(inputs)
        tape._entries.append((op, tuple(map(id, inputs)), inputs, out, params, None))


_read_op = [None]     # tape.read_variable, bound when tape.py is imported


def _read_variable(var, stack):
    """A read snapshot of ``var``, recorded as an identity on each recorder that watches it."""
    snap = var._snapshot()
    for k, rec in enumerate(stack):
        rec._read(var, snap, stack, k)
    return snap


def _note_cut(op, args, stack):
    for rec in stack:
        cut = getattr(rec, "_note_cut", None)
        if cut is not None:
            cut(op, args)


_PKG = __name__.rsplit(".", 1)[0] + "."


def _user_frame(f):
    """The first frame from ``f`` outwards that is outside gputape, and how many frames out it is."""
    n = 0
    while f is not None and f.f_globals.get("__name__", "").startswith(_PKG):
        f, n = f.f_back, n + 1
    return f, n


def user_site():
    """'file:line' of the innermost frame outside gputape (for error messages)."""
    f, _ = _user_frame(sys._getframe(1))
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno}"


def user_stacklevel():
    """``warnings.warn``'s ``stacklevel`` (from the caller of this function) that names the innermost
    frame outside gputape: a RuntimeWarning attributed to gputape itself is ignored by this module's
    filter, and the user's line is the one to name."""
    _, n = _user_frame(sys._getframe(1))
    return n + 1


def _check_numerics(op, out, where, site=None):
    xp = _b.get_xp()
    for t in (out if isinstance(out, tuple) else (out,)):
        if t is None or t._v.dtype.kind not in "fc":
            continue
        if not bool(xp.all(xp.isfinite(t._v))):
            bad = "NaN" if bool(xp.any(xp.isnan(t._v))) else "Inf"
            raise NumericsError(f"check_numerics: {op.name} produced {bad} in its {where} "
                                f"(output shape {tuple(t._v.shape)}, dtype {t._v.dtype.name}); "
                                f"recorded at {site or user_site()}")
