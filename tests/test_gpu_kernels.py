"""Every CUDA kernel against its NumPy twin, on a GPU (``pytest --backend cupy``).

float16/32/64; odd sizes and sizes that are not a multiple of the block; broadcast,
non-contiguous and empty inputs; special values.  CuPy compiles with -ftz=true, so float32
results that are denormal on the host may be 0 on the device.  Arithmetic-only kernels must
match the twin bit for bit apart from that (--fmad=false, float16 rounded after every
operation); kernels calling exp/log/pow/tanh/erf within a few ulps.  The launch counters
confirm the fused path ran.
"""
import importlib

import numpy as np

from sample_arrays import sample
import pytest

import gputape as tf
from gputape import flat, kernels
from gputape.ops import math as M, nn as N

pytestmark = pytest.mark.gpu


def _cupy():
    from gputape import backend
    if getattr(backend.xp, "NOT_A_GPU", False):
        return backend.xp           # pytest --backend cupy-standin: the stand-in, NOT a GPU
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        return cupy
    except Exception:
        return None


cp = _cupy()
if cp is None or tf.backend_name() != "cupy":
    pytestmark = [pytest.mark.gpu, pytest.mark.skip(reason="needs CuPy, a CUDA device and --backend cupy")]

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
DTYPES = pytest.mark.parametrize("dt", [F16, F32, F64], ids=["f16", "f32", "f64"])
_data = sample


def _ftz(a):
    a = np.array(a, copy=True)
    if a.dtype == F32:
        a[np.abs(a) < np.finfo(F32).tiny] = 0
    return a


def _check(got, want, exact, what, ulps=16):
    got = cp.asnumpy(got)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    g, w = _ftz(got), _ftz(want)
    assert np.array_equal(np.isnan(g), np.isnan(w)), f"{what}: NaN positions differ"
    if exact:
        np.testing.assert_array_equal(g, w, err_msg=what)
    else:
        eps = 1e-3 if got.dtype == F16 else np.finfo(got.dtype).eps
        scale = np.max(np.abs(w[np.isfinite(w)]), initial=1.0)
        np.testing.assert_allclose(g, w, rtol=ulps * eps, atol=ulps * eps * scale, err_msg=what)


def _dev(*arrays):
    return [cp.asarray(a) for a in arrays]


def test_every_kernel_file_compiles_with_nvrtc():
    if getattr(cp, "NOT_A_GPU", False):
        pytest.skip("the CuPy stand-in runs host builds; NVRTC is checked by .ci/nvrtc_check.sh")
    for f in ("math.cu", "activation.cu", "nn.cu", "optimizers.cu"):
        kernels._module(f)
        for name in kernels.kernel_names(f):
            ref = kernels.KernelRef(f, name)
            for ctype in kernels.CTYPES:
                assert ref.function(ctype) is not None


ELEMENTWISE = [
    (M.div_grad_y, 3, {}, True), (M.pow_grad_x, 3, {}, False), (M.pow_grad_y, 3, {}, False),
    (M.sqrt_grad, 2, {}, True), (M.log_grad, 2, {}, True), (M.abs_grad, 2, {}, True),
    (M.tanh_grad, 2, {}, True), (M.sigmoid_grad, 2, {}, True), (M.softplus_grad, 2, {}, False),
    (N.relu_grad, 2, {}, True), (N.leaky_relu_grad, 2, {"alpha": 0.2}, True), (N.elu_grad, 2, {}, True),
    (N.gelu_grad, 2, {"approximate": False}, False), (N.gelu_grad, 2, {"approximate": True}, False),
    (N.xent_grad, 3, {}, True),
]
_SHAPES = [[(1,)] * 3, [(37,)] * 3, [(257,)] * 3, [(1000003,)] * 3, [(513, 300), (300,), (513, 300)],
           [(9, 7), (9, 7), (9, 1)], [(), (4, 3), ()], [(2, 1, 5), (2, 3, 5), (1, 3, 1)],
           [(0, 3), (0, 3), (0, 3)], [(1,), (255,), (1,)]]


@pytest.mark.parametrize("op,nin,params,exact", ELEMENTWISE,
                         ids=[f"{e[0].name}{'~' if e[2].get('approximate') else ''}" for e in ELEMENTWISE])
@DTYPES
def test_elementwise_kernel_equals_twin(op, nin, params, exact, dt):
    rng = np.random.default_rng(0)
    kernels.launch_counts.clear()
    launches = 0
    for shapes in _SHAPES:
        host = [_data(rng, s, dt) for s in shapes[:nin]]
        with np.errstate(all="ignore"):
            want = op.fwd(np, *host, **params)
        got = op.cuda(cp, *_dev(*host), **params)
        assert got is not None, f"{op.name} declined {shapes[:nin]}"
        _check(got, want, exact, f"{op.name} {dt} {shapes[:nin]}")
        launches += want.size > 0
    base = [_data(rng, (60, 100), dt) for _ in range(nin)]
    host = [b[:, ::3] for b in base[:-1]] + [base[-1].T[::2].T[:, :34]]
    dev = [cp.asarray(b)[:, ::3] for b in base[:-1]] + [cp.asarray(base[-1]).T[::2].T[:, :34]]
    assert not dev[0].flags.c_contiguous
    with np.errstate(all="ignore"):
        _check(op.cuda(cp, *dev, **params), op.fwd(np, *host, **params), exact, f"{op.name} {dt} strided")
    assert kernels.launch_counts.get(op.cuda.name, 0) == launches + 1   # empty arrays launch nothing


@DTYPES
def test_select_and_clip_kernels_equal_twins(dt):
    rng = np.random.default_rng(1)
    for shape in [(37,), (513, 65), (0, 2)]:
        g = _data(rng, shape, dt)
        mask = rng.random(shape) < 0.5
        for take in (True, False):
            _check(M.select_grad.cuda(cp, *_dev(mask, g), take=take), M._select_grad(np, mask, g, take), True,
                   f"select_grad {shape} {take}")
        x = _data(rng, shape, dt)
        if x.size:
            x.reshape(-1)[:3] = [-1.0, 1.5, np.nan]
        lo, hi = np.asarray(-1.0, dt), np.asarray(1.5, dt)
        _check(M.clip_grad.cuda(cp, *_dev(x, lo, hi, g)), M._clip_grad(np, x, lo, hi, g), True, f"clip_grad {shape}")


@DTYPES
@pytest.mark.parametrize("rows,cols", [(1, 1), (37, 10), (1001, 300), (5, 2100), (3, 70000)])
def test_softmax_kernels_equal_twins(dt, rows, cols):
    rng = np.random.default_rng(2)
    logits = _data(rng, (rows, cols), dt, special=False)
    if rows > 2:
        logits[0, 0] = np.nan
        logits[1, :] = -np.inf
    labels = rng.dirichlet(np.ones(cols), size=rows).astype(dt)
    kernels.launch_counts.clear()
    loss, probs = N.softmax_xent.cuda(cp, *_dev(labels, logits))
    with np.errstate(all="ignore"):
        wl, wp = N._xent_fwd(np, labels, logits)
    tol = 4e-3 if dt == F16 else 64 * np.finfo(dt).eps
    np.testing.assert_allclose(cp.asnumpy(probs), wp, rtol=tol, atol=tol)
    np.testing.assert_allclose(cp.asnumpy(loss), wl, rtol=tol, atol=tol * 4 * max(1.0, np.log(cols)))
    y = wp[2:] if rows > 2 else wp
    g = _data(rng, (2,) + y.shape, dt, special=False)
    with np.errstate(all="ignore"):
        want = N._softmax_grad_fwd(np, y, g, -1)
    got = N.softmax_grad.cuda(cp, *_dev(y, g), axis=-1)
    np.testing.assert_allclose(cp.asnumpy(got), want, rtol=tol, atol=tol * 8)
    assert kernels.launch_counts == {"softmax_xent": 1, "softmax_grad": 1}
    empty = N.softmax_grad.cuda(cp, *_dev(y[:0], g[:, :0]), axis=-1)
    assert empty.shape == (2, 0, cols) and kernels.launch_counts["softmax_grad"] == 1


@DTYPES
@pytest.mark.parametrize("act", ["linear", "relu", "tanh", "sigmoid"])
def test_bias_act_kernels_equal_twins(dt, act):
    rng = np.random.default_rng(3)
    for shape in [(1, 1), (5000, 37), (257, 300), (3, 4, 7), (9,), (0, 6), (100000, 3)]:
        x = _data(rng, shape, dt)
        b = _data(rng, shape[-1:], dt, special=False)
        with np.errstate(all="ignore"):
            want = N._bias_act_fwd(np, x, b, act)
        _check(N.bias_act.cuda(cp, *_dev(x, b), activation=act), want, act in ("linear", "relu"),
               f"bias_act {act} {shape}")
        y = N._bias_act_fwd(np, _data(rng, shape, dt, special=False), b, act)
        g = _data(rng, shape, dt, special=False)
        with np.errstate(all="ignore"):
            wdz, wdb = N._act_bias_grad_fwd(np, y, g, act)
        first = None
        for _ in range(2):                   # deterministic, and the strip counters reset
            dz, db = N.act_bias_grad.cuda(cp, *_dev(y, g), activation=act)
            _check(dz, wdz, True, f"act_bias_grad dz {act} {shape}")
            db = cp.asnumpy(db)
            if first is None:
                first = db
            np.testing.assert_array_equal(db, first)
        # against the float64 sum of the same dz (NumPy's own float32 row-by-row sum drifts more)
        want_db = wdz.astype(np.float64).reshape(-1, shape[-1]).sum(0)
        colsum = np.abs(wdz.astype(np.float64)).reshape(-1, shape[-1]).sum(0)
        tol = 1e-3 if dt == F16 else 64 * np.finfo(dt).eps
        assert db.dtype == dt and db.shape == wdb.shape
        np.testing.assert_allclose(db.astype(np.float64), want_db, rtol=tol, atol=tol * max(1.0, colsum.max(initial=0.0)))


OPTIMIZERS = [
    ("sgd", lambda **k: tf.optimizers.SGD(0.1, **k)),
    ("sgd-momentum", lambda **k: tf.optimizers.SGD(0.1, momentum=0.9, **k)),
    ("sgd-nesterov", lambda **k: tf.optimizers.SGD(0.05, momentum=0.8, nesterov=True, **k)),
    ("adam", lambda **k: tf.optimizers.Adam(0.01, **k)),
    ("adam-amsgrad", lambda **k: tf.optimizers.Adam(0.01, amsgrad=True, **k)),
    ("rmsprop", lambda **k: tf.optimizers.RMSprop(0.01, **k)),
    ("rmsprop-centered-momentum", lambda **k: tf.optimizers.RMSprop(0.01, momentum=0.5, centered=True, **k)),
    ("adagrad", lambda **k: tf.optimizers.Adagrad(0.1, **k)),
]
_VSHAPES = [((3, 4), np.float32), ((5,), np.float32), ((), np.float32), ((70, 33), np.float64),
            ((2, 5), np.float16), ((100003,), np.float32)]


def _vars(seed):
    rng = np.random.default_rng(seed)
    return [tf.Variable(rng.normal(size=s).astype(d)) for s, d in _VSHAPES]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_flat_optimizer_kernel_equals_per_variable(name, make):
    ref_vars, flat_vars = _vars(4), _vars(4)
    ref_opt, flat_opt = make(), make(flat=True)
    rng = np.random.default_rng(5)
    kernels.launch_counts.clear()
    for step in range(5):
        grads = [rng.normal(size=s).astype(d) for s, d in _VSHAPES]
        ref_opt.apply_gradients(zip([tf.constant(g) for g in grads], ref_vars))
        flat_opt.apply_gradients(zip([tf.constant(g) for g in grads], flat_vars))
        for a, b in zip(ref_vars, flat_vars):
            tol = {F16: 2e-3, F32: 2e-6, F64: 1e-13}[np.dtype(a.numpy().dtype)]
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=tol, atol=tol, err_msg=f"{name} step {step}")
    assert kernels.launch_counts[name.split("-")[0] + "_update"] == 5 * 3     # one launch per dtype per step


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_flat_optimizer_kernel_equals_its_numpy_twin(name, make):
    """One update by the kernel against the same update by the twin on host copies."""
    vs = _vars(6)
    opt = make(flat=True)
    rng = np.random.default_rng(7)
    for step in range(3):
        grads = [tf.constant(rng.normal(size=s).astype(d)) for s, d in _VSHAPES]
        opt.apply_gradients(zip(grads, vs))
    state = opt._flat
    it = opt.iterations._v
    for grp in state.groups:
        host = {k: cp.asnumpy(b) for k, b in grp.slots.items()}
        hw, hg, hlr, hit = cp.asnumpy(grp.params), rng.normal(size=grp.size).astype(grp.dtype), cp.asnumpy(grp.lr), cp.asnumpy(it)
        grp.grads[...] = cp.asarray(hg)
        state.rule.update(cp, opt, grp, it)
        hgrp = _HostGroup(grp, hw, hg, hlr, host)
        state.rule.update(np, opt, hgrp, hit)
        exact = not name.startswith("adam")   # Adam's beta**t uses the device's powf
        tol = {F16: 2e-3, F32: 4e-7, F64: 1e-15}[grp.dtype]
        for got, want in [(grp.params, hw)] + [(grp.slots[k], host[k]) for k in host]:
            g, w = _ftz(cp.asnumpy(got)), _ftz(want)
            if exact:
                np.testing.assert_array_equal(g, w, err_msg=f"{name} {grp.dtype}")
            else:
                np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{name} {grp.dtype}")


class _HostGroup:
    def __init__(self, grp, params, grads, lr, slots):
        self.dtype, self.size = grp.dtype, grp.size
        self.params, self.grads, self.lr, self.slots = params, grads, lr, slots


def test_flat_update_replays_in_a_cuda_graph_with_new_lr_and_step():
    if getattr(cp, "NOT_A_GPU", False):
        pytest.skip("the CuPy stand-in has no streams or CUDA graphs")
    if not hasattr(cp.cuda.Stream, "begin_capture"):
        pytest.skip("this CuPy has no stream capture")
    vs = [tf.Variable(np.linspace(-1, 1, 1000, dtype=np.float32))]
    opt = tf.optimizers.Adam(0.01, flat=True)
    opt.apply_gradients([(tf.constant(np.ones(1000, np.float32)), vs[0])])    # builds, compiles
    state = opt._flat
    grp = state.groups[0]
    it = opt.iterations._v
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        stream.begin_capture()
        state.rule.update(cp, opt, grp, it)
        graph = stream.end_capture()
    hg = np.random.default_rng(8).normal(size=grp.size).astype(np.float32)
    grp.grads[...] = cp.asarray(hg)
    grp.lr[...] = 0.003
    it[...] = 41
    cp.cuda.get_current_stream().synchronize()
    hw, hm, hv = (cp.asnumpy(a) for a in (grp.params, grp.slots["momentum"], grp.slots["velocity"]))
    graph.launch(stream)
    stream.synchronize()
    flat.adam_update(np, hg, np.array([0.003], np.float32), np.array(41, np.int64), hw, hm, hv, None,
                     beta_1=opt.beta_1, beta_2=opt.beta_2, one_minus_beta_1=1 - opt.beta_1,
                     one_minus_beta_2=1 - opt.beta_2, epsilon=opt.epsilon, amsgrad=False)
    np.testing.assert_allclose(cp.asnumpy(grp.params), hw, rtol=4e-7, atol=1e-7)
    np.testing.assert_allclose(cp.asnumpy(grp.slots["momentum"]), hm, rtol=1e-7)


def test_training_step_runs_the_fused_kernels():
    rng = np.random.default_rng(9)
    x = tf.constant(rng.normal(size=(64, 10)).astype(np.float32))
    labels = tf.constant(np.eye(4, dtype=np.float32)[rng.integers(0, 4, 64)])
    w1 = tf.Variable(rng.normal(size=(10, 16)).astype(np.float32) * 0.3)
    b1 = tf.Variable(np.zeros(16, np.float32))
    w2 = tf.Variable(rng.normal(size=(16, 4)).astype(np.float32) * 0.3)
    b2 = tf.Variable(np.zeros(4, np.float32))
    params = [w1, b1, w2, b2]
    opt = tf.optimizers.Adam(0.01, flat=True)
    kernels.launch_counts.clear()
    losses = []
    for _ in range(3):
        with tf.GradientTape() as tape:
            h = N.dense_activation(tf.matmul(x, w1), b1, "tanh")
            logits = N.bias_act(tf.matmul(h, w2), b2, activation="linear")
            loss = tf.reduce_mean(N.softmax_cross_entropy_with_logits(labels, logits))
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        losses.append(float(loss))
    c = kernels.launch_counts
    for name in ("bias_act", "softmax_xent", "xent_grad", "act_bias_grad"):
        assert c.get(name, 0) >= 3, (name, c)
    assert c.get("adam_update") == 3, c
    assert losses[-1] < losses[0]


def test_float32_denormals_may_flush_to_zero():
    y = np.full(7, 1e-39, np.float32)          # denormal in float32
    g = np.full(7, 1.0, np.float32)
    got = cp.asnumpy(M.log_grad.cuda(cp, *_dev(np.full(7, 2.0, np.float32), y)))
    want = M.log_grad.fwd(np, np.full(7, 2.0, np.float32), y)
    assert np.all((got == want) | (got == 0))
    got = cp.asnumpy(N.relu_grad.cuda(cp, *_dev(g, y)))
    assert np.all((got == y) | (got == 0))


@DTYPES
def test_gather_grad_kernel_is_deterministic_and_equals_its_twin(dt):
    """200k repeated indices into 1000 rows: the same bits on every run, and np.add.at's bits."""
    S = importlib.import_module("gputape.ops.shape")
    rng = np.random.default_rng(10)
    g = _data(rng, (20000, 33), dt, special=False)
    idx = rng.integers(0, 1000, 20000)
    want = S._gather_grad_fwd(np, g, idx, (1000, 33), 0, 0)
    kernels.launch_counts.clear()
    runs = [cp.asnumpy(S.gather_grad.cuda(cp, *_dev(g, idx), shape=(1000, 33), axis=0, nb=0)) for _ in range(3)]
    for r in runs:
        np.testing.assert_array_equal(r, want)
    assert kernels.launch_counts["rows_add_sorted"] == 3
    gi = _data(rng, (3, 7, 5), dt, special=False)
    ii = rng.integers(0, 4, 7)
    _check(S.gather_grad.cuda(cp, *_dev(gi, ii), shape=(3, 4, 5), axis=1, nb=0),
           S._gather_grad_fwd(np, gi, ii, (3, 4, 5), 1, 0), True, "gather_grad axis 1")
