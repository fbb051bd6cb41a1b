"""Issue 7, Keras area: every example against TensorFlow 2.21 / Keras 3.15's recorded answer
(tests/tf_fixtures/keras.json, made by gen_keras.py from the cases in keras_cases.py), plus the
checks that need no TF: leaks, threads, pickling, the flat path and host syncs."""
import copy
import gc
import math
import pathlib
import pickle
import sys
import threading
import tracemalloc
import warnings
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gputape as tf
from tf_fixture import TF_ERROR_BUILTIN, load

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
from keras_cases import CASES, run, to_jsonable  # noqa: E402

keras = tf.keras
RECORDED = load("keras")


def _same(got, want, path="result"):
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _same(g, w, f"{path}[{i}]")
    elif isinstance(want, bool) or isinstance(want, str) or want is None:
        assert got == want, f"{path}: {got!r} != {want!r}"
    elif isinstance(want, (int, float)):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{path}: {got!r} != {want!r}"
        if isinstance(want, float) and math.isnan(want):
            assert math.isnan(got), f"{path}: {got!r} != nan"
        else:
            assert got == pytest.approx(want, rel=2e-6, abs=1e-7), f"{path}: {got!r} != {want!r}"
    else:
        raise AssertionError(f"{path}: unexpected recorded value {want!r}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_example_matches_tensorflow(name):
    code, same_message = CASES[name]
    want = RECORDED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # input_shape's advice, recorded where it matters
        kind, got = run(code, tf, keras)
    if "error" in want:
        assert kind == "error", f"{name}: Keras raises {want['error']}: {want['message']}; gputape gave {got!r}"
        assert isinstance(got, TF_ERROR_BUILTIN[want["error"]]), f"{name}: {type(got).__name__}: {got}"
        if same_message:
            assert str(got).splitlines()[0] == want["message"]
    else:
        assert kind == "value", f"{name}: gputape raised {type(got).__name__}: {got}"
        _same(to_jsonable(got), want["value"])


# ---------------------------------------------------------------- kind 1: the flat path honours every option
FLAT_OPTIONS = [dict(clipnorm=1.0), dict(global_clipnorm=0.5), dict(clipvalue=0.1), dict(weight_decay=0.3),
                dict(use_ema=True, ema_overwrite_frequency=2), dict(gradient_accumulation_steps=2),
                dict(loss_scale_factor=8.0)]


@pytest.mark.parametrize("options", FLAT_OPTIONS, ids=lambda o: ",".join(o))
@pytest.mark.parametrize("make", [keras.optimizers.SGD, keras.optimizers.Adam, keras.optimizers.RMSprop,
                                  keras.optimizers.Adagrad])
def test_flat_path_honours_base_options(make, options):
    rng = np.random.default_rng(3)
    ref = [tf.Variable(rng.normal(size=s).astype(np.float32)) for s in [(3, 2), (4,)]]
    flat = [tf.Variable(v.numpy()) for v in ref]
    o_ref, o_flat = make(0.1, **options), make(0.1, flat=True, **options)
    for _ in range(4):
        grads = [rng.normal(size=v.shape).astype(np.float32) * 3 for v in ref]
        o_ref.apply_gradients(zip([tf.constant(g) for g in grads], ref))
        o_flat.apply_gradients(zip([tf.constant(g) for g in grads], flat))
    assert o_flat._flat is not None
    for a, b in zip(ref, flat):
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    for a, b in zip(o_ref.variables, o_flat.variables):
        np.testing.assert_array_equal(b.numpy(), a.numpy())


# ---------------------------------------------------------------- kind 9: state listed, pickled, copied
@pytest.mark.parametrize("flat", [False, True])
def test_optimizer_state_pickles_and_deep_copies(flat):
    w = tf.Variable([1.0, -2.0], name="w")
    opt = keras.optimizers.Adam(0.1, flat=flat)
    opt.apply_gradients([(tf.constant([0.5, 0.5]), w)])
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert [v.name for v in clone.variables] == [v.name for v in opt.variables]
        for a, b in zip(opt.variables, clone.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        w2 = clone._trainable_variables[0]                # the copy carries its own copy of w
        clone.apply_gradients([(tf.constant([0.5, 0.5]), w2)])
    opt.apply_gradients([(tf.constant([0.5, 0.5]), w)])
    np.testing.assert_array_equal(w2.numpy(), w.numpy())
    assert int(opt.iterations.numpy()) == 2


def test_optimizer_step_makes_no_host_read_of_device_state(monkeypatch):
    """The learning rate and step count are never read back from the device in a step (on CuPy a
    read is a sync): Variable.numpy / __float__ must not run inside apply_gradients."""
    w = tf.Variable([1.0, 2.0])
    opt = keras.optimizers.Adam(0.1, clipnorm=1.0, weight_decay=0.1, use_ema=True)
    calls = []
    for meth in ("numpy", "__float__", "__bool__", "__int__"):
        if hasattr(tf.Variable, meth):
            orig = getattr(tf.Variable, meth)
            monkeypatch.setattr(tf.Variable, meth, lambda self, *a, _o=orig, _m=meth: calls.append(_m) or _o(self, *a))
    for _ in range(3):
        opt.apply_gradients([(tf.constant([1.0, -1.0]), w)])
    assert calls == []


# ---------------------------------------------------------------- kind 10: one random stream per Dropout
def test_seeded_dropout_draws_from_one_stream_and_does_not_grow():
    layer = keras.layers.Dropout(0.5, seed=1)
    x = tf.ones((8, 8))
    masks = [layer(x, training=True).numpy() for _ in range(3)]
    assert not np.array_equal(masks[0], masks[1])                   # a new mask per call
    again = keras.layers.Dropout(0.5, seed=1)
    np.testing.assert_array_equal(again(x, training=True).numpy(), masks[0])   # and the run repeats
    from gputape.ops.creation import random as _random
    gens_before = len(_random._op_gens)
    for _ in range(200):
        layer(x, training=True)
    tracemalloc.start()
    for _ in range(500):
        layer(x, training=True)
    gc.collect()
    before = tracemalloc.take_snapshot()
    for _ in range(2000):
        layer(x, training=True)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(f"seeded Dropout: {growth / 2000:.1f} bytes/call traced growth")
    assert growth < 2000 * 50, f"{growth} bytes over 2000 calls"
    assert len(_random._op_gens) == gens_before


def test_dropout_zeroes_inf_and_keeps_gradient():
    layer = keras.layers.Dropout(0.5, seed=3)
    x = tf.Variable([[np.inf, 1.0, 2.0, 3.0] * 4])
    with tf.GradientTape() as t:
        y = layer(x, training=True)
        loss = tf.reduce_sum(tf.where(tf.math.is_finite(y), y, tf.zeros_like(y)))
    g = t.gradient(loss, x).numpy()
    kept = y.numpy() != 0
    assert not np.isnan(y.numpy()).any()
    np.testing.assert_array_equal(g, np.where(kept & np.isfinite(x.numpy()), 2.0, 0.0))
    assert (~kept).any() and (kept & ~np.isfinite(x.numpy())).sum() + (~kept & ~np.isfinite(x.numpy())).sum() == 4


# ---------------------------------------------------------------- kind 11: names per thread
def test_layer_names_are_per_thread_with_8_threads():
    """Keras 3 counts names per thread; each of 8 threads building 15 models gets Keras's names."""
    def names_of_one_thread():
        keras.backend.clear_session()
        out = []
        for _ in range(15):
            m = keras.Sequential([keras.layers.Dense(2), keras.layers.Dense(2)])
            m(tf.ones((1, 2)))
            out.append([m.name] + [l.name for l in m.layers] + [v.name for v in m.weights])
        return out

    want = names_of_one_thread()
    got = {}
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        got[i] = names_of_one_thread()
    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(got[i] == want for i in range(8))
    assert want[1] == ["sequential_1", "dense_2", "dense_3", "sequential_1/dense_2/kernel:0",
                       "sequential_1/dense_2/bias:0", "sequential_1/dense_3/kernel:0", "sequential_1/dense_3/bias:0"]


# ---------------------------------------------------------------- property: clipping as Keras's formulas
@settings(max_examples=int(os.environ.get("GPUTAPE_HYPOTHESIS_EXAMPLES", "60")), deadline=None, database=None)
@given(st.lists(st.lists(st.floats(-1e3, 1e3, width=32), min_size=1, max_size=5), min_size=1, max_size=3),
       st.sampled_from(["clipnorm", "global_clipnorm", "clipvalue"]), st.floats(0.015625, 100.0, width=32))
def test_sgd_clipping_follows_keras_formula(grads, option, c):
    """SGD(1.0, <option>=c) moves each variable by minus the clipped gradient: per-tensor norm,
    global norm or element value, as Keras 3's base optimizer computes them (in float64 here)."""
    gs = [np.array(g, np.float32) for g in grads]
    vs = [tf.Variable(np.zeros_like(g)) for g in gs]
    keras.optimizers.SGD(1.0, **{option: float(c)}).apply_gradients(zip([tf.constant(g) for g in gs], vs))
    g64 = [g.astype(np.float64) for g in gs]
    if option == "clipnorm":
        want = [g * c / max(np.sqrt((g * g).sum()), c) for g in g64]
    elif option == "global_clipnorm":
        norm = np.sqrt(sum((g * g).sum() for g in g64))
        want = [g * (c * min(1 / norm if norm else np.inf, 1 / c)) for g in g64]
    else:
        want = [np.clip(g, -c, c) for g in g64]
    for v, w in zip(vs, want):
        np.testing.assert_allclose(v.numpy(), -w, rtol=2e-5, atol=1e-5 * max(1.0, c))
