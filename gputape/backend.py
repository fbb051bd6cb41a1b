"""The one place that knows NumPy from CuPy.

``GPUTAPE_BACKEND=numpy|cupy|auto`` (default ``auto``) picks the array module
the first time a tensor is made; ``set_backend`` does the same from Python
before that.  ``auto`` takes CuPy when it imports and sees a CUDA device,
otherwise NumPy.  Asking for ``cupy`` where it cannot run is an error.
"""
import os

import numpy as np

xp = None          # the array module in use, once chosen
name = None        # 'numpy' or 'cupy'
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
    global xp, name
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


def to_host(a):
    """An array of the backend as a numpy array (a copy for device arrays)."""
    if type(a) is np.ndarray:
        return a
    if name == "cupy":
        return xp.asnumpy(a)
    return np.asarray(a)


def device_name():
    if backend_name() == "cupy":
        props = xp.cuda.runtime.getDeviceProperties(xp.cuda.Device().id)
        n = props["name"]
        return n.decode() if isinstance(n, bytes) else str(n)
    return "cpu"


def scatter_add(a, index, values):
    """``a[index] += values`` with repeated indices accumulated (np.add.at / cupyx.scatter_add)."""
    if name == "cupy":
        import cupyx
        cupyx.scatter_add(a, index, values)
    else:
        np.add.at(a, index, values)


def erf(x):
    """The error function elementwise, in x's dtype (scipy/cupyx when present, libm otherwise)."""
    if name == "cupy":
        import cupyx.scipy.special as sp
        return sp.erf(x)
    try:
        from scipy.special import erf as sp_erf
        return np.asarray(sp_erf(x)).astype(x.dtype, copy=False)
    except ImportError:
        import math
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
