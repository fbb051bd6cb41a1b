"""Issue 8 (modules, layers, models): small programs run twice, by ``gen_module.py`` under
TensorFlow 2.21 / Keras 3.15 (recording ``module.json``) and by ``tests/test_module_tracking.py``
under gputape (comparing with the record).

Each case is ``name: code``; ``code`` runs with ``tf``, ``keras``, ``np`` and ``KV`` bound (``KV(value,
name=..., trainable=...)`` is ``keras.Variable`` under TF -- what a Keras 3 layer tracks -- and
``gputape.Variable`` under gputape) and sets ``result``.  Every case starts from
``keras.backend.clear_session()``.  ``SPECS`` are random nestings of Variables and layers/modules
(seeded, so both sides build the same ones) for the tracking-order cases.  Nothing here imports
TensorFlow.
"""
import random

from tf_fixture import run_code, to_jsonable  # noqa: F401  (to_jsonable: for gen_module.py and the tests)

CASES = {
    # ---------------------------------------------------------------- tf.Module
    "module_order": """
class Inner(tf.Module):
    def __init__(self):
        super().__init__()
        self.q = tf.Variable(8., name="q")
class Sub(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(7., name="w")
        self.inner = Inner()
class M(tf.Module):
    def __init__(self):
        super().__init__(name="m")
        self.z = tf.Variable(1., name="z")
        self.a = tf.Variable(2., name="a")
        self.lst = [tf.Variable(3., name="l0"), {"b": tf.Variable(4., name="db"), "a": tf.Variable(5., name="da")}]
        self.sub = Sub()
        self.c = (tf.Variable(6., name="c0", trainable=False),)
m = M()
result = [[v.name for v in m.variables], [v.name for v in m.trainable_variables], [s.name for s in m.submodules],
          m.name, m.name_scope.name, type(m.variables).__name__, type(m.submodules).__name__]""",
    "module_depth_first": """
class A(tf.Module):
    def __init__(self, n, kids=()):
        super().__init__(name=n); self.v = tf.Variable(1., name=n + "_v"); self.kids = list(kids)
t = A("root", [A("b", [A("b1")]), A("a", [A("a1")])])
result = [[v.name for v in t.variables], [m.name for m in t.submodules]]""",
    "module_shared_objects_once": """
class A(tf.Module):
    def __init__(self, n):
        super().__init__(name=n); self.v = tf.Variable(1., name=n + "_v")
class S(tf.Module):
    def __init__(self):
        super().__init__(); v = tf.Variable(1., name="sv"); self.x = v; self.y = [v]; m = A("m"); self.p = m; self.q = m
s = S()
result = [[v.name for v in s.variables], [m.name for m in s.submodules], s.name]""",
    "module_unsortable_dict_keys": """
class K(tf.Module):
    def __init__(self):
        super().__init__(); self.d = {1: tf.Variable(1., name="one"), "a": tf.Variable(2., name="a")}
result = K().variables""",
    "module_bad_name": "tf.Module(name='bad name')",
    "module_names_and_scopes": """
class MyModule(tf.Module): pass
class MLPBlock(tf.Module): pass
class O(tf.Module):
    def __init__(self):
        super().__init__()
        with self.name_scope:
            self.i = MyModule(); self.v = tf.Variable(1., name="v")
o = O()
result = [MyModule().name, MyModule(name="x").name, MyModule().name_scope.name, MLPBlock().name, o.i.name,
          o.i.name_scope.name, o.v.name, tf.Variable(2., name="after").name]""",
    "module_training_loop": """
class Lin(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable([[0.5], [-0.25]], name="w")
        self.b = tf.Variable([0.1], name="b")
    def __call__(self, x):
        return tf.matmul(x, self.w) + self.b
m = Lin()
x = tf.constant([[1., 2.], [3., -1.], [0.5, 0.5]]); y = tf.constant([[1.], [2.], [0.]])
losses = []
for _ in range(5):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(m(x) - y))
    grads = tape.gradient(loss, m.trainable_variables)
    for v, g in zip(m.trainable_variables, grads):
        v.assign_sub(0.1 * g)
    losses.append(float(loss))
result = [losses, [v.name for v in m.trainable_variables], [v.numpy().tolist() for v in m.trainable_variables]]""",
    "module_holding_keras_layer": """
class MK(tf.Module):
    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(2)
mk = MK(); mk.d(tf.ones((1, 3)))
result = len(mk.variables)""",
    # ---------------------------------------------------------------- keras Layer tracking
    "layer_tracking_order": """
D = keras.layers.Dense
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.zz = D(2, name="zz")
        self.aa = D(3, name="aa")
        self.lst = [D(1, name="l0"), {"b": D(1, name="db"), "a": D(1, name="da")}]
        self.v = KV(np.ones(2, np.float32), name="v", trainable=False)
        self.w0 = self.add_weight(shape=(1,), name="w0", trainable=False)
        self.w1 = self.add_weight(shape=(1,), name="w1")
    def call(self, x):
        y = self.zz(x); self.aa(x); self.lst[0](x); self.lst[1]["b"](x); self.lst[1]["a"](x)
        return y
l = L(); l(tf.ones((1, 3)))
result = [[v.path for v in l.weights], [v.path for v in l.trainable_weights], [v.path for v in l.non_trainable_weights],
          [v.path for v in l.variables], [v.path for v in l.trainable_variables],
          [v.path for v in l.non_trainable_variables], l.count_params()]""",
    "layer_nested_reassigned_appended_shared": """
D = keras.layers.Dense
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.d = D(1, name="first")
        self.d = D(1, name="second")
        self.nest = [[D(1, name="n00")], (D(1, name="t0"),), [{"k": D(1, name="dk")}]]
        self.nest[0].append(D(1, name="app"))
        self.vs = [KV(1., name="lv", trainable=True)]
        self.shared = self.nest[0][0]
        self.n = None
    def call(self, x):
        for l in [self.d, self.nest[0][0], self.nest[1][0], self.nest[2][0]["k"], self.nest[0][1]]:
            l(x)
        return x
l = L(); l(tf.ones((1, 2)))
result = [[v.path for v in l.weights], isinstance(l.nest, list), isinstance(l.nest[2][0], dict)]""",
    "layer_reassigned_built_layer_stays": """
D = keras.layers.Dense
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.d = D(1, name="first")
    def call(self, x):
        return self.d(x)
l = L(); l(tf.ones((1, 2)))
l.d = D(1, name="second"); l(tf.ones((1, 2)))
result = [v.path for v in l.weights]""",
    "layer_list_remove_untracks": """
D = keras.layers.Dense
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.ds = [D(1, name="a"), D(1, name="b")]
    def call(self, x):
        for d in self.ds: d(x)
        return x
l = L(); l(tf.ones((1, 2)))
l.ds.pop(0)
result = [v.path for v in l.weights]""",
    "layer_tracked_list_and_dict_mutations": """
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.ds = []
        self.ds.append(keras.layers.Dense(1, name="a"))
        self.ds.extend([keras.layers.Dense(1, name="b")])
        self.ds.insert(0, keras.layers.Dense(1, name="c"))
        self.m = {"x": keras.layers.Dense(1, name="x")}
        self.m["y"] = keras.layers.Dense(1, name="y")
        del self.m["x"]
        self.ds.remove(self.ds[-1])
    def call(self, x):
        for d in self.ds + list(self.m.values()): d(x)
        return x
l = L(); l(tf.ones((1, 2)))
result = [[v.path for v in l.weights], [d.name for d in l.ds], sorted(l.m)]""",
    "layer_list_setitem_and_iadd": """
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.ds = [keras.layers.Dense(1, name="a")]
        self.ds[0] = keras.layers.Dense(1, name="b")
        self.ds += [keras.layers.Dense(1, name="c")]
    def call(self, x):
        for d in self.ds: d(x)
        return x
l = L(); l(tf.ones((1, 2)))
result = [v.path for v in l.weights]""",
    "layer_list_setitem_only": """
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.ds = [keras.layers.Dense(1, name="a")]
        self.ds[0] = keras.layers.Dense(1, name="b")
    def call(self, x):
        for d in self.ds: d(x)
        return x
l = L(); l(tf.ones((1, 2)))
result = [v.path for v in l.weights]""",
    "layer_in_a_set": """
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.s = {keras.layers.Dense(1, name="a")}
    def call(self, x):
        for d in self.s: d(x)
        return x
l = L(); l(tf.ones((1, 2)))
result = [v.path for v in l.weights]""",
    "layer_raw_tf_variable": """
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.kv = KV(1., name="kv", trainable=True)
        self.tv = tf.Variable(2., name="tv")
l = L()
result = [v.path for v in l.weights]""",
    "layer_freeze": """
D = keras.layers.Dense
class T(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="t")
        self.a = D(1, name="a"); self.b = D(1, name="b")
        self.s = self.add_weight(shape=(1,), name="s", trainable=False)
    def call(self, x):
        return self.b(self.a(x))
t = T(); t(tf.ones((1, 2)))
out = []
t.trainable = False
out.append([[v.path for v in t.trainable_weights], [v.path for v in t.non_trainable_weights], t.a.trainable,
            t.a.kernel.trainable, [v.path for v in t.a.non_trainable_weights]])
t.trainable = True
out.append([[v.path for v in t.trainable_weights], [v.path for v in t.non_trainable_weights], t.a.trainable])
t.a.trainable = False
out.append([[v.path for v in t.trainable_weights], [v.path for v in t.non_trainable_weights], [v.path for v in t.weights]])
result = out""",
    "layer_frozen_before_build": """
D = keras.layers.Dense
class T(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="t")
        self.a = D(1, name="a"); self.a.trainable = False; self.b = D(1, name="b")
    def call(self, x):
        return self.b(self.a(x))
t = T(); t(tf.ones((1, 2)))
result = [[v.path for v in t.trainable_weights], [v.path for v in t.non_trainable_weights], t.a.kernel.trainable]""",
    "layer_frozen_still_differentiable": """
d = keras.layers.Dense(1, kernel_initializer="ones"); d(tf.ones((1, 2))); d.trainable = False
with tf.GradientTape() as t:
    y = tf.reduce_sum(d(tf.constant([[1., 2.]])))
result = [g.numpy().tolist() for g in t.gradient(y, [d.kernel, d.bias])]""",
    "layer_trainable_constructor_false": """
d = keras.layers.Dense(2, trainable=False); d(tf.ones((1, 3)))
result = [d.trainable, len(d.trainable_weights), len(d.non_trainable_weights), d.kernel.trainable]""",
    "layer_training_propagation": """
log = []
class P(keras.layers.Layer):
    def call(self, x, training=None):
        log.append([self.name, training]); return x
class Q(keras.layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw); self.a = P(name="pa"); self.b = P(name="pb"); self.c = P(name="pc")
    def call(self, x):
        self.a(x); self.b(x, training=False); self.c(x); return x
class Q2(keras.layers.Layer):
    def __init__(self):
        super().__init__(); self.a = P(name="pd")
    def call(self, x, training=True):
        self.a(x); return x
out = []
q = Q(); q(tf.ones(1)); log.clear()
q(tf.ones(1), training=True); out.append(list(log)); log.clear()
q(tf.ones(1)); out.append(list(log)); log.clear()
q2 = Q2(); q2(tf.ones(1)); log.clear()
q2(tf.ones(1)); out.append(list(log)); log.clear()
q2(tf.ones(1), training=False); out.append(list(log)); log.clear()
result = out""",
    "layer_training_positional": """
log = []
class P(keras.layers.Layer):
    def call(self, x, training=None):
        log.append([self.name, training]); return x
class Q(keras.layers.Layer):
    def __init__(self):
        super().__init__(); self.a = P(name="pa")
    def call(self, x, training=None):
        self.a(x); return x
q = Q(); q(tf.ones(1)); log.clear()
q(tf.ones(1), True)
result = log""",
    "layer_python_list_input": "keras.layers.Dense(2)([[1., 2.]])",
    "layer_numpy_input_autocast": """
d = keras.layers.Dense(2, kernel_initializer="ones")
result = [d(np.ones((1, 2))).dtype.name, keras.layers.Activation("relu")(np.array([1, -2])).numpy().tolist()]""",
    "layer_list_of_mixed_inputs": """
class C(keras.layers.Layer):
    def call(self, xs): return xs[0] + xs[1]
result = C()((np.ones((1, 1)), tf.ones((1, 1))))""",
    "layer_training_to_call_without_it": """
class Mk(keras.layers.Layer):
    def call(self, x): return x * 2.
result = Mk()(tf.ones(1), training=True)""",
    "layer_mask_to_call_without_it": """
class Mk(keras.layers.Layer):
    def call(self, x): return x
result = Mk()(tf.ones(1), mask=tf.ones(1))""",
    "layer_mask_passed": """
seen = []
class Mm(keras.layers.Layer):
    def call(self, x, mask=None):
        seen.append(None if mask is None else mask.numpy().tolist()); return x
m = Mm(); m(tf.ones(1)); m(tf.ones(1), mask=tf.constant([True]))
result = seen""",
    "layer_add_loss": """
class Inner(keras.layers.Layer):
    def call(self, x):
        self.add_loss(tf.reduce_sum(x) * 2.); return x
class Outer(keras.layers.Layer):
    def __init__(self):
        super().__init__(); self.i = Inner()
    def call(self, x):
        self.add_loss(tf.reduce_sum(x)); return self.i(x)
o = Outer()
out = [len(o.losses)]
o(tf.ones(2)); out.append([float(l) for l in o.losses])
o(tf.ones(2) * 3.); out.append([float(l) for l in o.losses])
out.append([float(l) for l in o.i.losses])
result = out""",
    "layer_losses_order": """
class Leaf(keras.layers.Layer):
    def __init__(self, value, kids=(), **kw):
        super().__init__(**kw); self.value = value; self.kids = list(kids)
    def call(self, x):
        self.add_loss(tf.reduce_sum(x) * self.value)
        for k in self.kids: k(x)
        return x
root = Leaf(1., [Leaf(2., [Leaf(3.), Leaf(4.)]), Leaf(5., [Leaf(6.)])])
root(tf.ones(1))
result = [float(l) for l in root.losses]""",
    "layer_add_loss_eager_list": """
l = keras.layers.Layer()
l.add_loss(tf.constant(2.0)); l.add_loss([tf.constant(1.0), tf.constant(2.)])
result = [float(x) for x in l.losses]""",
    "layer_add_loss_python_float": "keras.layers.Layer().add_loss(1.0)",
    "layer_get_set_weights": """
class L(keras.layers.Layer):
    def __init__(self):
        super().__init__(name="l")
        self.d = keras.layers.Dense(2, name="d")
        self.s = self.add_weight(shape=(2,), initializer="zeros", name="s", trainable=False)
        self.t = self.add_weight(shape=(1,), initializer="zeros", name="t")
    def call(self, x): return self.d(x) + self.s + self.t
l = L(); l(tf.ones((1, 3)))
ws = [np.arange(np.prod(w.shape), dtype=np.float32).reshape(w.shape) + i for i, w in enumerate(l.get_weights())]
l.set_weights(ws)
result = [[list(w.shape) for w in l.get_weights()], [w.tolist() for w in l.get_weights()],
          l(tf.constant([[1., 0., -1.]])).numpy().tolist()]""",
    "layer_set_weights_wrong_count": """
d = keras.layers.Dense(2); d(tf.ones((1, 3)))
d.set_weights([np.ones((3, 2))])""",
    "layer_set_weights_wrong_shape": """
d = keras.layers.Dense(2); d(tf.ones((1, 3)))
d.set_weights([np.ones((3, 2)), np.ones(3)])""",
    "layer_set_weights_wrong_shape_assigns_nothing": """
d = keras.layers.Dense(2, kernel_initializer="zeros"); d(tf.ones((1, 3)))
try:
    d.set_weights([np.ones((3, 2)), np.ones(3)])
except ValueError:
    pass
result = d.kernel.numpy().tolist()""",
    "layer_build_once": """
shapes = []
class B(keras.layers.Layer):
    def build(self, input_shape):
        shapes.append(list(input_shape))
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
    def call(self, x): return x * self.w
b = B(name="b")
out = [b.built, len(b.weights)]
b(tf.ones((2, 3))); b(tf.ones((2, 3)))
result = out + [b.built, shapes, [v.path for v in b.weights]]""",
    "layer_build_nested_first_arg": """
shapes = []
class B2(keras.layers.Layer):
    def build(self, input_shape):
        shapes.append([list(s) for s in input_shape])
    def call(self, x, y): return x[0]
B2()([tf.ones((2, 3)), tf.ones((4,))], tf.ones(5))
result = shapes""",
    # ---------------------------------------------------------------- keras Model
    "model_headline": """
class Net(keras.Model):
    def __init__(self):
        super().__init__(); self.d1 = keras.layers.Dense(4)
    def call(self, x): return self.d1(x)
net = Net(); net(tf.ones((1, 3)))
result = [len(net.trainable_variables), net.count_params(), [v.path for v in net.weights], net.name,
          [l.name for l in net.layers], net.built]""",
    "model_count_params_unbuilt": """
class Net(keras.Model):
    def __init__(self):
        super().__init__(); self.d1 = keras.layers.Dense(4)
    def call(self, x): return self.d1(x)
Net().count_params()""",
    "model_unknown_keyword": "keras.Model(foo=1)",
    "model_subclass_unknown_keyword": """
class Net3(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
    def call(self, x): return x
Net3(foo=1)""",
    "model_name_trainable_keywords": """
class Net3(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
    def call(self, x): return x
n = Net3(name="zz", trainable=False)
result = [n.name, n.trainable, keras.Model().name]""",
    "model_functional_positional": """
inp = keras.Input(shape=(3,))
result = type(keras.Model(inp, keras.layers.Dense(2)(inp))).__name__""",
    "model_functional_keywords": """
inp = keras.Input(shape=(3,))
result = type(keras.Model(inputs=inp, outputs=keras.layers.Dense(2)(inp))).__name__""",
    "model_get_layer": """
class Net(keras.Model):
    def __init__(self):
        super().__init__(); self.d1 = keras.layers.Dense(4, name="d1"); self.blocks = [keras.layers.Dense(2, name="d2")]
    def call(self, x): return self.blocks[0](self.d1(x))
n = Net()
result = [n.get_layer("d2").name, n.get_layer(index=0).name, [l.name for l in n.layers]]""",
    "model_get_layer_missing": """
class Net(keras.Model):
    def __init__(self):
        super().__init__(); self.d1 = keras.layers.Dense(4, name="d1")
    def call(self, x): return self.d1(x)
Net().get_layer("nope")""",
    "model_get_layer_bad_index": """
class Net(keras.Model):
    def __init__(self):
        super().__init__(); self.d1 = keras.layers.Dense(4, name="d1")
    def call(self, x): return self.d1(x)
Net().get_layer(index=3)""",
    "model_get_layer_both": """
class Net(keras.Model):
    def call(self, x): return x
Net().get_layer("a", 0)""",
    "model_get_layer_neither": """
class Net(keras.Model):
    def call(self, x): return x
Net().get_layer()""",
    "model_training_loop": """
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.h = keras.layers.Dense(3, activation="tanh", name="h")
        self.blocks = {"out": keras.layers.Dense(1, name="out")}
    def call(self, x):
        return self.blocks["out"](self.h(x))
net = Net(); net(tf.zeros((1, 2)))
net.set_weights([np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]], np.float32), np.array([0.0, 0.1, -0.1], np.float32),
                 np.array([[1.0], [-0.5], [0.3]], np.float32), np.array([0.2], np.float32)])
x = tf.constant([[1., 2.], [3., -1.], [0.5, 0.5], [-1., 0.]]); y = tf.constant([[1.], [2.], [0.], [-1.]])
opt = keras.optimizers.SGD(0.1)
losses = []
for _ in range(10):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(net(x) - y))
    grads = tape.gradient(loss, net.trainable_variables)
    opt.apply_gradients(zip(grads, net.trainable_variables))
    losses.append(float(loss))
result = [losses, [v.path for v in net.trainable_variables], [w.tolist() for w in net.get_weights()]]""",
    "model_training_loop_function_frozen": """
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.h = keras.layers.Dense(3, activation="relu", name="h")
        self.o = keras.layers.Dense(1, name="o")
    def call(self, x):
        return self.o(self.h(x))
net = Net(); net(tf.zeros((1, 2)))
net.set_weights([np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]], np.float32), np.array([0.0, 0.1, 0.3], np.float32),
                 np.array([[1.0], [-0.5], [0.3]], np.float32), np.array([0.2], np.float32)])
net.h.trainable = False
x = tf.constant([[1., 2.], [3., -1.], [0.5, 0.5], [-1., 0.]]); y = tf.constant([[1.], [2.], [0.], [-1.]])
opt = keras.optimizers.Adam(0.05)
@tf.function
def step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(net(x, training=True) - y))
    grads = tape.gradient(loss, net.trainable_variables)
    opt.apply_gradients(zip(grads, net.trainable_variables))
    return loss
losses = [float(step(x, y)) for _ in range(8)]
result = [losses, [v.path for v in net.trainable_variables], [w.tolist() for w in net.get_weights()]]""",
    "sequential_still_works": """
m = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="a"), keras.layers.Dense(1, name="b")])
result = [[v.path for v in m.weights], [l.name for l in m.layers], m.count_params(), m.built,
          isinstance(m, keras.Model)]""",
    "sequential_inside_model": """
class Net(keras.Model):
    def __init__(self):
        super().__init__(name="net")
        self.body = keras.Sequential([keras.layers.Dense(2, name="a")], name="body")
        self.head = keras.layers.Dense(1, name="head")
    def call(self, x): return self.head(self.body(x))
n = Net(); n(tf.ones((1, 3)))
result = [[v.path for v in n.weights], [l.name for l in n.layers]]""",
}


# ---------------------------------------------------------------- random nestings
def make_spec(rng):
    """One random tree drawn with ``rng`` (a ``random.Random``): a node is ``{"name", "attrs":
    [[attr, value]], "frozen"}``; a value is ``["V", name, trainable]``, ``["N", node]``, ``["ref",
    name]`` (a Variable or finished node made earlier, so shared), ``["list"|"tuple", [values]]``,
    ``["dict", [[key, value]]]`` or ``["none"]``."""
    count = {"v": 0, "n": 0}
    made = []

    def value(depth):
        r = rng.random()
        if r < 0.35 or depth > 3:
            count["v"] += 1
            name = f"v{count['v']}"
            made.append(name)
            return ["V", name, rng.random() < 0.7]
        if r < 0.55:
            return ["N", node(depth + 1)]
        if r < 0.62 and made:
            return ["ref", rng.choice(made)]
        if r < 0.66:
            return ["none"]
        kind = rng.choice(["list", "tuple", "dict"])
        k = rng.randint(0, 3)
        if kind == "dict":
            keys = rng.sample(["a", "b", "c", "d", "e", "f"], k)
            return ["dict", [[key, value(depth + 1)] for key in keys]]
        return [kind, [value(depth + 1) for _ in range(k)]]

    def node(depth):
        count["n"] += 1
        name = f"n{count['n']}"
        attrs = rng.sample(["z", "a", "m", "b", "y", "c"], rng.randint(0, 4))
        out = {"name": name, "attrs": [[a, value(depth)] for a in attrs], "frozen": rng.random() < 0.2}
        made.append(name)          # shareable once complete (an ancestor would make a cycle)
        return out

    return node(0)


def make_specs(n=24, seed=8):
    rng = random.Random(seed)
    return [make_spec(rng) for _ in range(n)]


SPECS = make_specs()


def build_spec(spec, tf, keras, KV, kind):
    """Build a spec as Keras layers (``kind='layer'``) or ``tf.Module``s; returns (root, objects by name)."""
    objs = {}

    def make(v):
        t = v[0]
        if t == "V":
            var = KV(1.0, name=v[1], trainable=v[2]) if kind == "layer" else tf.Variable(1.0, name=v[1],
                                                                                          trainable=v[2])
            objs[v[1]] = var
            return var
        if t == "N":
            return node(v[1])
        if t == "ref":
            return objs[v[1]]
        if t == "none":
            return None
        if t == "list":
            return [make(e) for e in v[1]]
        if t == "tuple":
            return tuple(make(e) for e in v[1])
        return {k: make(e) for k, e in v[1]}

    def node(s):
        obj = keras.layers.Layer(name=s["name"]) if kind == "layer" else tf.Module(name=s["name"])
        objs[s["name"]] = obj
        for attr, v in s["attrs"]:
            setattr(obj, attr, make(v))
        return obj

    root = node(spec)
    if kind == "layer":
        def freeze(s):
            if s["frozen"]:
                objs[s["name"]].trainable = False
            for _, v in s["attrs"]:
                walk_value(v)

        def walk_value(v):
            if v[0] == "N":
                freeze(v[1])
            elif v[0] in ("list", "tuple"):
                for e in v[1]:
                    walk_value(e)
            elif v[0] == "dict":
                for _, e in v[1]:
                    walk_value(e)
        freeze(spec)
    return root, objs


def spec_result(spec, tf, keras, KV, kind):
    root, _ = build_spec(spec, tf, keras, KV, kind)
    if kind == "layer":
        return [[v.path for v in root.weights], [v.path for v in root.trainable_weights],
                [v.path for v in root.non_trainable_weights], root.trainable]
    return [[v.name[:-2] for v in root.variables], [v.name[:-2] for v in root.trainable_variables],
            [m.name for m in root.submodules]]


def run(code, tf, keras, KV):
    """Run a case; returns ``("value", result)`` or ``("error", exception)``."""
    import numpy as np
    keras.backend.clear_session()
    return run_code(code, {"tf": tf, "keras": keras, "np": np, "KV": KV})
