"""The one place that knows NumPy from CuPy.

``GPUTAPE_BACKEND=numpy|cupy|auto`` (default ``auto``) picks the array module
the first time a tensor is made; ``set_backend`` does the same from Python
before that.  ``auto`` takes CuPy when it imports and sees a CUDA device,
otherwise NumPy.  Asking for ``cupy`` where it cannot run is an error.
"""
import os
import sys

import numpy as np

xp = None          # the array module in use, once chosen
name = None        # 'numpy' or 'cupy'
# CuPy and cupyx as modules, once imported.  The helpers below dispatch on the module of the array
# they are given (``is_cupy_array``), never on ``name``: the NumPy twins run as the GPU tests' oracle
# in a process whose backend is CuPy, and a CuPy array can meet a NumPy-backend process.  Tests swap
# these two for a NumPy-backed stand-in (tests/cupy_standin.py).
_cupy = None
_cupyx = None
_VALID = ("numpy", "cupy", "auto")


class BackendError(RuntimeError):
    """The requested backend cannot be used here."""


def _cupy_with_device():
    try:
        import cupy
    except Exception as e:  # ImportError, or a broken CUDA install
        return None, f"CuPy does not import ({type(e).__name__}: {e})"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return None, f"CuPy sees no CUDA device ({type(e).__name__}: {e})"
    if n < 1:
        return None, "CuPy sees no CUDA device"
    return cupy, None


def set_backend(which, _asked_by=None):
    """Choose ``'numpy'``, ``'cupy'`` or ``'auto'``; only before the first tensor exists.

    Raises ValueError for another name and BackendError when CuPy was asked for and cannot run; both
    messages name what asked (``_asked_by``: ``"GPUTAPE_BACKEND=..."``, ``"--backend ..."``; by default
    ``set_backend(...)``)."""
    global xp, name, _cupy
    asked = _asked_by or f"set_backend({which!r})"
    if which not in _VALID:
        raise ValueError(f"{asked}: the backend must be one of {', '.join(_VALID)}, got {which!r}")
    if xp is not None:
        wanted = which if which != "auto" else name
        if wanted == name:
            return name
        raise BackendError(
            f"the {name} backend is already in use (tensors exist); set "
            f"GPUTAPE_BACKEND={which} or call set_backend before the first tensor is made")
    if which == "numpy":
        xp, name = np, "numpy"
    elif which == "cupy":
        cp, why = _cupy_with_device()
        if cp is None:
            raise BackendError(f"the cupy backend was asked for ({asked}), but {why}")
        xp, name = cp, "cupy"
    else:
        cp, _ = _cupy_with_device()
        xp, name = (cp, "cupy") if cp is not None else (np, "numpy")
    if name == "cupy":
        _cupy = xp
    from . import op
    op._replan_all()
    return name


def get_xp():
    """The array module, choosing it from ``GPUTAPE_BACKEND`` on first use."""
    if xp is None:
        raw = os.environ.get("GPUTAPE_BACKEND", "auto")
        set_backend(raw.strip().lower() or "auto", f"GPUTAPE_BACKEND={raw}")
    return xp


def backend_name():
    get_xp()
    return name


def _cupy_module():
    """CuPy's module when it has been imported (by gputape or by the user), else None."""
    cp = _cupy
    if cp is None:
        cp = sys.modules.get("cupy")
        if cp is None or getattr(cp, "ndarray", None) is None:     # never imported, or half-imported
            return None
    return cp


def is_cupy_array(a):
    """Whether ``a`` is an array of CuPy's: decided by the array, never by the backend's name."""
    if type(a) is np.ndarray:
        return False
    cp = _cupy_module()
    return cp is not None and isinstance(a, cp.ndarray)


def array_module(a):
    """The array module ``a`` belongs to: CuPy for a CuPy array, NumPy for anything else."""
    return _cupy_module() if is_cupy_array(a) else np


def _cupyx_module():
    global _cupyx
    if _cupyx is None:
        import cupyx
        import cupyx.scipy.special  # noqa: F401  (erf)
        _cupyx = cupyx
    return _cupyx


def before_host_read():
    """Replaced by ``checks.flush_device_checks``: deferred device checks raise before a device value
    is read back."""


def to_host(a):
    """A numpy array of ``a`` (a copy for a CuPy array; ``a`` itself for a numpy array).  Every
    device->host read of gputape goes through here, so deferred device checks (``checks.
    check_indices`` on CuPy) raise at the first read after the op that failed them."""
    if type(a) is np.ndarray:
        return a
    if is_cupy_array(a):
        before_host_read()
        return _cupy_module().asnumpy(a)
    return np.asarray(a)


def device_name():
    if backend_name() == "cupy":
        props = xp.cuda.runtime.getDeviceProperties(xp.cuda.Device().id)
        n = props["name"]
        return n.decode() if isinstance(n, bytes) else str(n)
    return "cpu"


def scatter_add(a, index, values):
    """``a[index] += values`` with repeated indices accumulated: cupyx.scatter_add for a CuPy ``a``,
    np.add.at for a numpy one (chosen by ``a``'s module)."""
    if is_cupy_array(a):
        _cupyx_module().scatter_add(a, index, values)
    else:
        np.add.at(a, index, values)


def erf(x):
    """The error function elementwise, in x's dtype (cupyx for a CuPy ``x``, else scipy when present,
    libm otherwise).  cupyx's erf computes float16 in float64 (an ``e->d`` loop): cast back."""
    if is_cupy_array(x):
        y = _cupyx_module().scipy.special.erf(x)
        return y if y.dtype == x.dtype or x.dtype.kind != "f" else y.astype(x.dtype)
    try:
        from scipy.special import erf as sp_erf
        return np.asarray(sp_erf(x)).astype(x.dtype, copy=False)
    except ImportError:
        import math
        return np.vectorize(math.erf, otypes=[x.dtype])(x)


def gpu_count():
    """How many CUDA devices gputape computes on: CuPy's device count on the CuPy backend, else 0."""
    if backend_name() != "cupy":
        return 0
    return int(xp.cuda.runtime.getDeviceCount())


def current_device():
    """The CUDA device new CuPy arrays go to (CuPy's current device); None on the NumPy backend."""
    if backend_name() != "cupy":
        return None
    return int(xp.cuda.Device().id)


def device_scope(index):
    """A context that makes CUDA device ``index`` current for new CuPy arrays (``cupy.cuda.Device``);
    on the NumPy backend a context that does nothing."""
    import contextlib
    if backend_name() != "cupy":
        return contextlib.nullcontext()
    return xp.cuda.Device(index)
class DeviceCopier:
    """Host-to-device copies for an input pipeline (``gputape.data``) on CuPy.

    ``start(arrays)`` (any thread) stages each host array in pinned host memory and enqueues its copy
    into a fresh device array on a private non-blocking stream; it returns the device arrays and an
    event recorded after the copies.  ``finish(arrays, event)`` (the consuming thread) makes the
    consumer's current stream wait for that event, so no kernel reads a buffer before its copy is
    done, and returns the arrays.  Device arrays are allocated from the consumer stream's memory
    pool, and the copy stream first waits for the work the consumer had enqueued by then: a block the
    pool hands out again may still be read by that earlier work.  Pinned buffers are kept until their
    copy's event has completed.  Arrays already on the device pass through uncopied.
    """

    def __init__(self):
        self._cp = _cupy_module()
        self._pinned_empty = _cupyx_module().empty_pinned
        self._stream = self._cp.cuda.Stream(non_blocking=True)
        self._consumer = self._cp.cuda.get_current_stream()      # the stream of the thread that iterates
        self._inflight = []                                        # (event, pinned buffers)

    def start(self, arrays):
        host = [i for i, a in enumerate(arrays) if not is_cupy_array(a)]
        if not host:
            return list(arrays), None
        cp, s = self._cp, self._stream
        with self._consumer:
            devs = [cp.empty(arrays[i].shape, arrays[i].dtype) for i in host]
        s.wait_event(self._consumer.record())
        out, pinned = list(arrays), []
        for i, d in zip(host, devs):
            p = self._pinned_empty(arrays[i].shape, arrays[i].dtype)
            p[...] = arrays[i]
            d.set(p, stream=s)
            pinned.append(p)
            out[i] = d
        done = s.record()
        self._inflight = [(e, p) for e, p in self._inflight if not e.done]
        self._inflight.append((done, pinned))
        return out, done

    def finish(self, arrays, event):
        if event is not None:
            self._cp.cuda.get_current_stream().wait_event(event)
        return arrays

    def close(self):
        """Wait for the copies in flight and release their pinned buffers."""
        self._stream.synchronize()
        self._inflight = []


def cupyx_scipy_linalg():
    """``cupyx.scipy.linalg`` (imported on first use; gputape.ops.linalg2's triangular solves by cuBLAS trsm)."""
    lin = getattr(_cupyx_module().scipy, "linalg", None)
    if lin is None:
        import cupyx.scipy.linalg as lin
    return lin
