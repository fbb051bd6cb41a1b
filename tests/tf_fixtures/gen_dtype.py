"""Record TensorFlow 2.21's dtype rules and edge values for gputape's elementwise, reduction and
nn ops (issue 7, kinds 2, 3, 4, 6, 8).  Run with a Python that has tensorflow-cpu 2.21:

    /opt/tfenv/bin/python tests/tf_fixtures/gen_dtype.py

It writes ``tests/tf_fixtures/dtype.json`` (format: ``tests/tf_fixture.py``).  Case names:

- ``table/<op>/<dtype>``: the op on a small fixed input of that dtype (``INPUTS`` below): TF's value
  and output dtype, or TF's error when the op does not allow the dtype.  The op names and the
  way each is called are listed once in ``tests/dtype_ops.py`` (shared with the tests).
- ``<example>``: one case per example of the issue, with gradients as ``<example>/grad``.
"""
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import json  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_fixture import encode  # noqa: E402
import dtype_ops  # noqa: E402

cases = {}


def _one(r):
    r = tf.convert_to_tensor(r)
    return {"value": encode(r.numpy().tolist()), "dtype": r.dtype.name, "shape": list(r.shape)}


def rec(name, fn):
    try:
        r = fn()
        if isinstance(r, (tuple, list)):
            outs = [_one(e) for e in r]
            cases[name] = dict(outs[0], outputs=outs)
        else:
            cases[name] = _one(r)
    except Exception as e:      # noqa: BLE001  (recording TF's exception, whatever it is)
        cases[name] = {"error": type(e).__name__, "message": str(e).strip().splitlines()[0][:400]}


def grad(fn, *xs):
    """Gradients of sum(fn(*xs)) with respect to each x (TF's values)."""
    def run():
        ts = [tf.constant(x) for x in xs]
        with tf.GradientTape() as tape:
            for t in ts:
                tape.watch(t)
            y = fn(*ts)
        gs = tape.gradient(y, ts)
        return [tf.zeros_like(t) if g is None else g for t, g in zip(ts, gs)]
    return run


# ---- the allowed-dtype / output-dtype table
for name, (kind, call) in dtype_ops.OPS.items():
    for dt in dtype_ops.DTYPES:
        args = dtype_ops.inputs(kind, dt, tf.constant)
        rec(f"table/{name}/{dt}", lambda: call(tf, *args))

f32 = np.float32
inf = np.inf

# ---- kind 3: examples of the issue (also in the table; named here as the issue writes them)
rec("sqrt_int", lambda: tf.sqrt(tf.constant([4, 9])))
rec("exp_bool", lambda: tf.exp(tf.constant([True])))
rec("add_bool", lambda: tf.add(tf.constant([True]), tf.constant([False])))
rec("matmul_bool", lambda: tf.matmul(tf.constant([[True]]), tf.constant([[True]])))
rec("matmul_int32", lambda: tf.matmul(tf.constant([[1, 2]]), tf.constant([[3], [4]])))

# ---- kind 4
rec("reduce_sum_int32", lambda: tf.reduce_sum(tf.constant([1, 2])))
rec("reduce_sum_int32_plus_1", lambda: tf.reduce_sum(tf.constant([1, 2])) + tf.constant(1))
rec("reduce_sum_int8_wraps", lambda: tf.reduce_sum(tf.constant([100, 100], tf.int8)))
rec("reduce_sum_uint8_wraps", lambda: tf.reduce_sum(tf.constant([200, 100], tf.uint8)))
rec("reduce_prod_int8", lambda: tf.reduce_prod(tf.constant([3, 4], tf.int8)))
rec("cumsum_uint8", lambda: tf.cumsum(tf.constant([200, 100], tf.uint8)))
rec("reduce_mean_int32", lambda: tf.reduce_mean(tf.constant([1, 2])))
rec("reduce_mean_int32_neg", lambda: tf.reduce_mean(tf.constant([-1, -2])))
rec("reduce_mean_int8_no_wrap", lambda: tf.reduce_mean(tf.fill([100], tf.constant(2, tf.int8))))
rec("reduce_mean_int8_200", lambda: tf.reduce_mean(tf.ones([200], tf.int8)))
rec("reduce_mean_uint8_300", lambda: tf.reduce_mean(tf.fill([300], tf.constant(3, tf.uint8))))
rec("reduce_mean_int16_70000", lambda: tf.reduce_mean(tf.fill([70000], tf.constant(-2, tf.int16))))
rec("reduce_mean_int32_big", lambda: tf.reduce_mean(tf.constant([2 ** 30, 2 ** 30, 2 ** 30 + 3])))
rec("reduce_mean_int8_trunc", lambda: tf.reduce_mean(tf.constant([-3, -4], tf.int8)))
rec("divide_int8", lambda: tf.math.divide(tf.constant([1], tf.int8), tf.constant([2], tf.int8)))
rec("count_nonzero_default", lambda: tf.math.count_nonzero(tf.constant([1., 0.])))

# ---- kind 6: edge values
rec("floordiv_int_zero", lambda: tf.math.floordiv(tf.constant([1, 2]), tf.constant([0, 1])))
rec("floormod_int_zero", lambda: tf.math.floormod(tf.constant([1, 2]), tf.constant([0, 1])))
rec("floordiv_int64_zero", lambda: tf.math.floordiv(tf.constant([1], tf.int64), tf.constant([0], tf.int64)))
rec("floordiv_uint8_zero", lambda: tf.math.floordiv(tf.constant([1], tf.uint8), tf.constant([0], tf.uint8)))
rec("floordiv_float_zero", lambda: tf.math.floordiv(tf.constant([1., -1., 0.]), tf.constant([0., 0., 0.])))
rec("floormod_float_zero", lambda: tf.math.floormod(tf.constant([1., -1.]), tf.constant([0., 0.])))
rec("divide_float_zero", lambda: tf.math.divide(tf.constant([1., -1., 0.]), tf.constant([0., 0., 0.])))
rec("log_zero", lambda: tf.math.log(tf.constant([0., -1.])))
rec("reduce_mean_empty", lambda: tf.reduce_mean(tf.zeros([0])))
rec("reduce_mean_empty_int", lambda: tf.reduce_mean(tf.zeros([0], tf.int32)))
rec("reduce_mean_empty_axis", lambda: tf.reduce_mean(tf.zeros([0, 2]), axis=0))
rec("reduce_max_empty", lambda: tf.reduce_max(tf.zeros([0])))
rec("reduce_max_empty_int", lambda: tf.reduce_max(tf.zeros([0], tf.int32)))
rec("reduce_logsumexp_neg_inf", lambda: tf.reduce_logsumexp(tf.constant([-inf, -inf])))
rec("reduce_logsumexp_pos_inf", lambda: tf.reduce_logsumexp(tf.constant([inf, 1.])))
rec("reduce_logsumexp_neg_inf/grad", grad(tf.reduce_logsumexp, np.array([-inf, -inf], f32)))
rec("reduce_logsumexp_pos_inf/grad", grad(tf.reduce_logsumexp, np.array([inf, 1.], f32)))
rec("reduce_logsumexp_mixed", lambda: tf.reduce_logsumexp(tf.constant([[-inf, 0.], [-inf, -inf]]), axis=1))
rec("reduce_logsumexp_mixed/grad",
    grad(lambda x: tf.reduce_logsumexp(x, axis=1), np.array([[-inf, 0.], [-inf, -inf]], f32)))
rec("reduce_logsumexp_keepdims", lambda: tf.reduce_logsumexp(tf.constant([[1., 2.]]), axis=-1, keepdims=True))
rec("sparse_xent_neg_inf", lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
    labels=tf.constant([1]), logits=tf.constant([[0., 1., -inf]])))
rec("sparse_xent_neg_inf/grad", grad(lambda lg: tf.nn.sparse_softmax_cross_entropy_with_logits(
    labels=tf.constant([1]), logits=lg), np.array([[0., 1., -inf]], f32)))
rec("keras_sparse_cce_neg_inf", lambda: tf.keras.losses.sparse_categorical_crossentropy(
    tf.constant([1]), tf.constant([[0., 1., -inf]]), from_logits=True))
rec("dense_xent_neg_inf", lambda: tf.nn.softmax_cross_entropy_with_logits(
    labels=tf.constant([[0., 1., 0.]]), logits=tf.constant([[0., 1., -inf]])))
rec("dense_xent_neg_inf/grad", grad(lambda lg: tf.nn.softmax_cross_entropy_with_logits(
    labels=tf.constant([[0., 1., 0.]]), logits=lg), np.array([[0., 1., -inf]], f32)))
rec("sigmoid_xent_neg_inf", lambda: tf.nn.sigmoid_cross_entropy_with_logits(
    labels=tf.constant([1.]), logits=tf.constant([-inf])))
rec("sigmoid_xent_neg_inf/grad", grad(lambda lg: tf.nn.sigmoid_cross_entropy_with_logits(
    labels=tf.constant([1.]), logits=lg), np.array([-inf], f32)))
rec("sigmoid_xent_pos_inf", lambda: tf.nn.sigmoid_cross_entropy_with_logits(
    labels=tf.constant([0., 1.]), logits=tf.constant([inf, inf])))
rec("sigmoid_xent_pos_inf/grad", grad(lambda lg: tf.nn.sigmoid_cross_entropy_with_logits(
    labels=tf.constant([0., 1.]), logits=lg), np.array([inf, inf], f32)))
rec("softmax_neg_inf", lambda: tf.nn.softmax(tf.constant([0., -inf])))
rec("log_softmax_neg_inf", lambda: tf.nn.log_softmax(tf.constant([0., -inf])))
rec("softmax_neg_inf/grad", grad(lambda x: tf.nn.softmax(x) * tf.constant([1., 2.]), np.array([0., -inf], f32)))
rec("log_softmax_neg_inf/grad", grad(lambda x: tf.nn.log_softmax(x) * tf.constant([1., 2.]),
                                     np.array([0., -inf], f32)))
rec("reduce_mean_empty/grad", grad(tf.reduce_mean, np.zeros([0], f32)))
rec("reduce_max_inf/grad", grad(tf.reduce_max, np.array([inf, inf, 1.], f32)))
rec("sigmoid_tanh_inf/grad", grad(lambda x: tf.sigmoid(x) + tf.tanh(x), np.array([-inf, inf], f32)))
rec("dropout_rate_1", lambda: tf.nn.dropout(tf.constant([1., inf]), rate=1.0))
rec("dropout_rate_1_int", lambda: tf.nn.dropout(tf.constant([1., inf]), rate=1))
rec("relu_inf", lambda: tf.nn.relu(tf.constant([-inf, inf])))
rec("relu6_inf", lambda: tf.nn.relu6(tf.constant([-inf, inf])))
rec("relu6_inf/grad", grad(tf.nn.relu6, np.array([-inf, inf, 6., 0.], f32)))
rec("selu_neg_inf", lambda: tf.nn.selu(tf.constant([-inf, inf])))
rec("l2_normalize_zero", lambda: tf.nn.l2_normalize(tf.constant([0., 0.])))
rec("clip_by_norm_inf", lambda: tf.clip_by_norm(tf.constant([inf, 1.]), 1.0))
rec("xlogy_zero", lambda: tf.math.xlogy(tf.constant([0., 0., 1.]), tf.constant([0., inf, 0.])))
rec("divide_no_nan_inf", lambda: tf.math.divide_no_nan(tf.constant([inf, 1.]), tf.constant([0., inf])))

# ---- kind 2: axes
a = np.ones((1, 2), f32)
rec("softmax_axis_2", lambda: tf.nn.softmax(tf.constant(a), axis=2))
rec("softmax_axis_m3", lambda: tf.nn.softmax(tf.constant(a), axis=-3))
rec("softmax_0d", lambda: tf.nn.softmax(tf.constant(1.0)))
rec("log_softmax_axis_2", lambda: tf.nn.log_softmax(tf.constant(a), axis=2))
rec("log_softmax_0d", lambda: tf.nn.log_softmax(tf.constant(1.0)))
rec("softmax_axis_0", lambda: tf.nn.softmax(tf.constant([[1., 2.], [3., 5.]]), axis=0))
rec("reduce_sum_dup_axis", lambda: tf.reduce_sum(tf.constant(a), axis=[1, 1]))
rec("reduce_sum_dup_axis_neg", lambda: tf.reduce_sum(tf.constant(a), axis=[1, -1]))
rec("reduce_sum_axis_2", lambda: tf.reduce_sum(tf.constant(a), axis=2))
rec("reduce_sum_0d_axis_0", lambda: tf.reduce_sum(tf.constant(1.0), axis=0))
rec("reduce_sum_0d_axis_empty", lambda: tf.reduce_sum(tf.constant(1.0), axis=[]))
rec("reduce_max_axis_m3", lambda: tf.reduce_max(tf.constant(a), axis=-3))
rec("reduce_mean_float_axis", lambda: tf.reduce_mean(tf.constant(a), axis=1.0))
rec("reduce_logsumexp_dup_axis", lambda: tf.reduce_logsumexp(tf.constant(a), axis=[1, 1]))
rec("reduce_any_axis_2", lambda: tf.reduce_any(tf.constant([[True, False]]), axis=2))
rec("argmax_0d", lambda: tf.argmax(tf.constant(1.0)))
rec("argmin_0d", lambda: tf.argmin(tf.constant(1.0)))
rec("argmax_axis_2", lambda: tf.argmax(tf.constant(a), axis=2))
rec("argmax_axis_m1", lambda: tf.argmax(tf.constant([[1., 3.], [4., 2.]]), axis=-1))
rec("argmax_float_axis", lambda: tf.argmax(tf.constant(a), axis=1.0))
rec("argmax_int32_output", lambda: tf.argmax(tf.constant([1., 3.]), output_type=tf.int32))
rec("argmax_float_output", lambda: tf.argmax(tf.constant([1., 3.]), output_type=tf.float32))
rec("cumsum_axis_2", lambda: tf.cumsum(tf.constant(a), axis=2))
rec("cumsum_axis_m3", lambda: tf.cumsum(tf.constant(a), axis=-3))
rec("cumsum_0d", lambda: tf.cumsum(tf.constant(1.0)))
rec("cumsum_list", lambda: tf.cumsum([1., 2.]))
rec("cumsum_int_list", lambda: tf.cumsum([1, 2]))
rec("cumsum_exclusive_reverse", lambda: tf.cumsum(tf.constant([1., 2., 3.]), exclusive=True, reverse=True))
rec("cumsum_float_axis", lambda: tf.cumsum(tf.constant(a), axis=1.0))
rec("moments_axis_2", lambda: tf.nn.moments(tf.constant(a), axes=[2]))
rec("moments_axes_neg", lambda: tf.nn.moments(tf.constant([[1., 2.], [3., 5.]]), axes=[-1]))
rec("moments_dup_axes", lambda: tf.nn.moments(tf.constant(a), axes=[1, 1]))
rec("l2_normalize_axis_2", lambda: tf.nn.l2_normalize(tf.constant(a), axis=2))
rec("xent_axis_2", lambda: tf.nn.softmax_cross_entropy_with_logits(
    labels=tf.constant(a), logits=tf.constant(a), axis=2))
rec("xent_axis_0", lambda: tf.nn.softmax_cross_entropy_with_logits(
    labels=tf.constant([[1., 0.], [0., 1.]]), logits=tf.constant([[1., 2.], [3., 5.]]), axis=0))
rec("reduce_sum_list", lambda: tf.reduce_sum([1., 2.]))
rec("softmax_list", lambda: tf.nn.softmax([1., 2.]))
rec("argmax_list", lambda: tf.argmax([1., 3.]))
rec("relu_list", lambda: tf.nn.relu([1., -2.]))
rec("sqrt_list", lambda: tf.sqrt([4., 9.]))
rec("sqrt_int_list", lambda: tf.sqrt([4, 9]))

rec("argmax_empty", lambda: tf.argmax(tf.zeros([0])))
rec("argmax_empty_axis1", lambda: tf.argmax(tf.zeros([2, 0]), axis=1))
rec("argmax_empty_other_axis", lambda: tf.argmax(tf.zeros([0, 2]), axis=1))
rec("softmax_empty", lambda: tf.nn.softmax(tf.zeros([2, 0])))
rec("cumsum_empty", lambda: tf.cumsum(tf.zeros([0, 2]), axis=1))

# ---- kind 8
rec("cast_none", lambda: tf.cast(tf.constant([1.]), None))
rec("cast_bad_name", lambda: tf.cast(tf.constant([1.]), "floaty"))
rec("cast_float_to_int", lambda: tf.cast(tf.constant([-1.7, 2.7]), tf.int32))
rec("cast_float_to_uint8", lambda: tf.cast(tf.constant([1.7, 300.]), tf.uint8))
rec("cast_bool_to_float", lambda: tf.cast(tf.constant([True, False]), tf.float32))
rec("cast_float_to_bool", lambda: tf.cast(tf.constant([0.5, 0.]), tf.bool))
rec("cast_list", lambda: tf.cast([1, 2], tf.float32))
rec("floordiv_mixed", lambda: tf.math.floordiv(tf.constant([1.]), tf.constant([1])))
rec("softmax_int_msg", lambda: tf.nn.softmax(tf.constant([1, 2])))

with open(HERE / "dtype.json", "w") as f:
    json.dump(cases, f, indent=0, sort_keys=True)
print(len(cases), "cases")
