"""The kernels seen from the NumPy side, no GPU needed.

- registry: kernels/*.cu and the ops' ``cuda=`` stay in step;
- loader: source lookup, #include inlining, errors that name the file, broadcast indexing;
- fused gradient ops (their xp twins) against finite differences of the function they
  differentiate, against the composite they replace, and at TensorFlow's kink values;
- the flat-buffer optimizer against the per-variable one;
- every kernel, compiled for the host by g++ with stand-ins for the CUDA built-ins and
  launched through gputape.kernels' real launchers (argument layouts checked against the
  kernel signatures), against its twin.  Skipped where g++ cannot build it.
"""
import importlib
import math
import pkgutil
import re
import sys
import types

import numpy as np

from sample_arrays import sample
import pytest

import gputape as tf
from gputape import flat, kernels, op as op_mod
from gputape.ops import math as M, nn as N

pytestmark = pytest.mark.skipif(tf.backend_name() != "numpy", reason="NumPy-side kernel tests")

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)


# ---------------------------------------------------------------- registry

def _modules():
    mods = [importlib.import_module(m.name) for m in pkgutil.walk_packages(tf.ops.__path__, "gputape.ops.")]
    mods += [m for n, m in list(sys.modules.items()) if n.startswith("gputape") and m is not None]
    return mods


def _ops():
    found = {}
    for m in _modules():
        for v in vars(m).values():
            if isinstance(v, op_mod.Op):
                found[id(v)] = v
    return list(found.values())


def _cu_files():
    d = kernels.source_path("math.cu").parent
    return sorted(p.name for p in d.glob("*.cu"))


def test_every_cuda_ref_names_an_existing_kernel():
    refs = [o.cuda for o in _ops() if o.cuda is not None]
    assert len(refs) >= 20
    for r in refs:
        assert isinstance(r, kernels.KernelRef), r
        assert r.name in kernels.kernel_names(r.file), f"{r!r}: no such __global__ kernel in kernels/{r.file}"


def test_every_kernel_is_used_by_an_op_or_the_optimizers():
    used = {(o.cuda.file, o.cuda.name) for o in _ops() if o.cuda is not None}
    used |= {(r.file, r.name) for r in vars(flat).values() if isinstance(r, kernels.KernelRef)}
    defined = {(f, n) for f in _cu_files() for n in kernels.kernel_names(f)}
    assert defined, "no kernels found"
    assert defined - used == set(), "kernels no op or optimizer uses"
    assert used - defined == set()
    assert set(kernels._LAUNCHERS) == defined, "every kernel has exactly one launcher"


def test_kernel_files_are_templated_on_the_dtype():
    for f in _cu_files():
        src = kernels.source(f)
        for n in kernels.kernel_names(f):
            assert re.search(r"template\s*<typename T>\s*__global__\s+void\s+" + n + r"\s*\(", src), (f, n)


# ---------------------------------------------------------------- loader

def test_sources_found_and_includes_inlined():
    assert set(_cu_files()) >= {"math.cu", "activation.cu", "nn.cu", "optimizers.cu"}
    for f in _cu_files():
        src = kernels.source(f)
        assert not re.search(r'^\s*#\s*include\s+"', src, re.M), f"{f}: a quoted include was left for NVRTC (CuPy's cache would miss it)"
        assert "namespace gt" in src and "#pragma once" not in src


def test_missing_source_names_the_file(monkeypatch, tmp_path):
    with pytest.raises(kernels.KernelError, match="nope.cu"):
        kernels.source_path("nope.cu")
    monkeypatch.setenv("GPUTAPE_KERNEL_DIR", str(tmp_path))
    (tmp_path / "x.cu").write_text('#include "absent.cuh"\n')
    monkeypatch.setattr(kernels, "_sources", {})
    with pytest.raises(kernels.KernelError, match="absent.cuh"):
        kernels.source("x.cu")


def test_unknown_kernel_fails_at_declaration():
    with pytest.raises(kernels.KernelError, match="tanh_grda"):
        kernels.kernel("activation.cu", "tanh_grda")


def test_compile_error_names_file_and_compiler_message(monkeypatch):
    fake = types.ModuleType("cupy")

    class RawModule:
        def __init__(self, code, options, name_expressions):
            assert "--std=c++17" in options
            assert "tanh_grad<__half>" in name_expressions and "tanh_grad<double>" in name_expressions
            self.code = code

        def compile(self):
            raise RuntimeError("activation.cu(12): error: identifier \"oops\" is undefined")

    fake.RawModule = RawModule
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(kernels, "_modules", {})
    ref = kernels.kernel("activation.cu", "tanh_grad")
    with pytest.raises(kernels.KernelError, match=r"kernels/activation.cu does not compile[\s\S]*oops"):
        ref.function("float")


@pytest.mark.parametrize("shape,out", [((3,), (4, 3)), ((4, 1), (4, 3)), ((), (2, 3)), ((1,), (5,)),
                                       ((2, 1, 5), (2, 3, 5)), ((1, 3, 1), (2, 3, 5)), ((3, 1), (2, 3, 4)),
                                       ((6, 1, 1), (6, 4, 5)), ((1, 1, 5), (2, 3, 5)), ((2, 3), (2, 3))])
def test_broadcast_descriptor_indexes_like_numpy(shape, out):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    want = np.broadcast_to(a, out).ravel()
    d = kernels.broadcast_descriptor(shape, out)
    if d is None:
        assert shape in ((1, 3, 1), (3, 1))        # [B][P][B]: the launcher copies
        return
    div, inner = d
    i = np.arange(want.size)
    idx = i if div == 1 else (i // div) * inner + i % inner
    np.testing.assert_array_equal(a.ravel()[idx], want)


# ---------------------------------------------------------------- twins: derivatives, composites, kinks

def _c(x):
    return tf.constant(np.asarray(x, dtype=np.float64))


def _gelu(x, approximate):
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


_X2, _Y2 = 1.7, 1.3
# name, fused(x, g), the function it differentiates, domain
DERIVATIVES = [
    ("tanh_grad", lambda x, g: M.tanh_grad(M.tanh(x), g), np.tanh, (-3, 3)),
    ("sigmoid_grad", lambda x, g: M.sigmoid_grad(M.sigmoid(x), g), lambda x: 1 / (1 + np.exp(-x)), (-4, 4)),
    ("softplus_grad", lambda x, g: M.softplus_grad(x, g), lambda x: np.log1p(np.exp(x)), (-4, 4)),
    ("relu_grad", lambda x, g: N.relu_grad(N.relu(x), g), lambda x: np.maximum(x, 0), (-3, 3)),
    ("leaky_relu_grad", lambda x, g: N.leaky_relu_grad(x, g, alpha=0.2), lambda x: np.where(x > 0, x, 0.2 * x), (-3, 3)),
    ("elu_grad", lambda x, g: N.elu_grad(N.elu(x), g), lambda x: np.where(x > 0, x, np.expm1(x)), (-3, 3)),
    ("gelu_grad", lambda x, g: N.gelu_grad(x, g, approximate=False), lambda x: _gelu(x, False), (-3, 3)),
    ("gelu_grad~", lambda x, g: N.gelu_grad(x, g, approximate=True), lambda x: _gelu(x, True), (-3, 3)),
    ("sqrt_grad", lambda x, g: M.sqrt_grad(M.sqrt(x), g), np.sqrt, (0.2, 3)),
    ("log_grad", lambda x, g: M.log_grad(x, g), np.log, (0.2, 3)),
    ("abs_grad", lambda x, g: M.abs_grad(x, g), np.abs, (-3, 3)),
    ("div_grad_y", lambda y, g: M.div_grad_y(_c(_X2), y, g), lambda y: _X2 / y, (0.3, 3)),
    ("pow_grad_x", lambda x, g: M.pow_grad_x(x, _c(_Y2), g), lambda x: x ** _Y2, (0.2, 3)),
    ("pow_grad_y", lambda y, g: M.pow_grad_y(_c(_X2), M.pow(_c(_X2), y), g), lambda y: _X2 ** y, (-2, 2)),
    ("clip_grad", lambda x, g: M.clip_grad(x, _c(-1.0), _c(1.5), g), lambda x: np.clip(x, -1.0, 1.5), (-3, 3)),
    ("select_grad", lambda x, g: M.select_grad(M.greater_equal(x, _c(0.5)), g, take=True),
     lambda x: np.maximum(x, 0.5), (-3, 3)),
]


@pytest.mark.parametrize("name,fused,f,dom", DERIVATIVES, ids=[r[0] for r in DERIVATIVES])
def test_fused_grad_is_the_derivative(name, fused, f, dom):
    rng = np.random.default_rng(0)
    x = rng.uniform(*dom, size=(5, 7))
    x = x[np.all([np.abs(x - k) > 1e-3 for k in (0.0, -1.0, 1.5, 0.5)], axis=0)]   # off the kinks
    g = rng.normal(size=x.shape)
    h = 1e-6
    want = g * (f(x + h) - f(x - h)) / (2 * h)
    got = fused(_c(x), _c(g)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_fused_grads_equal_the_composites_they_replace():
    rng = np.random.default_rng(1)
    x, y, g = (_c(rng.uniform(0.2, 2, size=(4, 6))) for _ in range(3))
    t = tf
    eq = np.testing.assert_array_equal
    eq(M.tanh_grad(y, g).numpy(), t.multiply(g, t.subtract(1.0, t.multiply(y, y))).numpy())
    eq(M.sigmoid_grad(y, g).numpy(), t.multiply(g, t.multiply(y, t.subtract(1.0, y))).numpy())
    eq(M.div_grad_y(x, y, g).numpy(), t.multiply(g, t.divide(t.divide(t.negative(x), y), y)).numpy())
    eq(M.log_grad(x, g).numpy(), t.multiply(g, t.divide(1.0, x)).numpy())
    eq(M.abs_grad(x - 1.0, g).numpy(), t.multiply(g, t.sign(x - 1.0)).numpy())
    eq(M.sqrt_grad(y, g).numpy(), t.divide(t.multiply(0.5, g), y).numpy())
    eq(M.pow_grad_x(x, y, g).numpy(), t.multiply(t.multiply(g, y), t.pow(x, t.subtract(y, 1.0))).numpy())
    eq(M.pow_grad_y(x, y, g).numpy(), t.multiply(t.multiply(g, y), t.math.log(x)).numpy())
    eq(M.softplus_grad(x, g).numpy(), t.multiply(g, t.sigmoid(x)).numpy())
    eq(N.relu_grad(y - 1.0, g).numpy(), t.multiply(g, t.cast(t.greater(y - 1.0, 0.0), t.float64)).numpy())
    eq(N.elu_grad(y - 1.0, g).numpy(), t.where(t.greater(y - 1.0, 0.0), g, g * (y - 1.0 + 1.0)).numpy())
    eq(N.xent_grad(x, y, g).numpy(), t.multiply(g, t.subtract(x, y)).numpy())
    logits, labels = rng.normal(size=(3, 5)), rng.dirichlet(np.ones(5), size=3)
    loss, probs = N.softmax_xent(_c(labels), _c(logits))
    np.testing.assert_allclose(loss.numpy(), -np.sum(labels * N.log_softmax(_c(logits)).numpy(), -1), rtol=1e-14)
    np.testing.assert_allclose(probs.numpy(), N.softmax(_c(logits)).numpy(), rtol=1e-14)
    b = _c(rng.normal(size=6))
    for act, fn in [("linear", lambda z: z), ("relu", N.relu), ("tanh", tf.tanh), ("sigmoid", tf.sigmoid)]:
        eq(N.bias_act(x, b, activation=act).numpy(), fn(t.add(x, b)).numpy())


# (op, args, params, TensorFlow's value)
KINKS = [
    (N.relu_grad, (0.0, 1.0), {}, 0.0),
    (N.leaky_relu_grad, (0.0, 1.0), {"alpha": 0.2}, 0.2),
    (N.elu_grad, (0.0, 1.0), {}, 1.0),
    (M.abs_grad, (0.0, 1.0), {}, 0.0),
    (M.abs_grad, (-0.0, 1.0), {}, 0.0),
    (M.sqrt_grad, (0.0, 0.0), {}, 0.0),
    (M.sqrt_grad, (0.0, 1.0), {}, np.inf),
    (M.pow_grad_y, (0.0, 0.0, 1.0), {}, 0.0),
    (M.pow_grad_y, (-2.0, 4.0, 1.0), {}, 0.0),
    (M.pow_grad_y, (0.0, np.inf, 1.0), {}, np.nan),
    (M.clip_grad, (-1.0, -1.0, 1.5, 3.0), {}, 3.0),
    (M.clip_grad, (1.5, -1.0, 1.5, 3.0), {}, 3.0),
    (M.clip_grad, (np.nan, -1.0, 1.5, 3.0), {}, 0.0),
    (M.div_grad_y, (0.0, 0.0, 1.0), {}, np.nan),
    (N.relu_grad, (np.nan, 1.0), {}, 0.0),
    (N.relu_grad, (-1.0, np.inf), {}, np.nan),
    (M.tanh_grad, (1.0, 2.0), {}, 0.0),
]


@pytest.mark.parametrize("op,args,params,want", KINKS, ids=[f"{k[0].name}{k[1]}" for k in KINKS])
def test_kink_values_are_tensorflows(op, args, params, want):
    for dt in (F16, F32, F64):
        with np.errstate(all="ignore"):
            got = op(*[tf.constant(np.asarray(a, dt)) for a in args], **params).numpy()
        np.testing.assert_array_equal(got, np.asarray(want, dt))


def test_select_grad_gives_ties_to_x_for_maximum():
    x = tf.Variable([1.0, 2.0, 3.0])
    y = tf.Variable([1.0, 1.0, 4.0])
    with tf.GradientTape() as tape:
        z = tf.maximum(x, y)
    dx, dy = tape.gradient(z, [x, y])
    np.testing.assert_array_equal(dx.numpy(), [1, 1, 0])
    np.testing.assert_array_equal(dy.numpy(), [0, 0, 1])


def _directional(f, x, dx, h=1e-6):
    return (f(x + h * dx) - f(x - h * dx)) / (2 * h)


def test_softmax_grad_is_the_vjp_of_softmax():
    rng = np.random.default_rng(2)
    x, g, dx = rng.normal(size=(3, 4, 6)), rng.normal(size=(3, 4, 6)), rng.normal(size=(3, 4, 6))
    y = N.softmax(_c(x))
    got = np.sum(N.softmax_grad(y, _c(g), axis=-1).numpy() * dx)
    want = _directional(lambda v: np.sum(g * N.softmax(_c(v)).numpy()), x, dx)
    np.testing.assert_allclose(got, want, rtol=1e-7)
    # g with an extra leading batch axis (a jacobian's cotangents) against y without it
    gb = rng.normal(size=(2, 3, 4, 6))
    got = N.softmax_grad(y, _c(gb), axis=-1).numpy()
    for k in range(2):
        np.testing.assert_allclose(got[k], N.softmax_grad(y, _c(gb[k]), axis=-1).numpy(), rtol=1e-14)


def test_xent_grad_is_the_gradient_of_the_loss():
    rng = np.random.default_rng(3)
    logits, dx = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    labels, gl = rng.dirichlet(np.ones(5), size=4), rng.normal(size=4)
    _, p = N.softmax_xent(_c(labels), _c(logits))
    got = np.sum(N.xent_grad(p, _c(labels), _c(gl[:, None])).numpy() * dx)
    want = _directional(lambda v: np.sum(gl * N.softmax_xent(_c(labels), _c(v))[0].numpy()), logits, dx)
    np.testing.assert_allclose(got, want, rtol=1e-7)


@pytest.mark.parametrize("act", ["linear", "relu", "tanh", "sigmoid"])
def test_act_bias_grad_is_the_vjp_of_bias_act(act):
    rng = np.random.default_rng(4)
    x, b, g = rng.normal(size=(6, 5)), rng.normal(size=5), rng.normal(size=(6, 5))
    x = np.where(np.abs(x + b) < 1e-3, 0.5, x)
    y = N.bias_act(_c(x), _c(b), activation=act)
    dz, db = N.act_bias_grad(y, _c(g), activation=act)
    f = lambda v: np.sum(g * N.bias_act(_c(v), _c(b), activation=act).numpy())
    for _ in range(3):
        dx = rng.normal(size=x.shape)
        np.testing.assert_allclose(np.sum(dz.numpy() * dx), _directional(f, x, dx), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(db.numpy(), dz.numpy().sum(0), rtol=1e-14)


# ---------------------------------------------------------------- flat-buffer optimizers

OPTIMIZERS = [
    ("sgd", lambda **k: tf.optimizers.SGD(0.1, **k)),
    ("sgd-momentum", lambda **k: tf.optimizers.SGD(0.1, momentum=0.9, **k)),
    ("sgd-nesterov", lambda **k: tf.optimizers.SGD(0.05, momentum=0.8, nesterov=True, **k)),
    ("adam", lambda **k: tf.optimizers.Adam(0.01, **k)),
    ("adam-amsgrad", lambda **k: tf.optimizers.Adam(0.01, amsgrad=True, **k)),
    ("adam-decay", lambda **k: tf.optimizers.Adam(tf.optimizers.ExponentialDecay(0.02, 2, 0.5), **k)),
    ("rmsprop", lambda **k: tf.optimizers.RMSprop(0.01, **k)),
    ("rmsprop-centered-momentum", lambda **k: tf.optimizers.RMSprop(0.01, momentum=0.5, centered=True, **k)),
    ("adagrad", lambda **k: tf.optimizers.Adagrad(0.1, **k)),
]
_SHAPES = [((3, 4), np.float32), ((5,), np.float32), ((), np.float32), ((7, 3), np.float64),
           ((2, 5), np.float16), ((1,), np.float32)]


def _vars(seed):
    rng = np.random.default_rng(seed)
    return [tf.Variable(rng.normal(size=s).astype(d), name=f"v{i}") for i, (s, d) in enumerate(_SHAPES)]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_flat_optimizer_equals_per_variable(name, make):
    ref_vars, flat_vars = _vars(5), _vars(5)
    ref_opt, flat_opt = make(), make(flat=True)
    rng = np.random.default_rng(6)
    for step in range(6):
        grads = [rng.normal(size=s).astype(d) * (0 if step == 3 and i == 0 else 1)
                 for i, (s, d) in enumerate(_SHAPES)]
        ref_opt.apply_gradients(zip([tf.constant(g) for g in grads], ref_vars))
        flat_opt.apply_gradients(zip([tf.constant(g) for g in grads], flat_vars))
        for a, b in zip(ref_vars, flat_vars):
            np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=f"{name} step {step} {a.name}")
    assert flat_opt._flat is not None
    strip = lambda opt: [s.name.split("/", 1)[1] for s in opt.variables]      # names differ in the prefix only
    assert strip(flat_opt) == strip(ref_opt)
    for a, b in zip(ref_opt.variables, flat_opt.variables):
        np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=a.name)
    assert int(flat_opt.iterations.numpy()) == 6


def test_flat_layout_is_aligned_and_variables_are_views():
    vs = _vars(7)
    opt = tf.optimizers.Adam(0.01, flat=True)
    opt.build(vs)
    state = opt._flat
    assert {g.dtype for g in state.groups} == {F16, F32, F64}
    for grp in state.groups:
        bufs = [grp.params, grp.grads, *grp.slots.values()]
        for v, off in zip(grp.variables, grp.offsets):
            assert v._v.base is not None and np.shares_memory(v._v, grp.params)
            for buf in bufs:
                assert (buf[off:].ctypes.data % flat.ALIGN) == 0
        assert grp.size * grp.dtype.itemsize % flat.ALIGN == 0
    v = vs[0]
    v.assign(np.ones((3, 4), np.float32))                  # writes land in the flat buffer
    grp = next(g for g in state.groups if g.dtype == F32)
    np.testing.assert_array_equal(grp.params[:12], 1.0)


def test_flat_optimizer_with_a_missing_gradient_runs_the_per_variable_rule():
    ref_vars, flat_vars = _vars(8), _vars(8)
    ref_opt, flat_opt = tf.optimizers.SGD(0.1, momentum=0.9), tf.optimizers.SGD(0.1, momentum=0.9, flat=True)
    rng = np.random.default_rng(9)
    for step in range(3):
        grads = [rng.normal(size=s).astype(d) for s, d in _SHAPES]
        pairs = lambda vs: [(None if (step == 1 and i == 2) else tf.constant(g), v)
                            for i, (g, v) in enumerate(zip(grads, vs))]
        with pytest.warns(UserWarning) if step == 1 else _nothing():
            ref_opt.apply_gradients(pairs(ref_vars))
        with pytest.warns(UserWarning) if step == 1 else _nothing():
            flat_opt.apply_gradients(pairs(flat_vars))
        for a, b in zip(ref_vars, flat_vars):
            np.testing.assert_array_equal(b.numpy(), a.numpy())


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_flat_optimizer_keeps_read_snapshots_and_replaced_buffers():
    w = tf.Variable([1.0, 2.0, 3.0])
    opt = tf.optimizers.SGD(0.5, flat=True)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(w * w)
    g = tape.gradient(y, w)
    before = tf.identity(w)
    opt.apply_gradients([(g, w)])
    np.testing.assert_allclose(before.numpy(), [1, 2, 3])
    np.testing.assert_allclose(w.numpy(), [0, 0, 0])
    w._v = np.array([5.0, 5.0, 5.0], np.float32)              # a _v replaced behind the optimizer's back
    opt.apply_gradients([(tf.constant([1.0, 1.0, 1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [4.5, 4.5, 4.5])
    assert np.shares_memory(w._v, opt._flat.groups[0].params)


# ---------------------------------------------------------------- kernels on the host
# Each kernels/*.cu file is compiled by g++ with the CUDA built-ins replaced by host code:
# every CUDA thread a std::thread (so __syncthreads and warp shuffles are real barriers), the
# blocks of a launch one after the other, __half as _Float16.  The launchers of
# gputape.kernels run unchanged with NumPy arrays as the device arrays, and every launch's
# arguments are checked against the kernel's C++ signature (count, pointer/scalar, type).

from host_kernels import HostBuildUnavailable, HostFunction, build_host_kernels  # noqa: E402


@pytest.fixture(scope="module")
def host_kernels(tmp_path_factory):
    try:
        return build_host_kernels(tmp_path_factory.mktemp("hostkernels"))
    except HostBuildUnavailable as e:
        pytest.skip(f"host build of the kernels skipped: {e}")


@pytest.fixture
def on_host(host_kernels, monkeypatch):
    """gputape.kernels launching the host build; a small grid so grid-stride loops wrap."""
    monkeypatch.setattr(kernels.KernelRef, "function",
                        lambda self, ctype: HostFunction(host_kernels[self.file], self.name, ctype))
    monkeypatch.setattr(kernels, "_max_grid", 3)
    monkeypatch.setattr(kernels, "launch_counts", {})
    return kernels


_data = sample


def _check(got, want, exact, dt, what):
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    if exact:
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        eps = np.finfo(dt).eps
        scale = np.max(np.abs(want[np.isfinite(want)]), initial=1.0)
        np.testing.assert_allclose(got, want, rtol=16 * eps, atol=16 * eps * scale, err_msg=what)
    assert np.array_equal(np.isnan(got), np.isnan(want)), what


# op, number of float inputs, params, exact (arithmetic only: same IEEE operations as NumPy)
ELEMENTWISE = [
    (M.div_grad_y, 3, {}, True), (M.pow_grad_x, 3, {}, False), (M.pow_grad_y, 3, {}, False),
    (M.sqrt_grad, 2, {}, True), (M.log_grad, 2, {}, True), (M.abs_grad, 2, {}, True),
    (M.tanh_grad, 2, {}, True), (M.sigmoid_grad, 2, {}, True), (M.softplus_grad, 2, {}, False),
    (N.relu_grad, 2, {}, True), (N.leaky_relu_grad, 2, {"alpha": 0.2}, True), (N.elu_grad, 2, {}, True),
    (N.gelu_grad, 2, {"approximate": False}, False), (N.gelu_grad, 2, {"approximate": True}, False),
    (N.xent_grad, 3, {}, True),
]
# shapes of the inputs: same shape, suffix / row / scalar broadcasts, one that needs a copy, empty
_BCAST = [[(37,)] * 3, [(5, 300), (300,), (5, 300)], [(9, 7), (9, 7), (9, 1)], [(), (4, 3), ()],
          [(2, 1, 5), (2, 3, 5), (1, 3, 1)], [(0, 3), (0, 3), (0, 3)], [(1,), (257,), (1,)]]


@pytest.mark.parametrize("op,nin,params,exact", ELEMENTWISE,
                         ids=[f"{e[0].name}{'~' if e[2].get('approximate') else ''}" for e in ELEMENTWISE])
@pytest.mark.parametrize("dt", [F16, F32, F64], ids=["f16", "f32", "f64"])
def test_elementwise_kernel_on_host_equals_twin(on_host, op, nin, params, exact, dt):
    rng = np.random.default_rng(10)
    for shapes in _BCAST:
        arrays = [_data(rng, s, dt) for s in shapes[:nin]]
        with np.errstate(all="ignore"):
            want = op.fwd(np, *arrays, **params)
            got = op.cuda(np, *arrays, **params)
        _check(got, want, exact, dt, f"{op.name} {dt} {shapes[:nin]}")
    # non-contiguous inputs
    base = [_data(rng, (6, 10), dt) for _ in range(nin)]
    arrays = [b[:, ::3] for b in base[:-1]] + [base[-1].T[::2].T[:, :4]]
    with np.errstate(all="ignore"):
        _check(op.cuda(np, *arrays, **params), op.fwd(np, *arrays, **params), exact, dt, f"{op.name} strided")
    assert on_host.launch_counts.get(op.cuda.name, 0) == len(_BCAST)   # the empty case launches nothing


@pytest.mark.parametrize("dt", [F16, F32, F64], ids=["f16", "f32", "f64"])
def test_select_and_clip_kernels_on_host_equal_twins(on_host, dt):
    rng = np.random.default_rng(11)
    for shape in [(37,), (4, 65), (0, 2)]:
        g = _data(rng, shape, dt)
        mask = rng.random(shape) < 0.5
        for take in (True, False):
            _check(M.select_grad.cuda(np, mask, g, take=take), M._select_grad(np, mask, g, take), True, dt, "select")
        mask_row = rng.random(shape[:-1] + (1,)) < 0.5
        _check(M.select_grad.cuda(np, mask_row, g, take=True), M._select_grad(np, mask_row, g, True), True, dt,
               "select bcast")
        x = _data(rng, shape, dt)
        x.reshape(-1)[:4] = [-1.0, 1.5, np.nan, 0.0][:x.size] if x.size else []
        lo, hi = np.asarray(-1.0, dt), np.asarray(1.5, dt)
        _check(M.clip_grad.cuda(np, x, lo, hi, g), M._clip_grad(np, x, lo, hi, g), True, dt, "clip")
    assert on_host.launch_counts["select_grad"] == 6 and on_host.launch_counts["clip_grad"] == 2


def test_kernels_decline_what_they_do_not_handle(on_host):
    a32, a64 = np.ones(4, np.float32), np.ones(4, np.float64)
    assert M.tanh_grad.cuda(np, a32, a64) is None                      # mixed dtypes: the twin promotes
    assert M.tanh_grad.cuda(np, np.ones(4, np.int32), np.ones(4, np.int32)) is None
    assert M.tanh_grad.cuda(np, np.ones(3, np.float32), a32) is None  # bad broadcast: the twin raises
    assert N.softmax_grad.cuda(np, np.ones((2, 3), np.float32), np.ones((2, 3), np.float32), axis=-2) is None
    assert N.softmax_xent.cuda(np, np.ones((2, 0), np.float32), np.ones((2, 0), np.float32)) is None
    assert N.act_bias_grad.cuda(np, np.ones((2, 3)), np.ones((4, 2, 3)), activation="relu") is None
    assert on_host.launch_counts == {}


@pytest.mark.parametrize("dt", [F16, F32, F64], ids=["f16", "f32", "f64"])
@pytest.mark.parametrize("cols", [1, 10, 300, 2100])
def test_softmax_kernels_on_host_equal_twins(on_host, dt, cols):
    rng = np.random.default_rng(12)
    rows = 37 if cols < 1000 else 5
    logits = _data(rng, (rows, cols), dt, special=False)
    logits[0, 0] = np.nan if cols > 1 else logits[0, 0]
    logits[1, :] = -np.inf
    labels = rng.dirichlet(np.ones(cols), size=rows).astype(dt)
    with np.errstate(all="ignore"):
        loss, probs = N.softmax_xent.cuda(np, labels, logits)
        wl, wp = N._xent_fwd(np, labels, logits)
    tol = dict(rtol=4e-3 if dt == F16 else 64 * np.finfo(dt).eps, atol=(4e-3 if dt == F16 else 64 * np.finfo(dt).eps))
    np.testing.assert_allclose(probs, wp, **tol)
    np.testing.assert_allclose(loss, wl, rtol=tol["rtol"], atol=tol["atol"] * max(1, np.log(cols)) * 4)
    y = wp[2:]
    g = _data(rng, (3,) + y.shape, dt, special=False)
    with np.errstate(all="ignore"):
        got = N.softmax_grad.cuda(np, y, g, axis=-1)             # g carries a leading batch axis
        want = N._softmax_grad_fwd(np, y, g, -1)
    np.testing.assert_allclose(got, want, rtol=tol["rtol"], atol=tol["atol"] * 8)
    strided = g[:, :, ::-1]
    np.testing.assert_allclose(N.softmax_grad.cuda(np, y, strided, axis=-1),
                               N._softmax_grad_fwd(np, y, strided, -1), rtol=tol["rtol"], atol=tol["atol"] * 8)
    assert on_host.launch_counts == {"softmax_xent": 1, "softmax_grad": 2}
    assert N.softmax_grad.cuda(np, y[:0], g[:, :0], axis=-1).shape == (3, 0, cols)
    e_loss, e_probs = N.softmax_xent.cuda(np, labels[:0], logits[:0])
    assert e_loss.shape == (0,) and e_probs.shape == (0, cols)
    assert on_host.launch_counts == {"softmax_xent": 1, "softmax_grad": 2}


@pytest.mark.parametrize("dt", [F16, F32, F64], ids=["f16", "f32", "f64"])
@pytest.mark.parametrize("act", ["linear", "relu", "tanh", "sigmoid"])
def test_bias_act_kernels_on_host_equal_twins(on_host, monkeypatch, dt, act):
    rng = np.random.default_rng(13)
    monkeypatch.setattr(kernels, "_max_grid", 64)       # several strips: the last-block reduction runs
    for shape in [(300, 5), (70, 33), (3, 4, 7), (9,), (1, 40), (0, 6)]:
        x = _data(rng, shape, dt)
        b = _data(rng, shape[-1:], dt, special=False)
        with np.errstate(all="ignore"):
            y = N.bias_act.cuda(np, x, b, activation=act)
            _check(y, N._bias_act_fwd(np, x, b, act), act in ("linear", "relu"), dt, f"bias_act {act} {shape}")
            g = _data(rng, shape, dt, special=False)
            y = N._bias_act_fwd(np, _data(rng, shape, dt, special=False), b, act)
            dz, db = N.act_bias_grad.cuda(np, y, g, activation=act)
            wdz, wdb = N._act_bias_grad_fwd(np, y, g, act)
        _check(dz, wdz, True, dt, f"act_bias_grad dz {act} {shape}")
        if act == "linear":
            assert dz is g                                    # as the twin: dz is g itself
        tol = 4e-3 if dt == F16 else 64 * np.finfo(dt).eps
        assert db.dtype == wdb.dtype and db.shape == wdb.shape
        np.testing.assert_allclose(db, wdb, rtol=tol, atol=tol * max(1, np.abs(wdz).sum(axis=tuple(range(wdz.ndim - 1))).max()))
    x, b = _data(rng, (8, 12), dt)[:, ::2], _data(rng, (12,), dt)[::2]         # strided x and b
    with np.errstate(all="ignore"):
        _check(N.bias_act.cuda(np, x, b, activation=act), N._bias_act_fwd(np, x, b, act),
               act in ("linear", "relu"), dt, "bias_act strided")
    # issue 11 J: the several-strip scratch is kept between launches, its counters back at zero
    ws = kernels._workspaces[("numpy", np.dtype(np.float64 if dt == F64 else np.float32))]
    y, g = _data(rng, (300, 5), dt, special=False), _data(rng, (300, 5), dt, special=False)
    first = N.act_bias_grad.cuda(np, y, g, activation=act)[1]
    again = N.act_bias_grad.cuda(np, y, g, activation=act)[1]
    assert kernels._workspaces[("numpy", ws[0].dtype)] is ws and not ws[1].any()
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_kernels_on_host_equal_per_variable(on_host, monkeypatch, name, make):
    """The flat update with the host build of kernels/optimizers.cu in place of the twin."""
    monkeypatch.setattr(flat, "_run", _run_kernel_on_numpy)
    ref_vars, flat_vars = _vars(14), _vars(14)
    ref_opt, flat_opt = make(), make(flat=True)
    rng = np.random.default_rng(15)
    for step in range(4):
        grads = [rng.normal(size=s).astype(d) for s, d in _SHAPES]
        ref_opt.apply_gradients(zip([tf.constant(g) for g in grads], ref_vars))
        flat_opt.apply_gradients(zip([tf.constant(g) for g in grads], flat_vars))
        for a, b in zip(ref_vars, flat_vars):
            np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=f"{name} step {step} {a.name}")
    kname = name.split("-")[0] + "_update"
    assert on_host.launch_counts[kname] == 4 * 3                 # one launch per dtype per step


def _run_kernel_on_numpy(ref, twin, xp, arrays, params):
    assert ref(xp, *arrays, **params) is not None, f"{ref!r} declined a flat update"


# (g shape, idx, params shape, axis, nb): repeated indices, axis 0 and inner, batch axes in front
_GATHER_GRAD = [((6, 3), [0, 2, 0, 0, 5, 2], (7, 3), 0, 0),
                ((4, 2, 5), [[1, 1], [0, 3], [3, 3], [1, 0]], (4, 5), 0, 0),
                ((2, 5, 3), [4, 4, 0, 4, 1], (2, 6, 3), 1, 0),
                ((3, 4, 2), [1, 1, 0, 1], (2, 2), 0, 1),
                ((0, 3), np.zeros(0, np.int64), (4, 3), 0, 0),
                ((9,), [2] * 9, (3,), 0, 0)]


@pytest.mark.parametrize("dt", [F16, F32, F64], ids=["f16", "f32", "f64"])
def test_gather_grad_kernel_on_host_equals_twin_bit_for_bit(on_host, dt):
    """The atomic-free gather gradient adds repeated indices in np.add.at's order: equal bits."""
    S = importlib.import_module("gputape.ops.shape")
    rng = np.random.default_rng(12)
    for gshape, idx, shape, axis, nb in _GATHER_GRAD:
        g = _data(rng, gshape, dt, special=False)
        idx = np.asarray(idx, np.int64)
        want = S._gather_grad_fwd(np, g, idx, shape, axis, nb)
        got = S.gather_grad.cuda(np, g, idx, shape=shape, axis=axis, nb=nb)
        _check(got, want, True, dt, f"gather_grad {gshape} {idx.tolist()} axis {axis} nb {nb}")
        assert got.flags.c_contiguous
    assert on_host.launch_counts["rows_add_sorted"] == len(_GATHER_GRAD) - 1    # the empty one launches nothing
# ---------------------------------------------------------------- kernels/rnn.cu (issue 8): the fused recurrent steps
_RNN_ACTS = [("tanh", "sigmoid"), ("relu", "tanh"), ("linear", "sigmoid"), ("sigmoid", "linear")]


@pytest.mark.parametrize("dt", [F16, F32, F64], ids=["f16", "f32", "f64"])
@pytest.mark.parametrize("act,ract", _RNN_ACTS)
def test_rnn_step_kernels_on_host_equal_twins(on_host, dt, act, ract):
    """lstm_cell / lstm_cell_grad / gru_cell / gru_cell_grad: the launcher (matmuls with the array
    module around one host-built pointwise kernel) against the op's NumPy twin."""
    from gputape.ops import rnn as RNN
    rng = np.random.default_rng(21)
    p = {"act": act, "ract": ract}
    for rows, U in [(5, 3), (33, 17), (1, 1)]:
        d = lambda *s: _data(rng, s, dt, lo=-1.5, hi=1.5, special=False)   # noqa: E731
        with np.errstate(all="ignore"):
            xz, h, c, rk = d(rows, 4 * U), d(rows, U), d(rows, U), d(U, 4 * U)
            got, want = RNN.lstm_cell.cuda(np, xz, h, c, rk, **p), RNN._lstm_fwd(np, xz, h, c, rk, **p)
            for k, (a, b) in enumerate(zip(got, want)):
                _check(a, b, False, dt, f"lstm_cell[{k}] {act}/{ract} {rows}x{U}")
            gh, gc = d(rows, U), d(rows, U)
            got = RNN.lstm_cell_grad.cuda(np, gh, gc, want[2], c, want[1], h, rk, **p)
            want = RNN._lstm_grad_fwd(np, gh, gc, want[2], c, want[1], h, rk, **p)
            for k, (a, b) in enumerate(zip(got, want)):
                _check(a, b, False, dt, f"lstm_cell_grad[{k}] {act}/{ract} {rows}x{U}")
            xz, rk, rb = d(rows, 3 * U), d(U, 3 * U), d(3 * U)
            got, want = RNN.gru_cell.cuda(np, xz, h, rk, rb, **p), RNN._gru_fwd(np, xz, h, rk, rb, **p)
            for k, (a, b) in enumerate(zip(got, want)):
                _check(a, b, False, dt, f"gru_cell[{k}] {act}/{ract} {rows}x{U}")
            got = RNN.gru_cell_grad.cuda(np, gh, want[1], want[2], h, rk, **p)
            want = RNN._gru_grad_fwd(np, gh, want[1], want[2], h, rk, **p)
            for k, (a, b) in enumerate(zip(got, want)):
                _check(a, b, False, dt, f"gru_cell_grad[{k}] {act}/{ract} {rows}x{U}")
    assert {"lstm_cell", "lstm_cell_grad", "gru_cell", "gru_cell_grad"} <= set(kernels.launch_counts)
    # what the kernels do not index goes to the twin: jacobian batch axes, mixed dtypes
    h3 = _data(rng, (2, 5, 3), dt, special=False)
    assert RNN.lstm_cell_grad.cuda(np, h3, h3[0], np.ones((5, 12), dt), h3[0], h3[0], h3[0],
                                   np.ones((3, 12), dt), **p) is None
    assert RNN.gru_cell.cuda(np, np.ones((5, 9), dt), np.ones((5, 3), F64 if dt != F64 else F32),
                             np.ones((3, 9), dt), np.ones(9, dt), **p) is None
