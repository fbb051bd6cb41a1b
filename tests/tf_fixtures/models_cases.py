"""Issue 8's Sequential / summary / config cases: short programs run with ``keras`` bound to Keras 3.15
(tf.keras, by gen_models.py, which records the result in models.json) and to ``gputape.keras`` (by
tests/test_models_surface.py).  Each program sets ``result`` (a plain Python value: ints, strings,
lists, dicts; tuples are recorded as lists) or raises.

Each entry is (name, code, options); options: "summary": the result is the text ``summary`` printed
(compared by column content, see the test), "config": the result is a config dict (compared after
JSON normalisation).
"""
PRELUDE = """
import numpy as np
def two_dense():
    return keras.Sequential([keras.layers.Dense(3, name="a"), keras.layers.Dense(2, name="b")], name="two")
def cnn():
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c"),
                             keras.layers.MaxPooling2D(name="p"), keras.layers.Flatten(name="f"),
                             keras.layers.Dropout(0.5, name="d"), keras.layers.Dense(3, name="o"),
                             keras.layers.Activation("softmax", name="s")], name="cnn")
def summary_text(m, **kw):
    out = []
    m.summary(print_fn=lambda s, **k: out.append(s), **kw)
    return "\\n".join(out)
def cfg(layer):
    c = dict(layer.get_config())
    c.pop("name", None)
    return c
"""

CASES = [
    # ---- 1. Sequential: add, pop, layers, get_layer, build, Input / input_shape
    ("add_int", "m = keras.Sequential(); m.add(3)", {}),
    ("add_str", "m = keras.Sequential(); m.add('dense')", {}),
    ("add_function", "m = keras.Sequential(); m.add(np.tanh)", {}),
    ("init_list_with_int", "keras.Sequential([keras.layers.Dense(2), 3])", {}),
    ("pop_empty", "m = keras.Sequential(); m.pop()", {}),
    ("pop_returns_last", "m = two_dense(); l = m.pop(); result = [l.name, [x.name for x in m.layers]]", {}),
    ("pop_twice_then_empty", "m = two_dense(); m.pop(); m.pop(); m.pop()", {}),
    ("layers_names", "result = [l.name for l in two_dense().layers]", {}),
    ("layers_with_input", "result = [l.name for l in cnn().layers]", {}),
    ("get_layer_name", "result = two_dense().get_layer(name='b').name", {}),
    ("get_layer_index", "result = two_dense().get_layer(index=0).name", {}),
    ("get_layer_index_oob", "two_dense().get_layer(index=5)", {}),
    ("get_layer_missing_name", "two_dense().get_layer(name='zz')", {}),
    ("get_layer_none", "two_dense().get_layer()", {}),
    ("get_layer_both", "two_dense().get_layer(name='a', index=0)", {}),
    ("count_params_unbuilt", "two_dense().count_params()", {}),
    ("build_then_count", "m = two_dense(); m.build((None, 4)); result = [m.built, m.count_params()]", {}),
    ("build_then_weights", "m = two_dense(); m.build((None, 4)); result = [list(w.shape) for w in m.weights]", {}),
    ("input_first_count", "result = cnn().count_params()", {}),
    ("input_shape_kwarg_count",
     "m = keras.Sequential([keras.layers.Dense(3, input_shape=(5,)), keras.layers.Dense(1)]); "
     "result = [m.built, m.count_params()]", {}),
    ("add_after_input_builds",
     "m = keras.Sequential([keras.Input((4,))]); m.add(keras.layers.Dense(2)); result = m.count_params()", {}),
    ("pop_then_count",
     "m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)]); m.pop(); "
     "result = m.count_params()", {}),
    # ---- 2. summary()
    ("summary_two_dense", "m = two_dense(); m.build((None, 4)); result = summary_text(m)", {"summary": True}),
    ("summary_cnn", "result = summary_text(cnn())", {"summary": True}),
    ("summary_frozen",
     "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name='h'), keras.layers.Dense(1, name='y')], "
     "name='frozen'); m.layers[0].trainable = False; result = summary_text(m)", {"summary": True}),
    ("summary_unbuilt", "result = summary_text(two_dense())", {"summary": True}),
    ("summary_big_counts",
     "m = keras.Sequential([keras.Input((300,)), keras.layers.Dense(1000, name='wide'), keras.layers.Dense(10, name='out')], "
     "name='big'); result = summary_text(m)", {"summary": True}),
    ("summary_float64",
     "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name='h', dtype='float64')], name='f64'); "
     "result = summary_text(m)", {"summary": True}),
    ("summary_subclassed",
     "class Net(keras.Model):\n"
     "    def __init__(self):\n"
     "        super().__init__(name='net')\n"
     "        self.d1 = keras.layers.Dense(4, name='d1')\n"
     "        self.d2 = keras.layers.Dense(1, name='d2')\n"
     "    def call(self, x):\n"
     "        return self.d2(self.d1(x))\n"
     "net = Net(); net(np.ones((2, 3), 'float32')); result = summary_text(net)", {"summary": True}),
    # ---- 3. get_config / from_config
    ("config_dense", "result = cfg(keras.layers.Dense(3, activation='relu', use_bias=False))", {"config": True}),
    ("config_dense_default", "result = cfg(keras.layers.Dense(4))", {"config": True}),
    ("config_conv2d",
     "result = cfg(keras.layers.Conv2D(8, (3, 5), strides=2, padding='same', activation='tanh', "
     "kernel_initializer='he_normal'))", {"config": True}),
    ("config_maxpool", "result = cfg(keras.layers.MaxPooling2D((3, 3), strides=(1, 2), padding='same'))",
     {"config": True}),
    ("config_maxpool_default", "result = cfg(keras.layers.MaxPooling2D())", {"config": True}),
    ("config_flatten", "result = cfg(keras.layers.Flatten())", {"config": True}),
    ("config_dropout", "result = cfg(keras.layers.Dropout(0.25, seed=3))", {"config": True}),
    ("config_activation", "result = cfg(keras.layers.Activation('sigmoid'))", {"config": True}),
    ("config_trainable_false", "result = cfg(keras.layers.Dense(2, trainable=False))", {"config": True}),
    ("config_float64", "result = cfg(keras.layers.Dense(2, dtype='float64'))", {"config": True}),
    ("config_name_kept", "result = keras.layers.Dense(2, name='zz').get_config()['name']", {}),
    ("config_input_layer", "c = keras.layers.InputLayer(shape=(3, 4)).get_config(); c.pop('name'); result = c",
     {"config": True}),
    ("config_sequential_layers",
     "c = cnn().get_config(); result = [[l['class_name'], l['config']['name'].startswith('input_layer') if l['class_name'] == 'InputLayer' else l['config']['name']] for l in c['layers']]", {}),
    ("config_sequential_keys", "c = cnn().get_config(); result = [sorted(c), c['name'], c['build_input_shape']]",
     {}),
    ("roundtrip_dense",
     "l = keras.layers.Dense(3, activation='relu', name='rt'); l2 = keras.layers.Dense.from_config(l.get_config()); "
     "result = [type(l2).__name__, l2.get_config() == l.get_config()]", {}),
    ("roundtrip_conv2d",
     "l = keras.layers.Conv2D(4, 3, padding='same', name='rc'); l2 = keras.layers.Conv2D.from_config(l.get_config()); "
     "result = l2.get_config() == l.get_config()", {}),
    ("roundtrip_sequential",
     "m = cnn(); m2 = keras.Sequential.from_config(m.get_config()); "
     "result = [[l.name for l in m2.layers], m2.count_params()]", {}),
    ("from_config_unknown_key", "keras.layers.Dense.from_config({'units': 2, 'bogus': 1})", {}),
]
