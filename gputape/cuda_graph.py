"""CUDA graphs for ``gputape.function`` on CuPy: a replayed program's op runs captured once, launched after.

``GraphRunner(program)`` splits the program (replay.Program) into segments: maximal runs of ops and
Variable loads that can be captured, separated by the recorded Python calls (optimizer steps, random
draws, ``tf.print``: they keep host state -- a step count, a schedule, a generator -- that a graph would
freeze, so they run as Python on every call; the one exception is a plain ``flat=True`` optimizer step,
captured with the rest, see ``_flat_step_opt``) and by ops that cannot be captured (an op whose
parameters hold a random generator or another host object, cuBLAS/cuSOLVER calls other than 2-D
matmuls; see below).  The first replay after the trace captures each capturable segment of two or more
ops:

- on a private stream (``cupy.cuda.Stream(non_blocking=True)``) and a private memory pool
  (``cupy.cuda.MemoryPool`` through ``cupy.cuda.using_allocator``), so that no buffer the graph writes
  is ever handed to other code; the pool and every slot array stay alive with the runner;
- the segment's inputs from outside it (the call's arguments, results of the Python calls and of ops
  run between graphs) are copied into static buffers before each launch (device-to-device copies on
  the stream); earlier graphs' results and Variables' buffers are read in place (a Variable whose
  buffer object changed since the capture makes the runner capture again);
- the launch is ``graph.launch(stream)``; no host synchronisation anywhere: the caller's stream waits
  on an event recorded after the last launch;
- results are copied out of the graph's static buffers, so the tensors returned never change when the
  next call launches the graph again.

Anything that goes wrong while capturing (an op that synchronises, an allocation the pool refuses, a
CuPy without ``Stream.begin_capture``) gives a one-time warning and plain replay for that signature.

Ordering: the runner's stream first waits on an event recorded on the caller's stream, so arrays the
caller produced asynchronously (an input converted from NumPy by an async host->device copy, a
Variable assigned eagerly) are complete before the static copies and launches read them; the caller's
stream then waits on the runner's last event.  Neither wait blocks the host.

**Ops that cannot be captured run between graphs.**  CuPy refuses every cuBLAS call while a stream is
captured (``NotImplementedError: calling cuBLAS API during stream capture is currently unsupported``,
seen on an H200 with CuPy 14.2; benchmarks/results/gpu-2026-11-30-*), so matmuls run as plain CuPy
calls on the runner's stream, between graphs, and keep eager's cuBLAS results bit for bit.  The
ops known to call cuBLAS or cuSOLVER (``_NOT_CAPTURABLE``) start out that way; any other op whose
capture raises is learned: the capture is abandoned (nothing ran), the op is moved out of the graphs,
and the program is segmented and captured again (at most once per op).  The alternative the issue
asked to measure, a project GEMM kernel inside the graph, was measured on the H200 by
benchmarks/gpu/graph_probe.py: a plain tiled SGEMM took 86 us of device time for the MLP's three
forward matmuls, against 63 us for cuBLAS called between graphs (host-bound), and its summation order
would break bit-equality with eager.  So matmuls stay on cuBLAS, and with ``CAPTURE_CUBLAS`` they are
captured too: 2-D float32/float64 products call ``cublasGemmEx`` directly
(``kernels.CublasGemm``), with the arguments CuPy would pass, so the whole forward and backward become one graph.
"""
import threading
import warnings

import numpy as np

from . import backend as _b
from .op import ensure_warning_filter as _ensure_warning_filter, user_stacklevel as _user_stacklevel

MIN_OPS = 2           # a segment of fewer ops is not worth a graph

# ops whose CuPy forward calls cuBLAS or cuSOLVER, which CuPy refuses while capturing
_NOT_CAPTURABLE = frozenset((
    "matmul", "batch_matmul", "tensordot", "einsum", "matvec", "outer", "linalg_solve", "linalg_inv",
    "cholesky", "qr", "svd", "eigh", "lstsq", "triangular_solve", "cholesky_solve", "det", "slogdet",
    "matrix_inverse", "matrix_solve", "matrix_determinant", "log_matrix_determinant", "expm", "logm",
))


CAPTURE_CUBLAS = True
"""Capture 2-D float32/float64 matmuls inside the graphs by calling ``cublasGemmEx`` directly (below),
with the arguments CuPy's own ``matmul`` passes, so the captured product is CuPy's bit for bit (the device
proof's stage 8 checks 100 replayed training steps against eager).  False: matmuls run between graphs."""


CAPTURE_OPTIMIZER = True
"""Capture a flat optimizer's ``apply_gradients`` (``flat=True``: one update kernel per dtype reading the
learning rate and step count from device memory) inside the graph; its one host effect, the step
count ``_t`` that schedules read, is advanced by the runner at each launch.  See ``_flat_step_opt``."""


def _flat_step_opt(c):
    """The optimizer of a recorded ``apply_gradients`` call whose device work can be captured, or None.

    Only the plain flat step qualifies: ``flat=True`` and built, a learning-rate Variable (a schedule or
    callable computes on the host), no clipping, weight decay, EMA, gradient accumulation, loss scaling
    or constraints.  Its other host work (checks, the flat buffers' bookkeeping) changes nothing a
    launch would need; ``_opt_key`` below detects any buffer swapped since the capture."""
    if c[0] != "call" or not CAPTURE_OPTIMIZER:
        return None
    from . import optimizers as _om
    if c[1] is not getattr(_om.Optimizer.apply_gradients, "__gputape_opaque__", None):
        return None
    t_args = c[2]
    if t_args[0] != "l" or not t_args[1] or t_args[1][0][0] != "c":
        return None
    opt = t_args[1][0][1]
    return opt if isinstance(opt, _om.Optimizer) and _flat_step_opt_config(opt) else None


def _opt_key(opt):
    """Everything a captured flat step reads by address (the arrays themselves, kept alive here so that
    a freed one cannot come back under the same ``id``), or None when the step is no longer the plain
    flat one: any difference means capture again."""
    if not _flat_step_opt_config(opt):
        return None
    key = [opt._learning_rate._v, opt._iterations._v]
    for g in opt._flat.groups:
        key += [g.params, g.grads, g.lr] + list(g.slots.values()) + [v._v for v in g.variables]
    return key


def _same_keys(now, then):
    if then is None or len(now) != len(then):
        return False
    for a, b in zip(now, then):
        if (a is None) != (b is None) or a is not None and (len(a) != len(b) or any(x is not y for x, y in zip(a, b))):
            return False
    return True


def _opt_arrays(opt):
    """The device arrays a flat step writes in place (for the stand-in's model of capture)."""
    out = [opt._iterations._v]
    for g in opt._flat.groups:
        out += [g.params, g.grads, g.lr] + list(g.slots.values())
    return out


def _flat_step_opt_config(opt):
    from .tensor import Variable
    return (opt.flat and opt._flat is not None and isinstance(opt._learning_rate, Variable)
            and not (opt.clipnorm or opt.clipvalue or opt.global_clipnorm) and opt.weight_decay is None
            and not opt.use_ema and not opt.gradient_accumulation_steps and opt.loss_scale_factor is None
            and all(v.constraint is None for g in opt._flat.groups for v in g.variables))


def _capturable(c, refused=()):
    kind = c[0]
    if kind == "load":
        return True
    if kind == "call":
        return _flat_step_opt(c) is not None and ("call", id(c)) not in refused
    if kind != "op" or c[1].name in refused:
        return False
    if c[1].name in _NOT_CAPTURABLE and not (c[1].name == "matmul" and CAPTURE_CUBLAS):
        return False
    return all(_plain_param(v) for v in c[4].values())


def _gemm_step(code, gemm, stream):
    """The capture-time step of a recorded matmul op: ``r[out] = a @ b`` through ``gemm`` (the op's own
    checks first, as its replay step)."""
    _, op, ins, outs, params, _ = code
    a_s, b_s = ins
    ta, tb = params.get("ta", False), params.get("tb", False)
    check = op.check
    xp = _b.xp

    def step(r, V):
        a, b = r[a_s], r[b_s]
        if check is not None:
            check(a, b, **params)
        if ta:
            a = xp.swapaxes(a, -1, -2)
        if tb:
            b = xp.swapaxes(b, -1, -2)
        r[outs] = gemm.matmul(xp, a, b, stream)
    return step


class _StandinGemm:
    """The CuPy stand-in's ``kernels.CublasGemm`` (no cuBLAS there): NumPy's matmul of the operands,
    with the real one's refusals, so the capture plumbing of matmuls runs without a GPU."""

    def matmul(self, xp, a, b, stream):
        if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype.kind != "f" or a.dtype.itemsize < 4:
            raise NotImplementedError("only 2-D float32/float64 is captured")
        if not a.size or not b.size or (a.shape[0] == 1 and b.shape[1] == 1):
            raise NotImplementedError("an empty or 1x1 matmul")
        return np.matmul(a.view(np.ndarray), b.view(np.ndarray)).view(type(a))


def _plain_param(v):
    if v is None or isinstance(v, (bool, int, float, str, complex)):
        return True
    if isinstance(v, (tuple, list)):
        return all(_plain_param(e) for e in v)
    import numpy as np
    return isinstance(v, (np.dtype, np.generic, type))


def segments(code, refused=()):
    """[(capturable, [indices])] in program order (``refused``: op names learned not capturable)."""
    out = []
    for i, c in enumerate(code):
        cap = _capturable(c, refused)
        if out and out[-1][0] == cap and cap:
            out[-1][1].append(i)
        else:
            out.append((cap, [i]))
    return [(cap and sum(1 for i in idx if code[i][0] == "op") >= MIN_OPS, idx) for cap, idx in out]


def _reads(c):
    if c[0] == "op":
        return c[2]
    if c[0] == "call":                  # the slots in a recorded call's arguments (a captured optimizer step)
        from .replay import _slots_of
        acc = set()
        _slots_of(c[2], acc)
        _slots_of(c[3], acc)
        return sorted(acc)
    return ()


def _writes(c):
    if c[0] == "op":
        return c[3] if type(c[3]) is tuple else (c[3],)
    if c[0] == "load":
        return (c[2],)
    if c[0] == "call":
        acc = []
        _out_slots(c[4], acc)
        return acc
    return ()


def _out_slots(t, acc):
    if t[0] in ("s", "a"):
        acc.append(t[1])
    elif t[0] in ("l", "t"):
        for e in t[1]:
            _out_slots(e, acc)


class _Refused(Exception):
    """An op raised while being captured (its name, or None for a non-op step)."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


def _copy_into(dst, src, stream):
    """``dst[...] = src`` on ``stream``: one cudaMemcpyAsync for same-layout contiguous arrays (about a
    quarter of an elementwise copy kernel's host cost), else CuPy's copy kernel."""
    xp = _b.xp
    rt = getattr(getattr(xp, "cuda", None), "runtime", None)
    if (hasattr(rt, "memcpyAsync") and src.dtype == dst.dtype and src.shape == dst.shape and src.flags.c_contiguous
            and dst.flags.c_contiguous and getattr(src, "device", None) == getattr(dst, "device", None)):
        if dst.nbytes:
            rt.memcpyAsync(dst.data.ptr, src.data.ptr, dst.nbytes, rt.memcpyDeviceToDevice, stream.ptr)
        return
    dst[...] = src


class GraphRunner:
    """Runs a replay.Program with its capturable segments as CUDA graphs (see the module docstring)."""

    def __init__(self, prog):
        self.prog = prog
        self.refused = set()    # op names whose capture raised: run between graphs
        self.gemm = None        # kernels.CublasGemm (or the stand-in's) once a matmul is captured
        self._segment()
        self.r = None
        self.stream = self.pool = None
        self.var_bufs = None
        self.opt_keys = None
        self.failed = None
        self.launches = 0
        self.captures = 0
        self._lock = threading.Lock()

    def _segment(self):
        prog = self.prog
        self.segs = []
        for cap, idx in segments(prog.code, self.refused):
            made = set()
            ext = []
            for i in idx:
                for s in _reads(prog.code[i]):
                    if s not in made and s not in prog.consts and s not in ext:
                        ext.append(s)
                made.update(_writes(prog.code[i]))
            opts = [_flat_step_opt(prog.code[i]) for i in idx if prog.code[i][0] == "call"] if cap else []
            self.segs.append({"cap": cap, "idx": idx, "ext": ext, "graph": None, "static": {}, "opts": opts})
        self.opts = [o for seg in self.segs for o in seg["opts"]]

    @property
    def n_graphs(self):
        return sum(1 for s in self.segs if s["cap"])

    def run(self, in_arrays, arg_vars):
        prog = self.prog
        if arg_vars or self.failed is not None or not self.n_graphs:
            return prog.run(in_arrays, arg_vars)
        with self._lock:            # one set of static buffers: one call at a time
            return self._run(in_arrays, arg_vars)

    def _run(self, in_arrays, arg_vars):
        prog = self.prog
        xp = _b.xp
        bufs = [v._v for v in prog.vars]
        if (self.r is None or any(a is not b for a, b in zip(bufs, self.var_bufs))
                or not _same_keys([_opt_key(o) for o in self.opts], self.opt_keys)):
            if self.r is not None:
                self._segment()          # an optimizer's configuration may have changed what can be captured
            try:
                self._prepare()
            except Exception as e:         # noqa: BLE001  (no stream or pool here: plain replay, said once)
                return self._give_up(e, in_arrays, arg_vars)
            return self._capture(in_arrays, bufs)
        r = self.r
        for s, a in zip(prog.in_slots, in_arrays):
            r[s] = a
        V = prog.vars
        _ensure_warning_filter()
        stream = self.stream
        stream.wait_event(xp.cuda.get_current_stream().record())   # the caller's pending work first (no host wait)
        with stream:
            for seg in self.segs:
                if seg["graph"] is not None:
                    for s, st in seg["static"].items():
                        _copy_into(st, r[s], stream)
                    seg["graph"].launch(stream)       # writes into the captured buffers, which r holds
                    self.launches += 1
                    for opt in seg["opts"]:            # a captured flat step's host effect (see _flat_step_opt)
                        opt._t += 1
                else:
                    prog.run_steps(r, V, seg["idx"])
            out = self._outputs(r, xp)
            ev = self.stream.record()
        xp.cuda.get_current_stream().wait_event(ev)
        return out

    def _outputs(self, r, xp):
        out = []
        for kind, x in self.prog.outs:
            if kind == "s":
                from .tensor import _wrap
                out.append(_wrap(r[x].copy()))
            elif kind == "v":
                out.append(self.prog.vars[x])
            else:
                out.append(x)
        return out

    def _capture_step(self, i):
        c = self.prog.code[i]
        if c[0] == "op" and c[1].name == "matmul" and CAPTURE_CUBLAS:
            if self.gemm is None:
                xp = _b.xp
                from .kernels import CublasGemm
                self.gemm = _StandinGemm() if getattr(xp, "NOT_A_GPU", False) else CublasGemm(xp)
            return _gemm_step(c, self.gemm, self.stream)
        return self.prog.steps[i]

    def _give_up(self, err, in_arrays=None, arg_vars=None):
        self.failed = f"{type(err).__name__}: {err}"
        warnings.warn(f"gputape.function: this signature's program could not be captured as a CUDA graph "
                      f"({self.failed}); it replays op by op", RuntimeWarning, stacklevel=_user_stacklevel())
        return None if in_arrays is None else self.prog.run(in_arrays, arg_vars)

    def _prepare(self):
        cuda = _b.xp.cuda
        if self.stream is None:
            self.stream = cuda.Stream(non_blocking=True)
            self.pool = cuda.MemoryPool()
        self.stream.wait_event(cuda.get_current_stream().record())

    def _capture(self, in_arrays, bufs):
        """Run this call, capturing each capturable segment first (then launching it).

        A segment whose capture raises is run op by op for this call (the capture ran nothing), after
        the steps before it ran exactly once: nothing is ever run twice.  If the op that raised is new
        to ``refused``, the program is segmented again without it and captured on the next call;
        otherwise the signature gives up graphs (one warning) and replays op by op from then on."""
        prog = self.prog
        xp = _b.xp
        cuda = xp.cuda
        for seg in self.segs:
            seg["graph"], seg["static"] = None, {}
        r = [None] * prog.nslots
        for s, a in prog.consts.items():
            r[s] = a
        for s, a in zip(prog.in_slots, in_arrays):
            r[s] = a
        V = prog.vars
        _ensure_warning_filter()
        learned = fatal = None
        fixed = set()           # slots a captured graph writes: fixed buffers, rewritten by each launch
        with self.stream:
            for seg in self.segs:
                if not seg["cap"] or learned or fatal:
                    prog.run_steps(r, V, seg["idx"])
                    continue
                static = {}
                for s in seg["ext"]:
                    if s in fixed:      # an earlier graph's result: read in place (a copy would be taken once
                        continue        # and go stale, while that graph rewrites the original on each launch)
                    st = xp.empty_like(r[s])
                    st[...] = r[s]
                    static[s] = st
                    r[s] = st
                steps = [self._capture_step(i) for i in seg["idx"]]
                ops = [prog.code[i] for i in seg["idx"]]

                def body(steps=steps, r=r, V=V, static=static, ops=ops):
                    for s, st in static.items():     # (Python references only: no device work)
                        r[s] = st
                    for f, c in zip(steps, ops):
                        try:
                            f(r, V)
                        except Exception as e:        # noqa: BLE001  (named, then the caller decides)
                            raise _Refused(c[1].name if c[0] == "op" else ("call", id(c)) if c[0] == "call"
                                           else None) from e
                try:
                    graph = self._capture_one(body, seg["opts"])
                except Exception as e:                # noqa: BLE001  (see the docstring)
                    name = e.name if isinstance(e, _Refused) else None
                    if name is not None and name not in self.refused:
                        learned = name
                    else:
                        fatal = e.__cause__ if isinstance(e, _Refused) and e.__cause__ is not None else e
                    prog.run_steps(r, V, seg["idx"])   # this call: the segment op by op (its inputs are in r)
                    continue
                written = {w for i in seg["idx"] for w in _writes(prog.code[i])}
                fixed.update(written)
                try:
                    graph._gputape_body = _launch_model(body, r, written, seg["opts"])   # the stand-in's launch
                except AttributeError:         # real CuPy's Graph takes no attributes (and needs none)
                    pass
                seg["graph"], seg["static"] = graph, static
                graph.launch(self.stream)          # capturing ran nothing: run it now
                self.launches += 1
                self.captures += 1
            out = self._outputs(r, xp)
            ev = self.stream.record()
        cuda.get_current_stream().wait_event(ev)
        if fatal is not None:
            self._give_up(fatal)
        elif learned is not None:
            self.refused.add(learned)
            self._segment()
            self.r = None                          # capture again on the next call
        else:
            self.r, self.var_bufs = r, [v._v for v in prog.vars]
            self.opt_keys = [_opt_key(o) for o in self.opts]
        return out

    def _capture_one(self, body, opts=()):
        xp = _b.xp
        cuda = xp.cuda
        # the CuPy stand-in runs what is captured at once (CUDA only records it): the in-place updates of a
        # captured optimizer step are undone after its capture, so that its launch applies them once
        undo = [(a, a.copy()) for o in opts for a in _opt_arrays(o)] if getattr(xp, "NOT_A_GPU", False) else []
        # only the captured work allocates from the private pool: a block it frees is never handed
        # to other code, which the graph would overwrite on its next launch
        with cuda.using_allocator(self.pool.malloc):
            self.stream.begin_capture()
            try:
                body()
            except BaseException:
                try:
                    self.stream.end_capture()     # abandoned: the partial graph is dropped
                except Exception:                 # noqa: BLE001  (an invalidated capture)
                    pass
                for a, old in undo:
                    a[...] = old
                raise
            graph = self.stream.end_capture()
        for a, old in undo:
            a[...] = old
        return graph


def _launch_model(body, r, written, opts=()):
    """What the CuPy stand-in runs for ``Graph.launch`` (it cannot record kernels): the segment's Python
    body again, with CUDA's semantics kept: the results land in the arrays the capture made (copied
    into them) and the register file ``r`` is left exactly as it was, so code that kept a stale copy of
    a graph's result reads that stale copy here too; and the body reads the register file as it was at
    the capture (a graph reads captured addresses), so an input that was not given a static buffer reads
    its capture-time value here too.  Real CuPy never calls it.  Not modelled: the body's
    Python runs again, so a captured optimizer step that would branch otherwise at a later launch (a
    constraint set since) looks right here; the runner re-checks those conditions per launch instead
    (``_opt_key``), and tests check that decision directly."""
    made = {s: r[s] for s in written}
    seen = r[:]

    def launch():
        saved = r[:]
        r[:] = seen
        host = [(o, o._t) for o in opts]      # a captured step's host effect is the runner's, not the graph's
        body()
        for o, t in host:
            o._t = t
        for s, arr in made.items():
            new = r[s]
            if new is not arr and arr is not None and arr.flags.writeable:
                arr[...] = new
        r[:] = saved
    return launch
