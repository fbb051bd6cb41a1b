"""Differential tests: the same small programs under gputape and under TensorFlow print the same numbers.

Each program below is plain TensorFlow code (the name ``tf`` is the module under test) that
reports values with ``out(...)``.  gputape runs them in this process; TensorFlow runs them in a
Python that has it: this one when ``import tensorflow`` works, else the interpreter named by
``GPUTAPE_TF_PYTHON`` (e.g. ``GPUTAPE_TF_PYTHON=/opt/tfenv/bin/python``).  Without either,
TensorFlow's results recorded in ``tf_fixtures/differential.json`` are used (regenerate them with
``python-with-tf tests/tf_fixtures/gen_differential.py`` after adding or changing a program), so
the comparison runs in every ``pytest`` and in CI.  Both sides report (dtype, shape, values) for each value, or the
exception's class name; floats are compared to 1e-5 relative, NaN equal to NaN.
"""
import importlib.util
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

PROGRAMS = {}


def program(src):
    name, _, body = textwrap.dedent(src).strip().partition("\n")
    PROGRAMS[name.strip("# ").strip()] = body


program("""
# variable_power
x = tf.Variable(3.0)
with tf.GradientTape() as t:
    y = x ** 3 + 2.0 * x
out(y, t.gradient(y, x))
""")

program("""
# broadcasting_gradients
a = tf.constant([[1., 2., 3.], [4., 5., 6.]])
b = tf.constant([1., 2., 3.])
c = tf.constant([[1.], [2.]])
s = tf.constant(2.)
with tf.GradientTape() as t:
    t.watch([a, b, c, s])
    y = (a + b) * c * s
out(*t.gradient(y, [a, b, c, s]))
""")

program("""
# nested_tapes_third_order
x = tf.constant(0.7)
with tf.GradientTape() as t1:
    t1.watch(x)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t3:
            t3.watch(x)
            y = tf.sin(x) * tf.exp(x)
        d1 = t3.gradient(y, x)
    d2 = t2.gradient(d1, x)
out(d1, d2, t1.gradient(d2, x))
""")

program("""
# persistent_tape_and_structures
x1, x2 = tf.constant(1.5), tf.constant([1., 2.])
with tf.GradientTape(persistent=True) as t:
    t.watch([x1, x2])
    y = x1 * x1 * tf.reduce_sum(x2 ** 2)
    z = tf.tanh(x2) * x1
g = t.gradient({'y': y, 'z': z}, {'a': x1, 'b': [x2, x1]})
out(g['a'], g['b'][0], g['b'][1], t.gradient(z, x2, output_gradients=tf.constant([1., -2.])))
out(t.jacobian(z, x2), t.jacobian(z, x1), t.gradient(y, tf.constant(1.)), t.gradient(y, [x2], unconnected_gradients='zero'))
""")

program("""
# jacobians
x = tf.constant([[1., 2.], [3., 4.]])
w = tf.constant([[1., -1., 0.5], [2., 0., 1.]])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    y = tf.matmul(x, x)
    z = tf.nn.softmax(tf.matmul(x, w))
out(t.jacobian(y, x), t.batch_jacobian(z, x), t.jacobian(tf.reduce_sum(z), x))
""")

program("""
# custom_gradient_and_helpers
@tf.custom_gradient
def clip_grad(x):
    return tf.identity(x), lambda dy: tf.clip_by_value(dy, -0.5, 0.5)
x = tf.constant([1., 2., 3.])
with tf.GradientTape() as t:
    t.watch(x)
    y = clip_grad(x) * tf.constant([0.1, 1., -3.])
    r = tf.grad_pass_through(tf.round)(1.3 * x)
    s = x * tf.stop_gradient(x)
out(t.gradient([y, r, s], x))
f = tf.recompute_grad(lambda v: tf.tanh(v) ** 2)
with tf.GradientTape() as t:
    t.watch(x)
    y = f(x)
out(t.gradient(y, x))
""")

program("""
# forward_mode_and_hvp
x = tf.constant([1., 2.])
v = tf.constant([1., 0.5])
with tf.autodiff.ForwardAccumulator(x, v) as acc:
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(x ** 3) + x[0] * tf.sin(x[1])
    g = t.gradient(y, x)
    z = tf.nn.sigmoid(x) * tf.stop_gradient(x)
out(acc.jvp(y), acc.jvp(g), acc.jvp(z))
""")

program("""
# softmax_cross_entropy
z = tf.constant([[1., 2., 3.], [0.5, -1., 2.]])
lab = tf.constant([[0., 0., 1.], [0.2, 0.3, 0.5]])
with tf.GradientTape(persistent=True) as t:
    t.watch([z, lab])
    l1 = tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=z)
    l2 = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([2, 0]), logits=z)
    l3 = tf.nn.sigmoid_cross_entropy_with_logits(labels=lab, logits=z)
out(l1, l2, l3, *t.gradient(l1, [z, lab]), t.gradient(l2, z), *t.gradient(l3, [z, lab]))
out(tf.nn.softmax(z), tf.nn.log_softmax(z, axis=0))
""")

program("""
# reductions_and_ties
x = tf.constant([[1., 3., 3.], [5., 1., 5.]])
p = tf.constant([0., 2., 3.])
with tf.GradientTape(persistent=True) as t:
    t.watch([x, p])
    ys = [tf.reduce_max(x, axis=1), tf.reduce_min(x), tf.reduce_mean(x, axis=0), tf.reduce_prod(p),
          tf.reduce_logsumexp(x, axis=1), tf.math.reduce_std(x), tf.math.reduce_variance(x, axis=1),
          tf.norm(x, axis=1), tf.cumsum(x, axis=1, reverse=True)]
for y in ys:
    out(y, t.gradient(y, x) if y is not ys[3] else t.gradient(y, p))
""")

program("""
# activations_at_and_off_kinks
x = tf.constant([-2., -0.5, 0., 0.5, 6., 7.])
fs = [tf.nn.relu, tf.nn.relu6, tf.nn.leaky_relu, tf.nn.elu, tf.nn.selu, tf.nn.gelu,
      lambda v: tf.nn.gelu(v, approximate=True), tf.nn.softplus, tf.nn.sigmoid, tf.nn.tanh, tf.nn.silu,
      tf.abs, tf.sign, tf.math.erf]
for f in fs:
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    out(y, t.gradient(y, x))
""")

program("""
# indexing_and_gather
x = tf.constant([[1., 2., 3.], [4., 5., 6.]])
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    ys = [x[1:, ::2], x[:, tf.newaxis, -1], x[tf.constant(1)] * x[-1], tf.gather(x, [0, 0, 1]),
          tf.gather(x, [2, 2], axis=1), tf.reverse(x, [1]), tf.tile(x, [2, 1]), tf.pad(x, [[1, 0], [0, 2]])]
for y in ys:
    out(y, t.gradient(y, x))
""")

program("""
# shape_ops
a = tf.constant([[1., 2.], [3., 4.]])
b = tf.constant([[5., 6.]])
w = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
with tf.GradientTape(persistent=True) as t:
    t.watch([a, b])
    c = tf.concat([a, b], 0)
    s = tf.stack([a, a * 2.], axis=-1)
    r = tf.reshape(tf.transpose(c), [-1])
    e = tf.squeeze(tf.expand_dims(b, 0))
    u = tf.unstack(a)[1] * tf.split(c, [1, 2])[1][0]
    y = tf.reduce_sum(c * w) + tf.reduce_sum(s ** 2) + tf.reduce_sum(r * tf.range(6.)) + tf.reduce_sum(e) + tf.reduce_sum(u)
out(c, s, r, e, u, *t.gradient(y, [a, b]))
""")

program("""
# where_clip_max_min
x = tf.constant([-2., 0., 0.5, 1., 3.])
y = tf.constant([1., 0., 2., 1., -1.])
with tf.GradientTape(persistent=True) as t:
    t.watch([x, y])
    outs = [tf.where(x > 0, x, x * x), tf.clip_by_value(x, 0., 1.), tf.maximum(x, y), tf.minimum(x, y),
            tf.where(x > 0, tf.sqrt(x), 0.), tf.where(x > 0, tf.math.log(x), 0.), tf.math.divide_no_nan(x, y)]
for o in outs:
    out(o, *t.gradient(o, [x, y]))
""")

program("""
# elementwise_edges
x = tf.constant([0., -2., 2., 0.5])
e = tf.constant([2., 3., 0.5, 0.])
with tf.GradientTape(persistent=True) as t:
    t.watch([x, e])
    p = x ** e
    q = tf.pow(x, 0.)
    r = 2. ** x
    d = x / tf.constant([1., 0., 2., 0.])
    m = tf.math.floormod(x + 7., 2.)
out(p, *t.gradient(p, [x, e]), t.gradient(q, x), r, t.gradient(r, x), t.gradient(d, x), m, t.gradient(m, x))
out(tf.sqrt(x * 0.), t.gradient(tf.norm(x * 0.), x), tf.math.xlogy(x, tf.abs(x)), tf.math.squared_difference(x, e))
""")

program("""
# dtype_rules
out(tf.constant([1, 2]) / 2, tf.reduce_mean(tf.constant([1, 2])), tf.constant([3, -3]) // 2,
    tf.constant(-3.) % 2., tf.constant([1.]) * 2, tf.constant(1., tf.float16) * 2.5, np.float64(2.) * tf.constant(1.),
    tf.constant([1.]) * np.array([2.]), tf.constant([1, 2.5]), tf.constant(np.array([1.])), tf.argmax([1., 3., 2.]),
    tf.cast(tf.constant([1.7, -1.7]), tf.int32), tf.range(3), tf.range(3.), tf.constant(1.) * tf.constant(1, tf.float32))
out(lambda: tf.constant(1) * 2.5)
out(lambda: tf.constant(1.) * tf.constant(2., tf.float64))
out(lambda: tf.constant(1.7, dtype=tf.int32))
out(lambda: tf.random.uniform((2,), dtype=tf.int32))
""")

program("""
# variable_semantics
v = tf.Variable(2.0)
with tf.GradientTape() as t:
    y = v * v
    v.assign(10.0)
    z = v * v
    total = y + z
out(t.gradient(total, v), v)
w = tf.Variable([1., 2.], trainable=False)
u = tf.Variable(3)
with tf.GradientTape(persistent=True) as t:
    a = tf.reduce_sum(w * w) + tf.cast(u, tf.float32)
out(t.gradient(a, w), t.gradient(a, u), len(t.watched_variables()))
v.assign_add(1.0)
v.assign_sub(0.5)
out(v, v.read_value() * 2., tf.convert_to_tensor(v))
out(lambda: tf.Variable([1., 2.]).assign([1., 2., 3.]))
""")

program("""
# optimizers
def run(opt, steps=3):
    w = tf.Variable([1., -2., 0.5])
    for _ in range(steps):
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(w * w * tf.constant([1., 2., 3.])) + tf.reduce_sum(tf.sin(w))
        opt.apply_gradients(zip([t.gradient(loss, w)], [w]))
    return w
out(run(tf.keras.optimizers.SGD(0.05)), run(tf.keras.optimizers.SGD(0.05, momentum=0.9)),
    run(tf.keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)), run(tf.keras.optimizers.Adam(0.1)),
    run(tf.keras.optimizers.Adam(0.1, amsgrad=True)), run(tf.keras.optimizers.Adagrad(0.1)))
""")

program("""
# dense_sequential_training
model = tf.keras.Sequential([tf.keras.layers.Dense(3, activation='tanh'), tf.keras.layers.Dense(2)])
x = tf.constant([[1., 0.5], [-1., 2.], [0.3, -0.7], [2., 1.]])
y = tf.constant([[0.5, -1.], [1., 0.], [0., 0.5], [-1., 1.]])
model(x)
model.set_weights([np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], np.float32), np.array([0.01, 0., -0.01], np.float32),
                   np.array([[0.3, -0.1], [0.2, 0.4], [-0.5, 0.6]], np.float32), np.array([0., 0.1], np.float32)])
opt = tf.keras.optimizers.Adam(0.05)
mse = tf.keras.losses.MeanSquaredError()
for _ in range(20):
    with tf.GradientTape() as t:
        loss = mse(y, model(x))
    grads = t.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
out(loss, *model.trainable_variables, [v.shape for v in model.trainable_variables])
""")

program("""
# losses
yt, yp = tf.constant([[0., 1.], [1., 0.]]), tf.constant([[0.2, 0.8], [0.6, 0.4]])
logits = tf.constant([[1., 2., 0.5], [0.3, -1., 2.]])
out(tf.keras.losses.MeanSquaredError()(yt, yp), tf.keras.losses.MeanAbsoluteError()(yt, yp),
    tf.keras.losses.BinaryCrossentropy()(yt, yp), tf.keras.losses.BinaryCrossentropy(from_logits=True)(yt, yp),
    tf.keras.losses.CategoricalCrossentropy()(yt, yp),
    tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(tf.constant([1, 2]), logits),
    tf.keras.losses.SparseCategoricalCrossentropy()(tf.constant([1, 0]), yp),
    tf.keras.losses.SparseCategoricalCrossentropy()(tf.constant([1, 0]), yp * 3.))
p = tf.Variable([0.3, 0.7])
with tf.GradientTape() as t:
    l = tf.keras.losses.categorical_crossentropy(tf.constant([0., 1.]), p)
out(l, t.gradient(l, p))
""")

program("""
# linear_regression_loop
w, b = tf.Variable(4.0), tf.Variable(1.0)
x = np.arange(1, 11).astype(np.float32)
y = x * 10 + 13
opt = tf.keras.optimizers.SGD(learning_rate=0.01)
for i in range(101):
    with tf.GradientTape() as t:
        loss = tf.reduce_mean(tf.square(w * x + b - y))
    opt.apply_gradients(zip(t.gradient(loss, [w, b]), [w, b]))
out(w, b, loss, opt.iterations)
""")

program("""
# function_and_float64
@tf.function
def f(x):
    return tf.reduce_sum(tf.cast(tf.exp(x), tf.float64) * tf.cast(x, tf.float64))
x = tf.constant([0.5, -1.], tf.float32)
with tf.GradientTape() as t:
    t.watch(x)
    y = f(x)
out(y, t.gradient(y, x))
h = tf.constant([1., 2.], tf.float16)
with tf.GradientTape() as t:
    t.watch(h)
    k = h * h + tf.cast(tf.cast(h, tf.int32), tf.float16)
out(k, t.gradient(k, h))
""")


program("""
# reverse_over_forward
x = tf.constant([1., 2.])
with tf.GradientTape() as t:
    t.watch(x)
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1., -1.])) as acc:
        y = tf.reduce_sum(x ** 3) * tf.tanh(x[0])
    j = acc.jvp(y)
out(y, j, t.gradient(j, x))
""")

program("""
# recorders_side_by_side
x = tf.constant(2.)
with tf.GradientTape(persistent=True) as t:
    t.watch(x)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(3.)) as acc:
        a = x * x
        with t.stop_recording():
            b = a * x
        c = b + a
out(acc.jvp(a), acc.jvp(b), acc.jvp(c), t.gradient(c, x), t.gradient(a, x))
v = tf.Variable([1., 2.])
with tf.GradientTape() as t:
    loss = tf.reduce_sum(v * v)
    t.reset()
    loss2 = tf.reduce_sum(v * v * v)
out(t.gradient(loss2, v))
""")

program("""
# dense_on_3d_inputs
layer = tf.keras.layers.Dense(2, activation='sigmoid')
x = tf.reshape(tf.range(12.), (2, 3, 2)) / 10.
layer(x)
layer.set_weights([np.array([[0.5, -0.5], [0.25, 1.]], np.float32), np.array([0.1, -0.1], np.float32)])
with tf.GradientTape() as t:
    y = layer(x)
    loss = tf.reduce_sum(y * y)
out(y, *t.gradient(loss, layer.trainable_variables))
""")

program("""
# float64_and_matmul_variants
a = tf.Variable(np.array([[1., 2.], [3., 4.]]))
b = tf.constant(np.array([[0.5], [-1.]]))
with tf.GradientTape() as t:
    y = tf.matmul(a, b, transpose_a=True) * 2.5 + tf.matmul(b, a[:1], transpose_b=False)[0:1, :1]
    z = tf.reduce_sum(tf.linalg.matmul(a, a, transpose_b=True) ** 2.)
out(y, z, t.gradient([y, z], a))
""")


# ---------------------------------------------------------------- runner (also executed inside the TF interpreter)
RUNNER = r'''
import json, math, sys
import numpy as np

def report(v):
    if callable(v) and not hasattr(v, "shape"):
        try:
            v = v()
        except Exception as e:
            return {"error": type(e).__name__}
    if v is None:
        return None
    if hasattr(v, "indices") and hasattr(v, "dense_shape"):     # TF's IndexedSlices (gather): densify
        dense = np.zeros(np.asarray(v.dense_shape), dtype=np.asarray(v.values).dtype)
        np.add.at(dense, np.asarray(v.indices), np.asarray(v.values))
        return {"dtype": v.dtype.name, "shape": list(dense.shape), "values": dense.reshape(-1).tolist()}
    if hasattr(v, "as_list"):                    # a TensorShape
        return {"shape": list(v.as_list())}
    if isinstance(v, (list, tuple)) and not hasattr(v, "dtype"):
        return [report(e) for e in v]
    dtype = getattr(getattr(v, "dtype", None), "name", None)
    a = np.asarray(v)
    vals = a.astype(np.float64).reshape(-1).tolist() if a.dtype.kind in "fciub" else a.reshape(-1).tolist()
    vals = [("nan" if math.isnan(x) else "inf" if x == math.inf else "-inf" if x == -math.inf else x)
            if isinstance(x, float) else x for x in vals]
    return {"dtype": dtype or a.dtype.name, "shape": list(a.shape), "values": vals}

def run_all(tf, programs):
    results = {}
    for name, src in programs.items():
        got = []
        g = {"tf": tf, "np": np, "out": lambda *vs: got.append([report(v) for v in vs])}
        try:
            exec(compile(src, name, "exec"), g)
        except Exception as e:
            got.append({"error": type(e).__name__, "message": str(e)[:300]})
        results[name] = got
    return results

if __name__ == "__main__":
    import os, warnings
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore")
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    print(json.dumps(run_all(tf, json.loads(sys.stdin.read()))))
'''

_ns = {}
exec(RUNNER.replace('if __name__ == "__main__":', "if False:"), _ns)


def _tf_python():
    if importlib.util.find_spec("tensorflow") is not None:
        return sys.executable
    return os.environ.get("GPUTAPE_TF_PYTHON")


FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_fixtures", "differential.json")


def _recorded():
    with open(FIXTURE) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def tf_results():
    py = _tf_python()
    if not py:
        return _recorded()["programs"]
    r = subprocess.run([py, "-c", RUNNER], input=json.dumps(PROGRAMS), capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore"))
    if r.returncode:
        pytest.fail(f"the TensorFlow side failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def gt_results():
    import warnings
    import gputape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return json.loads(json.dumps(_ns["run_all"](gputape, PROGRAMS)))


def _same(a, b, path):
    if isinstance(a, dict) and "error" in a:
        assert isinstance(b, dict) and b.get("error") == a["error"], f"{path}: TF raised {a}, gputape gave {b}"
        return
    if a is None or b is None:
        assert a is None and b is None, f"{path}: TF gave {a}, gputape gave {b}"
        return
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: TF gave {a}, gputape gave {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
        return
    assert a.get("shape") == b.get("shape"), f"{path}: shape {a.get('shape')} (TF) vs {b.get('shape')}"
    if "values" not in a:
        return
    assert a["dtype"] == b["dtype"], f"{path}: dtype {a['dtype']} (TF) vs {b['dtype']}"
    fa = np.array([float(v) for v in a["values"]], dtype=np.float64)
    fb = np.array([float(v) for v in b["values"]], dtype=np.float64)
    rtol = 1e-3 if a["dtype"] == "float16" else 1e-5
    assert np.allclose(fb, fa, rtol=rtol, atol=1e-6, equal_nan=True), f"{path}: TF {fa.tolist()} vs gputape {fb.tolist()}"


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_same_numbers_as_tensorflow(name, tf_results, gt_results):
    _same(tf_results[name], gt_results[name], name)


def test_programs_are_numerous_and_run_on_gputape(gt_results):
    assert len(PROGRAMS) >= 20
    failed = {n: r for n, r in gt_results.items() if any(isinstance(x, dict) and "message" in x for x in r)}
    assert not failed


def test_recorded_tensorflow_results_cover_every_program():
    rec = _recorded()
    assert rec["tensorflow"].startswith("2.21"), rec["tensorflow"]
    missing = sorted(set(PROGRAMS) - set(rec["programs"]))
    assert not missing, (f"programs without recorded TensorFlow results: {missing}; run "
                         f"tests/tf_fixtures/gen_differential.py with a Python that has tensorflow-cpu 2.21")
