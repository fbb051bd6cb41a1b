"""A NumPy-backed stand-in for CuPy, for CPU tests of gputape's CuPy path.  NOT A GPU.

Nothing here touches a device: every "CuPy" array is a NumPy array under a distinct class
(``StandinArray``), so a test can tell which module an array belongs to, and the few places where
CuPy's rules differ from NumPy's (and matter to the tests using it) follow CuPy:

- ``random.default_rng`` gives a Generator with no ``permutation``/``permuted``/``shuffle``/``choice``
  (``cupy.random.Generator`` of CuPy 14.2 has none of them);
- ``cupyx.scipy.special.erf`` computes float16 in float64 (CuPy's ``e->d`` loop) and, like every cupyx
  function here, raises TypeError for a NumPy array, as CuPy's ufuncs do;
- ``cupyx.scatter_add`` accumulates repeated indices, on stand-in arrays only;
- ``take_along_axis`` wraps out-of-range indices around, as CuPy's indexing does;
- a scalar result (``a[1]``, a ufunc of 0-d arrays) is a 0-d stand-in array, never a NumPy scalar, and
  every read back to the host is counted (``syncs``, ``copies``; the sync budget test reads them).

Only the API surface the tests need is here; a missing name is an AttributeError, never a silent
NumPy fallback.  A stand-in array is still an ``np.ndarray`` to ``isinstance`` (real CuPy arrays are
not), so passing here does not prove the code never hands a CuPy array to NumPy: it proves what each
test asserts.  Results computed under it are CPU results: never label them GPU results or write them
under ``benchmarks/results/``.

Use ``install(monkeypatch)``: it points gputape.backend's CuPy references (``xp``, ``name``, ``_cupy``,
``_cupyx``) at the stand-in for one test and re-plans the ops; monkeypatch undoes it (``restore``
re-plans them for NumPy again).
"""
import math
import operator
import types

import numpy as np

NOT_A_GPU = True
LABEL = "cupy-standin (NumPy on the CPU; NOT a GPU)"


# ---------------------------------------------------------------- transfer counters
# Every device->host sync (``.get()``, ``float()``/``int()``/``bool()``/``operator.index``, ``.item()``,
# ``.tolist()``, ``cupy.asnumpy``) and host->device copy (``cupy.asarray``/``cupy.array`` of anything that
# is not already a stand-in array) is recorded as (what, where): ``where`` is the innermost gputape
# frame that asked for it and the outermost (the API entry the user called).  ``reset_counts()`` empties them.
syncs = []
copies = []


def _site():
    import sys
    f, sites = sys._getframe(2), []
    while f is not None:
        fn = f.f_code.co_filename.replace("\\", "/")
        if "/gputape/" in fn:
            sites.append(f"{fn[fn.rindex('/gputape/') + 1:]}:{f.f_lineno} {f.f_code.co_name}")
        f = f.f_back
    if not sites:
        return "<outside gputape>"
    return sites[0] if len(sites) == 1 else f"{sites[0]} <- {sites[-1]}"


def reset_counts():
    syncs.clear()
    copies.clear()
    set_sources.clear()
    waited.clear()


class StandinArray(np.ndarray):
    """An array of the stand-in ``cupy`` module: a NumPy array under its own class.

    Conversions to host values are counted in ``syncs``; 0-d results stay 0-d arrays (CuPy gives
    no NumPy scalars)."""

    def __array_wrap__(self, obj, context=None, return_scalar=False):
        return np.ndarray.__array_wrap__(self, obj, context, False)

    def __getitem__(self, key):
        r = np.ndarray.__getitem__(self, key)
        return _dev(r) if isinstance(r, np.generic) else r     # CuPy's a[1] is a 0-d device array

    @property
    def data(self):
        """CuPy's ``MemoryPointer`` subset gputape uses: ``ptr`` and ``copy_from_device_async``."""
        return _MemoryPointer(self)

    def _host(self, what):
        syncs.append((what, _site()))
        return self.view(np.ndarray)

    def get(self, stream=None, order="C", out=None):
        return np.array(self._host("get"), copy=True)

    def item(self, *args):
        return self._host("item").item(*args)

    def tolist(self):
        return self._host("tolist").tolist()

    def __float__(self):
        return float(self._host("float"))

    def __int__(self):
        return int(self._host("int"))

    def __bool__(self):
        return bool(self._host("bool"))

    def __index__(self):
        return operator.index(self._host("index"))


def _dev(a):
    """``a`` as a stand-in array (a view when it is already an array)."""
    a = np.asarray(a)
    return a.view(StandinArray)


def _need_dev(fn, *arrays):
    for a in arrays:
        if isinstance(a, np.ndarray) and not isinstance(a, StandinArray):
            raise TypeError(f"{fn}: Unsupported type {type(a)} (a NumPy array given to the CuPy stand-in)")


class _MemoryPointer:
    def __init__(self, a):
        self.a = a
        self.ptr = a.ctypes.data

    def copy_from_device_async(self, src, nbytes):
        """A device-to-device memcpy of ``nbytes`` from ``src`` (a _MemoryPointer) to here."""
        d = self.a.view(np.ndarray).reshape(-1).view(np.uint8)
        d[:nbytes] = src.a.view(np.ndarray).reshape(-1).view(np.uint8)[:nbytes]


def _h2d(a):
    if not isinstance(a, StandinArray):
        copies.append((type(a).__name__, _site()))


def asarray(a, dtype=None):
    _h2d(a)
    if isinstance(a, StandinArray) and (dtype is None or a.dtype == np.dtype(dtype)):
        return a
    return _dev(np.asarray(a, dtype=dtype))


def array(a, dtype=None, copy=True):
    _h2d(a)
    return _dev(np.array(a, dtype=dtype, copy=copy))


def asnumpy(a):
    """A host copy, as a plain NumPy array (cupy.asnumpy; counted as a sync for a stand-in array)."""
    if isinstance(a, StandinArray):
        syncs.append(("asnumpy", _site()))
    return np.array(a, copy=True).view(np.ndarray)


def arange(*args, **kw):
    return _dev(np.arange(*args, **kw))


def zeros(shape, dtype=float):
    return _dev(np.zeros(shape, dtype=dtype))


def ones(shape, dtype=float):
    return _dev(np.ones(shape, dtype=dtype))


def zeros_like(a, dtype=None):
    return _dev(np.zeros_like(a, dtype=dtype))


def argsort(a, axis=-1, kind=None):
    """Stable, as CuPy's (its ``kind`` is ignored: CuPy sorts with a stable radix/merge sort; the gather
    gradient kernel relies on it, and the device run checks it against np.add.at's order)."""
    _need_dev("argsort", a)
    return _dev(np.argsort(a, axis=axis, kind="stable"))


def take_along_axis(a, indices, axis):
    """Out-of-range indices wrap around, as CuPy's do (documented CuPy behaviour), instead of raising."""
    _need_dev("take_along_axis", a, indices)
    return _dev(np.take_along_axis(np.asarray(a), np.mod(indices, a.shape[axis]), axis=axis))


def take(a, indices, axis=None):
    """cupy.take: out-of-range indices wrap around (CuPy has no ``mode='raise'``)."""
    _need_dev("take", a)
    return _dev(np.take(a, np.asarray(indices), axis=axis, mode="wrap"))


def where(cond, x, y):
    return _dev(np.where(cond, x, y))


def max(a, axis=None, keepdims=False):      # noqa: A001  (cupy.max)
    _need_dev("max", a)
    return _dev(np.max(a, axis=axis, keepdims=keepdims))


def sum(a, axis=None, keepdims=False, dtype=None):      # noqa: A001  (cupy.sum)
    _need_dev("sum", a)
    return _dev(np.sum(a, axis=axis, keepdims=keepdims, dtype=dtype))


def stack(arrays, axis=0):
    for a in arrays:
        _need_dev("stack", a)
    return _dev(np.stack(arrays, axis=axis))


def full(shape, fill_value, dtype=None):
    return _dev(np.full(shape, fill_value, dtype=dtype))


def get_array_module(*args):
    """The stand-in module when any argument is a stand-in array, else numpy (cupy.get_array_module)."""
    for a in args:
        if isinstance(a, StandinArray):
            return cupy
    return np


class Generator:
    """``cupy.random.Generator``'s methods that gputape uses, drawing with NumPy's PCG64.

    Like CuPy's, it has no ``permutation``, ``permuted``, ``shuffle`` or ``choice``."""

    def __init__(self, seed=None):
        self._g = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return _dev(self._g.random(size, dtype=dtype))

    def standard_normal(self, size=None, dtype=np.float64):
        return _dev(self._g.standard_normal(size, dtype=dtype))

    def integers(self, low, high=None, size=None, dtype=np.int64):
        return _dev(self._g.integers(low, high, size=size, dtype=dtype))


def default_rng(seed=None):
    return Generator(seed)


# the ufuncs gputape's ops name (``defop(..., ufunc=...)``, looked up on the backend's module when the
# ops are planned) and those the tests reach: NumPy's own, which keep StandinArray as the result class
_UFUNCS = ("absolute", "add", "cos", "exp", "expm1", "log", "log1p", "maximum", "minimum", "multiply",
           "negative", "sign", "sin", "sqrt", "subtract", "tan", "tanh", "divide", "true_divide")

cupy = types.ModuleType("cupy_standin")
cupy.__doc__ = __doc__
cupy.NOT_A_GPU = True
cupy.ndarray = StandinArray
for _f in (asarray, array, asnumpy, arange, zeros, ones, zeros_like, argsort, take, take_along_axis, where, max, sum,
           get_array_module, stack, full):
    setattr(cupy, _f.__name__, _f)
for _u in _UFUNCS:
    setattr(cupy, _u, getattr(np, _u))
cupy.random = types.SimpleNamespace(default_rng=default_rng, Generator=Generator)
cupy.float16, cupy.float32, cupy.float64 = np.float16, np.float32, np.float64
cupy.int32, cupy.int64, cupy.bool_ = np.int32, np.int64, np.bool_




def _wrap_np(fn):
    """NumPy's ``fn`` as a stand-in CuPy function: array results become stand-in arrays (0-d for a
    scalar, as CuPy's); a plain NumPy array argument, which CuPy would refuse, is recorded in
    ``numpy_args``."""
    def f(*args, **kw):
        for a in list(args) + list(kw.values()):
            if isinstance(a, np.ndarray) and not isinstance(a, StandinArray):
                numpy_args.append((fn.__name__, _site()))
        r = fn(*args, **kw)
        if isinstance(r, (np.ndarray, np.generic)) and not isinstance(r, StandinArray):
            return _dev(r)
        return r
    f.__name__ = getattr(fn, "__name__", "f")
    return f


numpy_args = []


def _fallback(name):
    """``full_api()``'s module ``__getattr__``: NumPy's function of that name, wrapped."""
    a = getattr(np, name)
    return _wrap_np(a) if callable(a) and not isinstance(a, type) else a


def full_api(on=True):
    """Give the stand-in module every NumPy function (wrapped by ``_wrap_np``) for whole-model tests
    (the sync budget); off by default, where a name CuPy's stand-in lacks is an AttributeError."""
    if on:
        cupy.__getattr__ = _fallback
    else:
        cupy.__dict__.pop("__getattr__", None)


# ---------------------------------------------------------------- streams, events, pinned memory
# A model of CUDA's asynchrony for gputape.data's device copies: work enqueued on a stream other than
# the null stream (``ndarray.set(..., stream=s)``) does not run until something waits for it
# (``Event.synchronize``, ``Stream.wait_event`` of an event after it, ``Stream.synchronize``), and it
# reads its source when it runs.  So a batch used without waiting holds ``empty``'s sentinel (NaN,
# or the integer minimum), and a pinned buffer overwritten before its copy ran copies the wrong data.
import threading as _threading

_tls = _threading.local()
set_sources = []      # one record per ndarray.set: .pinned (source from empty_pinned), .stream
waited = []           # (waiting stream, event) for each wait on an event of a non-null stream


class Stream:
    def __init__(self, null=False, non_blocking=False, ptr=0):
        self.is_null = null
        self._queue = []          # (seq, fn)
        self._seq = 0             # work items enqueued so far
        self._ran = 0             # work items run so far

    def _enqueue(self, fn):
        if self.is_null:
            fn()
            return
        self._seq += 1
        self._queue.append((self._seq, fn))

    def _run_to(self, seq):
        while self._queue and self._queue[0][0] <= seq:
            n, fn = self._queue.pop(0)
            fn()
            self._ran = n

    def record(self, event=None):
        ev = event or Event()
        ev._stream, ev._seq = self, self._seq
        return ev

    def wait_event(self, event):
        if not event._stream.is_null:
            waited.append((self, event))
        event.synchronize()

    def synchronize(self):
        self._run_to(self._seq)

    @property
    def done(self):
        return not self._queue

    def __enter__(self):
        _tls.__dict__.setdefault("stack", []).append(self)
        return self

    def __exit__(self, *exc):
        _tls.stack.pop()


class Event:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self._stream, self._seq = None, 0

    @property
    def done(self):
        return self._stream is None or self._stream._ran >= self._seq or self._stream.is_null

    def synchronize(self):
        if self._stream is not None:
            self._stream._run_to(self._seq)

    def record(self, stream=None):
        (stream or get_current_stream()).record(self)


Stream.null = Stream(null=True)


def get_current_stream():
    stack = getattr(_tls, "stack", None)
    return stack[-1] if stack else Stream.null


class _Pinned(np.ndarray):
    """Host memory from ``cupyx.empty_pinned`` (a NumPy array under its own class)."""


def empty_pinned(shape, dtype=float):
    return np.empty(shape, dtype).view(_Pinned)


def empty(shape, dtype=float):
    """Uninitialised device memory: NaN for floats, the minimum for integers, True for bools."""
    dt = np.dtype(dtype)
    fill = np.nan if dt.kind in "fc" else (True if dt.kind == "b" else np.iinfo(dt).min)
    return _dev(np.full(shape, fill, dt))


class _SetRecord:
    def __init__(self, pinned, stream):
        self.pinned, self.stream = pinned, stream


def _set(self, arr, stream=None):
    """cupy.ndarray.set: a host-to-device copy, enqueued on ``stream`` (the current one by default)."""
    if arr.shape != self.shape or arr.dtype != self.dtype:
        raise ValueError(f"set: shape/dtype mismatch {arr.shape}/{arr.dtype} vs {self.shape}/{self.dtype}")
    copies.append(("set", _site()))
    stream = stream or get_current_stream()
    set_sources.append(_SetRecord(isinstance(arr, _Pinned), stream))
    dst = self.view(np.ndarray)
    stream._enqueue(lambda: np.copyto(dst, arr.view(np.ndarray)))


StandinArray.set = _set
cupy.empty = empty
cupy.cuda = types.SimpleNamespace(Stream=Stream, Event=Event, get_current_stream=get_current_stream)


# ---------------------------------------------------------------- cupyx

_ERF = np.vectorize(math.erf, otypes=[np.float64])
calls = []          # (name, dtype) of each cupyx call: tests check which path ran


def erf(x):
    """cupyx.scipy.special.erf: loops e->d, f->f, d->d (float16 comes back float64, as CuPy 14's)."""
    _need_dev("cupyx.scipy.special.erf", x)
    calls.append(("erf", x.dtype))
    out = np.float32 if x.dtype == np.float32 else np.float64
    return _dev(_ERF(np.asarray(x, dtype=np.float64)).astype(out))


def scatter_add(a, slices, value):
    """cupyx.scatter_add: ``a[slices] += value`` with repeated indices accumulated, in place."""
    _need_dev("cupyx.scatter_add", a)
    calls.append(("scatter_add", a.dtype))
    np.add.at(a, slices, value)


def _special_fn(name):
    """cupyx.scipy.special.<name> for the special functions gputape.ops.special calls (SciPy's values,
    or gputape's NumPy formulas where SciPy is absent); float16 in, float32 out, as CuPy's loops."""
    def fn(*arrays):
        _need_dev(f"cupyx.scipy.special.{name}", *arrays)
        calls.append((name, arrays[-1].dtype))
        try:
            import scipy.special as sp
            f = getattr(sp, name)
        except ImportError:
            from gputape.ops import special as gs
            f = {"erfinv": gs._erfinv_np, "digamma": gs._digamma_np, "polygamma": gs._polygamma_np,
                 "erfc": np.vectorize(math.erfc), "gammaln": np.vectorize(math.lgamma)}[name]
        host = [np.asarray(a, dtype=np.float32 if a.dtype == np.float16 else a.dtype) for a in arrays]
        return _dev(np.asarray(f(*host)).astype(host[-1].dtype))
    fn.__name__ = name
    return fn


cupyx = types.ModuleType("cupyx_standin")
cupyx.NOT_A_GPU = True
cupyx.scatter_add = scatter_add
cupyx.empty_pinned = empty_pinned
cupyx.scipy = types.SimpleNamespace(special=types.SimpleNamespace(
    erf=erf, **{n: _special_fn(n) for n in ("erfinv", "erfc", "gammaln", "digamma", "polygamma")}))


# ---------------------------------------------------------------- installing it into gputape

def install(monkeypatch):
    """Make the stand-in gputape's CuPy backend for one test (undone by ``monkeypatch``; call
    ``restore`` at teardown, after monkeypatch's undo, to re-plan the ops for NumPy)."""
    from gputape import backend, op
    from gputape.ops import creation
    backend.get_xp()                              # the real backend is chosen first
    monkeypatch.setattr(backend, "xp", cupy)
    monkeypatch.setattr(backend, "name", "cupy")
    monkeypatch.setattr(backend, "_cupy", cupy, raising=False)
    monkeypatch.setattr(backend, "_cupyx", cupyx, raising=False)
    # generators are made from the backend's module on first use: fresh ones for the stand-in
    monkeypatch.setattr(creation.random, "_gen", None)
    monkeypatch.setattr(creation.random, "_op_gens", {})
    calls.clear()
    op._replan_all()
    return cupy


def restore():
    from gputape import op
    op._replan_all()


# ---------------------------------------------------------------- the stand-in test mode

def install_session(kernel_dir):
    """The stand-in as gputape's CuPy backend for a whole pytest run (``pytest --backend cupy-standin``,
    tests/conftest.py): every NumPy function available (``full_api``), and every ``RawModule`` launch
    of gputape.kernels run by the host (g++) build of the kernel (tests/host_kernels.py), built once
    into ``kernel_dir``.  Returns the stand-in module.  NOT A GPU: results are CPU results."""
    from gputape import backend, kernels, op
    from gputape.ops import creation
    import host_kernels
    backend.set_backend("numpy")                 # the real backend is chosen first, then replaced
    backend.xp, backend.name = cupy, "cupy"
    backend._cupy, backend._cupyx = cupy, cupyx
    creation.random._gen, creation.random._op_gens = None, {}
    full_api()
    libs = host_kernels.build_host_kernels(kernel_dir)
    kernels.KernelRef.function = lambda self, ctype: host_kernels.HostFunction(libs[self.file], self.name, ctype)
    kernels._max_grid = 3                        # a small grid, so grid-stride loops wrap
    op._replan_all()
    return cupy


# ==================================================================== h-fixidx: CuPy 14's scatter rules
# (added 2026-11-29 after the H200 run of 189535aa; facts from CuPy's source: cupy/_core/_kernel.pyx
# ``ufunc.at``, cupy/_core/_routines_indexing.pyx ``_scatter_op_single``, cupy/_core/include/cupy/atomics.cuh,
# and the "Duplicate values in indices" section of CuPy's "Differences between CuPy and NumPy")
#
# - ``cupy.add.at`` / ``cupyx.scatter_add`` cast the values to the target's dtype and accept only int32, int64,
#   float16, float32, float64, uint32, uint64 (TypeError "cupy.add.at only supports ..." otherwise: no int8,
#   int16, uint8, bool, complex); ``maximum.at`` / ``minimum.at`` / ``cupyx.scatter_max/min`` the same without
#   float16; ``multiply.at`` (and every other ufunc's ``at``) is a NotImplementedError;
# - ``maximum.at`` / ``minimum.at`` of floats run CuPy's ``atomicMax/atomicMin``, which call ``fmaxf/fminf``:
#   NaN is ignored (the other operand wins), and for float64 both operands are rounded to float32, so every
#   element the scatter touches comes back rounded to float32 (float64's max becomes inf);
# - ``a[int_array] = v`` with a repeated index stores an undefined one of the values (NumPy: the last); the
#   stand-in stores the FIRST, so code relying on NumPy's last-wins fails here as it may on a GPU (a key
#   that is one integer array; other keys keep NumPy's order);
# - ``cupy.nonzero`` gives a tuple of device arrays;
# - ``cupy.logaddexp`` is NaN where both operands are -inf (or both +inf): NumPy gives -inf (inf).

_AT_ADD = ("int32", "int64", "float16", "float32", "float64", "uint32", "uint64")
_AT_MINMAX = ("int32", "int64", "float32", "float64", "uint32", "uint64")


class _ScatterUfunc:
    """NumPy's ufunc ``uf`` as the stand-in's ``cupy.<name>``: calls and every attribute are NumPy's, except
    ``at``, which follows CuPy's scatter (the rules above)."""

    def __init__(self, uf, types):
        self._uf, self._types = uf, types
        self.__name__ = uf.__name__

    def __call__(self, *args, **kw):
        return self._uf(*args, **kw)

    def __getattr__(self, name):
        return getattr(self._uf, name)

    def at(self, a, indices, b=None):
        name = self._uf.__name__
        _need_dev(f"cupy.{name}.at", a)
        if self._types is None:
            raise NotImplementedError(f"`cupy_{name}.at` is not supported yet")
        dt = a.dtype
        if dt.name not in self._types:
            raise TypeError(f"cupy.{name}.at only supports {', '.join(self._types)} as data type")
        v = np.asarray(b).astype(dt)                       # CuPy: value.astype(a.dtype)
        base = a.view(np.ndarray)
        if name in ("maximum", "minimum") and dt.kind == "f":
            f = np.fmax if name == "maximum" else np.fmin      # fmaxf/fminf: NaN ignored
            if dt == np.float64:                               # fmaxf(double, double): float32 arithmetic
                with np.errstate(over="ignore"):
                    t = base.astype(np.float32)
                    f.at(t, indices, v.astype(np.float32))
                touched = np.zeros(base.shape, bool)
                touched[indices] = True
                base[touched] = t[touched]
            else:
                f.at(base, indices, v)
            return
        self._uf.at(base, indices, v)


cupy.add = _ScatterUfunc(np.add, _AT_ADD)
cupy.maximum = _ScatterUfunc(np.maximum, _AT_MINMAX)
cupy.minimum = _ScatterUfunc(np.minimum, _AT_MINMAX)
cupy.multiply = _ScatterUfunc(np.multiply, None)

_scatter_add_numpy = scatter_add


def _scatter_add_checked(a, slices, value):
    """cupyx.scatter_add: CuPy's dtype rule for ``add.at``, then the accumulation (recorded in ``calls``)."""
    if a.dtype.name not in _AT_ADD:
        raise TypeError(f"cupy.add.at only supports {', '.join(_AT_ADD)} as data type")
    _scatter_add_numpy(a, slices, np.asarray(value).astype(a.dtype))


def _scatter_minmax(which):
    def fn(a, slices, value):
        calls.append((f"scatter_{which}", a.dtype))
        (cupy.maximum if which == "max" else cupy.minimum).at(a, slices, value)
    fn.__name__ = f"scatter_{which}"
    return fn


cupyx.scatter_add = _scatter_add_checked
cupyx.scatter_max = _scatter_minmax("max")
cupyx.scatter_min = _scatter_minmax("min")


def _setitem(self, key, value):
    """``a[key] = value``; with one integer array as ``key``, the first of repeated indices wins."""
    if isinstance(key, np.ndarray) and key.dtype.kind in "iu" and key.size > 1:
        rest = self.shape[1:]
        v = np.broadcast_to(np.asarray(value).astype(self.dtype, copy=False), key.shape + rest)
        np.ndarray.__setitem__(self, key.reshape(-1)[::-1], v.reshape((key.size,) + rest)[::-1])
        return
    np.ndarray.__setitem__(self, key, value)


StandinArray.__setitem__ = _setitem


def nonzero(a):
    _need_dev("nonzero", a)
    return tuple(_dev(i) for i in np.nonzero(a))


cupy.nonzero = nonzero


def logaddexp(a, b):
    """cupy.logaddexp: ``fmax(a, b) + log1p(exp(-fabs(a - b)))`` (CuPy's kernel), so NaN where both are -inf
    or both +inf (NumPy: -inf, inf)."""
    _need_dev("logaddexp", a)
    with np.errstate(invalid="ignore"):
        return _dev(np.fmax(a, b) + np.log1p(np.exp(-np.abs(np.subtract(a, b)))))


cupy.logaddexp = logaddexp
# ==================================================================== end of h-fixidx's block
