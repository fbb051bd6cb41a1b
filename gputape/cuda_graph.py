"""CUDA graphs for ``gputape.function`` on CuPy: a replayed program's op runs captured once, launched after.

``GraphRunner(program)`` splits the program (replay.Program) into segments: maximal runs of ops and
Variable loads that can be captured, separated by the recorded Python calls (the optimizer step, random
draws, ``tf.print``: they keep host state -- a step count, a schedule, a generator -- that a graph would
freeze, so they run as Python on every call) and by ops that cannot be captured (an op whose parameters
hold a random generator or another host object).  The first replay after the trace captures each
capturable segment of two or more ops:

- on a private stream (``cupy.cuda.Stream(non_blocking=True)``) and a private memory pool
  (``cupy.cuda.MemoryPool`` through ``cupy.cuda.using_allocator``), so that no buffer the graph writes
  is ever handed to other code; the pool and every slot array stay alive with the runner;
- the segment's inputs from outside it (the call's arguments, results of the Python calls) are copied
  into static buffers before each launch (device-to-device copies on the stream); Variables' buffers
  are read in place (a Variable whose buffer object changed since the capture makes the runner
  capture again);
- the launch is ``graph.launch(stream)``; no host synchronisation anywhere: the caller's stream waits
  on an event recorded after the last launch;
- results are copied out of the graph's static buffers, so the tensors returned never change when the
  next call launches the graph again.

Anything that goes wrong while capturing (an op that synchronises, an allocation the pool refuses, a
CuPy without ``Stream.begin_capture``) gives a one-time warning and plain replay for that signature.

What is left to the device proof (benchmarks/gpu/prove.sh, stage 6): the timing, and the choice between
cuBLAS inside the graph (with its workspace preset with ``cublasSetWorkspace``, which stream capture
needs) and a project GEMM kernel.  ``capture`` below sets nothing for cuBLAS.
"""
import threading
import warnings

from . import backend as _b

MIN_OPS = 2           # a segment of fewer ops is not worth a graph


def _capturable(c):
    kind = c[0]
    if kind == "load":
        return True
    if kind != "op":
        return False
    return all(_plain_param(v) for v in c[4].values())


def _plain_param(v):
    if v is None or isinstance(v, (bool, int, float, str, complex)):
        return True
    if isinstance(v, (tuple, list)):
        return all(_plain_param(e) for e in v)
    import numpy as np
    return isinstance(v, (np.dtype, np.generic, type))


def segments(code):
    """[(capturable, [indices])] in program order."""
    out = []
    for i, c in enumerate(code):
        cap = _capturable(c)
        if out and out[-1][0] == cap and cap:
            out[-1][1].append(i)
        else:
            out.append((cap, [i]))
    return [(cap and sum(1 for i in idx if code[i][0] == "op") >= MIN_OPS, idx) for cap, idx in out]


def _reads(c):
    if c[0] == "op":
        return c[2]
    return ()


def _writes(c):
    if c[0] == "op":
        return c[3] if type(c[3]) is tuple else (c[3],)
    if c[0] == "load":
        return (c[2],)
    return ()


class GraphRunner:
    """Runs a replay.Program with its capturable segments as CUDA graphs (see the module docstring)."""

    def __init__(self, prog):
        self.prog = prog
        self.segs = []
        for cap, idx in segments(prog.code):
            made = set()
            ext = []
            for i in idx:
                for s in _reads(prog.code[i]):
                    if s not in made and s not in prog.consts and s not in ext:
                        ext.append(s)
                made.update(_writes(prog.code[i]))
            loads = [(prog.code[i][1]) for i in idx if prog.code[i][0] == "load"]
            self.segs.append({"cap": cap, "idx": idx, "ext": ext, "loads": loads, "graph": None, "static": {}})
        self.r = None
        self.stream = self.pool = None
        self.var_bufs = None
        self.failed = None
        self.launches = 0
        self.captures = 0
        self._lock = threading.Lock()

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
        if self.r is None or any(a is not b for a, b in zip(bufs, self.var_bufs)):
            try:
                return self._capture(in_arrays, bufs)
            except Exception as e:       # noqa: BLE001  (any capture failure: plain replay, said once)
                self.failed = f"{type(e).__name__}: {e}"
                warnings.warn(f"gputape.function: this signature's program could not be captured as a CUDA graph "
                              f"({self.failed}); it replays op by op", RuntimeWarning, stacklevel=4)
                return prog.run(in_arrays, arg_vars)
        r = self.r
        for s, a in zip(prog.in_slots, in_arrays):
            r[s] = a
        V = prog.vars
        with self.stream:
            for seg in self.segs:
                if seg["graph"] is not None:
                    for s, st in seg["static"].items():
                        st[...] = r[s]
                    seg["graph"].launch(self.stream)       # writes into the captured buffers, which r holds
                    self.launches += 1
                else:
                    for i in seg["idx"]:
                        prog.steps[i](r, V)
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

    def _capture(self, in_arrays, bufs):
        prog = self.prog
        xp = _b.xp
        cuda = xp.cuda
        self.stream = cuda.Stream(non_blocking=True)
        self.pool = cuda.MemoryPool()
        r = [None] * prog.nslots
        for s, a in prog.consts.items():
            r[s] = a
        for s, a in zip(prog.in_slots, in_arrays):
            r[s] = a
        V = prog.vars
        with self.stream:
            for seg in self.segs:
                if not seg["cap"]:
                    for i in seg["idx"]:
                        prog.steps[i](r, V)
                    continue
                static = {}
                for s in seg["ext"]:
                    st = xp.empty_like(r[s])
                    st[...] = r[s]
                    static[s] = st
                    r[s] = st
                steps = [prog.steps[i] for i in seg["idx"]]

                def body(steps=steps, r=r, V=V, static=static):
                    for s, st in static.items():     # (Python references only: no device work)
                        r[s] = st
                    for f in steps:
                        f(r, V)
                # only the captured work allocates from the private pool: a block it frees is never handed
                # to other code, which the graph would overwrite on its next launch
                with cuda.using_allocator(self.pool.malloc):
                    self.stream.begin_capture()
                    try:
                        body()
                    finally:
                        graph = self.stream.end_capture()
                try:
                    graph._gputape_body = body     # the CuPy stand-in replays this (it cannot record kernels)
                except AttributeError:
                    pass
                seg["graph"], seg["static"] = graph, static
                graph.launch(self.stream)          # capturing ran nothing: run it now
                self.launches += 1
                self.captures += 1
            out = self._outputs(r, xp)
            ev = self.stream.record()
        xp.cuda.get_current_stream().wait_event(ev)
        self.r, self.var_bufs = r, bufs
        return out
