"""Loads ``kernels/*.cu`` with CuPy and launches them; nothing else in gputape compiles CUDA.

An op names its kernel once, ``cuda=kernel("activation.cu", "tanh_grad")``; on the CuPy backend
the dispatch calls ``ref(xp, *arrays, **params)``, which launches the kernel and returns its
output (a tuple for two-output ops), or ``None`` when the arrays are outside what the kernel
handles (another dtype, mixed dtypes, an axis other than the last...), and the op then runs its
xp forward instead.  The xp forward is the reference: each kernel computes the same thing.

- Each file is compiled once per process, on its first launch, by ``cupy.RawModule`` with every
  ``template <typename T> __global__`` kernel instantiated for ``float``, ``double`` and
  ``__half``; each ``cupy.cuda.Function`` is fetched once and kept.  Quoted ``#include``s are
  pasted into the source first: CuPy's disk cache keys on the source text and would not see
  a change in an included file.
- Before a launch the arrays are checked (dtype, shape) and made C-contiguous where they are
  not: a kernel reads raw memory and would silently read a strided view wrongly.  Elementwise
  kernels take broadcast inputs as they are when the broadcast is a scalar, a trailing suffix
  (``(3,)`` against ``(n, 3)``), leading rows (``(n, 1)`` against ``(n, 3)``) or a mix of the
  two; other broadcasts are copied to the full shape first (one extra copy).
- Empty outputs launch nothing.
- ``launch_counts`` counts launches per kernel name (tests use it to see the fused path ran).
- Sources come only from the package itself: its ``kernels_src`` in an installed wheel, else the top-level ``kernels/`` of the source checkout the package was
  imported from (recognised by its ``pyproject.toml`` naming gputape) -- never from the current
  directory, nor from a ``kernels/`` that happens to sit next to the package in site-packages.
  ``GPUTAPE_KERNEL_DIR`` puts one more directory first, only when set explicitly; its use is logged
  once (``logging.getLogger("gputape").warning``), and a value that is not a directory is a KernelError.

Only this module and ``backend.py`` import CuPy, and only when a kernel first runs.  Functions
are cached per process for the device current at their first launch (gputape uses one device).
"""
import logging
import os
import re
from pathlib import Path

import numpy as np

BLOCK = 256
# --fmad=false: no contraction of a*b+c into one rounding, so arithmetic matches NumPy's
OPTIONS = ("--std=c++17", "--fmad=false")
CTYPES = ("float", "double", "__half")
_CTYPE = {np.dtype(np.float16): "__half", np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
_ACC = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float32, np.dtype(np.float64): np.float64}
_I64 = np.int64
_I32 = np.int32

launch_counts = {}          # kernel name -> launches in this process

_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]+"([^"]+)"[ \t]*$', re.M)
_GLOBAL = re.compile(r"__global__\s+void\s+([A-Za-z_]\w*)\s*\(")


class KernelError(RuntimeError):
    """A kernel source is missing, does not compile, or lacks the named kernel."""


# ---------------------------------------------------------------- sources

_override_logged = set()       # GPUTAPE_KERNEL_DIR values already logged


def source_checkout():
    """The root of the source checkout this package was imported from, or None for an installed package.

    A checkout is the package's parent directory when it holds a ``pyproject.toml`` for the project
    ``gputape`` (an installed package's parent is site-packages, which has none)."""
    root = Path(__file__).resolve().parent.parent
    try:
        text = (root / "pyproject.toml").read_text()
    except OSError:
        return None
    return root if re.search(r'^name\s*=\s*"gputape"\s*$', text, re.M) else None


def source_dirs():
    """The directories searched for ``.cu`` files, in order: ``GPUTAPE_KERNEL_DIR`` when set, then the
    package's own (see the module docstring)."""
    here = Path(__file__).resolve().parent
    dirs = []
    env = os.environ.get("GPUTAPE_KERNEL_DIR")
    if env:
        d = Path(env).expanduser()
        if not d.is_dir():
            raise KernelError(f"GPUTAPE_KERNEL_DIR={env!r} is not a directory; unset it to use the kernels "
                              f"shipped with gputape")
        if env not in _override_logged:
            _override_logged.add(env)
            logging.getLogger("gputape").warning(
                "gputape: GPUTAPE_KERNEL_DIR is set: CUDA kernel sources are taken from %s first "
                "(before the package's own)", d)
        dirs.append(d)
    if (here / "kernels_src").is_dir():
        dirs.append(here / "kernels_src")
    root = source_checkout()
    if root is not None:
        dirs.append(root / "kernels")
    # (not importlib's find_spec("gputape.kernels_src"): an editable install's finder answers it with
    # that install's directory even when this gputape was imported from somewhere else)
    return dirs


def source_path(file):
    """The path of ``kernels/<file>`` in this installation; KernelError where there is none."""
    dirs = source_dirs()
    for d in dirs:
        p = d / file
        if p.is_file():
            return p
    raise KernelError(f"kernel source {file!r} not found; looked in: {', '.join(str(d) for d in dirs)}")


_sources = {}


def source(file):
    """The text of ``file`` with its quoted #includes pasted in (as compiled)."""
    text = _sources.get(file)
    if text is None:
        path = source_path(file)
        text = _inline(path, set())
        _sources[file] = text
    return text


def _inline(path, seen):
    seen.add(path.name)
    text = path.read_text()

    def paste(m):
        name = m.group(1)
        if name in seen:
            return f"// {name}: already included"
        inc = path.parent / name
        if not inc.is_file():
            raise KernelError(f"{path.name}: #include \"{name}\" not found next to it ({inc})")
        body = re.sub(r"^[ \t]*#[ \t]*pragma[ \t]+once[ \t]*$", "", _inline(inc, seen), flags=re.M)
        return f"// ---- begin {name}\n{body}\n// ---- end {name}"
    return _INCLUDE.sub(paste, text)


def kernel_names(file):
    """Names of the ``__global__`` kernels defined in ``file``."""
    return _GLOBAL.findall(source(file))


# ---------------------------------------------------------------- compile, fetch

_modules = {}
_max_grid = None


def _module(file):
    mod = _modules.get(file)
    if mod is None:
        import cupy
        src = source(file)
        names = kernel_names(file)
        exprs = [f"{n}<{t}>" for n in names for t in CTYPES]
        try:
            mod = cupy.RawModule(code=src, options=OPTIONS, name_expressions=exprs)
            if hasattr(mod, "compile"):      # compile now, so errors name this file
                mod.compile()
        except Exception as e:   # cupy.cuda.compiler.CompileException carries NVRTC's log
            raise KernelError(f"kernels/{file} does not compile (options {' '.join(OPTIONS)}):\n{e}") from e
        _modules[file] = mod
    return mod


def _grid_cap():
    global _max_grid
    if _max_grid is None:
        import cupy
        _max_grid = cupy.cuda.Device().attributes["MultiProcessorCount"] * 32
    return _max_grid


def _grid(n, per_block=BLOCK):
    return (min((n + per_block - 1) // per_block, _grid_cap()),)


class KernelRef:
    """A named kernel in a ``kernels/*.cu`` file; ``ref(xp, *arrays, **params)`` -> output array
    (a tuple for two outputs), or ``None`` to let the op run its xp twin."""
    __slots__ = ("file", "name", "launcher", "_fns")

    def __init__(self, file, name):
        launcher = _LAUNCHERS.get((file, name))
        if launcher is None:
            raise KernelError(f"no launcher for kernel {name!r} in kernels/{file}; known: "
                              f"{sorted(f'{f}:{n}' for f, n in _LAUNCHERS)}")
        self.file, self.name, self.launcher = file, name, launcher
        self._fns = {}

    def __call__(self, xp, *arrays, **params):
        return self.launcher(self, xp, arrays, params)

    def __repr__(self):
        return f"kernel({self.file!r}, {self.name!r})"

    def function(self, ctype):
        """The compiled ``cupy.cuda.Function`` for one dtype (compiling the file on first use)."""
        fn = self._fns.get(ctype)
        if fn is None:
            mod = _module(self.file)
            if self.name not in kernel_names(self.file):
                raise KernelError(f"kernels/{self.file} has no __global__ kernel {self.name!r} "
                                  f"(it has {kernel_names(self.file)})")
            try:
                fn = mod.get_function(f"{self.name}<{ctype}>")
            except Exception as e:
                raise KernelError(f"kernels/{self.file}: cannot load {self.name}<{ctype}>: {e}") from e
            self._fns[ctype] = fn
        return fn

    def launch(self, ctype, grid, block, args, shared_mem=0):
        self.function(ctype)(grid, block, args, shared_mem=shared_mem)
        launch_counts[self.name] = launch_counts.get(self.name, 0) + 1


def kernel(file, name):
    """The kernel ``name`` of ``kernels/<file>``, for an op's ``cuda=`` (checked at import)."""
    return KernelRef(file, name)


# ---------------------------------------------------------------- shapes

def _shape_of(shapes):
    """numpy's broadcast shape, or None where the shapes do not broadcast."""
    nd = max(len(s) for s in shapes)
    out = []
    for k in range(nd):
        d = 1
        for s in shapes:
            j = k - (nd - len(s))
            if j < 0:
                continue
            e = s[j]
            if e != 1:
                if d != 1 and d != e:
                    return None
                d = e
        out.append(d)
    return tuple(out)


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def broadcast_descriptor(shape, out_shape):
    """``(div, inner)`` with which kernels index an input of ``shape`` broadcast to ``out_shape``
    (see ``gt::bidx`` in kernels/common.cuh), or None for a broadcast they do not index."""
    if tuple(shape) == tuple(out_shape):
        return (1, 1)
    pad = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    kinds = []                               # runs of 'P' (present) and 'B' (broadcast) dims
    for d, o in zip(pad, out_shape):
        if o == 1:
            continue
        k = "P" if d == o else "B"
        if kinds and kinds[-1][0] == k:
            kinds[-1][1] *= o
        else:
            kinds.append([k, o])
    pattern = "".join(k for k, _ in kinds)
    if pattern not in ("", "P", "B", "BP", "PB", "PBP"):
        return None
    if "B" not in pattern:
        return (1, 1)
    b = next(o for k, o in kinds if k == "B")
    c = kinds[-1][1] if pattern.endswith("BP") else 1
    return (b * c, c)


def _typed(a, xp):
    return type(a) is xp.ndarray


# ---------------------------------------------------------------- launchers

class _Elementwise:
    """``out = f(inputs...)`` elementwise with broadcasting.  ``kinds``: per input, "T" (the
    common float dtype, which the output takes) or "bool"; ``params``: (name, "acc" | "int") in kernel order ("acc": a float rounded to T first, as
    NumPy casts a Python float meeting a T array)."""

    def __init__(self, kinds, params=()):
        self.kinds = tuple(kinds)
        self.params = tuple(params)
        self.first_t = self.kinds.index("T")

    def __call__(self, ref, xp, arrays, params):
        if len(arrays) != len(self.kinds):
            return None
        dt = arrays[self.first_t].dtype
        ctype = _CTYPE.get(dt)
        if ctype is None:
            return None
        for a, k in zip(arrays, self.kinds):
            if not _typed(a, xp) or (a.dtype != dt if k == "T" else a.dtype != np.bool_):
                return None
        out_shape = _shape_of([a.shape for a in arrays])
        if out_shape is None:
            return None                      # the twin raises numpy's error
        n = _prod(out_shape)
        if n == 0:
            return xp.empty(out_shape, dt)
        ins, descs = [], []
        for a in arrays:
            d = broadcast_descriptor(a.shape, out_shape)
            if d is None:
                a, d = xp.ascontiguousarray(xp.broadcast_to(a, out_shape)), (1, 1)
            elif not a.flags.c_contiguous:
                a = xp.ascontiguousarray(a)
            ins.append(a)
            descs += [_I64(d[0]), _I64(d[1])]
        out = xp.empty(out_shape, dt)
        ps = _params(self.params, params, dt)
        ref.launch(ctype, _grid(n), (BLOCK,), (*ins, out, _I64(n), *descs, *ps))
        return out


def _params(spec, params, dt):
    vals = []
    for name, kind in spec:
        v = params[name]
        vals.append(_ACC[dt](dt.type(v)) if kind == "acc" else _I32(int(v)))
    return vals


def _tpr(cols):
    """Threads per row for the row kernels: about 8 elements a thread, 32 to 256 threads."""
    t = 32
    while t < 256 and t * 8 < cols:
        t *= 2
    return t


def _softmax_grad(ref, xp, arrays, params):
    """(g - sum(g*y, -1)) * y over the last axis; y may lack g's leading batch axes."""
    y, g = arrays
    dt = g.dtype
    ctype = _CTYPE.get(dt)
    if ctype is None or not (_typed(y, xp) and _typed(g, xp)) or y.dtype != dt:
        return None
    out_shape = _shape_of([y.shape, g.shape])
    if out_shape is None or len(out_shape) == 0:
        return None
    axis = params.get("axis", -1)
    if axis not in (-1, len(out_shape) - 1) or y.ndim == 0 or y.shape[-1] != out_shape[-1]:
        return None
    if _prod(out_shape) == 0:
        return xp.empty(out_shape, dt)
    cols = out_shape[-1]
    if tuple(g.shape) != out_shape:
        g = xp.broadcast_to(g, out_shape)
    d = broadcast_descriptor(y.shape, out_shape)
    if d is None or not (d == (1, 1) or d[1] == _prod(y.shape)):   # y repeats whole: trailing rows
        y = xp.broadcast_to(y, out_shape)
    g, y = xp.ascontiguousarray(g), xp.ascontiguousarray(y)
    rows, y_rows = _prod(out_shape) // cols, y.size // cols
    out = xp.empty(out_shape, dt)
    tpr = _tpr(cols)
    ref.launch(ctype, _grid(rows, BLOCK // tpr), (BLOCK,),
               (y, g, out, _I64(rows), _I64(cols), _I64(y_rows), _I32(tpr)))
    return out


def _softmax_xent(ref, xp, arrays, params):
    """(loss, probs) of softmax cross-entropy over the last axis."""
    labels, logits = arrays
    dt = logits.dtype
    ctype = _CTYPE.get(dt)
    if (ctype is None or not (_typed(labels, xp) and _typed(logits, xp)) or labels.dtype != dt
            or labels.shape != logits.shape or logits.ndim == 0):
        return None
    cols = logits.shape[-1]
    if cols == 0:
        return None                          # the twin raises numpy's empty-max error
    rows = logits.size // cols
    if rows == 0:
        return xp.empty(logits.shape[:-1], dt), xp.empty(logits.shape, dt)
    labels, logits = xp.ascontiguousarray(labels), xp.ascontiguousarray(logits)
    loss = xp.empty(logits.shape[:-1], dt)
    probs = xp.empty(logits.shape, dt)
    tpr = _tpr(cols)
    ref.launch(ctype, _grid(rows, BLOCK // tpr), (BLOCK,),
               (labels, logits, loss, probs, _I64(rows), _I64(cols), _I32(tpr)))
    return loss, probs


_ACT_CODES = {"linear": 0, "relu": 1, "tanh": 2, "sigmoid": 3}


def _bias_act(ref, xp, arrays, params):
    """act(x + b), b of shape (cols,)."""
    x, b = arrays
    dt = x.dtype
    ctype = _CTYPE.get(dt)
    act = _ACT_CODES.get(params.get("activation"))
    if (ctype is None or act is None or not (_typed(x, xp) and _typed(b, xp)) or b.dtype != dt
            or b.ndim != 1 or x.ndim == 0 or x.shape[-1] != b.shape[0]):
        return None
    if x.size == 0:
        return xp.empty(x.shape, dt)
    x, b = xp.ascontiguousarray(x), xp.ascontiguousarray(b)
    out = xp.empty(x.shape, dt)
    ref.launch(ctype, _grid(x.size), (BLOCK,), (x, b, out, _I64(x.size), _I64(b.shape[0]), _I32(act)))
    return out


def _act_bias_grad(ref, xp, arrays, params):
    """(dz, db): dz = act'(y) * g, db = sum of dz over all axes but the last."""
    y, g = arrays
    dt = g.dtype
    ctype = _CTYPE.get(dt)
    act = _ACT_CODES.get(params.get("activation"))
    if (ctype is None or act is None or not (_typed(y, xp) and _typed(g, xp)) or y.dtype != dt
            or y.shape != g.shape or g.ndim == 0):
        return None                          # e.g. g with jacobian batch axes: the twin sums them
    cols = g.shape[-1]
    rows = g.size // cols if cols else 0
    linear = act == 0
    if rows == 0 or cols == 0:
        dz = g if linear else xp.empty(g.shape, dt)
        return dz, xp.zeros((cols,), dt)
    gc, yc = xp.ascontiguousarray(g), xp.ascontiguousarray(y)
    dz = g if linear else xp.empty(g.shape, dt)   # the twin returns g itself for linear
    db = xp.empty((cols,), dt)
    tiles = (cols + 31) // 32
    strips = max(1, min(_grid_cap() // 8 // tiles, (rows + 63) // 64))
    if strips > 1:
        part, count = _workspace(xp, _ACC[dt], strips * cols, tiles)
    else:
        part, count = _dummy(xp, _ACC[dt]), _dummy(xp, np.int32)   # not read with a single strip
    ref.launch(ctype, (tiles, strips), (32, 8),
               (yc, gc, gc if linear else dz, db, part, count, _I64(rows), _I64(cols), _I32(act),
                _I32(not linear)))
    return dz, db


def _rows_add_sorted(ref, xp, arrays, params):
    """The gather gradient (``gather_grad``'s twin): zeros of the gathered tensor's shape with the
    slices of ``g`` added at ``idx`` along ``axis``, repeated indices in the order np.add.at uses."""
    g, idx = arrays
    dt = g.dtype
    ctype = _CTYPE.get(dt)
    if ctype is None or not (_typed(g, xp) and _typed(idx, xp)) or idx.dtype.kind not in "iu":
        return None
    shape, axis, nb = tuple(params["shape"]), params["axis"], params["nb"]
    ax = nb + axis
    if g.ndim != nb + len(shape) - 1 + idx.ndim:
        return None
    rest = tuple(g.shape[:ax]) + tuple(g.shape[ax + idx.ndim:])
    n, cols = idx.size, _prod(rest)
    out_t = xp.zeros((shape[axis],) + rest, dt)
    if n and cols:
        gi = xp.ascontiguousarray(
            xp.moveaxis(g, list(range(ax, ax + idx.ndim)), list(range(idx.ndim))).reshape((n,) + rest))
        flat_idx = idx.reshape(-1).astype(_I64, copy=False)
        order = xp.argsort(flat_idx, kind="stable") if xp is np else xp.argsort(flat_idx)   # CuPy's sort is stable
        sidx = xp.ascontiguousarray(flat_idx[order])
        ref.launch(ctype, _grid(n * cols), (BLOCK,), (gi, order.astype(_I64, copy=False), sidx, out_t,
                                                       _I64(n), _I64(cols), _I64(shape[axis])))
    z = xp.moveaxis(out_t, 0, ax)
    return z if ax == 0 else xp.ascontiguousarray(z)


_workspaces = {}


def _workspace(xp, acc, n_part, n_count):
    """act_bias_grad's scratch, kept between launches (issue 11 J: no allocation and memset per call):
    ``part`` (at least ``n_part`` accumulators) and ``count`` (at least ``n_count`` int32 counters, zero
    between launches: the kernel's last block of a tile resets its counter).  Launches on one stream
    run in order, so one workspace serves them all; gputape computes on one stream of one device."""
    key = (xp.__name__, np.dtype(acc))
    ws = _workspaces.get(key)
    if ws is None or ws[0].size < n_part or ws[1].size < n_count:
        old = ws
        ws = _workspaces[key] = (xp.empty((max(n_part, 0 if old is None else old[0].size),), acc),
                                 xp.zeros((max(n_count, 0 if old is None else old[1].size),), np.int32))
    return ws


_dummies = {}


def _dummy(xp, dtype):
    """A cached one-element array standing for a pointer argument the kernel will not touch."""
    key = (xp.__name__, np.dtype(dtype))
    a = _dummies.get(key)
    if a is None:
        a = _dummies[key] = xp.zeros((1,), dtype)
    return a


class _Update:
    """An in-place optimizer update over flat buffers.  ``arrays``: the gradient, the learning
    rate (1 element of T), [``iterations`` (int64)], then the updated buffers; a buffer given as
    None is not used by the rule (a dummy pointer is passed).  Returns the parameter buffer."""

    def __init__(self, n_updated, params, with_iterations=False):
        self.n_updated = n_updated
        self.params = tuple(params)
        self.with_iterations = with_iterations

    def __call__(self, ref, xp, arrays, params):
        g, lr = arrays[0], arrays[1]
        k = 3 if self.with_iterations else 2
        bufs = list(arrays[k:])
        dt = g.dtype
        ctype = _CTYPE.get(dt)
        if ctype is None or len(bufs) != self.n_updated or bufs[0] is None:
            return None
        w = bufs[0]
        flat = [g, w] + [b for b in bufs[1:] if b is not None]
        for a in flat:
            if not _typed(a, xp) or a.dtype != dt or a.ndim != 1 or a.size != g.size or not a.flags.c_contiguous:
                return None                  # in place: a copy would update the copy
        if not _typed(lr, xp) or lr.dtype != dt or lr.size != 1:
            return None
        extra = ()
        if self.with_iterations:
            it = arrays[2]
            if not _typed(it, xp) or it.dtype != np.int64 or it.size != 1:
                return None
            extra = (it,)
        if g.size == 0:
            return w
        bufs = [w if b is None else b for b in bufs]
        ps = _params(self.params, params, dt)
        ref.launch(ctype, _grid(g.size), (BLOCK,), (g, lr, *extra, *bufs, _I64(g.size), *ps))
        return w


_T2 = ("T", "T")
_T3 = ("T", "T", "T")

_LAUNCHERS = {
    ("math.cu", "div_grad_y"): _Elementwise(_T3),
    ("math.cu", "pow_grad_x"): _Elementwise(_T3),
    ("math.cu", "pow_grad_y"): _Elementwise(_T3),
    ("math.cu", "sqrt_grad"): _Elementwise(_T2),
    ("math.cu", "log_grad"): _Elementwise(_T2),
    ("math.cu", "abs_grad"): _Elementwise(_T2),
    ("math.cu", "select_grad"): _Elementwise(("bool", "T"), params=(("take", "int"),)),
    ("math.cu", "clip_grad"): _Elementwise(("T", "T", "T", "T")),
    ("activation.cu", "tanh_grad"): _Elementwise(_T2),
    ("activation.cu", "sigmoid_grad"): _Elementwise(_T2),
    ("activation.cu", "softplus_grad"): _Elementwise(_T2),
    ("activation.cu", "relu_grad"): _Elementwise(_T2),
    ("activation.cu", "leaky_relu_grad"): _Elementwise(_T2, params=(("alpha", "acc"),)),
    ("activation.cu", "elu_grad"): _Elementwise(_T2),
    ("activation.cu", "gelu_grad"): _Elementwise(_T2, params=(("approximate", "int"),)),
    ("nn.cu", "softmax_grad"): _softmax_grad,
    ("nn.cu", "softmax_xent"): _softmax_xent,
    ("nn.cu", "xent_grad"): _Elementwise(_T3),
    ("nn.cu", "bias_act"): _bias_act,
    ("nn.cu", "act_bias_grad"): _act_bias_grad,
    ("nn.cu", "rows_add_sorted"): _rows_add_sorted,
    ("optimizers.cu", "sgd_update"): _Update(2, (("momentum", "acc"), ("with_momentum", "int"),
                                                 ("nesterov", "int"))),
    ("optimizers.cu", "adam_update"): _Update(4, (("beta_1", "acc"), ("beta_2", "acc"),
                                                  ("one_minus_beta_1", "acc"), ("one_minus_beta_2", "acc"),
                                                  ("epsilon", "acc"), ("amsgrad", "int")),
                                              with_iterations=True),
    ("optimizers.cu", "rmsprop_update"): _Update(4, (("rho", "acc"), ("one_minus_rho", "acc"),
                                                     ("momentum", "acc"), ("epsilon", "acc"),
                                                     ("centered", "int"), ("with_momentum", "int"))),
    ("optimizers.cu", "adagrad_update"): _Update(2, (("epsilon", "acc"),)),
}


# ---------------------------------------------------------------- cuBLAS inside a CUDA-graph capture
class CublasGemm:
    """``cublasGemmEx`` through ctypes, for ``gputape.cuda_graph`` while a stream is captured (CuPy's
    cuBLAS wrappers refuse every call then: ``NotImplementedError: calling cuBLAS API during stream
    capture is currently unsupported``, CuPy 14.2 on an H200).

    ``matmul(xp, a, b, stream)`` computes ``a @ b`` for 2-D float32/float64 operands exactly as CuPy's
    ``cupy.matmul``/``ndarray.dot`` call cuBLAS for them (``_core.tensordot_core`` and
    ``tensordot_core_v11`` in CuPy 13/14): the same operand order (C^T = B^T A^T), the same transpose
    flags and leading dimensions from the operands' contiguity, alpha=1, beta=0 as host scalars, compute
    type ``CUBLAS_COMPUTE_32F`` (``_PEDANTIC``/``_FAST_TF32`` when CuPy's compute type says so) or
    ``_64F``, and ``CUBLAS_GEMM_DEFAULT_TENSOR_OP`` from compute capability 8.0 on.  Shapes CuPy treats
    otherwise (an empty operand, a 1x1 result, a non-contiguous operand it would copy) raise
    ``NotImplementedError``: the runner then keeps matmuls between graphs.  No workspace is preset:
    cuBLAS from CUDA 12.2 allocates it stream-ordered inside a capture (and eager's default choice of
    algorithm is kept)."""

    def __init__(self, xp):
        import ctypes
        from cupy_backends.cuda.libs import cublas
        from cupy_backends.cuda.api import runtime
        from cupy._core import _routines_linalg as rl
        self.cublas, self.runtime, self.rl = cublas, runtime, rl
        self.handle = xp.cuda.device.get_cublas_handle()
        lib = None
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "/libcublas.so" in path:
                    lib = path
                    break
        if lib is None:
            raise NotImplementedError("libcublas is not loaded in this process")
        so = ctypes.CDLL(lib)
        self.gemm_ex = so.cublasGemmEx
        self.gemm_ex.restype = ctypes.c_int
        c = ctypes
        self.gemm_ex.argtypes = [c.c_void_p, c.c_int, c.c_int, c.c_int, c.c_int, c.c_int, c.c_void_p, c.c_void_p,
                                 c.c_int, c.c_int, c.c_void_p, c.c_int, c.c_int, c.c_void_p, c.c_void_p, c.c_int,
                                 c.c_int, c.c_int, c.c_int]
        self.set_stream = so.cublasSetStream_v2
        self.set_stream.argtypes = [c.c_void_p, c.c_void_p]
        self.set_stream.restype = c.c_int
        self.get_stream = so.cublasGetStream_v2
        self.get_stream.argtypes = [c.c_void_p, c.POINTER(c.c_void_p)]
        self.get_stream.restype = c.c_int
        self.pedantic = getattr(rl, "COMPUTE_TYPE_PEDANTIC", 2)    # CuPy's compute_type_str numbering
        self.tf32 = getattr(rl, "COMPUTE_TYPE_TF32", 7)
        self.one = {np.dtype(np.float32): c.c_float(1.0), np.dtype(np.float64): c.c_double(1.0)}
        self.zero = {np.dtype(np.float32): c.c_float(0.0), np.dtype(np.float64): c.c_double(0.0)}
        self.cc = int(xp.cuda.Device().compute_capability)
        self.ctypes = ctypes

    @staticmethod
    def _operand(a, trans):          # CuPy's _mat_to_cublas_contiguous (F-contiguity tested first)
        if a.flags.f_contiguous:
            return trans, max(a.strides[1] // a.itemsize, a.shape[0])
        if not a.flags.c_contiguous:
            raise NotImplementedError("a non-contiguous matmul operand (CuPy copies it first)")
        return 1 - trans, a.strides[0] // a.itemsize

    def matmul(self, xp, a, b, stream):
        if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype not in self.one:
            raise NotImplementedError(f"matmul of {a.dtype}{list(a.shape)} and {b.dtype}{list(b.shape)} "
                                      f"(only 2-D float32/float64 is captured)")
        n, k = a.shape
        k2, m = b.shape
        if k != k2 or not a.size or not b.size or (m == 1 and n == 1):
            raise NotImplementedError("an empty or 1x1 matmul (CuPy does not call GEMM for it)")
        dt = a.dtype
        transa, lda = self._operand(a.T, 0)       # CuPy's dot: a rolled to (k, n), b kept (k, m)
        transb, ldb = self._operand(b, 1)
        c = xp.empty((n, m), dt)
        cb, rt = self.cublas, self.runtime
        ct = self.rl.get_compute_type(dt)
        if dt == np.float32:
            compute = (cb.CUBLAS_COMPUTE_32F_PEDANTIC if ct == self.pedantic else
                       cb.CUBLAS_COMPUTE_32F_FAST_TF32 if ct == self.tf32 else cb.CUBLAS_COMPUTE_32F)
            cuda_t = rt.CUDA_R_32F
        else:
            compute = cb.CUBLAS_COMPUTE_64F_PEDANTIC if ct == self.pedantic else cb.CUBLAS_COMPUTE_64F
            cuda_t = rt.CUDA_R_64F
        algo = cb.CUBLAS_GEMM_DEFAULT_TENSOR_OP if self.cc >= 80 else cb.CUBLAS_GEMM_DEFAULT
        ref = self.ctypes.byref
        was = self.ctypes.c_void_p()
        if self.get_stream(self.handle, ref(was)):
            raise RuntimeError("cublasGetStream failed")
        st = self.set_stream(self.handle, stream.ptr)
        if st:
            raise RuntimeError(f"cublasSetStream failed with status {st}")
        try:
            st = self.gemm_ex(self.handle, transb, transa, m, n, k, ref(self.one[dt]), b.data.ptr, cuda_t, ldb,
                              a.data.ptr, cuda_t, lda, ref(self.zero[dt]), c.data.ptr, cuda_t, m, compute, algo)
        finally:
            self.set_stream(self.handle, was)     # CuPy's own calls find the handle as they left it
        if st:
            raise RuntimeError(f"cublasGemmEx failed with status {st}")
        return c
