"""Record TensorFlow 2.21's behaviour for the shape, creation, linalg and conv ops (issue 7, kinds 2, 5, 6, 7, 8).

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_shape.py

Each case is a line of code run with ``tf`` bound to TensorFlow here and to gputape in
tests/test_silent_shape.py (after PRELUDE).  shape.json maps the case name to

  {"code": ..., "value"/"dtype"/"shape"}        a single result
  {"code": ..., "values": [{value, dtype, shape}, ...]}   a list of results (split, unstack)
  {"code": ..., "error": <TF class>, "message": <TF's message, op-node prefix and [Op:...] suffix cut>}

plus, optionally,
  "compare": "shape"   random results: only the dtype and shape are compared
  "match": <text>      a fragment of TF's message gputape's message must contain too
  "gputape": {"error": <class>, "why": ...}   a deliberate difference: TF truncates a float or
               an int silently, or leaks an internal exception; gputape raises this class instead
  "tf": <text>         TF's behaviour, described: a case not run here (it needs more memory than a CI host)
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np           # noqa: E402
import tensorflow as tf      # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tf_fixture import clean_tf_message, encode  # noqa: E402

PRELUDE = """
a = tf.constant([[1., 2.]])
v4 = tf.constant([1., 2., 3., 4.])
x4 = tf.ones([1, 4, 4, 1])
w = tf.ones([2, 2, 1, 1])
"""

TRUNC = "TF truncates a float argument silently; gputape refuses floats where TF wants an int"
# (name, code, options)
CASES = [
    # ---- kind 2: axes out of range (the examples first)
    ("concat_axis_2", "tf.concat([a, a], axis=2)", {"match": "[-2, 2)"}),
    ("concat_axis_m3", "tf.concat([a, a], axis=-3)", {}),
    ("concat_axis_m1", "tf.concat([a, a], axis=-1)", {}),
    ("concat_empty", "tf.concat([], 0)", {}),
    ("concat_single_axis_5", "tf.concat([a], 5)", {}),
    ("concat_scalars", "tf.concat([tf.constant(1.), tf.constant(2.)], 0)", {"match": "scalars"}),
    ("concat_float_axis", "tf.concat([a, a], 1.0)", {}),
    ("concat_axis_np", "tf.concat([a, a], np.int64(-1))", {}),
    ("concat_axis_tensor", "tf.concat([a, a], tf.constant(1))", {}),
    ("concat_lists", "tf.concat([[1., 2.], [3.]], 0)", {}),
    ("concat_rank_mismatch", "tf.concat([tf.ones([1]), tf.ones([1, 1])], 0)", {}),
    ("concat_shape_mismatch", "tf.concat([tf.ones([1, 2]), tf.ones([1, 3])], 0)", {}),
    ("concat_dtype_mismatch", "tf.concat([tf.ones([1]), tf.ones([1], tf.float64)], 0)", {}),
    ("stack_empty", "tf.stack([])", {}),
    ("stack_empty_axis_1", "tf.stack([], axis=1)",
     {"gputape": {"error": "ValueError", "why": "TF leaks IndexError('list index out of range')"}}),
    ("stack_axis_3", "tf.stack([a, a], axis=3)", {"match": "[-3, 3)"}),
    ("stack_axis_m4", "tf.stack([a, a], axis=-4)", {}),
    ("stack_axis_2", "tf.stack([a, a], axis=2)", {}),
    ("stack_axis_m3", "tf.stack([a, a], axis=-3)", {}),
    ("stack_lists", "tf.stack([[1., 2.], [3., 4.]], 1)", {}),
    ("stack_scalars", "tf.stack([1., 2.])", {}),
    ("stack_float_axis", "tf.stack([a, a], axis=1.0)", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("stack_float_axis_1_5", "tf.stack([a, a], axis=1.5)", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("stack_shape_mismatch", "tf.stack([tf.ones([1]), tf.ones([2])])", {}),
    ("stack_dtype_mismatch", "tf.stack([tf.ones([1]), tf.ones([1], tf.int32)])", {}),
    ("unstack_axis_2", "tf.unstack(a, axis=2)", {"match": "[-2, 2)"}),
    ("unstack_scalar", "tf.unstack(tf.constant(1.))", {}),
    ("unstack_list", "tf.unstack([[1., 2.], [3., 4.]])", {}),
    ("unstack_axis_m1", "tf.unstack(a, axis=-1)", {}),
    ("unstack_float_axis", "tf.unstack(a, axis=1.0)", {}),
    ("unstack_num_wrong", "tf.unstack(a, num=3)", {}),
    ("unstack_num", "tf.unstack(a, num=1)", {}),
    ("unstack_empty", "tf.unstack(tf.zeros([0, 2]))", {}),
    ("split_axis_2", "tf.split(a, 2, axis=2)", {}),
    ("split_axis_m1", "tf.split(a, 2, axis=-1)", {}),
    ("split_list", "tf.split([1., 2., 3., 4.], 2)", {}),
    ("split_float_num", "tf.split(v4, 2.0)", {}),
    ("split_float_axis", "tf.split(a, 2, axis=1.0)", {}),
    ("split_sizes_neg1", "tf.split(v4, [1, -1])", {}),
    ("split_sizes_bad", "tf.split(v4, [1, 2])", {}),
    ("split_sizes_two_neg1", "tf.split(v4, [-1, -1])", {}),
    ("split_sizes_neg2", "tf.split(v4, [-2, 6])", {}),
    ("split_sizes_float", "tf.split(v4, [1.0, 3.0])", {}),
    ("split_sizes_tensor", "tf.split(v4, tf.constant([1, 3]))", {}),
    ("split_num_zero", "tf.split(v4, 0)", {}),
    ("split_num_neg", "tf.split(v4, -1)", {}),
    ("split_uneven", "tf.split(v4, 3)", {}),
    ("split_scalar", "tf.split(tf.constant(1.), 1)", {}),
    ("split_np_int", "tf.split(v4, np.int64(2))", {}),
    ("expand_dims_3", "tf.expand_dims(a, 3)", {}),
    ("expand_dims_2", "tf.expand_dims(a, 2)", {}),
    ("expand_dims_m3", "tf.expand_dims(a, -3)", {}),
    ("expand_dims_m4", "tf.expand_dims(a, -4)", {}),
    ("expand_dims_list", "tf.expand_dims([1., 2.], 0)", {}),
    ("expand_dims_float", "tf.expand_dims(a, 1.0)", {}),
    ("expand_dims_scalar", "tf.expand_dims(tf.constant(1.), -1)", {}),
    ("expand_dims_scalar_1", "tf.expand_dims(tf.constant(1.), 1)", {}),
    ("expand_dims_axis_list1", "tf.expand_dims(a, [0])", {}),
    ("expand_dims_axis_list2", "tf.expand_dims(a, [0, 1])", {}),
    ("expand_dims_axis_tensor", "tf.expand_dims(a, tf.constant(0))", {}),
    ("squeeze_axis_2", "tf.squeeze(tf.ones([1, 2]), 2)", {}),
    ("squeeze_axis_m3", "tf.squeeze(tf.ones([1, 2]), -3)", {}),
    ("squeeze_axis_m2", "tf.squeeze(tf.ones([1, 2]), -2)", {}),
    ("squeeze_list", "tf.squeeze([[1., 2.]])", {}),
    ("squeeze_dup", "tf.squeeze(tf.ones([1, 2]), [0, 0])", {}),
    ("squeeze_float", "tf.squeeze(tf.ones([1, 2]), 0.0)", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("squeeze_float_0_5", "tf.squeeze(tf.ones([1, 2]), 0.5)", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("squeeze_not_1", "tf.squeeze(tf.ones([1, 2]), 1)", {}),
    ("squeeze_scalar", "tf.squeeze(tf.constant(1.))", {}),
    ("squeeze_scalar_axis_0", "tf.squeeze(tf.constant(1.), 0)", {}),
    ("reverse_axis_2", "tf.reverse(a, [2])", {}),
    ("reverse_axis_m3", "tf.reverse(a, [-3])", {}),
    ("reverse_axis_m1", "tf.reverse(a, [-1])", {}),
    ("reverse_list", "tf.reverse([1., 2., 3.], [0])", {}),
    ("reverse_dup", "tf.reverse(a, [1, 1])", {"match": "more than once"}),
    ("reverse_dup_neg", "tf.reverse(a, [1, -1])", {}),
    ("reverse_float", "tf.reverse(a, [1.0])", {}),
    ("reverse_int_axis", "tf.reverse(a, 1)", {}),
    ("reverse_empty_axes", "tf.reverse(a, [])", {}),
    ("reverse_tensor_axis", "tf.reverse(a, tf.constant([1]))", {}),
    ("transpose_perm_oob", "tf.transpose(a, [0, 2])", {}),
    ("transpose_perm_neg", "tf.transpose(a, [-1, 0])", {}),
    ("transpose_perm_m3", "tf.transpose(a, [-3, 0])", {}),
    ("transpose_perm_float", "tf.transpose(a, [1.0, 0.0])", {}),
    ("transpose_perm_dup", "tf.transpose(a, [0, 0])", {}),
    ("transpose_perm_short", "tf.transpose(a, [0])", {}),
    ("transpose_list", "tf.transpose([[1., 2.]])", {}),
    ("transpose_perm_np", "tf.transpose(a, np.array([1, 0]))", {}),
    ("transpose_perm_np_float", "tf.transpose(a, np.array([1., 0.]))", {}),
    ("transpose_scalar", "tf.transpose(tf.constant(1.), [])", {}),
    ("gather_neg_index", "tf.gather(tf.constant([1., 2., 3.]), [-1])", {"match": "indices[0] = -1 is not in [0, 3)"}),
    ("gather_index_3", "tf.gather(tf.constant([1., 2., 3.]), [[0, 3]])", {"match": "indices[0,1] = 3 is not in [0, 3)"}),
    ("gather_scalar_neg_index", "tf.gather(tf.constant([1., 2.]), -1)", {"match": "= -1 is not in [0, 2)"}),
    ("gather_axis1_neg_index", "tf.gather(tf.ones([2, 3]), [[0, -1]], axis=1)", {"match": "indices[0,1] = -1 is not in [0, 3)"}),
    ("gather_axis_m2_index", "tf.gather(tf.ones([2, 3]), [2], axis=-2)", {"match": "indices[0] = 2 is not in [0, 2)"}),
    ("gather_axis_1_rank1", "tf.gather(tf.constant([1., 2., 3.]), [0], axis=1)", {}),
    ("gather_axis_m3", "tf.gather(tf.ones([2, 3]), [0], axis=-3)", {}),
    ("gather_axis_m1", "tf.gather(tf.constant([1., 2., 3.]), [0], axis=-1)", {}),
    ("gather_axis_float", "tf.gather(tf.constant([1., 2., 3.]), [0], axis=0.0)", {}),
    ("gather_float_indices", "tf.gather(tf.constant([1., 2., 3.]), [0.])", {}),
    ("gather_scalar_params", "tf.gather(tf.constant(1.), [0])", {}),
    ("gather_list", "tf.gather([1., 2., 3.], [2, 0])", {}),
    ("gather_empty_params", "tf.gather(tf.ones([0]), tf.zeros([0], tf.int32))", {}),
    ("gather_empty_params_index", "tf.gather(tf.ones([0]), [0])", {}),
    ("tensordot_axes_oob", "tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), [[2], [0]])",
     {"gputape": {"error": "ValueError", "why": "TF leaks IndexError('list index out of range')"}}),
    ("tensordot_axes_neg", "tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), [[-1], [0]])", {}),
    ("tensordot_axes_float", "tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), [[1.0], [0]])", {}),
    ("tensordot_int_float", "tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), 1.0)", {}),
    ("tensordot_int_too_big", "tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), 3)", {}),
    ("tensordot_int_neg", "tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), -1)", {}),
    ("tensordot_size_mismatch", "tf.tensordot(tf.ones([2, 3]), tf.ones([2, 2]), 1)", {}),
    ("tensordot_dup_axes", "tf.tensordot(tf.ones([3, 3]), tf.ones([3, 3]), [[0, 0], [0, 1]])", {}),
    ("tensordot_axes_len", "tf.tensordot(tf.ones([3, 3]), tf.ones([3, 3]), [[0, 1], [0]])", {}),
    ("tensordot_axes_3", "tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), [[1], [0], [1]])", {}),
    ("tensordot_lists", "tf.tensordot([[1., 2.]], [[1.], [2.]], 1)", {}),
    ("tensordot_outer", "tf.tensordot(tf.ones([2]), tf.ones([3]), 0)", {}),
    ("tensordot_axes_pair", "tf.tensordot(tf.ones([2, 3]), tf.ones([3, 2]), [1, 0])", {}),
    ("matmul_lists", "tf.matmul([[1., 2.]], [[1.], [2.]])", {}),
    ("matmul_rank1", "tf.matmul(tf.ones([2]), tf.ones([2, 2]))", {}),
    ("tile_float", "tf.tile(a, [1.0, 2.0])", {}),
    ("tile_list", "tf.tile([1., 2.], [2])", {}),
    ("tile_neg", "tf.tile(a, [1, -1])", {}),
    ("tile_len", "tf.tile(a, [2])", {}),
    ("tile_int_multiples", "tf.tile(tf.ones([2]), 2)", {}),
    ("tile_scalar", "tf.tile(tf.constant(1.), [])", {}),
    ("tile_zero", "tf.tile(a, [0, 1])", {}),
    ("tile_tensor", "tf.tile(a, tf.constant([1, 2]))", {}),
    ("tile_np_float", "tf.tile(v4, np.array([2.]))", {}),
    ("concat_one_tensor", "tf.concat(tf.ones([2, 3]), 0)", {}),
    ("stack_one_tensor", "tf.stack(tf.ones([2, 3]))", {}),
    ("split_sizes_num_mismatch", "tf.split(v4, [1, 3], num=3)", {}),
    ("split_sizes_num", "tf.split(v4, [1, 3], num=2)", {}),
    ("matmul_output_type_same", "tf.matmul(tf.ones([2, 2]), tf.ones([2, 2]), output_type=tf.float32)", {}),
    ("matmul_output_type_int32", "tf.matmul(tf.ones([2, 2]), tf.ones([2, 2]), output_type=tf.int32)",
     {"gputape": {"error": "NotImplementedError", "why": "TF has no kernel (NotFoundError); gputape names the option"}}),
    ("getitem_float", "v4[1.0]", {}),
    ("getitem_float_slice", "v4[0.5:2]", {}),
    ("getitem_float_tensor", "v4[tf.constant(1.)]", {}),
    ("getitem_int_tensor", "v4[tf.constant(1)]", {}),
    # ---- kind 5: conversions
    ("ones_float_shape", "tf.ones([2.7, 3])", {}),
    ("ones_float_int_shape", "tf.ones([2.0, 3])", {}),
    ("ones_float_scalar", "tf.ones(2.5)", {}),
    ("zeros_float_shape", "tf.zeros([2.7, 3])", {}),
    ("zeros_str_shape", "tf.zeros(['a'])", {}),
    ("zeros_none_shape", "tf.zeros(None)", {}),
    ("zeros_nested_shape", "tf.zeros([[2, 3]])", {}),
    ("zeros_bool_shape", "tf.zeros([True, 2])", {"gputape": {"error": "TypeError", "why": "TF reads True as 1"}}),
    ("zeros_np_shape", "tf.zeros(np.array([2, 3]))", {}),
    ("zeros_np_float_shape", "tf.zeros(np.array([2., 3.]))", {}),
    ("zeros_np_float_2_5", "tf.zeros(np.array([2.5]))", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("zeros_tensor_shape", "tf.zeros(tf.constant([2, 3]))", {}),
    ("zeros_tensor_float_shape", "tf.zeros(tf.constant([2., 3.]))", {}),
    ("zeros_tensor_2d_shape", "tf.zeros(tf.constant([[2]]))", {}),
    ("zeros_tuple", "tf.zeros((2,))", {}),
    ("zeros_empty_shape", "tf.zeros([])", {}),
    ("zeros_dtype_str", "tf.zeros([2], dtype='int32')", {}),
    ("zeros_int_too_big", "tf.zeros([2**63])", {}),
    ("fill_float_dims", "tf.fill([2.7, 3], 1.0)", {}),
    ("fill_float_scalar_dims", "tf.fill(2.5, 1.0)", {}),
    ("fill_value_list", "tf.fill([2], [1., 2.])", {}),
    ("fill_value_none", "tf.fill([2], None)", {}),
    ("fill_scalar_dims", "tf.fill(2, 1.0)", {}),
    ("fill_int", "tf.fill([2], 3)", {}),
    ("eye_float", "tf.eye(2.5)", {}),
    ("eye_cols_float", "tf.eye(2, 2.5)", {}),
    ("eye_batch_float", "tf.eye(2, batch_shape=[1.5])", {}),
    ("eye_batch", "tf.eye(2, batch_shape=[3])", {}),
    ("eye_zero", "tf.eye(0)", {}),
    ("eye_np", "tf.eye(np.int64(2))", {}),
    ("eye_tensor", "tf.eye(tf.constant(2))", {}),
    ("eye_bool", "tf.eye(True)", {}),
    ("normal_float_shape", "tf.random.normal([2.7, 3])", {}),
    ("uniform_float_shape", "tf.random.uniform([2.7])", {}),
    ("normal_scalar_shape", "tf.random.normal(2)", {}),
    ("normal_int_dtype", "tf.random.normal([2], dtype=tf.int32)", {}),
    ("uniform_shape_tensor", "tf.random.uniform(tf.constant([2]))", {"compare": "shape"}),
    ("uniform_int_no_max", "tf.random.uniform([2], dtype=tf.int32)", {}),
    ("uniform_int_min_eq_max", "tf.random.uniform([2], 3, 3, dtype=tf.int32)", {}),
    ("uniform_int_min_gt_max", "tf.random.uniform([2], 3, 1, dtype=tf.int32)", {}),
    ("uniform_int_float_min", "tf.random.uniform([2], minval=0.5, maxval=5, dtype=tf.int32)", {}),
    ("uniform_bool", "tf.random.uniform([2], dtype=tf.bool)", {}),
    ("uniform_float_min_gt_max", "tf.random.uniform([2], 3., 1.)", {"compare": "shape"}),
    ("truncated_normal_float_shape", "tf.random.truncated_normal([2.5])", {}),
    ("one_hot_float_depth", "tf.one_hot([0, 1], 2.9)", {}),
    ("one_hot_depth_np", "tf.one_hot([0], np.int64(2))", {}),
    ("one_hot_depth_tensor", "tf.one_hot([1], tf.constant(3))", {}),
    ("one_hot_depth_float_tensor", "tf.one_hot([0], tf.constant(2.))", {}),
    ("one_hot_axis_float", "tf.one_hot([0, 1], 3, axis=0.0)", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("one_hot_float_indices", "tf.one_hot([0.5], 3)", {}),
    ("one_hot_uint8_indices", "tf.one_hot(tf.constant([1], tf.uint8), 3)", {}),
    ("one_hot_int16_indices", "tf.one_hot(tf.constant([1], tf.int16), 3)", {}),
    ("one_hot_int64_indices", "tf.one_hot(tf.constant([1], tf.int64), 3)", {}),
    ("range_float_limit_int_dtype", "tf.range(0, 3.5, dtype=tf.int32)", {}),
    ("range_whole_float_int_dtype", "tf.range(0, 3.0, dtype=tf.int32)", {}),
    ("range_float", "tf.range(0, 3.5)", {}),
    ("range_int_float_dtype", "tf.range(0, 3, dtype=tf.float32)", {}),
    ("range_int_f64_dtype", "tf.range(0, 3, dtype=tf.float64)", {}),
    ("range_f16_dtype", "tf.range(0, 3, dtype=tf.float16)", {}),
    ("range_uint8_dtype", "tf.range(0, 3, dtype=tf.uint8)", {}),
    ("range_tensor", "tf.range(tf.constant(3))", {}),
    ("range_tensor_i64", "tf.range(tf.constant(3, tf.int64))", {}),
    ("range_tensor_f64", "tf.range(tf.constant(3., tf.float64))", {}),
    ("range_tensor_f64_int_dtype", "tf.range(tf.constant(3., tf.float64), dtype=tf.int32)", {}),
    ("range_np_float_int_dtype", "tf.range(np.float32(3), dtype=tf.int32)", {}),
    ("range_tensor_mixed", "tf.range(tf.constant(0), 3.5)", {}),
    ("range_one_float", "tf.range(3.)", {}),
    ("range_limit_none", "tf.range(3, None)", {}),
    ("range_float_steps", "tf.range(0.5, 2.5, 0.5)", {}),
    ("range_float_down", "tf.range(2.5, 0.5, -0.5)", {}),
    ("range_f32_steps", "tf.range(0., 1., 0.1)", {}),
    ("range_beyond_int32", "tf.range(2**40, 2**40 + 3)", {}),
    ("range_step_beyond_int32", "tf.range(0, 2**31 + 2, 2**30)", {}),
    ("range_delta_0", "tf.range(0, 3, 0)", {}),
    ("range_start_gt_limit", "tf.range(3, 0)", {}),
    ("range_wrong_sign", "tf.range(0, 3, -1)", {}),
    ("range_inf", "tf.range(0., float('inf'))", {}),
    ("range_nan", "tf.range(0., float('nan'))", {}),
    ("range_none", "tf.range(None)", {}),
    ("linspace_num_float", "tf.linspace(0., 1., 3.5)", {}),
    ("linspace_num_neg", "tf.linspace(0., 1., -1)", {}),
    ("linspace_ints", "tf.linspace(0, 1, 3)", {}),
    ("ones_like_list", "tf.ones_like([1, 2])", {}),
    ("zeros_like_list", "tf.zeros_like([1., 2.])", {}),
    ("reshape_inf", "tf.reshape(v4, [float('inf')])", {}),
    ("reshape_nan", "tf.reshape(v4, [float('nan')])", {}),
    ("reshape_float", "tf.reshape(v4, [4.0])", {}),
    ("reshape_np_float", "tf.reshape(v4, np.array([4.]))", {}),
    ("reshape_np_float_2_5", "tf.reshape(v4, np.array([2.5, 2.]))", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("reshape_str", "tf.reshape(v4, ['a'])", {}),
    ("reshape_none", "tf.reshape(v4, None)", {}),
    ("reshape_nested", "tf.reshape(v4, [[4]])", {}),
    ("reshape_scalar_shape", "tf.reshape(v4, 4)", {}),
    ("reshape_two_neg1", "tf.reshape(v4, [-1, -1])", {}),
    ("reshape_neg2", "tf.reshape(v4, [-2, -2])", {}),
    ("reshape_bad_size", "tf.reshape(v4, [3])", {}),
    ("reshape_list_input", "tf.reshape([1., 2.], [2, 1])", {}),
    ("reshape_int_too_big", "tf.reshape(v4, [2**64])", {}),
    ("reshape_too_many_elements", "tf.reshape(v4, [2**62, 4])", {}),
    ("reshape_zero_neg1", "tf.reshape(tf.zeros([0]), [0, -1])",
     {"gputape": {"error": "ValueError", "why": "TF picks 1 for the -1 of an empty reshape; the size is ambiguous"}}),
    ("reshape_tensor_shape", "tf.reshape(tf.ones([4]), tf.constant([2, 2], tf.int64))", {}),
    ("reshape_uint8_np", "tf.reshape(v4, np.array([4], np.uint8))", {}),
    ("broadcast_to_float", "tf.broadcast_to(tf.ones([1]), [2.5])", {}),
    ("broadcast_to_np_float", "tf.broadcast_to(v4, np.array([2., 4.]))", {}),
    ("broadcast_to_list", "tf.broadcast_to([1., 2.], [2, 2])", {}),
    ("broadcast_to_bad", "tf.broadcast_to(tf.ones([2]), [3])", {}),
    ("broadcast_to_lower_rank", "tf.broadcast_to(tf.ones([2, 1]), [2])", {}),
    ("broadcast_to_neg", "tf.broadcast_to(tf.ones([1]), [-1])", {}),
    ("shape_list", "tf.shape([[1, 2]])", {}),
    ("shape_int64", "tf.shape(a, out_type=tf.int64)", {}),
    ("shape_float_out_type", "tf.shape(a, out_type=tf.float32)", {}),
    ("size_list", "tf.size([[1, 2]])", {}),
    ("size_int64", "tf.size(a, out_type=tf.int64)", {}),
    ("rank_list", "tf.rank([[1, 2]])", {}),
    ("conv_strides_float", "tf.nn.conv2d(x4, w, strides=1.5, padding='VALID')", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("conv_strides_float_list", "tf.nn.conv2d(x4, w, strides=[1, 1.0, 1, 1], padding='VALID')",
     {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("conv_dilations_float", "tf.nn.conv2d(x4, w, strides=1, padding='VALID', dilations=2.0)",
     {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("conv_padding_float", "tf.nn.conv2d(x4, w, strides=1, padding=[[0, 0], [1.5, 1], [1, 1], [0, 0]])",
     {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("conv_padding_neg", "tf.nn.conv2d(x4, w, strides=1, padding=[[0, 0], [-1, 1], [1, 1], [0, 0]])", {}),
    ("conv_strides_0", "tf.nn.conv2d(x4, w, strides=0, padding='VALID')", {}),
    ("max_pool_ksize_float", "tf.nn.max_pool2d(x4, 2.0, 2, 'VALID')", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("max_pool_strides_float", "tf.nn.max_pool2d(x4, 2, 2.5, 'VALID')", {"gputape": {"error": "TypeError", "why": TRUNC}}),
    ("conv_transpose_out_shape_float", "tf.nn.conv2d_transpose(tf.ones([1, 4, 4, 1]), w, [1, 4.0, 4, 1], 1, 'SAME')", {}),
    # ---- kind 6: edge values
    ("one_hot_neg_depth", "tf.one_hot([0, 1], -1)", {"match": "depth must be non-negative"}),
    ("one_hot_zero_depth", "tf.one_hot([0, 1], 0)", {}),
    ("one_hot_axis_0", "tf.one_hot([0, 1], 3, axis=0)", {}),
    ("one_hot_axis_2", "tf.one_hot([0, 1], 3, axis=2)", {}),
    ("one_hot_axis_m2", "tf.one_hot([0, 1], 3, axis=-2)", {}),
    ("one_hot_2d_axis_1", "tf.one_hot([[0, 1]], 3, axis=1)", {}),
    ("one_hot_scalar", "tf.one_hot(1, 3)", {}),
    ("one_hot_scalar_axis_0", "tf.one_hot(1, 3, axis=0)", {}),
    ("one_hot_scalar_axis_1", "tf.one_hot(1, 3, axis=1)", {}),
    ("one_hot_on_off_int", "tf.one_hot([0, 1], 3, on_value=5, off_value=-1)", {}),
    ("one_hot_on_off_float", "tf.one_hot([0, 1], 3, on_value=5., off_value=-1.)", {}),
    ("one_hot_on_off_mismatch", "tf.one_hot([0, 1], 3, on_value=5, off_value=-1.)", {}),
    ("one_hot_on_only_int", "tf.one_hot([0, 1], 3, on_value=5)", {}),
    ("one_hot_off_only_float", "tf.one_hot([0], 2, off_value=-1.)", {}),
    ("one_hot_off_only_int", "tf.one_hot([0], 2, off_value=-1)", {}),
    ("one_hot_on_float_dtype_int", "tf.one_hot([0, 1], 3, on_value=5., dtype=tf.int32)", {}),
    ("one_hot_on_int_dtype_float", "tf.one_hot([0], 2, on_value=2, dtype=tf.float32)", {}),
    ("one_hot_on_off_int_dtype_f64", "tf.one_hot([0], 2, on_value=2, off_value=1, dtype=tf.float64)", {}),
    ("one_hot_dtype_int", "tf.one_hot([0, 1], 3, dtype=tf.int32)", {}),
    ("one_hot_dtype_f64", "tf.one_hot([0], 2, dtype=tf.float64)", {}),
    ("one_hot_on_np_f64", "tf.one_hot([0], 2, on_value=np.float64(2.))", {}),
    ("one_hot_on_tensor", "tf.one_hot([1], 3, on_value=tf.constant(2.))", {}),
    ("one_hot_on_list", "tf.one_hot([0], 2, on_value=[1., 2.])", {}),
    ("one_hot_on_str", "tf.one_hot([0], 2, on_value='a')", {}),
    ("one_hot_dtype_bool", "tf.one_hot([1], 3, dtype=tf.bool)", {}),
    ("one_hot_out_of_range_indices", "tf.one_hot([-1, 5], 3)", {}),
    ("one_hot_int64_big_index", "tf.one_hot(tf.constant([2**40], tf.int64), 2)", {}),
    ("one_hot_empty", "tf.one_hot(tf.zeros([0], tf.int32), 3)", {}),
    ("pad_rank_mismatch", "tf.pad(tf.ones([2, 2]), [[1, 1]])", {"match": "The first dimension of paddings must be the rank of inputs"}),
    ("pad_3_columns", "tf.pad(tf.ones([2, 2]), [[1, 1, 1], [1, 1, 1]])", {}),
    ("pad_1d_paddings", "tf.pad(tf.ones([2]), [1, 1])", {}),
    ("pad_negative", "tf.pad(tf.ones([2, 2]), [[-1, 0], [0, 0]])", {}),
    ("pad_float", "tf.pad(tf.ones([2, 2]), [[1.5, 0], [0, 0]])", {}),
    ("pad_list_input", "tf.pad([1., 2.], [[1, 0]])", {}),
    ("pad_paddings_tensor", "tf.pad(tf.ones([2]), tf.constant([[1, 1]]))", {}),
    ("pad_reflect", "tf.pad(tf.constant([1., 2., 3.]), [[2, 1]], mode='REFLECT')", {}),
    ("pad_symmetric", "tf.pad(tf.constant([1., 2., 3.]), [[2, 1]], mode='SYMMETRIC')", {}),
    ("pad_reflect_too_big", "tf.pad(tf.ones([2]), [[2, 0]], mode='REFLECT')", {}),
    ("pad_symmetric_too_big", "tf.pad(tf.ones([2]), [[3, 0]], mode='SYMMETRIC')", {}),
    ("pad_bad_mode", "tf.pad(tf.constant([1., 2., 3.]), [[2, 1]], mode='FOO')", {}),
    ("pad_mode_lower", "tf.pad(tf.ones([2]), [[1, 1]], mode='constant')", {}),
    ("pad_constant_values", "tf.pad(tf.constant([1., 2.]), [[1, 0]], constant_values=5)", {}),
    ("pad_constant_float_on_int", "tf.pad(tf.constant([1, 2]), [[1, 0]], constant_values=1.5)", {}),
    ("pad_constant_list", "tf.pad(tf.constant([1., 2.]), [[1, 0]], constant_values=[1., 2.])", {}),
    ("pad_constant_tensor", "tf.pad(tf.ones([2]), [[1, 1]], constant_values=tf.constant(3.))", {}),
    ("pad_constant_f64_tensor", "tf.pad(tf.ones([2]), [[1, 1]], constant_values=tf.constant(3., tf.float64))", {}),
    ("pad_scalar", "tf.pad(tf.constant(1.), tf.zeros([0, 2], tf.int32))", {}),
    # ---- kind 7: sizes (negative dims, more than memory, more than 2**63-1 elements)
    ("zeros_neg_dim", "tf.zeros([-1, 3])", {}),
    ("ones_neg_dim", "tf.ones([2, -3])", {}),
    ("fill_neg_dim", "tf.fill([-2, 3], 1.0)", {}),
    ("eye_neg", "tf.eye(-2)", {}),
    ("eye_batch_neg", "tf.eye(2, batch_shape=[-1])", {}),
    ("normal_neg_dim", "tf.random.normal([-2, 3])", {}),
    ("zeros_huge", "tf.zeros([10**6, 10**7])", {}),
    ("ones_huge", "tf.ones([10**6, 10**7])", {}),
    ("fill_huge", "tf.fill([10**6, 10**7], 1.0)", {}),
    ("zeros_too_many_elements", "tf.zeros([2**40, 2**30])", {"match": "more than 2**63 - 1 elements"}),
    ("fill_too_many_elements", "tf.fill([2**40, 2**30], 1.0)", {}),
    ("eye_huge", "tf.eye(10**7)", {}),
    ("eye_batch_huge", "tf.eye(1000, batch_shape=[10**7])", {}),
    ("normal_huge", "tf.random.normal([10**6, 10**7])", {}),
    ("uniform_huge", "tf.random.uniform([10**6, 10**7])", {}),
    ("uniform_int_huge", "tf.random.uniform([10**6, 10**7], maxval=5, dtype=tf.int32)", {}),
    ("truncated_normal_huge", "tf.random.truncated_normal([10**6, 10**7])", {}),
    ("tile_huge", "tf.tile(a, [10**6, 10**6])", {}),
    ("tile_huge_1d", "tf.tile(tf.ones([1]), [10**12])", {}),
    ("one_hot_huge", "tf.one_hot(tf.range(10**6), 10**7)", {}),
    ("one_hot_depth_beyond_int32", "tf.one_hot([0, 1], 10**13)",
     {"skip_tf": "TF wraps depth to int32 and allocates 2 x 1316134912 floats",
      "gputape": {"error": "MemoryError", "why": "TF wraps depth to int32; gputape checks the true size"}}),
    ("broadcast_to_huge", "tf.broadcast_to(tf.ones([1]), [10**7, 10**7])", {}),
    ("broadcast_to_too_many_elements", "tf.broadcast_to(tf.ones([1]), [2**40, 2**30])", {}),
    ("reduce_sum_broadcast_to_huge", "tf.reduce_sum(tf.broadcast_to(tf.ones([1]), [10**7, 10**7]))", {}),
    ("pad_huge", "tf.pad(tf.ones([2, 2]), [[10**6, 0], [0, 10**7]])", {}),
    ("range_huge", "tf.range(0, 10**12)", {}),
    ("range_huge_float", "tf.range(0., 1e13)", {}),
    ("linspace_huge", "tf.linspace(0., 1., 10**13)",
     {"skip_tf": "TF wraps num to int32 and allocates 1316134912 floats",
      "gputape": {"error": "MemoryError", "why": "TF wraps num to int32; gputape checks the true size"}}),
]


_clean = clean_tf_message


def _result(t):
    t = tf.convert_to_tensor(t)
    return {"value": encode(t.numpy().tolist()), "dtype": t.dtype.name, "shape": t.shape.as_list()}


def main():
    out = {}
    for name, code, opts in CASES:
        assert name not in out, name
        ns = {"tf": tf, "np": np}
        exec(PRELUDE, ns)
        rec = {"code": code}
        if "skip_tf" in opts:       # recorded by hand: running it here takes more memory than CI has
            rec["tf"] = opts["skip_tf"]
            rec["gputape"] = opts["gputape"]
            out[name] = rec
            continue
        try:
            r = eval(code, ns)
            if isinstance(r, list):
                rec["values"] = [_result(t) for t in r]
            else:
                rec.update(_result(r))
        except Exception as e:    # noqa: BLE001  (recording whatever TF raises)
            rec["error"] = type(e).__name__
            rec["message"] = _clean(str(e))
        for k in ("compare", "match", "gputape"):
            if k in opts:
                rec[k] = opts[k]
        if "match" in rec:
            assert rec["match"] in rec.get("message", ""), (name, rec)
        if rec.get("compare") == "shape":
            rec.pop("value", None)
        out[name] = rec
        print(name, rec.get("error", rec.get("dtype")), rec.get("message", rec.get("shape", "")))
    path = pathlib.Path(__file__).parent / "shape.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"{len(out)} cases -> {path}")


if __name__ == "__main__":
    main()
