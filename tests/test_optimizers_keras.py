"""Optimizers, layers and losses against values printed by TensorFlow 2.21 / Keras 3.15.

Variable names follow the underlying tf.Variable of Keras 3 ('dense/kernel:0',
'sequential/dense/kernel:0'), which is what ``tape.watched_variables()`` shows in TF.
"""
import warnings

import numpy as np
import pytest

import gputape as tf
from gputape.keras import layers as _layers

keras = tf.keras


def _train(opt, w0, steps):
    w = tf.Variable(w0)
    for _ in range(steps):
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(w * w)
        it = opt.apply_gradients([(t.gradient(loss, w), w)])
    return w.numpy(), it


@pytest.mark.parametrize("make,w0,steps,want", [
    (lambda: keras.optimizers.SGD(0.1), [1.0, 2.0], 1, [0.8, 1.6]),
    (lambda: keras.optimizers.SGD(0.1, momentum=0.9), 1.0, 3, 0.062000006),
    (lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True), [1.0, -2.0], 3, [-0.10835195, 0.21670389]),
    (lambda: keras.optimizers.Adam(0.1), [1.0, -2.0], 2, [0.80041414, -1.8001684]),
    (lambda: keras.optimizers.Adam(0.1, amsgrad=True), [1.0, -2.0], 3, [0.70158863, -1.7006257]),
    (lambda: keras.optimizers.RMSprop(0.1), [1.0, -2.0], 3, [0.36918062, -1.308718]),
    (lambda: keras.optimizers.RMSprop(0.1, momentum=0.5, centered=True), [1.0, -2.0], 3, [0.020840913, -0.89694256]),
    (lambda: keras.optimizers.Adagrad(0.1), [1.0, -2.0], 3, [0.7822992, -1.7762966]),
], ids=["sgd", "momentum", "nesterov", "adam", "amsgrad", "rmsprop", "rmsprop_centered_momentum", "adagrad"])
def test_optimizer_values_match_keras(make, w0, steps, want):
    opt = make()
    w, it = _train(opt, w0, steps)
    assert w.dtype == np.float32
    # RMSprop is 1-2 ulp off: gputape forms 1 - rho in float32, Keras in double then rounds
    rms = isinstance(opt, keras.optimizers.RMSprop)
    np.testing.assert_allclose(w, want, rtol=5e-7 if rms else 2e-7, atol=1e-7 if rms else 1e-8)
    assert it is opt.iterations and int(it.numpy()) == steps


def test_apply_gradients_accepts_zip_and_list():
    a, b = tf.Variable([1.0]), tf.Variable([2.0])
    opt = keras.optimizers.SGD(0.5)
    opt.apply_gradients(zip([tf.constant([1.0]), tf.constant([2.0])], [a, b]))
    opt.apply_gradients([(tf.constant([1.0]), a), (tf.constant([2.0]), b)])
    assert a.numpy().tolist() == [0.0] and b.numpy().tolist() == [0.0]


def test_none_gradient_warns_and_skips():
    a, b = tf.Variable(1.0), tf.Variable(2.0, name="unused")
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['unused:0'\] when minimizing "
                                         r"the loss. If using `model.compile\(\)`, did you forget to provide a "
                                         r"`loss` argument\?"):
        keras.optimizers.SGD(0.1).apply_gradients([(tf.constant(1.0), a), (None, b)])
    assert a.numpy() == np.float32(0.9) and b.numpy() == 2.0


def test_all_none_gradients_raise_and_list_the_variables():
    w = tf.Variable(1.0, name="w")
    with pytest.raises(ValueError, match=r"No gradients provided for any variable.*'w:0'"):
        keras.optimizers.SGD(0.1).apply_gradients([(None, w)])


def test_optimizer_is_bound_to_its_first_variables():
    opt = keras.optimizers.SGD(0.1)
    opt.apply_gradients([(tf.constant(1.0), tf.Variable(1.0))])
    with pytest.raises(ValueError, match=r"Unknown variable: <tf.Variable 'Variable:0' shape=\(\) dtype=float32, "
                                         r"numpy=1.0>. This optimizer can only be called for the variables it was "
                                         r"originally built with."):
        opt.apply_gradients([(tf.constant(1.0), tf.Variable(1.0))])


def test_gradient_shape_mismatch():
    with pytest.raises(ValueError, match=r"Cannot update variable .* with shape \[2\] using a Tensor with shape "
                                         r"\[3\], shapes must be equal."):
        keras.optimizers.SGD(0.1).apply_gradients([(tf.ones(3), tf.Variable([1.0, 2.0]))])


def test_minimize_with_a_callable_loss():
    """Keras 3 dropped minimize(); gputape keeps it for TF 2.15-era tutorials."""
    w = tf.Variable([1.0, 2.0])
    keras.optimizers.SGD(0.1).minimize(lambda: tf.reduce_sum(w * w), [w])
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])


# ---------------------------------------------------------------- layers
@pytest.fixture
def fresh_names(monkeypatch):
    """Layer names count per thread, as in Keras 3 (whose clear_session resets them)."""
    from gputape.keras import naming
    naming.reset_uids()


def test_dense_names_shapes_and_build(fresh_names):
    layer = keras.layers.Dense(2)
    assert layer.trainable_variables == [] and layer.variables == []
    x = tf.constant([[1.0, 2.0, 3.0]])
    with tf.GradientTape() as t:
        y = layer(x)
        loss = tf.reduce_mean(y ** 2.0)
    assert [v.name for v in layer.trainable_variables] == ["dense/kernel:0", "dense/bias:0"]
    assert [v.name for v in t.watched_variables()] == ["dense/kernel:0", "dense/bias:0"]
    assert layer.kernel.shape == (3, 2) and layer.bias.shape == (2,)
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    np.testing.assert_allclose(y.numpy(), x.numpy() @ k + b, rtol=1e-6)
    gk, gb = t.gradient(loss, layer.trainable_variables)
    yv = x.numpy() @ k + b
    np.testing.assert_allclose(gk.numpy(), x.numpy().T @ yv, rtol=1e-5)
    np.testing.assert_allclose(gb.numpy(), yv[0], rtol=1e-5)
    second = keras.layers.Dense(2)
    second(x)
    assert [v.name for v in second.trainable_variables] == ["dense_1/kernel:0", "dense_1/bias:0"]


def test_dense_glorot_range_and_zero_bias(fresh_names):
    layer = keras.layers.Dense(50)
    layer(tf.ones((1, 40)))
    limit = np.sqrt(6 / 90)
    k = layer.kernel.numpy()
    assert np.all(np.abs(k) <= limit) and k.std() > limit / 3
    assert np.all(layer.bias.numpy() == 0)


def test_dense_activation_and_frozen_layer(fresh_names):
    layer = keras.layers.Dense(3, activation="relu")
    x = tf.constant([[1.0, -2.0]])
    y = layer(x)
    np.testing.assert_allclose(y.numpy(), np.maximum(x.numpy() @ layer.kernel.numpy() + layer.bias.numpy(), 0),
                               rtol=1e-6)
    layer.trainable = False
    assert layer.trainable_variables == [] and len(layer.non_trainable_variables) == 2


def test_sequential(fresh_names):
    model = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    x = tf.constant([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    with tf.GradientTape() as t:
        y = model(x)
        loss = tf.reduce_mean(y ** 2.0)
    names = [v.name for v in model.trainable_variables]
    assert names == ["sequential/dense/kernel:0", "sequential/dense/bias:0",
                     "sequential/dense_1/kernel:0", "sequential/dense_1/bias:0"]
    k1, b1, k2, b2 = [v.numpy() for v in model.trainable_variables]
    np.testing.assert_allclose(y.numpy(), np.maximum(x.numpy() @ k1 + b1, 0) @ k2 + b2, rtol=1e-5)
    grads = t.gradient(loss, model.trainable_variables)
    assert [g.shape for g in grads] == [(3, 4), (4,), (4, 1), (1,)]
    assert model.count_params() == 3 * 4 + 4 + 4 + 1


# ---------------------------------------------------------------- losses
Y2 = tf.constant([2, 0])
LOGITS = tf.constant([[1.0, 2.0, 3.0], [1.0, 0.5, -1.0]])
PROBS = tf.constant([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])


@pytest.mark.parametrize("loss,want", [
    (lambda: keras.losses.MeanSquaredError()(tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([[1.5, 2.0], [2.0, 5.0]])),
     0.5625),
    (lambda: keras.losses.MeanAbsoluteError()(tf.constant([[1.0, 2.0]]), tf.constant([[1.5, 0.0]])), 1.25),
    (lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True)(Y2, LOGITS), 0.48128146),
    (lambda: keras.losses.SparseCategoricalCrossentropy()(Y2, PROBS), 0.6019864),
    (lambda: keras.losses.SparseCategoricalCrossentropy()(Y2, PROBS * 2.0), 0.640467),
    (lambda: keras.losses.BinaryCrossentropy()(tf.constant([[1.0, 0.0]]), tf.constant([[0.8, 0.3]])), 0.28990924),
    (lambda: keras.losses.BinaryCrossentropy(from_logits=True)(tf.constant([[1.0, 0.0]]), tf.constant([[0.8, -0.3]])),
     0.46272796),
    (lambda: keras.losses.CategoricalCrossentropy(from_logits=True)(tf.constant([[0.0, 1.0, 0.0]]),
                                                                     tf.constant([[0.8, -0.3, 1.0]])), 2.0377679),
], ids=["mse", "mae", "scce_logits", "scce_probs", "scce_unnormalised", "bce", "bce_logits", "cce_logits"])
def test_loss_values(loss, want):
    got = loss()
    assert got.shape == () and got.dtype == tf.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("from_logits,x,want", [
    (True, LOGITS, [[0.045015287, 0.12236424, -0.16737953], [-0.21295151, 0.1741037, 0.038847789]]),
    (False, PROBS, [[0.5, 0.5, -0.5], [-0.33333331, 0.5, 0.5]]),
])
def test_sparse_categorical_crossentropy_gradients(from_logits, x, want):
    v = tf.Variable(x)
    with tf.GradientTape() as t:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(Y2, v)
    np.testing.assert_allclose(t.gradient(loss, v).numpy(), want, rtol=1e-6, atol=1e-7)


def test_probability_losses_clip_and_renormalise():
    p = tf.Variable([1.0, 0.0])
    with tf.GradientTape() as t:
        loss = keras.losses.binary_crossentropy(tf.constant([1.0, 0.0]), p)
    np.testing.assert_allclose(loss.numpy(), 1.1920929e-07, rtol=1e-5)
    assert t.gradient(loss, p).numpy().tolist() == [0.0, 0.0]
    p = tf.Variable([0.3, 0.7])
    with tf.GradientTape() as t:
        loss = keras.losses.categorical_crossentropy(tf.constant([0.0, 1.0]), p)
    np.testing.assert_allclose(loss.numpy(), 0.35667497, rtol=1e-6)
    np.testing.assert_allclose(t.gradient(loss, p).numpy(), [1.0, -0.42857146], rtol=1e-6)


def test_mean_squared_error_function_is_present_like_keras3():
    """Keras 3.15 exports keras.losses.mean_squared_error (an earlier test here said otherwise)."""
    got = keras.losses.mean_squared_error(tf.constant([[1.0, 2.0]]), tf.constant([[1.5, 0.0]]))
    np.testing.assert_allclose(got.numpy(), [2.125])


def test_training_loop_converges():
    tf.random.set_seed(0)
    x = tf.random.normal((64, 3))
    y = tf.matmul(x, tf.constant([[1.0], [-2.0], [0.5]])) + 0.3
    model = keras.Sequential([keras.layers.Dense(1)])
    opt = keras.optimizers.Adam(0.1)
    loss_fn = keras.losses.MeanSquaredError()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(150):
            with tf.GradientTape() as t:
                loss = loss_fn(y, model(x))
            opt.apply_gradients(zip(t.gradient(loss, model.trainable_variables), model.trainable_variables))
    assert loss.numpy() < 1e-3


def test_schedules_return_float32_tensors_as_keras():
    """Keras 3's schedules return a float32 tensor (TF 2.21: ExponentialDecay(1., 2.5, .5)(5) is
    tf.Tensor(0.25)); the optimizer still reads the built-ins' host value with no tensor per step."""
    s = tf.keras.optimizers.schedules
    for sched, step, want in ((s.ExponentialDecay(1.0, 2.5, 0.5), tf.constant(5), 0.25),
                              (s.PiecewiseConstantDecay([1.5], [1.0, 0.5]), 2, 0.5),
                              (s.CosineDecay(1.0, 4.5), 2, 0.58682406)):
        r = sched(step)
        assert isinstance(r, tf.Tensor) and r.dtype == tf.float32 and r.shape == ()
        assert abs(float(r) - want) < 1e-7
