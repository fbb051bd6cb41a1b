"""Data-parallel training across processes: one process per device (or per CPU core), the same model
in each, each on its own shard of the batch, gradients reduced over all ranks every step.

Built on two existing engines, never a home-made transport:

- ``mpi``: MPI through ``mpi4py`` (any MPI; ``pip install "gputape[distributed]"`` brings mpi4py and
  the ``mpich`` wheel).  NumPy arrays go to MPI as they are; CuPy arrays go through host memory (a
  device-to-host copy per buffer: use ``nccl`` on GPUs).
- ``nccl``: NVIDIA NCCL through CuPy's ``cupy.cuda.nccl``, device to device on the current stream;
  the communicator's unique id is broadcast over MPI, so ranks still come from ``mpiexec``.  Each rank
  uses CuPy device ``local_rank()``.

The API follows Horovod's (``hvd.init``, ``hvd.DistributedGradientTape``, ``hvd.broadcast_variables``,
``hvd.allreduce``...); the two-line change of a GradientTape loop::

    import gputape.distribute as dist
    dist.init()
    ...
    with tf.GradientTape() as tape:
        loss = ...
    tape = dist.DistributedGradientTape(tape)            # gradients averaged over the ranks
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))

and once, after the model and optimizer are built, ``dist.broadcast_variables(model.variables +
opt.variables, root_rank=0)``.  Run it with ``mpiexec -n 2 python train.py``.  Scaling the learning
rate by ``size()`` is the user's choice (not done here).

Failure behaviour: after ``init()`` an exception that escapes any rank prints
``gputape.distribute: rank R of N raised ...`` and calls ``MPI_Abort``, which stops every rank (never
a hang in the next collective); a collective that does not complete within ``timeout`` seconds
(``init(timeout=...)``, else ``$GPUTAPE_DIST_TIMEOUT``, else 300) aborts the same way, naming the
collective and the rank that waited.  NCCL collectives are asynchronous on the device: the timeout
covers the host-side agreement that precedes each of them (a rank that never arrives is caught there).
"""
import hashlib
import importlib
import os
import pickle
import sys
import threading
import time

import numpy as np

from . import backend as _b
from . import nest
from .errors import InvalidArgumentError

__all__ = ["init", "shutdown", "is_initialized", "rank", "size", "local_rank", "local_size", "backend",
           "Average", "Sum", "Min", "Max", "Product", "Adasum", "Compression", "DistributedGradientTape",
           "allreduce", "allgather", "broadcast", "broadcast_variables", "broadcast_object",
           "allgather_object", "barrier", "shard", "mpi_version", "nccl_version"]

DEFAULT_TIMEOUT = 300.0


# ---------------------------------------------------------------- reduction ops and compression
class ReduceOp:
    """A reduction over ranks (as Horovod's ``hvd.Average``, ``hvd.Sum``...)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"gputape.distribute.{self.name}"


Average, Sum, Min, Max, Product, Adasum = (ReduceOp(n) for n in ("Average", "Sum", "Min", "Max", "Product",
                                                                  "Adasum"))
_OPS = (Average, Sum, Min, Max, Product, Adasum)


def _check_op(op, where):
    if op is Adasum:
        raise NotImplementedError(f"{where}: op=Adasum is not implemented (Average, Sum, Min, Max, Product are)")
    if not any(op is o for o in _OPS):
        raise TypeError(f"{where}: op must be one of gputape.distribute.Average, Sum, Min, Max, Product; "
                        f"got {op!r}")


class _Compressor:
    def __init__(self, name, wire):
        self.name, self._wire = name, wire

    def wire_dtype(self, dtype):
        """The dtype a buffer of ``dtype`` travels in."""
        dtype = np.dtype(dtype)
        return np.dtype(self._wire) if self._wire is not None and dtype.kind == "f" else dtype

    def __repr__(self):
        return f"gputape.distribute.Compression.{self.name}"


class Compression:
    """Wire compression of gradient buffers (as Horovod's ``hvd.Compression``): ``none``, or ``fp16``
    (floating buffers cast to float16 for the collective and back to their dtype after it; the sum is
    then accumulated in float16, as Horovod's)."""
    none = _Compressor("none", None)
    fp16 = _Compressor("fp16", np.float16)


# ---------------------------------------------------------------- the process group
class _Group:
    def __init__(self, comm, mpi, backend_name, timeout):
        self.mpi, self.comm = mpi, comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        local = comm.Split_type(mpi.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self.backend = backend_name
        self.timeout = timeout
        self.counts = {}              # collective kind -> calls (tests and benchmarks read it)
        self.layouts = {}             # (gradient signature, compression) -> packing layout (host metadata)
        self.pool = {}                # (shape, dtype, aligned) -> the last NumPy output array (see _output)
        self.nccl = None
        self._pending = None          # (what, deadline) of the collective in progress
        self._stop = False
        self._watchdog = threading.Thread(target=self._watch, name="gputape.distribute watchdog", daemon=True)
        self._watchdog.start()
        self._f16_sum = None

    # the timeout: a daemon thread that aborts when a collective overstays
    def _watch(self):
        while not self._stop:
            p = self._pending
            if p is not None and time.monotonic() > p[1]:
                self._abort(f"rank {self.rank} of {self.size}: collective {p[0]} did not complete within "
                            f"{self.timeout:g} s (a rank did not reach it; the timeout is init(timeout=...) or "
                            f"$GPUTAPE_DIST_TIMEOUT)")
            time.sleep(min(0.2, self.timeout / 4))

    def _abort(self, message):
        sys.stderr.write(f"gputape.distribute: {message}; aborting all {self.size} ranks\n")
        sys.stderr.flush()
        self.comm.Abort(1)

    def run(self, what, fn, *args):
        self.counts[what] = self.counts.get(what, 0) + 1
        self._pending = (what, time.monotonic() + self.timeout)
        try:
            return fn(*args)
        finally:
            self._pending = None

    # host (MPI) collectives on NumPy buffers, in place
    def mpi_op(self, op, dtype):
        m = self.mpi
        if dtype == np.float16:
            if op is not Sum and op is not Average:
                raise NotImplementedError(f"op={op.name} on float16 over MPI (Sum and Average are implemented)")
            if self._f16_sum is None:
                def f16_sum(inbuf, inoutbuf, datatype):
                    a = np.frombuffer(inbuf, np.float16)
                    b = np.frombuffer(inoutbuf, np.float16)
                    b += a
                self._f16_type = m.BYTE.Create_contiguous(2).Commit()
                self._f16_sum = m.Op.Create(f16_sum, commute=True)
            return self._f16_sum
        return {"Average": m.SUM, "Sum": m.SUM, "Min": m.MIN, "Max": m.MAX, "Product": m.PROD}[op.name]

    def mpi_allreduce_(self, buf, op, what="allreduce", src=None):
        """``buf`` = the reduction of ``src`` (or of ``buf`` itself, in place) over the ranks."""
        m = self.mpi
        mop = self.mpi_op(op, buf.dtype)

        def spec(a):
            return [a, a.size, self._f16_type] if a.dtype == np.float16 else a
        self.run(what, self.comm.Allreduce, m.IN_PLACE if src is None else spec(src), spec(buf), mop)

    def close(self):
        self._stop = True


_group = None
_excepthook = None


def _launcher_env():
    return any(k in os.environ for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                                         "MPI_LOCALNRANKS", "HYDI_CONTROL_FD"))


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"gputape.distribute needs mpi4py and an MPI library ({e}): "
                          f'pip install "gputape[distributed]" (mpi4py and the mpich wheel)') from e
    return MPI


def _nccl_module():
    """CuPy's NCCL binding (``cupy.cuda.nccl``), or None; tests replace it."""
    cp = _b._cupy_module()
    if cp is None:
        return None
    try:
        nccl = importlib.import_module(cp.__name__ + ".cuda.nccl")
    except Exception:  # noqa: BLE001 -- CuPy built without NCCL, or no libnccl: the nccl backend is absent
        return None
    return nccl if getattr(nccl, "available", True) else None


def init(backend=None, timeout=None):
    """Join the process group of this ``mpiexec`` run (one rank when started without a launcher).

    ``backend``: ``"mpi"``, ``"nccl"`` or None (``nccl`` when gputape's backend is CuPy and
    ``cupy.cuda.nccl`` is available, else ``mpi``).  ``timeout``: seconds a collective may wait
    (default ``$GPUTAPE_DIST_TIMEOUT``, else 300).  A second ``init`` with the same arguments does
    nothing; a different backend is a ValueError.  Raises ImportError without mpi4py, RuntimeError
    when ``nccl`` is asked for and unavailable."""
    global _group, _excepthook
    if backend not in (None, "mpi", "nccl"):
        raise ValueError(f"gputape.distribute.init: backend must be 'mpi', 'nccl' or None; got {backend!r}")
    if timeout is None:
        raw = os.environ.get("GPUTAPE_DIST_TIMEOUT", str(DEFAULT_TIMEOUT))
        try:
            timeout = float(raw)
        except ValueError:
            raise ValueError(f"GPUTAPE_DIST_TIMEOUT={raw!r}: not a number of seconds") from None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"gputape.distribute.init: timeout must be a positive number of seconds; got {timeout!r}")
    xp = _b.get_xp()
    on_cupy = xp is not np
    if backend is None:
        backend = "nccl" if on_cupy and _nccl_module() is not None else "mpi"
    if _group is not None:
        if _group.backend != backend:
            raise ValueError(f"gputape.distribute.init: already initialised with backend {_group.backend!r}; "
                             f"shutdown() first to use {backend!r}")
        _group.timeout = float(timeout)
        return
    if backend == "nccl":
        if not on_cupy:
            raise RuntimeError("gputape.distribute.init(backend='nccl'): gputape's backend is NumPy; NCCL "
                               "needs CuPy arrays (GPUTAPE_BACKEND=cupy)")
        if _nccl_module() is None:
            raise RuntimeError("gputape.distribute.init(backend='nccl'): cupy.cuda.nccl is not available "
                               "(CuPy built without NCCL, or no libnccl); use backend='mpi'")
    MPI = _import_mpi()
    if not MPI.Is_initialized():
        MPI.Init_thread(MPI.THREAD_MULTIPLE)
    g = _Group(MPI.COMM_WORLD.Dup(), MPI, backend, float(timeout))
    if backend == "nccl":
        g.nccl = _NCCL(g, xp)
    _group = g
    _excepthook = sys.excepthook
    sys.excepthook = _abort_on_exception


def _abort_on_exception(tp, value, tb):
    g = _group
    if _excepthook is not None:
        _excepthook(tp, value, tb)
    if g is not None and g.size > 1:
        g._abort(f"rank {g.rank} of {g.size} raised {tp.__name__}: {value}")


def shutdown():
    """Leave the process group (MPI itself is finalised at exit by mpi4py)."""
    global _group
    if _group is None:
        return
    g, _group = _group, None
    g.close()
    if sys.excepthook is _abort_on_exception:
        sys.excepthook = _excepthook
    if g.nccl is not None:
        g.nccl.close()
    g.comm.Free()


def is_initialized():
    return _group is not None


def _g(what):
    if _group is None:
        raise ValueError(f"gputape.distribute.{what}: call gputape.distribute.init() first")
    return _group


def rank():
    """This process's rank in ``[0, size())``."""
    return _g("rank").rank


def size():
    """The number of ranks."""
    return _g("size").size


def local_rank():
    """This process's rank among the ranks on its machine (its CuPy device under ``nccl``)."""
    return _g("local_rank").local_rank


def local_size():
    """The number of ranks on this machine."""
    return _g("local_size").local_size


def backend():
    """``"mpi"`` or ``"nccl"``."""
    return _g("backend").backend


def mpi_version():
    """The MPI library's version line, or None without mpi4py."""
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    return MPI.Get_library_version().strip().splitlines()[0].strip()


def nccl_version():
    """NCCL's version number (e.g. 22703) through CuPy, or None."""
    nccl = _nccl_module()
    if nccl is None:
        return None
    try:
        return int(nccl.get_version())
    except Exception:  # noqa: BLE001 -- no libnccl loadable
        return None


# ---------------------------------------------------------------- NCCL through CuPy
class _NCCL:
    """A ``cupy.cuda.nccl.NcclCommunicator`` over the group's ranks; its unique id goes over MPI."""

    def __init__(self, g, cp):
        nccl = _nccl_module()
        self.nccl, self.cp = nccl, cp
        dev = getattr(cp.cuda, "Device", None)
        if dev is not None:
            dev(g.local_rank).use()
        uid = nccl.get_unique_id() if g.rank == 0 else None
        uid = g.run("nccl unique id", g.comm.bcast, uid, 0)
        self.comm = nccl.NcclCommunicator(g.size, uid, g.rank)
        self.types = {np.dtype(k): getattr(nccl, v) for k, v in (
            ("float16", "NCCL_FLOAT16"), ("float32", "NCCL_FLOAT32"), ("float64", "NCCL_FLOAT64"),
            ("int8", "NCCL_INT8"), ("uint8", "NCCL_UINT8"), ("int32", "NCCL_INT32"), ("int64", "NCCL_INT64"),
            ("uint32", "NCCL_UINT32"), ("uint64", "NCCL_UINT64")) if hasattr(nccl, v)}
        self.ops = {"Average": nccl.NCCL_SUM, "Sum": nccl.NCCL_SUM, "Min": nccl.NCCL_MIN, "Max": nccl.NCCL_MAX,
                    "Product": nccl.NCCL_PROD}

    def _type(self, dtype):
        t = self.types.get(np.dtype(dtype))
        if t is None:
            raise TypeError(f"gputape.distribute (nccl): dtype {np.dtype(dtype).name} has no NCCL type")
        return t

    def _stream(self):
        return getattr(self.cp.cuda.get_current_stream(), "ptr", 0)

    def allreduce_(self, buf, op, src=None):
        self.comm.allReduce((buf if src is None else src).data.ptr, buf.data.ptr, buf.size, self._type(buf.dtype), self.ops[op.name],
                            self._stream())

    def bcast_(self, buf, root):
        self.comm.bcast(buf.data.ptr, buf.size, self._type(buf.dtype), root, self._stream())

    def allgather(self, send, recv):
        self.comm.allGather(send.data.ptr, recv.data.ptr, send.size, self._type(send.dtype), self._stream())

    def close(self):
        destroy = getattr(self.comm, "destroy", None)
        if destroy is not None:
            destroy()


# ---------------------------------------------------------------- buffer collectives
def _output(g, xp, shape, dtype, aligned=False):
    """A fresh-to-the-caller array for a collective's result.  On NumPy the previous result of the same
    shape and dtype is reused once nothing references it any more (no Tensor, no view: its reference
    count says so), as a caching allocator does: a new 40 MB array costs ~10 ms of page faults each
    time.  CuPy's memory pool does this itself."""
    if xp is not np:
        return _aligned_or_empty(xp, shape, dtype, aligned)
    key = (shape, np.dtype(dtype).str, aligned)
    buf = g.pool.get(key)
    if buf is not None:
        # NumPy points every view at the array that owns the memory (``base``, for an aligned buffer the
        # larger array it is cut from): free when the pool, these locals and getrefcount's argument are
        # all that refer to ``buf`` and to its owner
        base = buf.base
        if sys.getrefcount(buf) == 3 and (base is None or sys.getrefcount(base) == 3):
            return buf
    if len(g.pool) > 64:
        g.pool.clear()
    buf = g.pool[key] = _aligned_or_empty(xp, shape, dtype, aligned)
    return buf


def _aligned_or_empty(xp, shape, dtype, aligned):
    if aligned:
        from .flat import _aligned
        return _aligned(xp, shape[0], dtype, 0)
    return xp.empty(shape, dtype)


def _is_host(a):
    return _b.array_module(a) is np


def _allreduce_buffer(g, buf, op, what, src=None):
    """Reduce the 1-D contiguous array ``src`` (None: ``buf`` in place) over all ranks into ``buf``:
    ONE collective."""
    if g.nccl is not None and not _is_host(buf):
        g.counts[what] = g.counts.get(what, 0) + 1
        g.nccl.allreduce_(buf, op, src)
    elif _is_host(buf):
        g.mpi_allreduce_(buf, op, what, src)
    else:                                     # CuPy arrays over MPI: through the host
        host = _b.xp.asnumpy(buf if src is None else src)
        g.mpi_allreduce_(host, op, what)
        buf[...] = _b.xp.asarray(host)
    if op is Average:
        buf /= buf.dtype.type(g.size)


def _bcast_buffer(g, buf, root, what):
    if g.nccl is not None and not _is_host(buf):
        g.counts[what] = g.counts.get(what, 0) + 1
        g.nccl.bcast_(buf, root)
    elif _is_host(buf):
        g.run(what, g.comm.Bcast, buf, root)
    else:
        host = _b.xp.asnumpy(buf)
        g.run(what, g.comm.Bcast, host, root)
        buf[...] = _b.xp.asarray(host)


def _check_root(g, root_rank, where):
    if isinstance(root_rank, bool) or not isinstance(root_rank, (int, np.integer)):
        raise TypeError(f"{where}: root_rank must be an int; got {type(root_rank).__name__}")
    if not 0 <= root_rank < g.size:
        raise InvalidArgumentError(f"{where}: root_rank {root_rank} is not a rank of this group "
                                   f"(0 to {g.size - 1})")
    return int(root_rank)


def _agree(g, what, signature):
    """None when every rank passes the same ``signature`` (a picklable value), checked with one 16-byte
    host collective (the max of a 56-bit hash and of its negation); else every rank's signature, the
    same list on every rank, for the caller's error message."""
    h = int.from_bytes(hashlib.blake2b(pickle.dumps(signature), digest_size=7).digest(), "little")
    pair = np.array([h, -h], np.int64)
    g.run(what + " (agreement)", g.comm.Allreduce, g.mpi.IN_PLACE, pair, g.mpi.MAX)
    if pair[0] == h and pair[1] == -h:
        return
    sigs = g.run(what + " (agreement detail)", g.comm.allgather, signature)
    return sigs


# ---------------------------------------------------------------- the gradient tape
def _dense(grad):
    from .indexed_slices import IndexedSlices
    from .tensor import convert_to_tensor
    if isinstance(grad, IndexedSlices):
        return convert_to_tensor(grad)          # sparse gradients are reduced dense (sparse_as_dense)
    return grad


class DistributedGradientTape:
    """A GradientTape whose ``gradient`` returns the gradients reduced over all ranks (as Horovod's
    ``hvd.DistributedGradientTape``).

    ``op``: ``Average`` (default) or ``Sum`` (Min/Max/Product are refused: not a gradient).
    ``compression``: ``Compression.none`` (default) or ``Compression.fp16``.

    Gradients are packed into one contiguous buffer per (wire) dtype, in the order of ``sources``,
    each segment 256-byte aligned as gputape.flat's buffers, and reduced with ONE collective per
    buffer; the results are views of that buffer (one no live result uses).  Before it, the ranks check
    with one 16-byte collective that they agree on which gradients are None and on every gradient's
    shape and dtype: ``None`` stays ``None`` everywhere, and a mismatch is a ValueError on every rank
    naming the sources and ranks that differ, never a hang.  The tape's own methods (``watch``,
    ``jacobian``, context manager use...) are passed through."""

    def __init__(self, tape, op=Average, compression=Compression.none):
        from .tape import GradientTape
        if not isinstance(tape, GradientTape):
            raise TypeError(f"DistributedGradientTape: tape must be a gputape.GradientTape; got "
                            f"{type(tape).__name__}")
        _check_op(op, "DistributedGradientTape")
        if op is not Average and op is not Sum:
            raise ValueError(f"DistributedGradientTape: op must be Average or Sum; got {op!r}")
        if not isinstance(compression, _Compressor):
            raise TypeError(f"DistributedGradientTape: compression must be Compression.none or "
                            f"Compression.fp16; got {compression!r}")
        self._tape, self._op, self._compression = tape, op, compression

    def __getattr__(self, name):
        return getattr(self._tape, name)

    def __enter__(self):
        self._tape.__enter__()
        return self

    def __exit__(self, *exc):
        return self._tape.__exit__(*exc)

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """``GradientTape.gradient``'s result reduced over all ranks (see the class doc)."""
        g = _g("DistributedGradientTape.gradient")
        grads = self._tape.gradient(target, sources, output_gradients=output_gradients,
                                    unconnected_gradients=unconnected_gradients)
        flat = [_dense(x) for x in nest.flatten(grads)]
        return nest.pack_sequence_as(grads, reduce_gradients(flat, self._op, self._compression, g=g))


def _layout(grads, compression):
    """[(dtype, wire dtype, indices, segment offsets or None for a lone gradient, buffer size)]."""
    from .flat import ALIGN
    groups = {}
    for k, t in enumerate(grads):
        if t is not None:
            groups.setdefault(np.dtype(t._v.dtype), []).append(k)
    layout = []
    for dtype, ks in groups.items():
        wire = compression.wire_dtype(dtype)
        if len(ks) == 1 and wire == dtype:
            layout.append((dtype, wire, ks, None, None))
            continue
        step = max(1, ALIGN // wire.itemsize)
        offs, off = [], 0
        for k in ks:
            offs.append(off)
            off += -(-max(grads[k]._v.size, 1) // step) * step
        layout.append((dtype, wire, ks, offs, off))
    return layout


def reduce_gradients(grads, op=Average, compression=Compression.none, g=None):
    """The list ``grads`` (Tensors or None) reduced over all ranks: one collective per dtype."""
    from .tensor import _wrap
    g = g or _g("reduce_gradients")
    sig = tuple(None if t is None else (t._v.shape, t._v.dtype.str) for t in grads)
    sigs = _agree(g, "gradient", sig)
    if sigs is not None:
        sig = tuple(None if s is None else (s[0], np.dtype(s[1]).name) for s in sig)
        sigs = [tuple(None if s is None else (s[0], np.dtype(s[1]).name) for s in r) for r in sigs]
        lines = []
        for k in range(len(sig)):
            seen = {r: s[k] if k < len(s) else "absent" for r, s in enumerate(sigs)}
            if len(set(map(repr, seen.values()))) > 1:
                lines.append(f"  source {k}: " + "; ".join(
                    f"rank {r}: " + ("None" if v is None else v if isinstance(v, str) else f"shape {v[0]} {v[1]}")
                    for r, v in seen.items()))
        counts = {r: len(s) for r, s in enumerate(sigs)}
        head = (f"DistributedGradientTape.gradient: the ranks disagree on the gradients "
                f"(None on some ranks only, or different shapes/dtypes/number of sources)")
        if len(set(counts.values())) > 1:
            head += "; number of sources: " + ", ".join(f"rank {r}: {n}" for r, n in counts.items())
        raise ValueError(head + ("\n" + "\n".join(lines[:20]) if lines else ""))
    xp = _b.get_xp()
    from .flat import _copy_into
    layout = g.layouts.get((sig, compression.name))
    if layout is None:
        if len(g.layouts) > 64:
            g.layouts.clear()
        layout = g.layouts[(sig, compression.name)] = _layout(grads, compression)
    out = list(grads)
    for dtype, wire, ks, offs, off in layout:
        if offs is None:
            v = grads[ks[0]]._v                   # one gradient of this dtype: reduced into a fresh array
            if not v.flags.c_contiguous:
                v = v.copy()
            buf = _output(g, xp, v.shape, v.dtype)
            _allreduce_buffer(g, buf.reshape(-1), op, "allreduce", src=v.reshape(-1))
            out[ks[0]] = _wrap(buf)
            continue
        buf = _output(g, xp, (off,), wire, aligned=True)
        for k, o in zip(ks, offs):
            v = grads[k]._v
            seg = buf[o:o + v.size].reshape(v.shape)
            if wire == dtype:
                _copy_into(xp, seg, v)
            else:
                seg[...] = v
        _allreduce_buffer(g, buf, op, "allreduce")
        if wire != dtype:
            buf = buf.astype(dtype)
        for k, o in zip(ks, offs):
            v = grads[k]._v
            out[k] = _wrap(buf[o:o + v.size].reshape(v.shape))
    return out


# ---------------------------------------------------------------- public ops
def _tensor(x, where):
    from .tensor import convert_to_tensor, _Base
    if isinstance(x, _Base):
        return x
    try:
        return convert_to_tensor(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{where}: expected a tensor; got {type(x).__name__} ({e})") from None


def allreduce(tensor, op=Average, name=None):
    """``tensor`` reduced elementwise over all ranks (same shape and dtype on every rank, checked: a
    mismatch is a ValueError on every rank).  Differentiable for Average and Sum: the gradient is the
    same allreduce of the incoming gradient (as Horovod's)."""
    from .custom import custom_gradient
    from .tensor import _wrap
    g = _g("allreduce")
    _check_op(op, "allreduce")
    t = _tensor(tensor, "allreduce")
    if op is Average and np.dtype(t._v.dtype).kind not in "fc":
        raise TypeError(f"allreduce: op=Average needs a floating tensor; got {np.dtype(t._v.dtype).name} "
                        f"(use op=Sum)")
    sigs = _agree(g, "allreduce", (tuple(t._v.shape), str(t._v.dtype)))
    if sigs is not None:
        raise ValueError("allreduce: the ranks pass tensors of different shapes or dtypes: " + ", ".join(
            f"rank {r}: shape {s[0]} {s[1]}" for r, s in enumerate(sigs)))

    def forward(x):
        v = x._v if x._v.flags.c_contiguous else x._v.copy()
        buf = _output(g, _b.get_xp(), v.shape, v.dtype)     # never the input, never a live result
        _allreduce_buffer(g, buf.reshape(-1), op, "allreduce", src=v.reshape(-1))
        y = _wrap(buf)

        def grad(dy):
            if op is not Average and op is not Sum:
                raise NotImplementedError(f"the gradient of allreduce(op={op.name}) (Average and Sum have one)")
            return allreduce(dy, op)
        return y, grad
    return custom_gradient(forward)(t)


def allgather(tensor, name=None):
    """The ranks' tensors concatenated along axis 0 in rank order (their first dimensions may differ;
    the rest of the shape and the dtype must agree).  Differentiable: the gradient is this rank's
    slice of the Sum-allreduced incoming gradient (as Horovod's)."""
    from .custom import custom_gradient
    from .tensor import _wrap
    g = _g("allgather")
    t = _tensor(tensor, "allgather")
    if t._v.ndim == 0:
        raise InvalidArgumentError("allgather: tensor must have at least one dimension; got a scalar")
    metas = g.run("allgather (shapes)", g.comm.allgather, (tuple(t._v.shape), str(t._v.dtype)))
    if len({(m[0][1:], m[1]) for m in metas}) > 1:
        raise ValueError("allgather: the ranks' tensors differ beyond axis 0: " + ", ".join(
            f"rank {r}: shape {m[0]} {m[1]}" for r, m in enumerate(metas)))
    firsts = [m[0][0] for m in metas]
    inner = int(np.prod(t._v.shape[1:], dtype=np.int64))
    xp = _b.get_xp()

    def forward(x):
        v = x._v if x._v.flags.c_contiguous else x._v.copy()
        out = xp.empty((sum(firsts),) + tuple(v.shape[1:]), v.dtype)
        counts = [f * inner for f in firsts]
        if g.nccl is not None and not _is_host(v) and len(set(firsts)) == 1:
            g.counts["allgather"] = g.counts.get("allgather", 0) + 1
            g.nccl.allgather(v.reshape(-1), out.reshape(-1))
        elif _is_host(v):
            g.run("allgather", g.comm.Allgatherv, v.reshape(-1), [out.reshape(-1), counts])
        else:
            host = np.empty(out.shape, out.dtype)
            g.run("allgather", g.comm.Allgatherv, xp.asnumpy(v).reshape(-1), [host.reshape(-1), counts])
            out[...] = xp.asarray(host)
        y = _wrap(out)
        start = sum(firsts[:g.rank])

        def grad(dy):
            return allreduce(dy, Sum)[start:start + firsts[g.rank]]
        return y, grad
    return custom_gradient(forward)(t)


def broadcast(tensor, root_rank=0, name=None):
    """``root_rank``'s tensor on every rank (same shape and dtype everywhere, checked).  Differentiable:
    the gradient is the Sum-allreduced incoming gradient on the root, zeros elsewhere (as Horovod's)."""
    from .custom import custom_gradient
    from .tensor import _wrap
    g = _g("broadcast")
    root = _check_root(g, root_rank, "broadcast")
    t = _tensor(tensor, "broadcast")
    sigs = _agree(g, "broadcast", (tuple(t._v.shape), str(t._v.dtype)))
    if sigs is not None:
        raise ValueError("broadcast: the ranks pass tensors of different shapes or dtypes: " + ", ".join(
            f"rank {r}: shape {s[0]} {s[1]}" for r, s in enumerate(sigs)))

    def forward(x):
        buf = x._v.reshape(-1).copy()
        _bcast_buffer(g, buf, root, "broadcast")
        y = _wrap(buf.reshape(x._v.shape))

        def grad(dy):
            s = allreduce(dy, Sum)
            return s if g.rank == root else s * 0
        return y, grad
    return custom_gradient(forward)(t)


def broadcast_variables(variables, root_rank=0):
    """Assign ``root_rank``'s values to ``variables`` on every rank (model weights, optimizer state):
    one broadcast per dtype of the variables packed in order.  The ranks must pass the same number of
    variables with the same shapes and dtypes (checked: a ValueError on every rank otherwise)."""
    from .tensor import Variable
    g = _g("broadcast_variables")
    root = _check_root(g, root_rank, "broadcast_variables")
    vs = list(variables)
    for k, v in enumerate(vs):
        if not isinstance(v, Variable):
            raise TypeError(f"broadcast_variables: element {k} is a {type(v).__name__}, not a Variable")
    sig = tuple((tuple(v._v.shape), str(v._v.dtype)) for v in vs)
    sigs = _agree(g, "broadcast_variables", sig)
    if sigs is not None:
        raise ValueError("broadcast_variables: the ranks pass different variables: " + "; ".join(
            f"rank {r}: {len(s)} variables" + (f", first difference at {next((k for k in range(min(len(s), len(sig))) if s[k] != sig[k]), None)}")
            for r, s in enumerate(sigs)))
    xp = _b.get_xp()
    groups = {}
    for v in vs:
        groups.setdefault(np.dtype(v._v.dtype), []).append(v)
    for dtype, group in groups.items():
        total = sum(v._v.size for v in group)
        buf = xp.empty((total,), dtype)
        o = 0
        for v in group:
            buf[o:o + v._v.size] = v._v.reshape(-1)
            o += v._v.size
        _bcast_buffer(g, buf, root, "broadcast_variables")
        o = 0
        for v in group:
            v.assign(buf[o:o + v._v.size].reshape(v._v.shape))
            o += v._v.size


def broadcast_object(obj, root_rank=0):
    """``root_rank``'s picklable ``obj`` on every rank."""
    g = _g("broadcast_object")
    root = _check_root(g, root_rank, "broadcast_object")
    return g.run("broadcast_object", g.comm.bcast, obj, root)


def allgather_object(obj):
    """The list of every rank's picklable ``obj``, in rank order."""
    g = _g("allgather_object")
    return g.run("allgather_object", g.comm.allgather, obj)


def barrier():
    """Wait until every rank reaches this call (within the timeout)."""
    g = _g("barrier")
    g.run("barrier", g.comm.Barrier)


def shard(*arrays):
    """This rank's shard of each array: elements ``rank()::size()`` along axis 0, as
    ``Dataset.shard(size(), rank())`` picks them.  One array gives one result, several a tuple."""
    g = _g("shard")
    out = []
    for k, a in enumerate(arrays):
        if getattr(a, "ndim", None) in (None, 0) or not hasattr(a, "__getitem__"):
            raise TypeError(f"shard: argument {k} must be an array with at least one dimension; "
                            f"got {type(a).__name__}")
        out.append(a[g.rank::g.size])
    return out[0] if len(out) == 1 else tuple(out)
