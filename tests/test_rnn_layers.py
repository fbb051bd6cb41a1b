"""Recurrent layers, MultiHeadAttention and the fused recurrent-step ops (issue 8).

- every case of tf_fixtures/rnn_cases.py (SimpleRNN/LSTM/GRU and their options, RNN(cell),
  Bidirectional, TimeDistributed, MultiHeadAttention) against Keras 3.15's numbers recorded from
  TF 2.21 (area ``rnn``): outputs, gradients w.r.t. inputs, initial states and weights, weight paths
  and shapes, parameter counts;
- 20 Adam steps of LSTM -> Dense: Keras's losses within float32 tolerance;
- the fused ops ``lstm_cell``/``gru_cell``/``simple_rnn_cell`` (and the step split/join ops): first,
  second (and third) order against float64 finite differences, in both modes, and equal to the
  same formula written with unfused gputape ops;
- tape entries per time step for length-50 sequences;
- arguments refused or not implemented, as the module docstrings say.
"""
import collections
import pathlib
import sys

import numpy as np
import pytest

import gputape as tf
from gputape import keras
from gputape.ops import rnn as R
from gputape.testing import check_grads

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "tf_fixtures"))
from tf_fixture import load  # noqa: E402
from rnn_cases import LAYER_CASES, MHA_CASES, run_layer, run_mha, run_stateful, run_training  # noqa: E402

FX = load("rnn")


def _compare(got, want):
    assert got["count"] == want["count"]
    assert got["weights"] == want["weights"]
    for key in ("outputs", "grads"):
        assert len(got[key]) == len(want[key]), key
        for i, (a, b) in enumerate(zip(got[key], want[key])):
            assert (a is None) == (b is None), (key, i)
            if a is not None:
                np.testing.assert_allclose(np.array(a), np.array(b), rtol=2e-5, atol=2e-5, err_msg=f"{key}[{i}]")


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_recurrent_layer_matches_keras(case):
    _compare(run_layer(case, keras, tf), FX[case[0]])


@pytest.mark.parametrize("case", MHA_CASES, ids=[c[0] for c in MHA_CASES])
def test_multi_head_attention_matches_keras(case):
    _compare(run_mha(case, keras, tf), FX[case[0]])


def test_stateful_lstm_matches_keras():
    _compare(run_stateful(keras, tf), FX["stateful_lstm"])


def test_stateful_states_are_not_weights_and_batch_is_checked():
    lay = keras.layers.GRU(2, stateful=True)
    lay(tf.ones((3, 4, 5)))
    assert len(lay.weights) == 3 and len(lay.states) == 1 and tuple(lay.states[0].shape) == (3, 2)
    assert not lay.states[0].trainable and np.any(lay.states[0].numpy() != 0)
    with pytest.raises(ValueError, match="Expected batch size: 3"):
        lay(tf.ones((2, 4, 5)))
    lay.reset_state()
    np.testing.assert_array_equal(lay.states[0].numpy(), 0)


def test_simple_rnn_recurrent_dropout_only_in_training():
    lay = keras.layers.SimpleRNN(5, recurrent_dropout=0.5, return_sequences=True)
    x = tf.constant(np.random.default_rng(2).standard_normal((4, 6, 3)).astype(np.float32))
    a = lay(x).numpy()
    plain = keras.layers.SimpleRNN(5, return_sequences=True)
    plain(x)
    plain.set_weights(lay.get_weights())
    np.testing.assert_array_equal(a, plain(x).numpy())
    tf.random.set_seed(3)
    with tf.GradientTape() as tape:
        b = lay(x, training=True)
    assert not np.allclose(a, b.numpy())
    assert all(g is not None for g in tape.gradient(b, lay.trainable_variables))


def test_lstm_training_matches_keras_losses():
    np.testing.assert_allclose(run_training(keras, tf), FX["train_lstm"]["losses"], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- the fused ops
RNG = np.random.default_rng(3)
B, U = 3, 4
XZ4, XZ3, XZ1 = (RNG.standard_normal((B, k * U)) for k in (4, 3, 1))
H, C = RNG.standard_normal((B, U)), RNG.standard_normal((B, U))
RK4, RK3, RK1 = (0.5 * RNG.standard_normal((U, k * U)) for k in (4, 3, 1))
RB = RNG.standard_normal(3 * U)
ACTS = [("tanh", "sigmoid"), ("relu", "tanh"), ("linear", "sigmoid"), ("sigmoid", "linear")]


@pytest.mark.parametrize("act,ract", ACTS)
def test_lstm_cell_grads_to_second_order(act, ract):
    # (h, c) only: the fused lstm_cell_grad and its retraced VJP; all three outputs: a cotangent of
    # the gates too, which takes the unfused formula
    check_grads(lambda *a: R.lstm_cell(*a, act=act, ract=ract)[:2], [XZ4, H, C, RK4], order=2)
    check_grads(lambda *a: R.lstm_cell(*a, act=act, ract=ract), [XZ4, H, C, RK4], order=2)


@pytest.mark.parametrize("act,ract", ACTS)
def test_gru_cell_grads_to_second_order(act, ract):
    check_grads(lambda *a: R.gru_cell(*a, act=act, ract=ract)[0], [XZ3, H, RK3, RB], order=2)
    check_grads(lambda *a: R.gru_cell(*a, act=act, ract=ract), [XZ3, H, RK3, RB], order=2)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear"])
def test_simple_rnn_cell_grads_to_second_order(act):
    check_grads(lambda *a: R.simple_rnn_cell(*a, act=act), [XZ1, H, RK1], order=2)


def test_fused_cells_third_order():
    check_grads(lambda *a: R.lstm_cell(*a, act="tanh", ract="sigmoid")[:2], [XZ4, H, C, RK4], order=3, modes=["rev"])
    check_grads(lambda *a: R.gru_cell(*a, act="tanh", ract="sigmoid")[0], [XZ3, H, RK3, RB], order=3, modes=["rev"])


def test_step_split_and_join_grads():
    x = RNG.standard_normal((4, B, 2))
    check_grads(lambda a: R.stack_steps(*R.unstack_steps(a, axis=0)[::-1], axis=1), [x], order=2)
    check_grads(lambda a: R.unstack_steps(a, axis=1)[1] * 2.0, [x], order=2)


def _with_grads(fn, args):
    ts = [tf.constant(a) for a in args]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(ts)
        outs = fn(*ts)
        loss = tf.add_n([tf.reduce_sum(o * o) for o in outs])
    return [o.numpy() for o in outs] + [g.numpy() for g in tape.gradient(loss, ts)]


@pytest.mark.parametrize("act,ract", ACTS)
def test_fused_cells_equal_the_unfused_formula(act, ract):
    pairs = [(lambda *a: R.lstm_cell(*a, act=act, ract=ract)[:2],
              lambda *a: R.lstm_math(R.TM, *a, act, ract, U)[:2], [XZ4, H, C, RK4]),
             (lambda *a: R.gru_cell(*a, act=act, ract=ract)[:1],
              lambda *a: R.gru_math(R.TM, *a, act, ract, U)[:1], [XZ3, H, RK3, RB]),
             (lambda *a: [R.simple_rnn_cell(*a, act=act)],
              lambda *a: [R.simple_rnn_math(R.TM, *a, act)], [XZ1, H, RK1])]
    for fused, plain, args in pairs:
        for a, b in zip(_with_grads(fused, args), _with_grads(plain, args)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_jacobian_through_a_fused_step():
    x = tf.constant(XZ4)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = R.lstm_cell(x, tf.constant(H), tf.constant(C), tf.constant(RK4), act="tanh", ract="sigmoid")[0]
        y2 = R.lstm_math(R.TM, x, tf.constant(H), tf.constant(C), tf.constant(RK4), "tanh", "sigmoid", U)[0]
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), tape.jacobian(y2, x).numpy(), rtol=1e-12, atol=1e-12)


def test_fused_op_checks_shapes_before_compute():
    with pytest.raises(tf.errors.InvalidArgumentError, match="recurrent_kernel"):
        R.lstm_cell(tf.constant(XZ4), tf.constant(H), tf.constant(C), tf.constant(RK3), act="tanh", ract="sigmoid")
    with pytest.raises(tf.errors.InvalidArgumentError, match="xz"):
        R.gru_cell(tf.constant(XZ4), tf.constant(H), tf.constant(RK3), tf.constant(RB), act="tanh", ract="sigmoid")


# ---------------------------------------------------------------- tape entries per step
@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN"])
def test_one_tape_entry_per_time_step(layer):
    """Length 50: the tape holds 50 fused step entries plus a constant handful -- 8 for LSTM and
    SimpleRNN (reads of the three weights, an identity read of the recurrent kernel, the projection's
    matmul and bias, the time-major reshape, the step split), 11 for GRU (its bias is read and sliced
    into input and recurrent rows) -- and length 25 has exactly 25 fewer."""
    lay = getattr(keras.layers, layer)(16)
    rng = np.random.default_rng(0)
    counts = {}
    for T in (25, 50):
        x = tf.constant(rng.standard_normal((4, T, 8)).astype(np.float32))
        with tf.GradientTape() as tape:
            y = lay(x)
        names = collections.Counter(e[0].name for e in tape._entries)
        step = {"LSTM": "lstm_cell", "GRU": "gru_cell", "SimpleRNN": "simple_rnn_cell"}[layer]
        assert names[step] == T
        counts[T] = len(tape._entries)
        assert all(g is not None for g in tape.gradient(y, lay.trainable_variables))
    assert counts[50] - counts[25] == 25
    assert counts[50] - 50 == (11 if layer == "GRU" else 8), counts


# ---------------------------------------------------------------- arguments
def test_refused_and_not_implemented_arguments():
    with pytest.raises(NotImplementedError, match="recurrent_dropout"):
        keras.layers.GRU(3, recurrent_dropout=0.2)
    with pytest.raises(NotImplementedError, match="recurrent_dropout"):
        keras.layers.LSTM(3, recurrent_dropout=0.2)
    with pytest.raises(NotImplementedError, match="kernel_regularizer"):
        keras.layers.SimpleRNN(3, kernel_regularizer="l2")
    with pytest.raises(ValueError, match="zz"):
        keras.layers.LSTM(3, zz=1)
    with pytest.raises(ValueError, match="use_cudnn"):
        keras.layers.LSTM(3, use_cudnn="yes")
    with pytest.raises(ValueError, match="units"):
        keras.layers.GRU(0)
    with pytest.raises(ValueError, match="merge mode"):
        keras.layers.Bidirectional(keras.layers.LSTM(2), merge_mode="max")
    with pytest.raises(NotImplementedError, match="StackedRNNCells"):
        keras.layers.RNN([keras.layers.LSTMCell(2), keras.layers.LSTMCell(2)])
    with pytest.raises(NotImplementedError, match="attention_axes"):
        keras.layers.MultiHeadAttention(2, 3, attention_axes=(1,))
    x = tf.ones((2, 3, 4))
    with pytest.raises(ValueError, match="ndim=3"):
        keras.layers.LSTM(3)(tf.ones((2, 4)))
    with pytest.raises(ValueError, match="initial state"):
        keras.layers.LSTM(3)(x, initial_state=[tf.zeros((2, 3))])
    with pytest.raises(ValueError, match="expected"):
        keras.layers.GRU(3)(x, initial_state=[tf.zeros((2, 4))])
    with pytest.raises(NotImplementedError, match="query_mask"):
        keras.layers.MultiHeadAttention(2, 3)(x, x, query_mask=tf.ones((2, 3), dtype=tf.bool))


def test_dropout_only_in_training():
    lay = keras.layers.LSTM(3, dropout=0.5)
    x = tf.constant(np.random.default_rng(1).standard_normal((4, 6, 5)).astype(np.float32))
    a, b = lay(x).numpy(), lay(x, training=False).numpy()
    np.testing.assert_array_equal(a, b)
    tf.random.set_seed(0)
    c = lay(x, training=True).numpy()
    assert not np.allclose(a, c)


def test_config_round_trip_and_keras_keys():
    for lay in (keras.layers.LSTM(3, return_sequences=True, go_backwards=True, name="l"),
                keras.layers.GRU(2, reset_after=False, name="g"), keras.layers.SimpleRNN(4, activation="relu"),
                keras.layers.RNN(keras.layers.GRUCell(3), return_sequences=True),
                keras.layers.Bidirectional(keras.layers.LSTM(2, return_sequences=True), merge_mode="sum")):
        cfg = lay.get_config()
        again = type(lay).from_config(cfg)
        assert again.get_config() == cfg
    assert set(keras.layers.GRU(3).get_config()) == {
        "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
        "zero_output_for_mask", "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
        "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
        "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
        "dropout", "recurrent_dropout", "reset_after", "seed", "use_cudnn"}


def test_lstm_initial_weights_follow_keras():
    lay = keras.layers.LSTM(5)
    lay(tf.ones((1, 2, 3)))
    k, rk, b = lay.get_weights()
    np.testing.assert_allclose(rk @ rk.T, np.eye(5), atol=1e-5)           # orthogonal rows (5 x 20)
    np.testing.assert_array_equal(b, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])   # unit_forget_bias


# ---------------------------------------------------------------- the CuPy path (stand-in: NOT a GPU)
@pytest.fixture
def standin(monkeypatch):
    import cupy_standin as S
    from gputape import kernels
    cp = S.install(monkeypatch)
    S.full_api()
    monkeypatch.setattr(kernels.KernelRef, "__call__", lambda self, *a, **k: None)
    yield S
    S.full_api(False)
    monkeypatch.undo()
    S.restore()


STANDIN_LAYERS = [
    ("LSTM", lambda: keras.layers.LSTM(4, return_sequences=True), True),
    ("GRU", lambda: keras.layers.GRU(4, go_backwards=True), True),
    ("SimpleRNN", lambda: keras.layers.SimpleRNN(4), False),
    ("Bidirectional", lambda: keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)), True),
]


@pytest.mark.parametrize("name,make,masked", STANDIN_LAYERS, ids=[c[0] for c in STANDIN_LAYERS])
def test_recurrent_step_on_the_cupy_path_makes_no_host_sync(standin, name, make, masked):
    """Forward and gradient of a recurrent layer (with a mask given as a device tensor) under the
    NumPy-backed CuPy stand-in: no device->host sync, no NumPy array handed to CuPy."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    lay = make()
    xb = tf.constant(x)
    kw = {"mask": tf.constant(np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 1]], bool))} if masked else {}
    lay(xb, **kw)
    standin.reset_counts()
    standin.numpy_args.clear()
    with tf.GradientTape() as tape:
        y = lay(xb, **kw)
    grads = tape.gradient(y, lay.trainable_variables)
    assert type(y._v) is standin.StandinArray and all(type(g._v) is standin.StandinArray for g in grads)
    assert standin.syncs == [] and standin.numpy_args == [], (standin.syncs, standin.numpy_args)


def test_attention_on_the_cupy_path_makes_no_host_sync(standin):
    rng = np.random.default_rng(0)
    q = tf.constant(rng.standard_normal((2, 4, 5)).astype(np.float32))
    mha = keras.layers.MultiHeadAttention(2, 3)
    am = tf.constant(np.array(AMASK_NP))
    mha(q, q, attention_mask=am, use_causal_mask=True)
    standin.reset_counts()
    standin.numpy_args.clear()
    with tf.GradientTape() as tape:
        tape.watch(q)
        y = mha(q, q, attention_mask=am, use_causal_mask=True)
    tape.gradient(y, [q] + mha.trainable_variables)
    assert standin.syncs == [] and standin.numpy_args == [], (standin.syncs, standin.numpy_args)


AMASK_NP = np.tril(np.ones((2, 4, 4), bool), 1)


# ---------------------------------------------------------------- kernels/rnn.cu on a GPU (pytest --backend cupy)
@pytest.mark.gpu
@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64], ids=["f16", "f32", "f64"])
@pytest.mark.parametrize("act,ract", ACTS)
def test_rnn_step_kernels_on_gpu_equal_twins(dt, act, ract):
    if tf.backend_name() != "cupy":
        pytest.skip("needs CuPy, a CUDA device and --backend cupy")
    from gputape import backend, kernels
    cp = backend.xp           # CuPy, or the stand-in under --backend cupy-standin (NOT a GPU)
    dt = np.dtype(dt)
    rng = np.random.default_rng(5)
    p = {"act": act, "ract": ract}
    eps = 1e-3 if dt == np.float16 else np.finfo(dt).eps

    def check(got, want, what):
        got = cp.asnumpy(got)
        assert got.dtype == want.dtype and got.shape == want.shape, what
        scale = max(1.0, float(np.max(np.abs(want), initial=0)))
        np.testing.assert_allclose(got, want, rtol=64 * eps, atol=64 * eps * scale, err_msg=what)
    kernels.launch_counts.clear()
    for rows, U in [(1, 1), (64, 64), (257, 33)]:
        d = lambda *s: rng.uniform(-1.5, 1.5, s).astype(dt)   # noqa: E731
        xz, h, c, rk = d(rows, 4 * U), d(rows, U), d(rows, U), d(U, 4 * U)
        want = R._lstm_fwd(np, xz, h, c, rk, **p)
        for k, (a, b) in enumerate(zip(R.lstm_cell.cuda(cp, *map(cp.asarray, (xz, h, c, rk)), **p), want)):
            check(a, b, f"lstm_cell[{k}] {rows}x{U}")
        gh, gc = d(rows, U), d(rows, U)
        args = (gh, gc, want[2], c, want[1], h, rk)
        for k, (a, b) in enumerate(zip(R.lstm_cell_grad.cuda(cp, *map(cp.asarray, args), **p),
                                       R._lstm_grad_fwd(np, *args, **p))):
            check(a, b, f"lstm_cell_grad[{k}] {rows}x{U}")
        xz, rk, rb = d(rows, 3 * U), d(U, 3 * U), d(3 * U)
        want = R._gru_fwd(np, xz, h, rk, rb, **p)
        for k, (a, b) in enumerate(zip(R.gru_cell.cuda(cp, *map(cp.asarray, (xz, h, rk, rb)), **p), want)):
            check(a, b, f"gru_cell[{k}] {rows}x{U}")
        args = (gh, want[1], np.ascontiguousarray(want[2]), h, rk)
        for k, (a, b) in enumerate(zip(R.gru_cell_grad.cuda(cp, *map(cp.asarray, args), **p),
                                       R._gru_grad_fwd(np, *args, **p))):
            check(a, b, f"gru_cell_grad[{k}] {rows}x{U}")
    assert all(kernels.launch_counts.get(n) == 3 for n in ("lstm_cell", "lstm_cell_grad", "gru_cell",
                                                           "gru_cell_grad")), kernels.launch_counts


@pytest.mark.parametrize("make", [lambda: keras.layers.LSTM(3, return_sequences=True, dtype="float64"),
                                  lambda: keras.layers.GRU(3, go_backwards=True, dtype="float64"),
                                  lambda: keras.layers.SimpleRNN(2, dtype="float64")],
                         ids=["LSTM", "GRU", "SimpleRNN"])
def test_whole_layer_jacobian_and_second_order(make):
    """Through a whole layer (split, fused steps, join): the jacobian (cotangents with a batch axis)
    against central differences, and reverse/forward derivatives to second order (check_grads)."""
    rng = np.random.default_rng(4)
    xn = rng.standard_normal((2, 4, 3))
    lay = make()
    lay(tf.constant(xn))
    x = tf.constant(xn)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = lay(x)
    jac = tape.jacobian(y, x).numpy()
    eps, fd = 1e-6, np.zeros(tuple(y.shape) + xn.shape)
    for idx in np.ndindex(xn.shape):
        d = np.zeros_like(xn)
        d[idx] = eps
        fd[(...,) + idx] = (lay(tf.constant(xn + d)).numpy() - lay(tf.constant(xn - d)).numpy()) / (2 * eps)
    np.testing.assert_allclose(jac, fd, atol=1e-8)
    check_grads(lambda v: lay(v), [xn], order=2)


def test_compute_output_shape_matches_the_call():
    x = tf.ones((2, 5, 3))
    layers = [keras.layers.LSTM(4), keras.layers.GRU(4, return_sequences=True, return_state=True),
              keras.layers.SimpleRNN(2, return_state=True),
              keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)),
              keras.layers.Bidirectional(keras.layers.GRU(3, return_state=True), merge_mode=None),
              keras.layers.Bidirectional(keras.layers.SimpleRNN(3), merge_mode="sum")]
    for lay in layers:
        y = lay(x)
        got = [tuple(t.shape) for t in (y if isinstance(y, (list, tuple)) else [y])]
        want = lay.compute_output_shape((2, 5, 3))
        want = list(want) if isinstance(want[0], tuple) else [want]
        assert got == want, (lay.name, got, want)
    mha = keras.layers.MultiHeadAttention(2, 3, output_shape=7)
    assert tuple(mha(x, x).shape) == mha.compute_output_shape((2, 5, 3), (2, 5, 3)) == (2, 5, 7)
