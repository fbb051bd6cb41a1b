"""Issue 12, "eager first": the eager W2 step's shortcuts give what the general paths give.

Each shortcut taken by the usual call (a Dense layer on a 2-D float input, a flat list of sources,
a Variable read once per step, the usual dense float gradient in ``apply_gradients``, a 2-D sparse
cross-entropy, a remembered ``trainable_weights``) is compared here with the path it skips, bit for
bit, and the cache's invalidation is exercised by every change that can alter its answer.
"""
import numpy as np
import pytest

import gputape as tf

keras = tf.keras


def _mlp(seed=0, act="relu"):
    rng = np.random.default_rng(seed)
    model = keras.Sequential([keras.layers.Dense(5, activation=act), keras.layers.Dense(3)])
    x = tf.constant(rng.standard_normal((4, 6)).astype(np.float32))
    model(x)
    return model, x, tf.constant(np.array([0, 2, 1, 2]))


def _loss(model, x, y):
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=model(x)))


# ---------------------------------------------------------------- trainable_weights, remembered

def test_trainable_weights_follow_freezing_adding_and_popping():
    model, x, _ = _mlp()
    first = model.trainable_weights
    assert [v.name for v in first] == [v.name for v in model.weights]
    first.append("not a variable")                      # a copy: the next read is unaffected
    assert len(model.trainable_weights) == 4
    model.layers[0].trainable = False
    assert model.trainable_weights == model.layers[1].trainable_weights
    assert len(model.non_trainable_weights) == 2
    model.layers[0].trainable = True
    assert len(model.trainable_weights) == 4
    model.trainable = False
    assert model.trainable_weights == []
    model.trainable = True
    model.add(keras.layers.Dense(2))
    model(x)
    assert len(model.trainable_weights) == 6
    model.pop()
    assert len(model.trainable_weights) == 4


def test_trainable_weights_see_a_plain_module_gaining_a_variable():
    class Holder(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.mod = tf.Module()

        def build(self, shape):
            self.w = self.add_weight(shape=(1,))

        def call(self, x):
            return x

    h = Holder()
    h(np.ones((1, 1), np.float32))
    assert len(h.trainable_weights) == 1
    h.mod.v = tf.Variable(1.0)                          # tracked by the Module, not by the layer's tracker
    assert len(h.trainable_weights) == 2


def test_trainable_weights_of_an_overridden_weights_property_are_not_remembered():
    class Odd(keras.layers.Layer):
        extra = []

        @property
        def weights(self):
            return super().weights + self.extra

    o = Odd()
    o.v = tf.Variable(1.0)
    assert len(o.trainable_weights) == 1
    Odd.extra = [tf.Variable(2.0)]
    assert len(o.trainable_weights) == 2


# ---------------------------------------------------------------- Dense's usual call

@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", None])
def test_dense_usual_call_equals_its_ops(act):
    model, x, y = _mlp(act=act)
    d0 = model.layers[0]
    want = tf.nn.bias_add(tf.matmul(x, d0.kernel), d0.bias)
    want = {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid, None: lambda t: t}[act](want)
    from gputape import backend
    if backend.name == "cupy" and act in ("tanh", "sigmoid"):
        # on CuPy Dense's fused bias_act kernel computes tanh/sigmoid within a few ulps of CuPy's own
        # (README "What is promised on CuPy"); on NumPy both are the same NumPy calls
        np.testing.assert_allclose(d0(x).numpy(), want.numpy(), rtol=2e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(d0(x).numpy(), want.numpy())


def test_dense_other_inputs_still_take_the_checked_path():
    d = keras.layers.Dense(2)
    d(np.ones((3, 4), np.float32))
    assert d(np.ones((3, 4), np.int64)).dtype == tf.float32              # ints cast to the kernel's dtype
    assert tuple(d(np.ones((2, 3, 4), np.float32)).shape) == (2, 3, 2)  # rank 3: tensordot
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        d(np.ones((3, 5), np.float32))


# ---------------------------------------------------------------- tape and sweep shortcuts

def test_gradient_of_a_list_equals_a_tuple_and_nested_sources():
    model, x, y = _mlp()
    vs = model.trainable_variables
    got = []
    for sources in (list(vs), tuple(vs), [vs[:2], {"rest": vs[2:]}]):
        with tf.GradientTape() as tape:
            loss = _loss(model, x, y)
        got.append([g.numpy() for g in tf.nest.flatten(tape.gradient(loss, sources))])
    assert isinstance(got[0], list)
    for other in got[1:]:
        for a, b in zip(got[0], other):
            np.testing.assert_array_equal(a, b)


def test_a_variable_read_twice_sums_its_cotangents_in_sweep_order():
    v = tf.Variable(np.array([1.5, -2.0], np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v) + tf.reduce_sum(tf.sin(v))
    g = tape.gradient(y, [v])[0]
    np.testing.assert_allclose(g.numpy(), 2 * v.numpy() + np.cos(v.numpy()), rtol=1e-6)
    with tf.GradientTape(persistent=True) as tape:       # jacobian: batch axes on the read's cotangent
        y = v * v
    np.testing.assert_allclose(tape.jacobian(y, v).numpy(), np.diag(2 * v.numpy()), rtol=1e-6)


def test_sparse_xent_2d_gather_equals_the_batched_one():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((2, 5, 4)).astype(np.float32)
    labels = rng.integers(0, 4, (2, 5))
    batched = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits).numpy()
    for i in range(2):
        row = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels[i], logits=logits[i]).numpy()
        np.testing.assert_array_equal(row, batched[i])


# ---------------------------------------------------------------- optimizer shortcuts

@pytest.mark.parametrize("make", [lambda: keras.optimizers.Adam(0.01), lambda: keras.optimizers.SGD(0.1),
                                  lambda: keras.optimizers.Adam(0.01, amsgrad=True)])
def test_optimizer_steps_equal_with_tensor_and_array_gradients(make):
    """A Tensor gradient takes the straight path; a NumPy array gradient the converting one."""
    results = []
    start = None
    for wrap in (tf.constant, np.asarray):
        model, x, y = _mlp(seed=3)
        if start is None:
            start = model.get_weights()
        model.set_weights(start)
        opt = make()
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = _loss(model, x, y)
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip([wrap(g.numpy()) for g in grads], model.trainable_variables))
        results.append([w.numpy() for w in model.weights])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_adam_mixed_dtypes_in_one_step_use_each_dtypes_constants():
    v32 = tf.Variable(np.array([1.0, 2.0], np.float32))
    v64 = tf.Variable(np.array([1.0, 2.0], np.float64))
    opt = keras.optimizers.Adam(0.1)
    for _ in range(3):
        opt.apply_gradients([(tf.constant(np.array([0.5, -1.0], np.float32)), v32),
                             (tf.constant(np.array([0.5, -1.0], np.float64)), v64)])
    ref32 = tf.Variable(np.array([1.0, 2.0], np.float32))
    ref64 = tf.Variable(np.array([1.0, 2.0], np.float64))
    o32, o64 = keras.optimizers.Adam(0.1), keras.optimizers.Adam(0.1)
    for _ in range(3):
        o32.apply_gradients([(tf.constant(np.array([0.5, -1.0], np.float32)), ref32)])
        o64.apply_gradients([(tf.constant(np.array([0.5, -1.0], np.float64)), ref64)])
    np.testing.assert_array_equal(v32.numpy(), ref32.numpy())
    np.testing.assert_array_equal(v64.numpy(), ref64.numpy())
