"""Record TensorFlow 2.21's conversion, indexing, tape and custom-gradient behaviour for gputape's
tensor/tape layer (issue 7, kinds 5, 8 and 9).  Run with a Python that has tensorflow-cpu 2.21:

    /opt/tfenv/bin/python tests/tf_fixtures/gen_tensor.py

It writes ``tests/tf_fixtures/tensor.json`` (format: ``tests/tf_fixture.py``).  Case names:

- ``<example>``: one case per example of the issue (a value, or TF's error class and message).
  A gradient list is recorded as one case per element, ``<example>/<i>``; a None gradient as
  ``{"value": null, "dtype": null, "shape": null}``.
- ``conv/<nnn>``: a fixed corpus of ``tf.constant(value, dtype=...)`` calls on nested Python lists
  of bools, ints (small and beyond int32/int64), floats (with nan, inf, beyond float32), None,
  strings and a few numpy scalars, from a seeded generator (``corpus()``, shared with
  ``tests/test_silent_tensor.py`` through the recorded ``input``: the value's ``repr``, evaluated
  with ``nan``, ``inf`` and ``np`` in scope; ``dtype_arg``: a dtype name or null).
"""
import os
import pathlib
import random
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import json  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_fixture import encode  # noqa: E402

cases = {}


def _one(r):
    if r is None:
        return {"value": None, "dtype": None, "shape": None}
    r = tf.convert_to_tensor(r)
    v = r.numpy()
    if r.dtype == tf.string:
        v = np.vectorize(lambda b: b.decode())(v) if isinstance(v, np.ndarray) else v.decode()
    v = v.tolist() if isinstance(v, np.ndarray) else (v.item() if hasattr(v, "item") else v)
    return {"value": encode(v), "dtype": r.dtype.name, "shape": list(r.shape)}


def rec(name, fn):
    """Record ``fn()``: a tensor (or a list of them, as ``name/<i>``) or the error TF raises."""
    try:
        r = fn()
        if isinstance(r, (tuple, list)):
            for i, e in enumerate(r):
                cases[f"{name}/{i}"] = _one(e)
        else:
            cases[name] = _one(r)
    except Exception as e:      # noqa: BLE001  (recording TF's exception, whatever it is)
        cases[name] = {"error": type(e).__name__, "message": str(e).strip().splitlines()[0][:400]}


# ---------------------------------------------------------------- kind 5: conversions
def _assign(value):
    def run():
        v = tf.Variable([1.0, 2.0])
        return v.assign(value)
    return run


rec("assign_none", _assign(None))
rec("assign_list_with_none", _assign([1.0, None]))
rec("assign_add_none", lambda: tf.Variable([1.0, 2.0]).assign_add(None))
rec("constant_list_with_none_float32", lambda: tf.constant([1.0, None], dtype=tf.float32))
rec("constant_list_with_none", lambda: tf.constant([1.0, None]))
rec("constant_none", lambda: tf.constant(None))
rec("constant_none_float32", lambda: tf.constant(None, dtype=tf.float32))
rec("convert_to_tensor_none", lambda: tf.convert_to_tensor(None))
rec("variable_list_with_none", lambda: tf.Variable([1.0, None]))
rec("constant_2_63", lambda: tf.constant(2 ** 63))
rec("constant_minus_2_63_minus_1", lambda: tf.constant(-2 ** 63 - 1))
rec("constant_list_2_64", lambda: tf.constant([1, 2 ** 64]))
rec("constant_2_63_minus_1", lambda: tf.constant(2 ** 63 - 1))
rec("constant_2_31", lambda: tf.constant(2 ** 31))
rec("constant_2_63_float32", lambda: tf.constant(2 ** 63, dtype=tf.float32))
rec("constant_string_array", lambda: tf.constant(np.array(["a"])))
rec("constant_string_array_plus_1", lambda: tf.constant(np.array(["a"])) + 1)
rec("constant_string", lambda: tf.constant("a"))
rec("constant_string_float32", lambda: tf.constant("a", dtype=tf.float32))
rec("constant_object_array", lambda: tf.constant(np.array([1, None], dtype=object)))
rec("constant_object_array_ints", lambda: tf.constant(np.array([1, 2], dtype=object)))
rec("constant_empty_int32", lambda: tf.constant([], dtype=tf.int32))
rec("constant_empty", lambda: tf.constant([]))
rec("constant_empty_2d", lambda: tf.constant([[]]))
rec("constant_int_float", lambda: tf.constant([1, 2.5]))
rec("constant_bool_int", lambda: tf.constant([True, 1]))
rec("constant_int_bool", lambda: tf.constant([1, True]))
rec("constant_bool_float", lambda: tf.constant([True, 1.5]))
rec("constant_float_bool", lambda: tf.constant([1.5, True]))
rec("constant_bools", lambda: tf.constant([True, False]))
rec("constant_ragged", lambda: tf.constant([[1], [1, 2]]))
rec("constant_scalar_then_list", lambda: tf.constant([1, [2]]))
rec("constant_1e40", lambda: tf.constant(1e40))
rec("constant_1e40_float32", lambda: tf.constant(1e40, dtype=tf.float32))
rec("constant_floats_int32", lambda: tf.constant([1.0, 2.0], dtype=tf.int32))
rec("constant_int_bool_dtype", lambda: tf.constant([1], dtype=tf.bool))
rec("constant_bool_float32", lambda: tf.constant([True], dtype=tf.float32))
rec("constant_numpy_float64", lambda: tf.constant(np.array([1.5])))
rec("constant_numpy_float64_int32", lambda: tf.constant(np.array([1.5]), dtype=tf.int32))
rec("constant_dict", lambda: tf.constant({}))
rec("add_list_with_none", lambda: tf.constant([1.0, 2.0]) + [1.0, None])
rec("constant_range", lambda: tf.constant(range(3)))
rec("constant_range_float32", lambda: tf.constant(range(3), dtype=tf.float32))
rec("constant_set", lambda: tf.constant({1, 2}))


class ArrayLike:
    def __array__(self, dtype=None, copy=None):
        return np.array([1.0, 2.0])


rec("constant_array_like", lambda: tf.constant(ArrayLike()))
rec("constant_list_of_float64_arrays", lambda: tf.constant([np.array([1.0, 2.0]), np.array([3.0, 4.0])]))
rec("constant_np_float32_then_1e40", lambda: tf.constant([np.float32(1.0), 1e40]))
rec("constant_int_then_np_bool", lambda: tf.constant([1, np.bool_(True)]))
rec("constant_np_uint64_beyond_int64", lambda: tf.constant([np.uint64(2 ** 63), 2]))
rec("as_dtype_none", lambda: tf.as_dtype(None))
rec("as_dtype_foo", lambda: tf.as_dtype("foo"))
rec("constant_tensor_other_dtype", lambda: tf.constant(tf.constant(1.0), dtype=tf.float64))
rec("variable_tensor_other_dtype", lambda: tf.Variable(tf.constant(1.0), dtype=tf.float64))
rec("constant_shape_float", lambda: tf.constant(1.0, shape=[2.5]))
rec("constant_shape_negative", lambda: tf.constant(1.0, shape=[-1]))
rec("constant_shape_mismatch", lambda: tf.constant([1.0, 2.0, 3.0], shape=[2]))
rec("constant_shape_fill", lambda: tf.constant(1.0, shape=[2, 2]))
rec("convert_to_tensor_hint_float", lambda: tf.convert_to_tensor([1, 2], dtype_hint=tf.float32))
rec("convert_to_tensor_hint_bool", lambda: tf.convert_to_tensor([1, 2], dtype_hint=tf.bool))
rec("convert_to_tensor_hint_none", lambda: tf.convert_to_tensor([1, None], dtype_hint=tf.float32))


# ---------------------------------------------------------------- kind 8: exception classes
def _setitem():
    t = tf.constant([1.0, 2.0, 3.0])
    t[0] = 1.0


X = tf.constant([1.0, 2.0, 3.0])
X2 = tf.constant([[1.0, 2.0], [3.0, 4.0]])
rec("setitem", _setitem)
rec("assign_float64_tensor", lambda: tf.Variable([1.0, 2.0]).assign(tf.constant([1.0, 2.0], tf.float64)))
rec("assign_add_float64_tensor", lambda: tf.Variable([1.0, 2.0]).assign_add(tf.constant([1.0, 2.0], tf.float64)))
rec("index_float", lambda: X[1.0])
rec("index_float_slice", lambda: X[1.5:2])
rec("index_string", lambda: X["a"])
rec("index_numpy_array", lambda: X2[np.array([0, 1])])
rec("index_float_tensor", lambda: X[tf.constant(1.0)])
rec("index_bool", lambda: X[True])
rec("index_5", lambda: X[5])
rec("index_3", lambda: X[3])
rec("index_minus_3", lambda: X[-3])
rec("index_minus_4", lambda: X[-4])
rec("index_tensor_5", lambda: X[tf.constant(5)])
rec("index_numpy_int_5", lambda: X[np.int64(5)])
rec("index_2d_col_out", lambda: X2[:, 5])
rec("index_2d_ellipsis_minus_3", lambda: X2[..., -3])
rec("index_step_0", lambda: X[::0])
rec("index_two_ellipses", lambda: X2[..., ...])
rec("index_reverse", lambda: X[::-1])
rec("index_past_end_slice", lambda: X[1:10])
rec("index_newaxis", lambda: X[None])
rec("index_ellipsis_newaxis", lambda: X[..., None])
rec("index_newaxis_then_out", lambda: X[None, 5])
rec("index_list_is_tuple", lambda: X2[[0, 1]])
rec("variable_index_5", lambda: tf.Variable([1.0, 2.0, 3.0])[5])


def _grad(target_fn, sources_fn):
    def run():
        w = tf.Variable(2.0)
        with tf.GradientTape() as tape:
            loss = w * w
        return tape.gradient(target_fn(loss), sources_fn(w))
    return run


rec("gradient_none_source", _grad(lambda l: l, lambda w: None))
rec("gradient_none_in_sources", _grad(lambda l: l, lambda w: [w, None]))
rec("gradient_string_source", _grad(lambda l: l, lambda w: "w"))
rec("gradient_float_source", _grad(lambda l: l, lambda w: 3.0))
rec("gradient_numpy_source", _grad(lambda l: l, lambda w: np.array(3.0)))
rec("gradient_float_target", _grad(lambda l: float(l), lambda w: w))
rec("gradient_numpy_target", _grad(lambda l: l.numpy(), lambda w: w))
rec("gradient_list_with_float_target", _grad(lambda l: [l, 3.0], lambda w: w))


def _bj(target_fn, source_fn):
    def run():
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        return tape.batch_jacobian(target_fn(y), source_fn(x))
    return run


rec("batch_jacobian_list_target", _bj(lambda y: [y], lambda x: x))
rec("batch_jacobian_list_source", _bj(lambda y: y, lambda x: [x]))
rec("batch_jacobian_none_source", _bj(lambda y: y, lambda x: None))
rec("batch_jacobian", _bj(lambda y: y, lambda x: x))


# ---------------------------------------------------------------- kind 9: custom gradients, tape introspection
@tf.custom_gradient
def _f(x, y):
    def grad(dy):
        return dy * 10.0, dy * 100.0
    return x * y, grad


def _kw(call):
    def run():
        x, y = tf.constant(2.0), tf.constant(3.0)
        with tf.GradientTape() as t:
            t.watch([x, y])
            z = call(x, y)
        return t.gradient(z, [x, y])
    return run


rec("custom_gradient_keywords", _kw(lambda x, y: _f(x=x, y=y)))
rec("custom_gradient_positional", _kw(lambda x, y: _f(x, y)))
rec("custom_gradient_mixed", _kw(lambda x, y: _f(x, y=y)))


@tf.custom_gradient
def _clip_id(x):
    def grad(dy):
        return tf.clip_by_value(dy, -1.0, 1.0)
    return tf.identity(x), grad


def _clip_var():
    v = tf.Variable([3.0, -4.0])
    with tf.GradientTape() as t:
        y = _clip_id(v)
        loss = tf.reduce_sum(y * y)
    return t.gradient(loss, v)


rec("custom_gradient_variable_argument", _clip_var)

_W = tf.Variable(2.0)


@tf.custom_gradient
def _fw(x):
    def grad(dy, variables=None):
        return dy * 7.0, [dy * 11.0 for _ in variables]
    return x * _W, grad


def _var_and_captured():
    v = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = _fw(v)
    return t.gradient(y, [v, _W])


rec("custom_gradient_variable_argument_and_captured", _var_and_captured)


def _recompute_var():
    v = tf.Variable(3.0)
    g = tf.recompute_grad(lambda x: x * x)
    with tf.GradientTape() as t:
        y = g(v)
    return t.gradient(y, v)


def _recompute_captured():
    w = tf.Variable(2.0)
    x = tf.constant(3.0)
    g = tf.recompute_grad(lambda x: x * w)
    with tf.GradientTape() as t:
        t.watch(x)
        y = g(x)
    return t.gradient(y, [x, w])


rec("recompute_grad_variable", _recompute_var)
rec("recompute_grad_captured", _recompute_captured)


def _watched(how):
    def run():
        x0, x1 = tf.Variable(1.0), tf.Variable(2.0)
        with tf.GradientTape() as tape:
            how(x0, x1)
        return tf.stack([v.read_value() for v in tape.watched_variables()])
    return run


def _assign_add_grads():
    x0, x1 = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        x1.assign_add(x0)
    return tape.gradient(x1, [x0, x1])


rec("watched_after_assign_add", _watched(lambda x0, x1: x1.assign_add(x0)))
rec("watched_after_assign", _watched(lambda x0, x1: x1.assign(x0)))
rec("watched_after_assign_add_constant", _watched(lambda x0, x1: x1.assign_add(1.0)))
rec("assign_add_gradient", _assign_add_grads)


# ---------------------------------------------------------------- the conversion corpus
LEAVES = {
    "bool": [True, False],
    "int": [0, 1, -2, 3, 7],
    "bigint": [2 ** 31, -2 ** 31 - 1, 2 ** 40, 2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1, 2 ** 70],
    "float": [0.5, -1.25, 0.0, -0.0, 2.0, float("nan"), float("inf"), -float("inf"), 3.0e38],
    "hugefloat": [1e40, -1e300],
    "none": [None],
    "str": ["a", "xy"],
    "np": [np.float64(1.5), np.int64(2), np.bool_(True), np.float32(0.5), np.int32(-3), np.float16(2.0)],
}
WEIGHTS = {"bool": 4, "int": 6, "bigint": 2, "float": 6, "hugefloat": 1, "none": 1, "str": 1, "np": 2}
DTYPES = [None, None, None, None, "float32", "float64", "float16", "int32", "int64", "int8", "uint8", "int16",
          "bool"]


def _leaf(rng, kinds):
    return rng.choice(LEAVES[rng.choice(kinds)])


def _build(rng, shape, kinds):
    if not shape:
        return _leaf(rng, kinds)
    seq = [_build(rng, shape[1:], kinds) for _ in range(shape[0])]
    return tuple(seq) if rng.random() < 0.1 else seq


def _spoil(rng, v):
    """Make a nested list ragged (drop or add an element) or put a list where a leaf was."""
    if not isinstance(v, list) or not v:
        return v
    i = rng.randrange(len(v))
    if isinstance(v[i], list) and v[i] and rng.random() < 0.6:
        v[i] = _spoil(rng, list(v[i]))
    elif rng.random() < 0.5:
        v[i] = [v[i]]
    elif len(v) > 1:
        del v[i]
    return v


def corpus(n=300, seed=7):
    """(value, dtype name or None) pairs: nested lists of depth 0-3 with 0-3 elements a level."""
    rng = random.Random(seed)
    names = list(WEIGHTS)
    out = []
    for _ in range(n):
        depth = rng.choice([0, 1, 1, 2, 2, 3])
        shape = [rng.choice([0, 1, 2, 2, 3, 3]) for _ in range(depth)]
        kinds = rng.choices(names, weights=[WEIGHTS[k] for k in names], k=rng.choice([1, 1, 2, 3]))
        v = _build(rng, shape, kinds)
        if rng.random() < 0.12:
            v = _spoil(rng, v if isinstance(v, list) else [v])
        out.append((v, rng.choice(DTYPES)))
    return out


def _constant(v, d):
    return lambda: tf.constant(v, dtype=d)


for k, (v, d) in enumerate(corpus()):
    name = f"conv/{k:03d}"
    rec(name, _constant(v, d))
    cases[name]["input"] = repr(v)
    cases[name]["dtype_arg"] = d

with open(HERE / "tensor.json", "w") as f:
    json.dump(cases, f, indent=1, sort_keys=True)
print(f"{len(cases)} cases -> {HERE / 'tensor.json'}")
