"""Issue 8's layers against Keras 3.15 (TF 2.21): every case of tf_fixtures/layers_cases.py's
LAYER_CASES run under gputape -- outputs, gradients w.r.t. inputs and trainable weights, weights
after the call (BatchNormalization's moving statistics), weight paths/shapes/trainability (Keras's
order), ``count_params`` and ``get_config`` -- against the record made by gen_layers.py; plus the
Keras signatures of these layers, and the behaviour of the random layers in training."""
import json
import pathlib
import sys
import warnings

import numpy as np
import pytest

import gputape as tf
from tf_fixture import load

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
from layers_cases import CONFIG_DIFFERENCES, LAYER_CASES, SIGNATURE_LAYERS, run_layer_case  # noqa: E402

keras = tf.keras
RECORDED = load("layers")


def _close(got, want, what, rtol=2e-5, atol=2e-6):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol=rtol,
                               atol=atol, err_msg=what)


def _json(x):
    return json.loads(json.dumps(x))


def test_every_case_recorded():
    assert {"layer:" + n for n in LAYER_CASES} <= set(RECORDED)


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_layer_matches_keras(name):
    rec = RECORDED["layer:" + name]
    got = run_layer_case(tf, keras, np, name)
    assert got["shape"] == rec["shape"]
    _close(got["y"], rec["y"], f"{name}: output")
    assert len(got["grads"]) == len(rec["grads"]), name
    for i, (g, w) in enumerate(zip(got["grads"], rec["grads"])):
        assert (g is None) == (w is None), f"{name}: gradient {i} None-ness"
        if w is not None:
            _close(g, w, f"{name}: gradient {i}", rtol=5e-5, atol=1e-5)
    assert got["weights"] == rec["weights"], name
    for i, (g, w) in enumerate(zip(got["weights_after"], rec["weights_after"])):
        _close(g, w, f"{name}: weight {i} after the call")
    assert got["count_params"] == rec["count_params"]
    if name not in CONFIG_DIFFERENCES:
        assert _json(got["config"]) == rec["config"], name


def test_lambda_config_keeps_the_function():
    """Deliberate difference: Keras 3 stores a lambda's bytecode; gputape keeps the function object."""
    f = lambda t: t * 2.0   # noqa: E731
    layer = keras.layers.Lambda(f, name="lam")
    cfg = layer.get_config()
    assert cfg["function"] is f
    again = keras.layers.Lambda.from_config(cfg)
    assert again(tf.constant([1.0])).numpy().tolist() == [2.0]


# ---------------------------------------------------------------- signatures
def _sig(name):
    return RECORDED["signature:" + name]["value"]


@pytest.mark.parametrize("name", SIGNATURE_LAYERS)
def test_every_keras_argument_exists(name):
    import inspect
    cls = getattr(keras.layers, name)
    ours = inspect.signature(cls.__init__).parameters
    for pname, kind, default in _sig(name):
        if kind in ("VAR_POSITIONAL", "VAR_KEYWORD"):
            continue
        assert pname in ours, f"{name}: no `{pname}`"
        if default != "<required>" and not (isinstance(default, str) and default.startswith("<")):
            d = ours[pname].default
            assert _json(d) == default or (pname == "embeddings_initializer"), (name, pname, d, default)


SAMPLE = {"input_dim": 3, "output_dim": 2, "filters": 2, "kernel_size": 2, "pool_size": 2, "target_shape": (2,),
          "dims": (1,), "n": 2, "axes": 1, "activation": "relu", "function": abs, "scale": 1.0, "rate": 0.5,
          "stddev": 0.1}


@pytest.mark.parametrize("name", SIGNATURE_LAYERS)
def test_unknown_keyword_is_refused_as_keras(name):
    cls = getattr(keras.layers, name)
    kw = {p: SAMPLE[p] for p, kind, d in _sig(name) if d == "<required>" and kind not in ("VAR_KEYWORD",)}
    if name == "InputLayer":
        kw = {"shape": (2,)}
    takes_kwargs = any(kind == "VAR_KEYWORD" for _, kind, _ in _sig(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls(**kw)
        with pytest.raises(ValueError if takes_kwargs else TypeError) as e:
            cls(**kw, zz_not_a_keras_argument=1)
    assert "zz_not_a_keras_argument" in str(e.value)


@pytest.mark.parametrize("make", [
    lambda: keras.layers.Embedding(3, 2, mask_zero=True),
    lambda: keras.layers.BatchNormalization(renorm=True),
    lambda: keras.layers.UpSampling2D(interpolation="bilinear"),
    lambda: keras.layers.Lambda(abs, mask=lambda x, m: m),
])
def test_options_gputape_lacks_raise_not_implemented(make):
    with pytest.raises(NotImplementedError):
        make()


@pytest.mark.parametrize("make,match", [
    (lambda: keras.layers.Conv2D(3, 2, groups=2), "evenly divisible"),
    (lambda: keras.layers.Conv1D(2, 2, padding="full"), "padding"),
    (lambda: keras.layers.Conv2D(2, 2, padding="causal"), "padding"),
    (lambda: keras.layers.Permute((1, 3)), "consecutive"),
    (lambda: keras.layers.Reshape((-1, -1)), "at most one"),
    (lambda: keras.layers.ReLU(max_value=-1.0), "max_value"),
    (lambda: keras.layers.LeakyReLU(negative_slope=-0.1), "negative_slope"),
    (lambda: keras.layers.Dot(axes=(1, 2, 3)), "two elements"),
    (lambda: keras.layers.Normalization(mean=[1.0]), "both `mean` and `variance`"),
    (lambda: keras.layers.Embedding(0, 2), "input_dim"),
])
def test_bad_arguments_raise_valueerror(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_raise_before_compute():
    with pytest.raises(ValueError, match="groups"):
        keras.layers.Conv2D(4, 2, groups=2)(tf.zeros([1, 3, 3, 3]))
    with pytest.raises(ValueError, match="ndim=3"):
        keras.layers.Conv1D(2, 2)(tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        keras.layers.Subtract()([tf.zeros([1, 2])] * 3)
    with pytest.raises(ValueError, match="list of inputs"):
        keras.layers.Add()(tf.zeros([1, 2]))
    with pytest.raises(ValueError, match="total size"):
        keras.layers.Reshape((4,))(tf.zeros([2, 3]))
    with pytest.raises(ValueError, match="Incompatible input shapes"):
        keras.layers.Dot(axes=1)([tf.zeros([2, 3]), tf.zeros([2, 4])])
    with pytest.raises(ValueError):
        keras.layers.Embedding(3, 2)(np.array([[0, 3]])).numpy()      # read: on CuPy the check raises at the read


# ---------------------------------------------------------------- Normalization.adapt
def test_normalization_adapt_on_numpy_matches_numpy():
    data = np.random.default_rng(0).normal(2.0, 3.0, size=(50, 3)).astype("float32")
    layer = keras.layers.Normalization()
    layer.adapt(data)
    assert [w.path for w in layer.weights] == ["normalization/mean", "normalization/variance",
                                               "normalization/count"][:len(layer.weights)] or \
        [w.path.split("/")[-1] for w in layer.weights] == ["mean", "variance", "count"]
    _close(layer.weights[0].numpy(), data.mean(0), "mean")
    _close(layer.weights[1].numpy(), data.var(0), "variance")
    out = layer(data).numpy()
    _close(out.mean(0), np.zeros(3), "normalized mean", atol=1e-5)
    _close(out.std(0), np.ones(3), "normalized std", rtol=1e-4)
    inv = keras.layers.Normalization(invert=True)
    inv.adapt(data)
    _close(inv(out).numpy(), data, "invert", rtol=1e-5, atol=1e-5)


def test_normalization_adapt_axis_none_is_one_scalar():
    data = np.arange(12, dtype="float32").reshape(4, 3)
    layer = keras.layers.Normalization(axis=None)
    layer.adapt(data)
    _close(layer(data).numpy(), (data - data.mean()) / data.std(), "axis=None")


# ---------------------------------------------------------------- regularizers, losses, frozen layers
def test_weight_regularizer_losses_follow_trainable():
    layer = keras.layers.Dense(2, kernel_regularizer=lambda w: tf.reduce_sum(w * w))
    layer(tf.ones([1, 3]))
    (loss,) = layer.losses
    _close(loss.numpy(), (layer.kernel.numpy() ** 2).sum(), "L2 of the kernel")
    layer.trainable = False
    assert layer.losses == []


def test_conv_and_bn_regularizers_reach_model_losses():
    x = keras.Input((4, 4, 1))
    h = keras.layers.Conv2D(2, 2, kernel_regularizer=lambda w: tf.reduce_sum(tf.abs(w)))(x)
    h = keras.layers.BatchNormalization(gamma_regularizer=lambda g: tf.reduce_sum(g))(h)
    m = keras.Model(x, h)
    assert len(m.losses) == 2


def test_frozen_batchnorm_runs_in_inference_mode():
    """Keras 3: a non-trainable BatchNormalization uses its moving statistics even with training=True."""
    bn = keras.layers.BatchNormalization()
    x = tf.constant(np.random.default_rng(1).normal(size=(8, 3)).astype("float32"))
    bn(x)
    bn.trainable = False
    before = [w.numpy().copy() for w in bn.weights]
    np.testing.assert_allclose(bn(x, training=True).numpy(), bn(x, training=False).numpy())
    for b, w in zip(before, bn.weights):
        np.testing.assert_array_equal(b, w.numpy())


def test_trainable_false_freezes_sub_layers_of_a_model():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.BatchNormalization()])
    x = keras.Input((3,))
    m = keras.Model(x, keras.layers.Dense(1)(inner(x)))
    inner.trainable = False
    assert len(m.trainable_weights) == 2 and len(m.non_trainable_weights) == 6
    assert all(not w.trainable for w in inner.weights)


# ---------------------------------------------------------------- random layers (TF's draws differ)
def test_spatial_dropout_drops_whole_channels():
    layer = keras.layers.SpatialDropout2D(0.5, seed=3)
    x = tf.ones([4, 5, 5, 6])
    y = layer(x, training=True).numpy()
    per_channel = y.reshape(4, 25, 6)
    assert np.all((per_channel == 0).all(1) | (per_channel == 2.0).all(1))
    assert 0 < (per_channel == 0).all(1).sum() < 24
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_gaussian_noise_statistics_and_inference_identity():
    layer = keras.layers.GaussianNoise(0.5, seed=1)
    x = tf.zeros([200, 50])
    y = layer(x, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 0.5) < 0.02
    np.testing.assert_array_equal(layer(x).numpy(), 0.0)


def test_embedding_gradient_is_dense_and_sums_repeats():
    layer = keras.layers.Embedding(4, 2)
    ids = np.array([[1, 1, 3]])
    with tf.GradientTape() as tape:
        y = layer(ids)
    g = tape.gradient(y, layer.embeddings)
    np.testing.assert_allclose(tf.convert_to_tensor(g).numpy(), [[0, 0], [2, 2], [0, 0], [1, 1]])


def test_embedding_weights_argument_sets_the_table():
    table = np.arange(6, dtype="float32").reshape(3, 2)
    layer = keras.layers.Embedding(3, 2, weights=[table])
    np.testing.assert_array_equal(layer(np.array([2, 0])).numpy(), table[[2, 0]])


# ---------------------------------------------------------------- second order (float64 finite differences)
SECOND_ORDER = {
    "batchnorm_training": (lambda: keras.layers.BatchNormalization(dtype="float64"), (5, 3), {"training": True}),
    "layernorm_axes": (lambda: keras.layers.LayerNormalization(axis=[1, 2], dtype="float64"), (2, 3, 4), {}),
    "conv1d_causal_groups": (lambda: keras.layers.Conv1D(4, 2, padding="causal", groups=2, activation="tanh",
                                                         dtype="float64"), (2, 5, 4), {}),
    "conv2d_strided": (lambda: keras.layers.Conv2D(2, 2, strides=2, dtype="float64"), (1, 5, 5, 2), {}),
    "avgpool2d_same": (lambda: keras.layers.AveragePooling2D(3, strides=2, padding="same", dtype="float64"),
                       (1, 5, 4, 2), {}),
    "dot_normalize": (lambda: keras.layers.Dot(axes=-1, normalize=True, dtype="float64"), [(2, 4), (2, 4)], {}),
    "softmax": (lambda: keras.layers.Softmax(axis=1, dtype="float64"), (2, 3, 2), {}),
    "upsampling": (lambda: keras.layers.UpSampling2D(dtype="float64"), (1, 2, 2, 1), {}),
    "normalization": (lambda: keras.layers.Normalization(mean=[1.0, 2.0], variance=[2.0, 0.5], dtype="float64"),
                      (3, 2), {}),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_layer_second_order_gradients(name):
    make, shapes, kw = SECOND_ORDER[name]
    layer = make()
    rng = np.random.default_rng(5)
    many = isinstance(shapes, list)
    args = [rng.standard_normal(s) for s in (shapes if many else [shapes])]

    def f(*xs):
        return layer(list(xs) if many else xs[0], **kw)

    tf.testing.check_grads(f, args, order=2, modes=("rev",), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", SIGNATURE_LAYERS)
def test_every_keras_default_is_accepted(name):
    """Each Keras 3.15 argument, given its Keras default explicitly, constructs the layer."""
    cls = getattr(keras.layers, name)
    sig = _sig(name)
    kw = {p: SAMPLE[p] for p, kind, d in sig if d == "<required>" and kind != "VAR_KEYWORD"}
    if name == "InputLayer":
        kw = {"shape": (2,)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p, kind, d in sig:
            if kind in ("VAR_POSITIONAL", "VAR_KEYWORD") or d == "<required>" or p in kw:
                continue
            if isinstance(d, str) and d.startswith("<"):
                continue
            cls(**dict(kw, **{p: tuple(d) if isinstance(d, list) else d}))


@pytest.mark.parametrize("make,shape", [
    (lambda: keras.layers.Dense(3, kernel_constraint="non_neg"), (2, 4)),
    (lambda: keras.layers.Conv2D(2, 2, kernel_constraint="non_neg"), (1, 3, 3, 2)),
    (lambda: keras.layers.Conv1D(2, 2, kernel_constraint="non_neg"), (1, 3, 2)),
    (lambda: keras.layers.Embedding(4, 2, embeddings_constraint="non_neg"), None),
    (lambda: keras.layers.BatchNormalization(gamma_constraint="non_neg"), (4, 3)),
    (lambda: keras.layers.LayerNormalization(gamma_constraint="non_neg"), (4, 3)),
])
def test_constraints_are_applied_after_a_step_or_refused(make, shape):
    """With keras.constraints present, the optimizer applies the weight's constraint after each step
    (Keras 3); without it, NotImplementedError naming the argument -- never silently ignored."""
    x = np.array([[0, 1, 3]]) if shape is None else np.random.default_rng(0).normal(size=shape).astype("float32")
    try:
        layer = make()
        layer(x)
    except NotImplementedError as e:
        assert "constraint" in str(e)
        return
    w = layer.trainable_weights[0]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, training=True) if "Normalization" in type(layer).__name__ else layer(x))
    grads = tape.gradient(loss, layer.trainable_weights)
    grads = [tf.ones_like(w) * 100.0 if g is None else tf.sign(tf.convert_to_tensor(g)) * 100.0 + 100.0
             for g, w in zip(grads, layer.trainable_weights)]
    keras.optimizers.SGD(1.0).apply_gradients(zip(grads, layer.trainable_weights))
    assert float(tf.reduce_min(w)) >= 0.0
    cfg = layer.get_config()
    assert any(isinstance(v, dict) and v.get("class_name") == "NonNeg" for v in cfg.values())
