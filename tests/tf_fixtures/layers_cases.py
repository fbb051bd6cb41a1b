"""Issue 8's layers and functional API as small programs run twice: by ``gen_layers.py`` under
TensorFlow 2.21 / Keras 3.15 (recording ``layers.json``) and by ``tests/test_layers_keras.py`` /
``tests/test_functional_api.py`` under gputape.  Nothing here imports TensorFlow: ``tf``,
``keras`` and ``np`` are passed in.

``LAYER_CASES``: name -> (constructor code, input specs, call keywords).  An input spec is a shape
(float32 normal values) or ``("int", high, shape)``; several specs mean a list of inputs.  The
runner builds the layer, sets every weight from a seeded generator (variances positive), then
records the output, the gradients of ``sum(output * cotangent)`` w.r.t. the float inputs and the
trainable weights, the weights after the call (moving statistics), ``count_params``, the weights'
paths and shapes, and ``get_config``.
"""

LAYER_CASES = {
    "dense_relu": ("keras.layers.Dense(3, activation='relu')", [(4, 5)], {}),
    "embedding": ("keras.layers.Embedding(7, 3)", [("int", 7, (2, 4))], {}),
    "embedding_float_ids": ("keras.layers.Embedding(5, 2)", [("intf", 5, (3,))], {}),
    "batchnorm_inference": ("keras.layers.BatchNormalization()", [(4, 3)], {}),
    "batchnorm_training": ("keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-2)", [(6, 3)],
                           {"training": True}),
    "batchnorm_axis1_training": ("keras.layers.BatchNormalization(axis=1)", [(3, 2, 4, 4)], {"training": True}),
    "batchnorm_no_center_scale": ("keras.layers.BatchNormalization(center=False, scale=False)", [(5, 2)],
                                  {"training": True}),
    "batchnorm_conv_inference": ("keras.layers.BatchNormalization()", [(2, 3, 3, 4)], {"training": False}),
    "layernorm": ("keras.layers.LayerNormalization()", [(3, 5)], {}),
    "layernorm_axes": ("keras.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5)", [(2, 3, 4)], {}),
    "layernorm_no_center": ("keras.layers.LayerNormalization(center=False)", [(2, 4)], {}),
    "conv1d_valid": ("keras.layers.Conv1D(4, 3)", [(2, 7, 3)], {}),
    "conv1d_same_strided": ("keras.layers.Conv1D(2, 3, strides=2, padding='same', activation='tanh')",
                            [(2, 8, 3)], {}),
    "conv1d_causal_dilated": ("keras.layers.Conv1D(2, 2, padding='causal', dilation_rate=2)", [(2, 6, 2)], {}),
    "conv1d_groups": ("keras.layers.Conv1D(4, 2, groups=2)", [(2, 5, 4)], {}),
    "conv1d_channels_first": ("keras.layers.Conv1D(2, 3, data_format='channels_first')", [(2, 3, 6)], {}),
    "conv2d_same_relu": ("keras.layers.Conv2D(3, 3, padding='same', activation='relu')", [(2, 5, 5, 2)], {}),
    "conv2d_strides": ("keras.layers.Conv2D(2, (3, 2), strides=(2, 1))", [(2, 7, 6, 3)], {}),
    "conv2d_dilation": ("keras.layers.Conv2D(2, 3, dilation_rate=2, padding='same')", [(1, 7, 7, 2)], {}),
    "conv2d_groups": ("keras.layers.Conv2D(6, 2, groups=3, use_bias=False)", [(2, 4, 4, 3)], {}),
    "conv2d_channels_first": ("keras.layers.Conv2D(2, 2, data_format='channels_first')", [(2, 3, 4, 5)], {}),
    "avgpool1d": ("keras.layers.AveragePooling1D(2)", [(2, 7, 3)], {}),
    "avgpool1d_same": ("keras.layers.AveragePooling1D(3, strides=2, padding='same')", [(2, 7, 3)], {}),
    "avgpool2d": ("keras.layers.AveragePooling2D(2)", [(2, 4, 6, 2)], {}),
    "avgpool2d_same": ("keras.layers.AveragePooling2D(3, strides=2, padding='same')", [(2, 5, 6, 2)], {}),
    "maxpool1d": ("keras.layers.MaxPooling1D()", [(2, 6, 3)], {}),
    "maxpool1d_same": ("keras.layers.MaxPooling1D(3, strides=2, padding='same')", [(2, 7, 2)], {}),
    "gap1d": ("keras.layers.GlobalAveragePooling1D()", [(2, 5, 3)], {}),
    "gap1d_keepdims": ("keras.layers.GlobalAveragePooling1D(keepdims=True)", [(2, 5, 3)], {}),
    "gap2d": ("keras.layers.GlobalAveragePooling2D()", [(2, 3, 4, 5)], {}),
    "gmp1d": ("keras.layers.GlobalMaxPooling1D()", [(2, 5, 3)], {}),
    "gmp2d": ("keras.layers.GlobalMaxPooling2D(data_format='channels_first')", [(2, 3, 4, 5)], {}),
    "reshape": ("keras.layers.Reshape((3, -1))", [(2, 4, 3)], {}),
    "permute": ("keras.layers.Permute((2, 1))", [(2, 3, 4)], {}),
    "repeat_vector": ("keras.layers.RepeatVector(3)", [(2, 4)], {}),
    "concatenate": ("keras.layers.Concatenate()", [(2, 3), (2, 2)], {}),
    "concatenate_axis1": ("keras.layers.Concatenate(axis=1)", [(2, 1, 3), (2, 2, 3)], {}),
    "add": ("keras.layers.Add()", [(2, 3), (2, 3), (2, 3)], {}),
    "subtract": ("keras.layers.Subtract()", [(2, 3), (2, 3)], {}),
    "multiply": ("keras.layers.Multiply()", [(2, 3), (2, 3)], {}),
    "average": ("keras.layers.Average()", [(2, 3), (2, 3)], {}),
    "dot_axes1": ("keras.layers.Dot(axes=1)", [(2, 3), (2, 3)], {}),
    "dot_3d": ("keras.layers.Dot(axes=(2, 1))", [(2, 3, 4), (2, 4, 5)], {}),
    "dot_normalize": ("keras.layers.Dot(axes=-1, normalize=True)", [(2, 4), (2, 4)], {}),
    "relu": ("keras.layers.ReLU()", [(3, 4)], {}),
    "relu_options": ("keras.layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2)", [(3, 4)], {}),
    "leaky_relu": ("keras.layers.LeakyReLU()", [(3, 4)], {}),
    "softmax": ("keras.layers.Softmax()", [(3, 4)], {}),
    "softmax_axis1": ("keras.layers.Softmax(axis=1)", [(2, 3, 4)], {}),
    "activation_tanh": ("keras.layers.Activation('tanh')", [(3, 4)], {}),
    "lambda_square": ("keras.layers.Lambda(lambda t: t * t + 1.0)", [(3, 4)], {}),
    "rescaling": ("keras.layers.Rescaling(1.0 / 255, offset=-0.5)", [(3, 4)], {}),
    "normalization_given": ("keras.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 0.25])",
                            [(4, 3)], {}),
    "upsampling2d": ("keras.layers.UpSampling2D((2, 3))", [(1, 2, 2, 2)], {}),
    "zeropadding2d": ("keras.layers.ZeroPadding2D(((1, 0), (2, 1)))", [(1, 2, 3, 2)], {}),
    "spatial_dropout_inference": ("keras.layers.SpatialDropout2D(0.5)", [(2, 3, 3, 2)], {}),
    "gaussian_noise_inference": ("keras.layers.GaussianNoise(0.3)", [(2, 3)], {}),
    "flatten": ("keras.layers.Flatten()", [(2, 3, 2)], {}),
    "avgpool2d_channels_first": ("keras.layers.AveragePooling2D(2, padding='same', data_format='channels_first')",
                                 [(1, 2, 3, 5)], {}),
    "maxpool2d_same_channels_first": ("keras.layers.MaxPooling2D(3, strides=2, padding='same', "
                                      "data_format='channels_first')", [(1, 2, 5, 4)], {}),
    "maxpool1d_channels_first": ("keras.layers.MaxPooling1D(2, data_format='channels_first')", [(2, 3, 6)], {}),
    "upsampling2d_channels_first": ("keras.layers.UpSampling2D(2, data_format='channels_first')", [(1, 2, 2, 3)], {}),
    "zeropadding2d_channels_first": ("keras.layers.ZeroPadding2D(1, data_format='channels_first')", [(1, 2, 2, 2)],
                                     {}),
    "gap1d_mask": ("keras.layers.GlobalAveragePooling1D()", [(2, 4, 3)],
                   {"mask": [[True, True, False, True], [False, True, True, True]]}),
    "softmax_mask": ("keras.layers.Softmax()", [(2, 4)], {"mask": [[True, False, True, True], [True, True, True, False]]}),
    "batchnorm_mask_training": ("keras.layers.BatchNormalization()", [(2, 3, 2)],
                                {"training": True, "mask": [[True, True, False], [True, False, True]]}),
    "lambda_arguments": ("keras.layers.Lambda(lambda t, k: t * k, arguments={'k': 3.0})", [(2, 2)], {}),
    "rescaling_vector": ("keras.layers.Rescaling([1.0, 2.0, 0.5], offset=[0.0, 1.0, -1.0])", [(2, 3)], {}),
    "maximum": ("keras.layers.Maximum()", [(2, 3), (2, 3)], {}),
    "minimum": ("keras.layers.Minimum()", [(2, 3), (2, 3)], {}),
    "add_broadcast_rank": ("keras.layers.Add()", [(2, 3, 4), (2, 4)], {}),
    "conv2d_groups_same_strided": ("keras.layers.Conv2D(4, 3, strides=2, padding='same', groups=2)", [(2, 5, 5, 4)],
                                   {}),
    "relu_max6": ("keras.layers.ReLU(max_value=6.0)", [(3, 4)], {}),
    "dense_3d_input": ("keras.layers.Dense(2)", [(2, 3, 4)], {}),
}

# configs gputape keeps differently, on purpose (see each class's docstring)
CONFIG_DIFFERENCES = {"lambda_square", "lambda_arguments"}


def make_inputs(np, specs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for s in specs:
        if isinstance(s[0], str):
            kind, high, shape = s
            v = rng.integers(0, high, size=shape)
            out.append(v.astype("int32") if kind == "int" else v.astype("float32"))
        else:
            out.append(rng.standard_normal(s).astype("float32"))
    return out


def run_layer_case(tf, keras, np, name, seed=0):
    """The record of one LAYER_CASES entry (plain lists and numbers)."""
    ctor, specs, call_kw = LAYER_CASES[name]
    keras.backend.clear_session()             # auto-names from zero: 'dense', 'conv1d', ...
    rng = np.random.default_rng(seed + 1)
    xs = make_inputs(np, specs, seed)
    layer = eval(ctor, {"keras": keras, "tf": tf, "np": np})
    ts = [tf.constant(x) for x in xs]
    arg = ts[0] if len(ts) == 1 else ts
    if "mask" in call_kw:
        call_kw = dict(call_kw, mask=tf.constant(np.array(call_kw["mask"])))
    layer(arg, **{k: v for k, v in call_kw.items() if k != "training"})          # build
    new = []
    for w in layer.weights:
        v = rng.standard_normal(tuple(w.shape)).astype(w.dtype if isinstance(w.dtype, str) else w.dtype.name)
        if "variance" in w.path:
            v = np.abs(v) + 0.5
        new.append(v)
    layer.set_weights(new)
    float_inputs = [t for t, s in zip(ts, specs) if not isinstance(s[0], str)]
    with tf.GradientTape() as tape:
        tape.watch(float_inputs)
        y = layer(arg, **call_kw)
        cot = tf.constant(rng.standard_normal(tuple(y.shape)).astype("float32"))
        loss = tf.reduce_sum(y * cot)
    grads = tape.gradient(loss, float_inputs + list(layer.trainable_weights))
    return {
        "y": y.numpy().tolist(),
        "shape": list(y.shape),
        "grads": [None if g is None else tf.convert_to_tensor(g).numpy().tolist() for g in grads],
        "weights_after": [w.numpy().tolist() for w in layer.weights],
        "weights": [[w.path, list(w.shape), bool(w.trainable)] for w in layer.weights],
        "count_params": int(layer.count_params()),
        "config": layer.get_config() if name not in CONFIG_DIFFERENCES else None,
    }


# ---------------------------------------------------------------- functional API programs
PRELUDE = """
def det_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for w in model.weights:
        v = (rng.standard_normal(tuple(w.shape)) * 0.5).astype("float32")
        if "variance" in w.path:
            v = np.abs(v) + 0.5
        out.append(v)
    model.set_weights(out)
"""

# name -> code setting ``result`` (JSON-able); run with tf, keras, np bound and PRELUDE executed
FUNCTIONAL_CASES = {
    "two_inputs_two_outputs": """
a = keras.Input((3,), name="a"); b = keras.Input((2,), name="b")
h = keras.layers.Dense(4, name="h", activation="relu")(a)
g = keras.layers.Dense(4, name="g")(b)
c = keras.layers.Concatenate(name="cat")([h, g])
o1 = keras.layers.Dense(1, name="o1")(c)
o2 = keras.layers.Dense(2, name="o2", activation="softmax")(h)
m = keras.Model([a, b], [o1, o2], name="net")
det_weights(m)
xa = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3); xb = np.ones((2, 2), "float32")
y1, y2 = m([xa, xb])
result = {"layers": [l.name for l in m.layers], "types": [type(l).__name__ for l in m.layers],
          "count": m.count_params(), "y1": y1.numpy().tolist(), "y2": y2.numpy().tolist(),
          "weights": [w.path for w in m.weights], "n_trainable": len(m.trainable_weights),
          "inputs": [list(t.shape) for t in m.inputs], "outputs": [list(t.shape) for t in m.outputs]}""",
    "chain_model": """
x = keras.Input((4,))
y = keras.layers.Dense(3, activation="tanh")(x)
y = keras.layers.Dense(2)(y)
m = keras.Model(inputs=x, outputs=y)
det_weights(m)
out = m(np.ones((3, 4), "float32"))
result = {"name": m.name, "layers": [l.name for l in m.layers], "y": out.numpy().tolist(),
          "count": m.count_params(), "type": type(m).__name__}""",
    "dict_inputs_outputs": """
a = keras.Input((2,), name="left"); b = keras.Input((2,), name="right")
s = keras.layers.Add()([a, b])
d = keras.layers.Subtract()([a, b])
m = keras.Model({"left": a, "right": b}, {"sum": s, "diff": keras.layers.Dense(1)(d)})
det_weights(m)
out = m({"left": np.ones((1, 2), "float32"), "right": np.full((1, 2), 3.0, "float32")})
result = {"sum": out["sum"].numpy().tolist(), "diff": out["diff"].numpy().tolist(), "keys": sorted(out)}""",
    "shared_layer": """
x1 = keras.Input((3,)); x2 = keras.Input((3,))
shared = keras.layers.Dense(2, name="shared")
o = keras.layers.Add()([shared(x1), shared(x2)])
m = keras.Model([x1, x2], o)
det_weights(m)
out = m([np.ones((1, 3), "float32"), np.arange(3, dtype="float32").reshape(1, 3)])
result = {"layers": [l.name for l in m.layers], "count": m.count_params(), "y": out.numpy().tolist(),
          "n_weights": len(m.weights)}""",
    "nested_model": """
inner_in = keras.Input((3,))
inner = keras.Model(inner_in, keras.layers.Dense(2, name="inner_dense")(inner_in), name="inner")
x = keras.Input((3,))
y = keras.layers.Dense(1, name="head")(inner(x))
m = keras.Model(x, y, name="outer")
det_weights(m)
out = m(np.ones((2, 3), "float32"))
result = {"layers": [l.name for l in m.layers], "count": m.count_params(), "y": out.numpy().tolist(),
          "weights": [w.path for w in m.weights]}""",
    "cnn_functional": """
x = keras.Input((8, 8, 1))
h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
h = keras.layers.BatchNormalization()(h)
h = keras.layers.MaxPooling2D()(h)
h = keras.layers.Conv2D(4, 3, groups=2)(h)
h = keras.layers.GlobalAveragePooling2D()(h)
y = keras.layers.Dense(3, activation="softmax")(h)
m = keras.Model(x, y)
det_weights(m)
out = m(np.linspace(0, 1, 128, dtype="float32").reshape(2, 8, 8, 1), training=False)
result = {"count": m.count_params(), "y": out.numpy().tolist(), "weights": [[w.path, list(w.shape)] for w in m.weights],
          "n_trainable": len(m.trainable_weights)}""",
    "sequence_functional": """
x = keras.Input((6,), dtype="int32")
h = keras.layers.Embedding(10, 4)(x)
h = keras.layers.Conv1D(3, 2, padding="causal")(h)
h = keras.layers.LayerNormalization()(h)
h = keras.layers.GlobalMaxPooling1D()(h)
y = keras.layers.Dense(2)(h)
m = keras.Model(x, y)
det_weights(m)
out = m(np.array([[1, 2, 3, 4, 5, 6], [0, 0, 9, 9, 1, 1]], "int32"))
result = {"count": m.count_params(), "y": out.numpy().tolist(), "shape": [list(l.output.shape) for l in m.layers]}""",
    "input_shape_error": """
x = keras.Input((3,)); m = keras.Model(x, keras.layers.Dense(2)(x))
m(np.zeros((2, 4), "float32"))""",
    "config_round_trip": """
a = keras.Input((3,), name="a"); b = keras.Input((2,), name="b")
h = keras.layers.Dense(4, name="h")(a)
c = keras.layers.Concatenate(name="cat")([h, b])
m = keras.Model([a, b], keras.layers.Dense(1, name="o")(c), name="rt")
cfg = m.get_config()
import copy
m2 = keras.Model.from_config(copy.deepcopy(cfg))
result = {"config": cfg, "layers": [l.name for l in m.layers], "layers2": [l.name for l in m2.layers], "count2": m2.count_params(),
          "same": m2.get_config() == cfg}""",
    "summary_branched": """
a = keras.Input((3,), name="a"); b = keras.Input((2,), name="b")
h = keras.layers.Dense(4, name="h")(a)
c = keras.layers.Concatenate(name="cat")([h, b])
m = keras.Model([a, b], keras.layers.Dense(1, name="o")(c), name="sb")
lines = []
m.summary(print_fn=lambda s, **k: lines.append(s))
result = "\\n".join(lines)""",
    "summary_chain": """
x = keras.Input((3,), name="inp")
m = keras.Model(x, keras.layers.Dense(2, name="d")(keras.layers.BatchNormalization(name="bn")(x)), name="sc")
lines = []
m.summary(print_fn=lambda s, **k: lines.append(s))
result = "\\n".join(lines)""",
    "summary_nested_shared": """
inner_in = keras.Input((3,), name="ii")
inner = keras.Model(inner_in, keras.layers.Dense(2, name="id")(inner_in), name="inner")
x = keras.Input((3,), name="x"); z = keras.Input((3,), name="z")
shared = keras.layers.Dense(3, name="shared")
s = keras.layers.Add(name="plus")([shared(x), shared(z)])
m = keras.Model([x, z], [inner(s), keras.layers.Embedding(4, 2, name="emb")(keras.layers.ReLU(name="r")(s))], name="ns")
lines = []
m.summary(print_fn=lambda s, **k: lines.append(s))
result = "\\n".join(lines)""",
    "summary_operators": """
x = keras.Input((2,), name="a_rather_long_input_name")
h = keras.layers.Dense(2, name="d")(x)
y = keras.layers.Dense(1, name="e")(h * 2.0 + x - h / 4.0)
m = keras.Model(x, y, name="ops")
det_weights(m)
lines = []
m.summary(print_fn=lambda s, **k: lines.append(s))
result = {"summary": "\\n".join(lines), "layers": [l.name for l in m.layers],
          "y": m(np.ones((2, 2), "float32")).numpy().tolist()}""",
    "summary_sequential_wrap": """
m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="a_very_long_layer_name_for_wrapping"),
                      keras.layers.Dense(2, name="short name with spaces inside it ok")], name="s")
lines = []
m.summary(print_fn=lambda s, **k: lines.append(s))
result = "\\n".join(lines)""",
    "summary_multi_output": """
class Two(keras.layers.Layer):
    def call(self, x):
        return x, x * 2.0
x = keras.Input((3,), name="in")
a, b = Two(name="two")(x)
m = keras.Model(x, keras.layers.Add(name="sum")([a, b]), name="mo")
lines = []
m.summary(print_fn=lambda s, **k: lines.append(s))
result = "\\n".join(lines)""",
    "sequential_config_new_layers": """
m = keras.Sequential([keras.Input((6, 2)), keras.layers.Conv1D(3, 2, name="c"), keras.layers.BatchNormalization(name="bn"),
                      keras.layers.GlobalAveragePooling1D(name="g"), keras.layers.Dense(2, name="d")], name="s")
cfg = m.get_config()
m2 = keras.Sequential.from_config(cfg)
result = {"count": m.count_params(), "count2": m2.count_params(), "layers": [l.name for l in m2.layers],
          "classes": [e["class_name"] for e in cfg["layers"]]}""",
    "trainable_freezes_sublayers": """
x = keras.Input((3,))
inner_in = keras.Input((3,))
inner = keras.Model(inner_in, keras.layers.BatchNormalization()(keras.layers.Dense(2)(inner_in)))
m = keras.Model(x, keras.layers.Dense(1)(inner(x)))
inner.trainable = False
result = [len(m.weights), len(m.trainable_weights), len(m.non_trainable_weights), [w.trainable for w in inner.weights]]""",
    "add_loss_and_regularizer_free": """
class Act(keras.layers.Layer):
    def call(self, x):
        self.add_loss(tf.reduce_sum(x) * 0.5)
        return x
x = keras.Input((2,))
m = keras.Model(x, keras.layers.Dense(1)(Act()(x)))
m(np.ones((1, 2), "float32"))
result = [float(v) for v in m.losses]""",
}

# training: same initial weights, 20 steps; Keras's losses are the record
TRAIN_CASES = {
    "train_functional_sgd": """
x = keras.Input((4,))
h = keras.layers.Dense(8, activation="relu", name="h")(x)
h = keras.layers.BatchNormalization(name="bn")(h)
frozen = keras.layers.Dense(8, activation="tanh", name="frozen")
h = frozen(h)
y = keras.layers.Dense(1, name="out")(h)
model = keras.Model(x, y)
det_weights(model, 3)
frozen.trainable = False
frozen_before = [w.numpy().tolist() for w in frozen.weights]
rng = np.random.default_rng(7)
X = rng.standard_normal((16, 4)).astype("float32"); Y = (X[:, :1] * 2 - X[:, 1:2]).astype("float32")
opt = keras.optimizers.SGD(0.05)
loss_fn = keras.losses.MeanSquaredError()
losses = []
for step in range(20):
    with tf.GradientTape() as tape:
        pred = model(X, training=True)
        loss = loss_fn(Y, pred)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    losses.append(float(loss))
bn = model.get_layer("bn")
result = {"losses": losses, "moving_mean": bn.moving_mean.numpy().tolist(),
          "moving_variance": bn.moving_variance.numpy().tolist(),
          "frozen_same": [w.numpy().tolist() for w in frozen.weights] == frozen_before,
          "n_trainable": len(model.trainable_variables), "eval": model(X[:2], training=False).numpy().tolist()}""",
    "train_sequential_adam": """
model = keras.Sequential([keras.Input((6, 2)), keras.layers.Conv1D(4, 3, padding="same", activation="relu"),
                          keras.layers.LayerNormalization(), keras.layers.AveragePooling1D(2),
                          keras.layers.Flatten(), keras.layers.Dense(3)])
det_weights(model, 5)
rng = np.random.default_rng(11)
X = rng.standard_normal((8, 6, 2)).astype("float32"); Y = rng.integers(0, 3, size=(8,)).astype("int32")
opt = keras.optimizers.Adam(0.01)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
losses = []
for step in range(20):
    with tf.GradientTape() as tape:
        loss = loss_fn(Y, model(X, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    losses.append(float(loss))
result = {"losses": losses}""",
    # SGD, not Adam: Keras's Adam squares an Embedding's IndexedSlices gradient per occurrence of an
    # index before summing repeats; gputape's dense table gradient is summed first (Embedding's docstring)
    "train_functional_embedding_sgd": """
x = keras.Input((5,), dtype="int32")
h = keras.layers.Embedding(12, 4)(x)
h = keras.layers.Conv1D(4, 2, activation="relu")(h)
h = keras.layers.GlobalAveragePooling1D()(h)
a = keras.layers.Dense(4, activation="relu")(h)
h = keras.layers.Add()([h, a])
y = keras.layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(x, y)
det_weights(model, 9)
rng = np.random.default_rng(2)
X = rng.integers(0, 12, size=(10, 5)).astype("int32"); Y = (X.sum(1, keepdims=True) > 27).astype("float32")
opt = keras.optimizers.SGD(0.2, momentum=0.5)
loss_fn = keras.losses.BinaryCrossentropy()
losses = []
for step in range(20):
    with tf.GradientTape() as tape:
        loss = loss_fn(Y, model(X, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    losses.append(float(loss))
result = {"losses": losses}""",
}

# Keras 3.15 signatures of the layers of this area, for the "every argument accepted" check
SIGNATURE_LAYERS = ["Embedding", "BatchNormalization", "LayerNormalization", "Conv1D", "Conv2D", "AveragePooling1D",
                    "AveragePooling2D", "MaxPooling1D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
                    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Reshape", "Permute", "RepeatVector", "Concatenate",
                    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot", "ReLU", "LeakyReLU",
                    "Softmax", "Activation", "Lambda", "Rescaling", "Normalization", "UpSampling2D", "ZeroPadding2D",
                    "SpatialDropout2D", "GaussianNoise", "InputLayer"]
