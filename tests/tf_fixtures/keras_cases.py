"""Issue 7's Keras examples (optimizers, layers, losses) as small programs run twice: by
``gen_keras.py`` under TensorFlow 2.21 / Keras 3.15 (recording ``keras.json``) and by
``tests/test_silent_keras.py`` under gputape (comparing with the record).

Each case is ``name: (code, same_message)``: ``code`` runs with ``tf``, ``keras``, ``np``,
``threading`` and ``warnings`` bound and sets ``result``; ``same_message`` asks that an error's
first line be Keras's own, not only its class.  Nothing here imports TensorFlow.
"""
from tf_fixture import run_code, to_jsonable  # noqa: F401  (to_jsonable: for gen_keras.py and the tests)

CASES = {
    # ---------------------------------------------------------------- kind 1: optimizer options
    "sgd_clipnorm": ("""
v = tf.Variable([0., 0.])
keras.optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(tf.constant([30., 40.]), v)])
result = v""", False),
    "sgd_clipnorm_zero_is_off": ("""
v = tf.Variable([0., 0.])
keras.optimizers.SGD(1.0, clipnorm=0.0).apply_gradients([(tf.constant([30., 40.]), v)])
result = v""", False),
    "sgd_global_clipnorm": ("""
a, b = tf.Variable([0., 0.]), tf.Variable([0., 0.])
keras.optimizers.SGD(1.0, global_clipnorm=1.0).apply_gradients([(tf.constant([3., 4.]), a), (tf.constant([12., 0.]), b)])
result = [a, b]""", False),
    "sgd_global_clipnorm_small_norm": ("""
a = tf.Variable([0., 0.])
keras.optimizers.SGD(1.0, global_clipnorm=10.0).apply_gradients([(tf.constant([0.3, 0.4]), a)])
result = a""", False),
    "sgd_clipvalue": ("""
v = tf.Variable([0., 0., 0.])
keras.optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([(tf.constant([30., -40., 0.2]), v)])
result = v""", False),
    "adam_clipnorm_3_steps": ("""
v = tf.Variable([1., -2.])
opt = keras.optimizers.Adam(0.1, clipnorm=0.5)
for _ in range(3):
    opt.apply_gradients([(tf.constant([3., 4.]) * v, v)])
result = v""", False),
    "sgd_weight_decay": ("""
v = tf.Variable([1., 2.])
keras.optimizers.SGD(0.1, weight_decay=0.5).apply_gradients([(tf.constant([1., 1.]), v)])
result = v""", False),
    "adam_weight_decay_after_clipnorm": ("""
v = tf.Variable([1., 2.])
keras.optimizers.Adam(0.1, weight_decay=0.5, clipnorm=1.0).apply_gradients([(tf.constant([3., 4.]), v)])
result = v""", False),
    "sgd_weight_decay_excluded": ("""
a, b = tf.Variable([1., 2.], name="kernel"), tf.Variable([1., 2.], name="bias")
opt = keras.optimizers.SGD(0.1, weight_decay=0.5)
opt.exclude_from_weight_decay(var_names=["bias"])
opt.apply_gradients([(tf.constant([1., 1.]), a), (tf.constant([1., 1.]), b)])
result = [a, b]""", False),
    "sgd_loss_scale_factor": ("""
v = tf.Variable([1., 2.])
opt = keras.optimizers.SGD(0.1, loss_scale_factor=4.)
opt.apply_gradients([(tf.constant([1., 1.]), v)])
result = [v, opt.scale_loss(tf.constant(2.0))]""", False),
    "sgd_ema": ("""
v = tf.Variable([1., 2.], name="w")
opt = keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9)
for _ in range(3):
    opt.apply_gradients([(tf.constant([1., -1.]), v)])
avg = opt.variables[2]
opt.finalize_variable_values([v])
result = [avg, v]""", False),
    "sgd_ema_overwrite_frequency": ("""
v = tf.Variable([1., 2.])
opt = keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
out = []
for _ in range(4):
    opt.apply_gradients([(tf.constant([1., -1.]), v)])
    out.append(v.numpy().tolist())
result = out""", False),
    "sgd_gradient_accumulation": ("""
v = tf.Variable([1., 2.])
opt = keras.optimizers.SGD(0.1, gradient_accumulation_steps=2)
out = []
for g in ([1., 1.], [3., -1.], [2., 2.], [0., 4.]):
    opt.apply_gradients([(tf.constant(g), v)])
    out.append(v.numpy().tolist() + [int(opt.iterations.numpy())])
result = out""", False),
    "adam_gradient_accumulation": ("""
v = tf.Variable([1., 2.])
opt = keras.optimizers.Adam(0.1, gradient_accumulation_steps=2)
for g in ([1., 1.], [3., -1.], [2., 2.], [0., 4.], [1., 1.], [1., 1.]):
    opt.apply_gradients([(tf.constant(g), v)])
result = v""", False),
    "sgd_learning_rate_set": ("""
v = tf.Variable([1., 2.])
opt = keras.optimizers.SGD(0.1)
opt.learning_rate = 0.5
opt.apply_gradients([(tf.constant([1., 1.]), v)])
result = [v, opt.learning_rate]""", False),
    "sgd_learning_rate_assign": ("""
v = tf.Variable([1., 2.])
opt = keras.optimizers.SGD(0.1)
opt.learning_rate.assign(0.5)
opt.apply_gradients([(tf.constant([1., 1.]), v)])
result = v""", False),
    "sgd_decay_warns_and_is_ignored": ("""
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    opt = keras.optimizers.SGD(0.1, decay=0.5)
result = [str(x.message) for x in w if "decay" in str(x.message)]""", False),
    "cosine_decay_warmup": ("""
s = keras.optimizers.schedules.CosineDecay(0.1, 4, alpha=0.1, warmup_target=0.5, warmup_steps=2)
result = [float(s(i)) for i in range(8)]""", False),
    "exponential_decay_staircase": ("""
s = keras.optimizers.schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True)
result = [float(s(i)) for i in range(7)]""", False),
    # ---------------------------------------------------------------- kind 1: optimizer errors
    "sgd_unknown_kwarg": ("keras.optimizers.SGD(0.1, foo=1)", True),
    "adam_unknown_kwargs": ("keras.optimizers.Adam(0.1, foo=1, bar=2)", True),
    "sgd_two_clip_options": ("keras.optimizers.SGD(0.1, clipnorm=1., clipvalue=1.)", True),
    "sgd_ema_momentum_out_of_range": ("keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=2.)", True),
    "sgd_gradient_accumulation_1": ("keras.optimizers.SGD(0.1, gradient_accumulation_steps=1)", True),
    "sgd_name_with_slash": ("keras.optimizers.SGD(0.1, name='a/b')", True),
    "sgd_momentum_int": ("keras.optimizers.SGD(0.1, momentum=0)", True),
    # ---------------------------------------------------------------- kind 8: learning rate type
    "adam_learning_rate_string": ("keras.optimizers.Adam('fast')", True),
    "sgd_learning_rate_int": ("keras.optimizers.SGD(1)", True),
    "sgd_learning_rate_bool": ("keras.optimizers.SGD(True)", True),
    "sgd_learning_rate_tensor": ("keras.optimizers.SGD(tf.constant(0.1))", False),
    # ---------------------------------------------------------------- kind 9: optimizer state
    "adam_none_gradient_first_then_both": ("""
a, b = tf.Variable([1.]), tf.Variable([2.])
opt = keras.optimizers.Adam(0.1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    opt.apply_gradients([(tf.constant([1.]), a), (None, b)])
opt.apply_gradients([(tf.constant([1.]), a), (tf.constant([1.]), b)])
result = [a, b]""", False),
    "sgd_float64_gradient_cast": ("""
v = tf.Variable([1., 2.])
keras.optimizers.SGD(0.1).apply_gradients([(tf.constant([1., 1.], tf.float64), v)])
result = [v, v.dtype.name]""", False),
    "adam_float64_gradient_cast": ("""
v = tf.Variable([1., 2.])
keras.optimizers.Adam(0.1).apply_gradients([(tf.constant([1., 1.], tf.float64), v)])
result = v""", False),
    "sgd_int_and_list_gradients": ("""
v, w = tf.Variable([1., 2.]), tf.Variable([1., 2.])
keras.optimizers.SGD(0.1).apply_gradients([(tf.constant([1, 1]), v), ([1., 2.], w)])
result = [v, w]""", False),
    "optimizer_variables_adam_amsgrad": ("""
a, b = tf.Variable([1.], name="a"), tf.Variable([2., 3.], name="b")
opt = keras.optimizers.Adam(0.1, amsgrad=True, name="opt")
opt.apply_gradients([(tf.constant([1.]), a), (tf.constant([1., 1.]), b)])
result = [[x.path, list(x.shape), x.dtype if isinstance(x.dtype, str) else x.dtype.name] for x in opt.variables]""", False),
    "optimizer_variables_rmsprop": ("""
a, b = tf.Variable([1.], name="a"), tf.Variable([2., 3.], name="b")
opt = keras.optimizers.RMSprop(0.1, momentum=0.5, centered=True, name="opt")
opt.apply_gradients([(tf.constant([1.]), a), (tf.constant([1., 1.]), b)])
result = [x.path for x in opt.variables]""", False),
    "optimizer_variables_sgd_momentum_ema": ("""
a = tf.Variable([1.], name="a")
opt = keras.optimizers.SGD(0.1, momentum=0.9, use_ema=True, name="opt")
opt.apply_gradients([(tf.constant([1.]), a)])
result = [x.path for x in opt.variables]""", False),
    "optimizer_variables_adagrad_schedule": ("""
a = tf.Variable([1.], name="a")
opt = keras.optimizers.Adagrad(keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5), name="opt")
opt.apply_gradients([(tf.constant([1.]), a)])
result = [[x.path, x.numpy().tolist()] for x in opt.variables]""", False),
    "optimizer_auto_names": ("""
keras.backend.clear_session()
result = [keras.optimizers.SGD().name, keras.optimizers.SGD().name, keras.optimizers.RMSprop().name,
          keras.optimizers.Adam().name, keras.optimizers.Adagrad().name]""", False),
    # ---------------------------------------------------------------- kind 1: layer arguments
    "dense_input_shape_standalone": ("""
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    d = keras.layers.Dense(3, input_shape=(4,))
result = [d.built, len(d.weights), [str(x.message) for x in w]]""", False),
    "sequential_first_layer_input_shape": ("""
keras.backend.clear_session()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    m = keras.Sequential([keras.layers.Dense(3, input_shape=(4,)), keras.layers.Dense(2)])
result = [m.built, [[v.path, list(v.shape)] for v in m.weights]]""", False),
    "sequential_first_layer_input_dim": ("""
keras.backend.clear_session()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    m = keras.Sequential([keras.layers.Dense(3, input_dim=5)])
result = [[v.path, list(v.shape)] for v in m.weights]""", False),
    "sequential_input_first": ("""
keras.backend.clear_session()
m = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
result = [m.built, [[v.path, list(v.shape)] for v in m.weights]]""", False),
    "dense_unknown_kwarg": ("keras.layers.Dense(3, foo=1)", True),
    "dense_unknown_kwargs": ("keras.layers.Dense(3, foo=1, bar=2)", True),
    "dense_batch_input_shape": ("keras.layers.Dense(3, batch_input_shape=(None, 4))", True),
    "dense_trainable_int": ("keras.layers.Dense(3, trainable=1)", True),
    "dense_name_with_slash": ("keras.layers.Dense(3, name='a/b')", True),
    "dense_input_shape_and_input_dim": ("keras.layers.Dense(3, input_shape=(4,), input_dim=5)", True),
    "dense_activation_unknown": ("keras.layers.Dense(3, activation='nope')", True),
    "dense_initializer_unknown": ("keras.layers.Dense(3, kernel_initializer='nope')", True),
    "dense_dtype_float64": ("""
d = keras.layers.Dense(2, dtype='float64')
y = d(tf.ones((1, 3)))
result = [d.dtype, y.dtype.name, d.kernel.dtype if isinstance(d.kernel.dtype, str) else d.kernel.dtype.name]""", False),
    "dense_autocast_false_float64_input": ("""
d = keras.layers.Dense(2, autocast=False)
result = [d(tf.ones((1, 3), tf.float64)).dtype.name, d(tf.ones((1, 3), tf.float16)).dtype.name]""", False),
    "dense_autocast_float64_input": ("""
result = keras.layers.Dense(2)(tf.ones((1, 3), tf.float64)).dtype.name""", False),
    "dense_int_input": ("""
result = keras.layers.Dense(2)(tf.constant([[1, 2]])).dtype.name""", False),
    "optimizer_apply_without_variables": ("""
v = tf.Variable([1., 2.])
opt = keras.optimizers.SGD(0.5)
opt.build([v])
opt.apply([tf.constant([1., 1.])])
result = [v, int(opt.iterations.numpy())]""", False),
    "optimizer_apply_unbuilt": ("keras.optimizers.SGD(0.5).apply([tf.constant([1., 1.])])", True),
    "add_weight_name_positional": ("""
class L(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight('w', (2,))
    def call(self, x):
        return x
L()(tf.ones((1, 2)))""", True),
    "add_weight_positional_shape_initializer_dtype": ("""
class L(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], 2), 'ones', 'float64', name='w')
        self.n = self.add_weight(shape=(2,), dtype='int32', name='n')
    def call(self, x):
        return x
l = L(name='l')
l(tf.ones((1, 3)))
result = [[v.path, list(v.shape), v.dtype if isinstance(v.dtype, str) else v.dtype.name, v.numpy().tolist()] for v in l.weights]""",
                                                      False),
    "dropout_unknown_kwarg": ("keras.layers.Dropout(0.5, foo=1)", True),
    "dropout_rate_out_of_range": ("keras.layers.Dropout(1.5)", True),
    "dropout_noise_shape_string": ("keras.layers.Dropout(0.5, noise_shape='ab')", True),
    "dropout_rate_1_zeros": ("""
result = keras.layers.Dropout(1.0)(tf.constant([1., float('inf'), float('nan')]), training=True)""", False),
    "flatten_unknown_kwarg": ("keras.layers.Flatten(foo=1)", True),
    "flatten_channels_first": ("""
result = keras.layers.Flatten(data_format='channels_first')(tf.reshape(tf.range(12.), (1, 2, 3, 2)))""", False),
    "activation_unknown_kwarg": ("keras.layers.Activation('relu', foo=1)", True),
    "conv2d_unknown_kwarg": ("keras.layers.Conv2D(2, 3, foo=1)", True),
    "maxpooling2d_unknown_kwarg": ("keras.layers.MaxPooling2D(foo=1)", True),
    "sequential_unknown_kwarg": ("keras.Sequential(foo=1)", False),
    "sequential_trainable_false": ("result = keras.Sequential(name='s', trainable=False).trainable", False),
    "input_unknown_kwarg": ("keras.Input(shape=(3,), foo=1)", False),
    "relu_options": ("""
result = keras.activations.relu(tf.constant([-3., -1., 0.5, 2., 8.]), negative_slope=0.1, max_value=6., threshold=1.)""",
                     False),
    "elu_alpha": ("result = keras.activations.elu(tf.constant([-3., -1., 0.5]), alpha=2.)", False),
    # ---------------------------------------------------------------- kind 5/8: Dense inputs and weights
    "dense_units_float": ("keras.layers.Dense(2.5)", True),
    "dense_units_zero": ("keras.layers.Dense(0)", True),
    "dense_units_numpy_int": ("keras.layers.Dense(np.int64(3))", True),
    "dense_on_0d_tensor": ("keras.layers.Dense(3)(tf.constant(1.0))", False),
    "dense_on_1d_tensor": ("keras.layers.Dense(3)(tf.constant([1.0, 2.0]))", False),
    "dense_set_weights_too_few": ("""
d = keras.layers.Dense(2, name='d')
d(tf.ones((1, 3)))
d.set_weights([np.ones((3, 2))])""", True),
    "dense_set_weights_too_many": ("""
d = keras.layers.Dense(2, name='d')
d(tf.ones((1, 3)))
d.set_weights([np.ones((3, 2)), np.ones(2), np.ones(2)])""", True),
    "dense_set_weights_wrong_shape": ("""
d = keras.layers.Dense(2, name='d')
d(tf.ones((1, 3)))
d.set_weights([np.ones((2, 3)), np.ones(2)])""", True),
    "dense_set_weights_unbuilt": ("keras.layers.Dense(2, name='d').set_weights([np.ones((3, 2)), np.ones(2)])", True),
    "dense_set_weights_int_arrays": ("""
d = keras.layers.Dense(2, name='d')
d(tf.ones((1, 3)))
d.set_weights([np.ones((3, 2), np.int32), np.arange(2)])
result = d.get_weights()""", False),
    # ---------------------------------------------------------------- kind 11: names
    "layer_auto_names": ("""
keras.backend.clear_session()
result = [keras.layers.Dense(1).name, keras.layers.Dense(1).name, keras.layers.Dropout(0.1).name,
          keras.layers.Conv2D(1, 1).name, keras.layers.MaxPooling2D().name, keras.layers.Flatten().name,
          keras.layers.Activation('relu').name, keras.Sequential().name, keras.losses.MeanSquaredError().name,
          keras.layers.Dense(1, name='dense_5').name, keras.layers.Dense(1).name]""", False),
    "layer_names_8_threads": ("""
keras.backend.clear_session()
res = {}
def work(i):
    names = []
    for _ in range(5):
        m = keras.Sequential([keras.layers.Dense(2), keras.layers.Dense(2)])
        m(tf.ones((1, 2)))
        names.append([m.name] + [l.name for l in m.layers] + [v.path for v in m.weights])
    res[i] = names
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
result = [res[i] for i in range(8)]""", False),
    # ---------------------------------------------------------------- kind 1: losses
    "cce_label_smoothing_logits": ("""
result = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)([[1., 0., 0.]], [[2., 1., .1]])""",
                                   False),
    "cce_label_smoothing_probs": ("""
result = keras.losses.CategoricalCrossentropy(label_smoothing=0.2)([[0., 1., 0.], [1., 0., 0.]], [[.2, .7, .1], [.5, .3, .2]])""",
                                  False),
    "bce_label_smoothing_logits": ("""
result = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)([[1.]], [[2.]])""", False),
    "bce_label_smoothing_probs": ("""
result = keras.losses.BinaryCrossentropy(label_smoothing=0.3)([[1., 0.]], [[.8, .4]])""", False),
    "cce_axis_0": ("""
result = keras.losses.CategoricalCrossentropy(axis=0, reduction=None)([[0., 1.], [1., 0.], [0., 0.]],
                                                                      [[.2, .5], [.7, .3], [.1, .2]])""", False),
    "cce_logits_axis_0": ("""
result = keras.losses.CategoricalCrossentropy(from_logits=True, axis=0, reduction='none')(
    [[0., 1.], [1., 0.], [0., 0.]], [[.2, .5], [.7, .3], [.1, .2]])""", False),
    "bce_axis_0": ("""
result = keras.losses.BinaryCrossentropy(axis=0, reduction=None)([[0., 1.], [1., 0.], [0., 1.]],
                                                                 [[.2, .5], [.7, .3], [.1, .2]])""", False),
    "cce_axis_bool": ("keras.losses.categorical_crossentropy([[1., 0.]], [[.5, .5]], axis=True)", True),
    "scce_ignore_class": ("""
result = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(
    tf.constant([1, -1, 2]), tf.constant([[1., 2., 3.], [1., 2., 3.], [0., 0., 5.]]))""", False),
    "scce_ignore_class_sum": ("""
result = keras.losses.SparseCategoricalCrossentropy(ignore_class=0, reduction='sum')(
    tf.constant([1, 0, 2]), tf.constant([[.2, .3, .5], [.1, .8, .1], [.3, .3, .4]]))""", False),
    "scce_ignore_class_none": ("""
result = keras.losses.SparseCategoricalCrossentropy(ignore_class=0, reduction='none')(
    tf.constant([1, 0, 2]), tf.constant([[.2, .3, .5], [.1, .8, .1], [.3, .3, .4]]))""", False),
    "scce_axis_0": ("keras.losses.SparseCategoricalCrossentropy(axis=0)(tf.constant([1, 0]), tf.constant([[.2, .8], [.5, .5]]))", False),
    "mse_reduction_sum": ("""
result = keras.losses.MeanSquaredError(reduction='sum')([[1., 2.], [3., 4.]], [[1.5, 2.], [2., 5.]])""", False),
    "mse_reduction_none": ("""
result = keras.losses.MeanSquaredError(reduction='none')([[1., 2.], [3., 4.]], [[1.5, 2.], [2., 5.]])""", False),
    "mse_reduction_None": ("""
result = keras.losses.MeanSquaredError(reduction=None)([[1., 2.], [3., 4.]], [[1.5, 2.], [2., 5.]])""", False),
    "mse_reduction_mean": ("""
result = keras.losses.MeanSquaredError(reduction='mean')([[1., 2.], [3., 4.]], [[1.5, 2.], [2., 5.]], sample_weight=[1., 3.])""",
                           False),
    "mse_reduction_mean_with_sample_weight": ("""
result = keras.losses.MeanSquaredError(reduction='mean_with_sample_weight')([[1., 2.], [3., 4.]], [[1.5, 2.], [2., 5.]],
                                                                            sample_weight=[1., 3.])""", False),
    "mse_sample_weight_default_reduction": ("""
result = keras.losses.MeanSquaredError()([[1., 2.], [3., 4.]], [[1.5, 2.], [2., 5.]], sample_weight=[1., 3.])""", False),
    "mse_sample_weight_scalar": ("""
result = keras.losses.MeanSquaredError()([[1., 2.], [3., 4.]], [[1.5, 2.], [2., 5.]], sample_weight=2.)""", False),
    "mse_sample_weight_column": ("""
result = keras.losses.MeanAbsoluteError(reduction='sum')([[1., 2.], [3., 4.]], [[1.5, 2.], [2., 5.]],
                                                         sample_weight=[[2.], [0.5]])""", False),
    "bce_sample_weight": ("""
result = keras.losses.BinaryCrossentropy(from_logits=True)([[1., 0.], [0., 1.]], [[.5, -1.], [2., .3]],
                                                           sample_weight=[.25, 1.])""", False),
    "loss_dtype_float64": ("""
r = keras.losses.MeanSquaredError(dtype='float64')([[1., 2.]], [[1.5, 0.]])
result = [r, r.dtype.name]""", False),
    "loss_float64_input_default_dtype": ("""
r = keras.losses.MeanSquaredError()(tf.constant([[1., 2.]], tf.float64), tf.constant([[1.5, 0.]], tf.float64))
result = [r, r.dtype.name]""", False),
    "loss_reduction_invalid": ("keras.losses.MeanSquaredError(reduction='avg')", False),
    "loss_unknown_kwarg": ("keras.losses.MeanSquaredError(foo=1)", False),
    "cce_unknown_kwarg": ("keras.losses.CategoricalCrossentropy(foo=1)", False),
    "loss_names": ("""
result = [keras.losses.MeanSquaredError().name, keras.losses.BinaryCrossentropy().name,
          keras.losses.SparseCategoricalCrossentropy().name, keras.losses.CategoricalCrossentropy(name='c').name]""",
                   False),
    "cce_shape_mismatch": ("keras.losses.CategoricalCrossentropy()(tf.constant([[1., 0., 0.]]), tf.constant([[.5, .5]]))", False),
    "scce_function_ignore_class": ("""
result = keras.losses.sparse_categorical_crossentropy(tf.constant([1, -1]), tf.constant([[1., 2.], [3., 4.]]),
                                                     from_logits=True, ignore_class=-1)""", False),
    "scce_labels_column": ("""
result = keras.losses.SparseCategoricalCrossentropy()(tf.constant([[1], [2]]), tf.constant([[.2, .3, .5], [.1, .8, .1]]))""",
                           False),
    "mean_squared_error_function": ("""
result = keras.losses.mean_squared_error(tf.constant([[1., 2.]]), tf.constant([[1.5, 0.]]))""", False),
}


# Public constructors and functions whose Keras 3.15 signature is recorded (``signature:<name>``
# cases: [[parameter, kind, default or "<required>"], ...]; a layer's **kwargs stands for Keras's
# base Layer keywords, listed in LAYER_BASE_KEYWORDS).
SIGNATURES = [
    "layers.Dense", "layers.Conv2D", "layers.MaxPooling2D", "layers.Flatten", "layers.Activation", "layers.Dropout",
    "Sequential", "Input",
    "losses.MeanSquaredError", "losses.MeanAbsoluteError", "losses.SparseCategoricalCrossentropy",
    "losses.CategoricalCrossentropy", "losses.BinaryCrossentropy", "losses.categorical_crossentropy",
    "losses.binary_crossentropy", "losses.sparse_categorical_crossentropy", "losses.mean_squared_error",
    "losses.mean_absolute_error",
    "optimizers.SGD", "optimizers.Adam", "optimizers.RMSprop", "optimizers.Adagrad",
    "optimizers.schedules.ExponentialDecay", "optimizers.schedules.PiecewiseConstantDecay",
    "optimizers.schedules.CosineDecay",
    "initializers.Zeros", "initializers.Ones", "initializers.Constant", "initializers.RandomNormal",
    "initializers.RandomUniform", "initializers.GlorotUniform", "initializers.GlorotNormal", "initializers.HeNormal",
    "initializers.HeUniform",
    "activations.relu", "activations.leaky_relu", "activations.relu6", "activations.elu", "activations.selu",
    "activations.gelu", "activations.sigmoid", "activations.tanh", "activations.softplus", "activations.silu",
    "activations.softmax", "activations.log_softmax", "activations.linear",
]
LAYER_BASE_KEYWORDS = ["activity_regularizer", "trainable", "dtype", "autocast", "name", "input_shape", "input_dim"]


def resolve(keras, dotted):
    obj = keras
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def signature_of(obj):
    """[[name, kind, default], ...] of a class's __init__ or a function, JSON-safe."""
    import inspect
    sig = inspect.signature(obj.__init__ if isinstance(obj, type) else obj)
    out = []
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        d = p.default
        if d is inspect.Parameter.empty:
            d = "<required>"
        elif isinstance(d, tuple):
            d = list(d)
        elif not (d is None or isinstance(d, (bool, int, float, str))):
            d = repr(d)
        out.append([p.name, p.kind.name, d])
    return out


def run(code, tf, keras):
    """Run a case; returns ``("value", result)`` or ``("error", exception)``."""
    import threading
    import warnings
    import numpy as np
    return run_code(code, {"tf": tf, "keras": keras, "np": np, "threading": threading, "warnings": warnings})
