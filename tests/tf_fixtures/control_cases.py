"""Issue 10's control-flow, TensorArray, printing, debugging and small-extras programs, run twice: by
``gen_control.py`` under TensorFlow 2.21 (recording ``control.json``) and by ``tests/test_control_flow.py``
under gputape.  Each case is ``name: (code, match)``: ``code`` runs with ``tf`` (and ``np``, ``capture``)
bound and leaves its answer in ``result`` (a one-line expression is its own result); ``match`` says how an
error's message is compared: None -- TF's first line (without TF's ``{{function_node ...}}`` prefix and
``[Op:...]`` suffix) must be in ours; a string -- that fragment must be; False -- only the class.

The programs are written in the style of TF's autodiff guide: a Variable, a tape, the control flow,
``tape.gradient``.  Nothing here imports TensorFlow.
"""

# ---------------------------------------------------------------- cond, case, switch_case
COND = {
    "cond_true_grad": ("""
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = tf.cond(x > 1.0, lambda: x ** 2, lambda: x ** 3)
result = [y, tape.gradient(y, x)]""", None),
    "cond_false_grad": ("""
x = tf.Variable(0.5)
with tf.GradientTape() as tape:
    y = tf.cond(x > 1.0, lambda: x ** 2, lambda: x ** 3)
result = [y, tape.gradient(y, x)]""", None),
    "cond_nested_outputs_grad": ("""
x = tf.Variable([1.0, 2.0])
with tf.GradientTape() as tape:
    out = tf.cond(tf.reduce_sum(x) > 0, lambda: {'a': x * 2.0, 'b': (x, tf.sin(x))}, lambda: {'a': x, 'b': (x, x)})
    y = tf.reduce_sum(out['a']) + tf.reduce_sum(out['b'][1])
result = [out, tape.gradient(y, x)]""", None),
    "cond_second_order": ("""
x = tf.Variable(1.5)
with tf.GradientTape() as t2:
    with tf.GradientTape() as t1:
        y = tf.cond(x < 2.0, lambda: tf.exp(x) * x, lambda: x)
    g = t1.gradient(y, x)
result = [g, t2.gradient(g, x)]""", None),
    "cond_unconnected_branch": ("""
x = tf.Variable(3.0)
w = tf.Variable(5.0)
with tf.GradientTape() as tape:
    y = tf.cond(x > 1.0, lambda: x * 2.0, lambda: w * 2.0)
result = tape.gradient(y, [x, w])""", None),
    "cond_python_bool": ("tf.cond(True, lambda: tf.constant(1.0), lambda: tf.constant(2.0))", None),
    "cond_int_tensor_pred": ("tf.cond(tf.constant(0), lambda: 1.0, lambda: 2.0)", None),
    "cond_float_pred": ("tf.cond(tf.constant(1.0), lambda: 1.0, lambda: 2.0)", None),
    "cond_one_element_pred": ("tf.cond(tf.constant([False]), lambda: 1.0, lambda: 2.0)", None),
    "cond_python_result_kept": ("tf.cond(tf.constant(False), lambda: 1, lambda: (2, tf.constant(3)))", None),
    "cond_singleton_list_kept": ("tf.cond(tf.constant(True), lambda: [tf.constant(1.0)], lambda: [2.0])", None),
    "cond_vector_pred": ("tf.cond(tf.constant([True, False]), lambda: 1.0, lambda: 2.0)", None),
    "cond_missing_true_fn": ("tf.cond(tf.constant(True), None, lambda: 2.0)", None),
    "cond_missing_false_fn": ("tf.cond(tf.constant(True), lambda: 2.0)", None),
    "cond_true_fn_not_callable": ("tf.cond(tf.constant(True), 3, lambda: 2.0)", None),
    "case_first_true_grad": ("""
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = tf.case([(x < 1.0, lambda: x), (x < 3.0, lambda: x * x), (x < 5.0, lambda: x * x * x)])
result = [y, tape.gradient(y, x)]""", None),
    "case_default_grad": ("""
x = tf.Variable(7.0)
with tf.GradientTape() as tape:
    y = tf.case([(x < 1.0, lambda: x), (x < 3.0, lambda: x * x)], default=lambda: tf.sqrt(x))
result = [y, tape.gradient(y, x)]""", None),
    "case_last_pair_is_default": ("tf.case([(tf.constant(False), lambda: 1.0), (tf.constant(True), lambda: 2.0)])",
                                  None),
    "case_none_true": ("tf.case([(tf.constant(False), lambda: 1.0), (tf.constant(False), lambda: 2.0)])",
                       "None of conditions evaluated as True"),
    "case_python_pred": ("tf.case([(True, lambda: 1.0)])", None),
    "case_not_pairs": ("tf.case([tf.constant(True)])", "Each entry in 'pred_fn_pairs' must be a 2-tuple"),
    "case_not_a_list": ("tf.case(tf.constant(True))", "'pred_fn_pairs' must be a list, tuple, or dict"),
    "case_lone_pair_list_kept": ("tf.case([(tf.constant(True), lambda: [tf.constant(1.0)])])", None),
    "case_first_pair_list_unpacked": ("tf.case([(tf.constant(True), lambda: [tf.constant(1.0)]), "
                                      "(tf.constant(True), lambda: 2.0)])", None),
    "case_last_pair_list_unpacked": ("tf.case([(tf.constant(False), lambda: 1.0), "
                                     "(tf.constant(True), lambda: [[tf.constant(2.0)]])])", None),
    "case_default_unpacked_per_pair": ("tf.case([(tf.constant(False), lambda: 1.0), (tf.constant(False), lambda: 1.0)], "
                                       "default=lambda: [[(tf.constant(3.0),)]])", None),
    "case_strict_keeps_lists": ("tf.case([(tf.constant(False), lambda: 1.0)], default=lambda: [tf.constant(3.0)], "
                                "strict=True)", None),
    "case_two_element_list_kept": ("tf.case([(tf.constant(True), lambda: [tf.constant(1.0), 2.0])], "
                                   "default=lambda: [1.0, 2.0])", None),
    "case_one_element_pred": ("tf.case([(tf.constant([True]), lambda: 1.0)])", None),
    "switch_case_grad": ("""
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = tf.switch_case(tf.constant(1), [lambda: x, lambda: x * x * 3.0, lambda: tf.exp(x)])
result = [y, tape.gradient(y, x)]""", None),
    "switch_case_out_of_range_last": ("tf.switch_case(tf.constant(5), [lambda: 1.0, lambda: 2.0])", None),
    "switch_case_negative_last": ("tf.switch_case(tf.constant(-1), [lambda: 1.0, lambda: 2.0])", None),
    "switch_case_default": ("tf.switch_case(tf.constant(5), [lambda: 1.0, lambda: 2.0], default=lambda: 9.0)", None),
    "switch_case_pairs": ("tf.switch_case(tf.constant(1, tf.int64), [(1, lambda: 1.0), (0, lambda: 2.0)])", None),
    "switch_case_dict": ("tf.switch_case(tf.constant(0), {1: lambda: 1.0, 0: lambda: 2.0})", None),
    "switch_case_python_index": ("tf.switch_case(1, [lambda: 1.0, lambda: 2.0])", None),
    "switch_case_float_index": ("tf.switch_case(tf.constant(1.0), [lambda: 1.0, lambda: 2.0])", None),
    "switch_case_gap_keys": ("tf.switch_case(tf.constant(1), {0: lambda: 1.0, 3: lambda: 2.0})", None),
    "switch_case_empty": ("tf.switch_case(tf.constant(1), [])", None),
    "switch_case_float_key": ("tf.switch_case(tf.constant(1), {0: lambda: 1.0, 0.5: lambda: 2.0})", None),
    "switch_case_not_callable": ("tf.switch_case(tf.constant(1), [lambda: 1.0, 2.0])",
                                 "Each entry in 'branch_fns' must be a 2-tuple"),
}

# ---------------------------------------------------------------- while_loop
WHILE = {
    "while_power_grad": ("""
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    i, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), [0, x])
result = [i, y, tape.gradient(y, x)]""", None),
    "while_second_order": ("""
x = tf.Variable(1.5)
with tf.GradientTape() as t2:
    with tf.GradientTape() as t1:
        _, y = tf.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, tf.sin(y) * x), (tf.constant(0), x))
    g = t1.gradient(y, x)
result = [y, g, t2.gradient(g, x)]""", None),
    "while_nested_loop_vars_grad": ("""
x = tf.Variable([1.0, -2.0])
with tf.GradientTape() as tape:
    out = tf.while_loop(lambda i, s: i < 3,
                        lambda i, s: (i + 1, {'acc': s['acc'] + s['cur'], 'cur': (s['cur'][0] * 2.0, s['cur'][1])}),
                        [tf.constant(0), {'acc': tf.zeros([2]), 'cur': (x, x * x)}])
    y = tf.reduce_sum(out[1]['acc'])
result = [out, tape.gradient(y, x)]""", None),
    "while_newton_sqrt_grad": ("""
a = tf.Variable(2.0)
with tf.GradientTape() as tape:
    _, r = tf.while_loop(lambda k, r: k < 6, lambda k, r: (k + 1, 0.5 * (r + a / r)), [0, tf.constant(1.0)])
result = [r, tape.gradient(r, a)]""", None),
    "while_maximum_iterations_grad": ("""
x = tf.Variable(1.1)
with tf.GradientTape() as tape:
    y = tf.while_loop(lambda y: y < 100.0, lambda y: (y * x,), (x,), maximum_iterations=3)
result = [y, tape.gradient(y, x)]""", None),
    "while_maximum_iterations_tensor": ("tf.while_loop(lambda i: i < 10, lambda i: (i + 1,), (tf.constant(0),), "
                                        "maximum_iterations=tf.constant(4))", None),
    "while_maximum_iterations_zero": ("tf.while_loop(lambda i, j: i < 10, lambda i, j: (i + 1, j * 2), [0, 1.0], "
                                      "maximum_iterations=0)", None),
    "while_maximum_iterations_list_vs_tuple": ("tf.while_loop(lambda i, j: i < 10, lambda i, j: (i + 1, j * 2), "
                                               "[0, 1.0], maximum_iterations=3)", None),
    "while_maximum_iterations_vector": ("tf.while_loop(lambda i: i < 10, lambda i: (i + 1,), (0,), "
                                        "maximum_iterations=[1, 2])", None),
    "while_maximum_iterations_float_cond": ("tf.while_loop(lambda i: tf.constant(1.0), lambda i: (i + 1,), "
                                            "(tf.constant(0),), maximum_iterations=3)",
                                            "cannot compute LogicalAnd as input #1(zero-based) was expected to be "
                                            "a bool tensor but is a float"),
    "while_python_numbers": ("tf.while_loop(lambda i, j: i < 10, lambda i, j: (i + 1, j * 2), [0, 1.0])", None),
    "while_list_result": ("tf.while_loop(lambda i: i < 10, lambda i: [i + 1], (tf.constant(0),))", None),
    "while_zero_iterations": ("tf.while_loop(lambda i: i > 10, lambda i: (i + 1,), [tf.constant(0)])", None),
    "while_shape_changes_eagerly": ("tf.while_loop(lambda i, j: i < 3, lambda i, j: (i + 1, tf.concat([j, j], 0)), "
                                    "[tf.constant(0), tf.constant([1.0])])", None),
    "while_shape_invariant_none_dim": ("tf.while_loop(lambda i, j: i < 3, lambda i, j: (i + 1, tf.concat([j, j], 0)), "
                                       "[tf.constant(0), tf.constant([1.0])], "
                                       "shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])", None),
    "while_body_structure_differs": ("tf.while_loop(lambda i: i < 3, lambda i: (i + 1, 2), [tf.constant(0)])", None),
    "while_body_dict_keys_differ": ("tf.while_loop(lambda i, j: i < 3, lambda i, j: (i + 1, {'b': j['a']}), "
                                    "[tf.constant(0), {'a': tf.constant([1.0])}])", None),
    "while_body_returns_scalar": ("tf.while_loop(lambda i: i < 10, lambda i: i + 1, [tf.constant(0)])", None),
    "while_vector_cond": ("tf.while_loop(lambda i: tf.constant([True, False]), lambda i: (i + 1,), [tf.constant(0)])",
                          None),
    "while_empty_loop_vars": ("tf.while_loop(lambda i: i < 3, lambda i: i + 1, [])", None),
    "while_cond_not_callable": ("tf.while_loop(None, lambda i: i + 1, [tf.constant(0)])", None),
    "while_body_not_callable": ("tf.while_loop(lambda i: i < 3, None, [tf.constant(0)])", None),
    "while_parallel_iterations_zero": ("tf.while_loop(lambda i: i < 3, lambda i: (i + 1,), [tf.constant(0)], "
                                       "parallel_iterations=0)", None),
    "while_unknown_keyword": ("tf.while_loop(lambda i: i < 3, lambda i: (i + 1,), [tf.constant(0)], "
                              "return_same_structure=True)", "unexpected keyword argument 'return_same_structure'"),
    "while_variable_loop_var": ("""
v = tf.Variable(1.0)
with tf.GradientTape() as tape:
    y = tf.while_loop(lambda y: y < 10.0, lambda y: (y * 3.0,), [v])
result = [y, tape.gradient(y, v)]""", None),
    "while_tensor_array_rnn_grad": ("""
w = tf.Variable(0.5)
xs = tf.constant([1.0, 2.0, -1.0, 0.5])
with tf.GradientTape() as tape:
    ta = tf.TensorArray(tf.float32, size=4)
    def body(t, h, ta):
        h = tf.tanh(w * h + xs[t])
        return t + 1, h, ta.write(t, h)
    _, h, ta = tf.while_loop(lambda t, h, ta: t < 4, body, [0, tf.constant(0.0), ta])
    hs = ta.stack()
    loss = tf.reduce_sum(hs * hs)
result = [hs, tape.gradient(loss, w)]""", None),
}

# ---------------------------------------------------------------- TensorArray
TA = {
    "ta_write_stack_grad": ("""
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in range(3):
        ta = ta.write(i, x * float(i + 1))
    y = ta.stack()
    loss = tf.reduce_sum(y * y)
result = [y, ta.size(), tape.gradient(loss, x)]""", None),
    "ta_read_grad": ("""
x = tf.Variable([1.0, 2.0])
with tf.GradientTape() as tape:
    ta = tf.TensorArray(tf.float32, size=2)
    ta = ta.write(0, x * 3.0)
    ta = ta.write(1, tf.exp(x))
    y = ta.read(0) * ta.read(1)
result = [y, tape.gradient(y, x)]""", None),
    "ta_unstack_gather_grad": ("""
x = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
with tf.GradientTape() as tape:
    ta = tf.TensorArray(tf.float32, size=3).unstack(x * x)
    g = ta.gather([2, 0])
    loss = tf.reduce_sum(g * tf.constant([[1.0, 2.0], [3.0, 4.0]]))
result = [g, tape.gradient(loss, x)]""", None),
    "ta_scatter_concat_grad": ("""
x = tf.Variable([[1.0], [2.0], [3.0]])
with tf.GradientTape() as tape:
    ta = tf.TensorArray(tf.float32, size=3, element_shape=[1])
    ta = ta.scatter([2, 0, 1], x * tf.constant([[1.0], [10.0], [100.0]]))
    c = ta.concat()
    loss = tf.reduce_sum(c * tf.constant([1.0, 2.0, 3.0]))
result = [c, tape.gradient(loss, x)]""", None),
    "ta_split_grad": ("""
x = tf.Variable([1.0, 2.0, 3.0, 4.0, 5.0])
with tf.GradientTape() as tape:
    ta = tf.TensorArray(tf.float32, size=2, infer_shape=False).split(x * 2.0, [2, 3])
    a = ta.read(0)
    b = ta.read(1)
    loss = tf.reduce_sum(a) * tf.reduce_sum(b * b)
result = [a, b, tape.gradient(loss, x)]""", None),
    "ta_unwritten_reads_zero": ("tf.TensorArray(tf.float32, size=3, element_shape=[2]).write(1, [1.0, 2.0]).stack()",
                                None),
    "ta_read_unwritten_element_shape": ("tf.TensorArray(tf.int32, size=2, element_shape=[3]).read(0)", None),
    "ta_empty_stack": ("tf.TensorArray(tf.float32, size=0).stack()", None),
    "ta_empty_stack_element_shape": ("tf.TensorArray(tf.float32, size=0, element_shape=[2, 3]).stack()", None),
    "ta_size_after_growth": ("tf.TensorArray(tf.float32, size=1, dynamic_size=True).write(4, 1.0).size()", None),
    "ta_write_past_static_size": ("tf.TensorArray(tf.float32, size=2).write(2, 1.0)", None),
    "ta_write_negative": ("tf.TensorArray(tf.float32, size=2).write(-1, 1.0)", None),
    "ta_read_past_end": ("tf.TensorArray(tf.float32, size=2).write(0, 1.0).read(3)", None),
    "ta_read_negative": ("tf.TensorArray(tf.float32, size=2).read(-1)", None),
    "ta_write_wrong_dtype": ("tf.TensorArray(tf.float32, size=2).write(0, tf.constant(1))", None),
    "ta_write_wrong_shape": ("tf.TensorArray(tf.float32, size=2).write(0, [1.0, 2.0]).write(1, [1.0])", None),
    "ta_write_element_shape": ("tf.TensorArray(tf.float32, size=2, element_shape=[3]).write(0, [1.0, 2.0])", None),
    "ta_read_twice": ("""
ta = tf.TensorArray(tf.float32, size=1).write(0, 1.0)
ta.read(0)
result = ta.read(0)""", None),
    "ta_read_twice_kept": ("""
ta = tf.TensorArray(tf.float32, size=1, clear_after_read=False).write(0, 1.0)
result = [ta.read(0), ta.read(0)]""", None),
    "ta_python_value_takes_dtype": ("tf.TensorArray(tf.float64, size=1).write(0, 3).stack()", None),
    "ta_no_size": ("tf.TensorArray(tf.float32)", None),
    "ta_unstack_too_many": ("tf.TensorArray(tf.float32, size=2).unstack([1.0, 2.0, 3.0])", None),
    "ta_concat_scalars": ("tf.TensorArray(tf.float32, size=2).write(0, 1.0).write(1, 2.0).concat()",
                          "Concat saw a scalar shape at index 0"),
    "ta_split_bad_lengths": ("tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 1])", None),
    "ta_dtype_and_size": ("""
ta = tf.TensorArray(tf.int32, size=3)
result = [ta.size(), repr(ta.dtype)]""", None),
}

# ---------------------------------------------------------------- map_fn, scan, foldl, foldr, vectorized_map, identity_n
HIGHER = {
    "map_fn_grad": ("""
x = tf.Variable([1.0, 2.0, 3.0])
with tf.GradientTape() as tape:
    y = tf.map_fn(lambda v: v * v + tf.sin(v), x)
    loss = tf.reduce_sum(y)
result = [y, tape.gradient(loss, x)]""", None),
    "map_fn_nested_elems_grad": ("""
x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
s = tf.constant([10.0, 20.0])
with tf.GradientTape() as tape:
    y = tf.map_fn(lambda e: tf.reduce_sum(e[0]) * e[1], (x, s), fn_output_signature=tf.float32)
    loss = tf.reduce_sum(y)
result = [y, tape.gradient(loss, x)]""", None),
    "map_fn_tuple_output": ("tf.map_fn(lambda x: (x, x * 2), tf.constant([1, 2, 3]), "
                            "fn_output_signature=(tf.int32, tf.int32))", None),
    "map_fn_dtype_change": ("tf.map_fn(lambda x: tf.cast(x, tf.float32), tf.constant([1, 2, 3]), "
                            "fn_output_signature=tf.float32)", None),
    "map_fn_deprecated_dtype": ("tf.map_fn(lambda x: tf.cast(x, tf.float32), tf.constant([1, 2, 3]), dtype=tf.float32)",
                                None),
    "map_fn_tensorspec": ("tf.map_fn(lambda x: x, tf.constant([[1, 2]]), "
                          "fn_output_signature=tf.TensorSpec([2], tf.int32))", None),
    "map_fn_python_float_output": ("tf.map_fn(lambda x: 1.5, tf.constant([1, 2]), fn_output_signature=tf.float32)",
                                   None),
    "map_fn_empty": ("tf.map_fn(lambda x: x, tf.constant([], tf.float32))", None),
    "map_fn_dtype_without_signature": ("tf.map_fn(lambda x: tf.cast(x, tf.float32), tf.constant([1, 2, 3]))", None),
    "map_fn_structure_without_signature": ("tf.map_fn(lambda x: (x, x), tf.constant([1, 2, 3]))", None),
    "map_fn_scalar_elems": ("tf.map_fn(lambda x: x, tf.constant(1))", None),
    "map_fn_python_list_elems": ("tf.map_fn(lambda x: x, [1.0, 2.0, 3.0])", None),
    "map_fn_first_dims_differ": ("tf.map_fn(lambda x: x, (tf.constant([1, 2, 3]), tf.constant([4, 5])))",
                                 "Dimensions 3 and 2 are not compatible"),
    "map_fn_shape_varies": ("tf.map_fn(lambda x: tf.range(x), tf.constant([1, 2]))", None),
    "map_fn_tensorspec_shape_wrong": ("tf.map_fn(lambda x: x, tf.constant([[1, 2]]), "
                                      "fn_output_signature=tf.TensorSpec([3], tf.int32))", None),
    "scan_grad": ("""
x = tf.Variable([1.0, 2.0, 3.0])
with tf.GradientTape() as tape:
    y = tf.scan(lambda a, v: a * v + 1.0, x)
    loss = tf.reduce_sum(y)
result = [y, tape.gradient(loss, x)]""", None),
    "scan_initializer_reverse_grad": ("""
x = tf.Variable([1.0, 2.0, 3.0])
with tf.GradientTape() as tape:
    y = tf.scan(lambda a, v: a * v + 1.0, x, initializer=tf.constant(0.5), reverse=True)
    loss = tf.reduce_sum(y)
result = [y, tape.gradient(loss, x)]""", None),
    "scan_tuple_accumulator": ("tf.scan(lambda a, x: (a[0] + x, a[1] * x), tf.constant([1, 2, 3]), "
                               "initializer=(tf.constant(0), tf.constant(1)))", None),
    "scan_nested_elems": ("tf.scan(lambda a, x: a + x[0] * x[1], (tf.constant([1, 2, 3]), tf.constant([4, 5, 6])), "
                          "initializer=tf.constant(0))", None),
    "scan_reverse_no_initializer": ("tf.scan(lambda a, x: a + x, tf.constant([1, 2, 3]), reverse=True)", None),
    "scan_empty_no_initializer": ("tf.scan(lambda a, x: a + x, tf.constant([], tf.int32))", None),
    "scan_empty_initializer": ("tf.scan(lambda a, x: a + x, tf.constant([], tf.int32), initializer=tf.constant(0))",
                               None),
    "scan_structure_differs": ("tf.scan(lambda a, x: (a, a), tf.constant([1, 2]), initializer=tf.constant(0))", None),
    "foldl_grad": ("""
x = tf.Variable([1.0, 2.0, 3.0])
with tf.GradientTape() as tape:
    y = tf.foldl(lambda a, v: a * 10.0 + v * v, x, initializer=tf.constant(0.0))
result = [y, tape.gradient(y, x)]""", None),
    "foldr_grad": ("""
x = tf.Variable([1.0, 2.0, 3.0])
with tf.GradientTape() as tape:
    y = tf.foldr(lambda a, v: a * 10.0 + v * v, x)
result = [y, tape.gradient(y, x)]""", None),
    "foldl_no_initializer": ("tf.foldl(lambda a, x: a * 10 + x, tf.constant([1, 2, 3]))", None),
    "foldl_nested_elems": ("tf.foldl(lambda a, x: a + x[0] * x[1], (tf.constant([1, 2, 3]), tf.constant([4, 5, 6])), "
                           "initializer=tf.constant(0))", None),
    "foldl_empty_no_initializer": ("tf.foldl(lambda a, x: a + x, tf.constant([], tf.int32))", None),
    "foldl_empty_initializer": ("tf.foldl(lambda a, x: a + x, tf.constant([], tf.int32), initializer=tf.constant(5))",
                                None),
    "foldl_scalar_elems": ("tf.foldl(lambda a, x: a + x, tf.constant(1))", False),
    "foldl_structure_differs": ("tf.foldl(lambda a, x: (a, a), tf.constant([1, 2]), initializer=tf.constant(0))",
                                None),
    "vectorized_map_per_example_grads": ("""
w = tf.Variable([[1.0, -1.0], [0.5, 2.0]])
xs = tf.constant([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])
def per_example(x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.tanh(tf.linalg.matvec(w, x)))
    return tape.gradient(loss, w)
result = tf.vectorized_map(per_example, xs)""", None),
    "vectorized_map_grad": ("""
x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
with tf.GradientTape() as tape:
    y = tf.vectorized_map(lambda r: tf.reduce_sum(r * r), x)
    loss = tf.reduce_sum(y * tf.constant([1.0, 10.0]))
result = [y, tape.gradient(loss, x)]""", None),
    "vectorized_map_tuple_output": ("tf.vectorized_map(lambda x: (x, x * 2), tf.constant([1, 2, 3]))", None),
    "vectorized_map_python_output": ("tf.vectorized_map(lambda x: 3, tf.constant([1, 2, 3]))", None),
    "vectorized_map_nested_elems": ("tf.vectorized_map(lambda x: x[0] * x[1], (tf.constant([1, 2, 3]), "
                                    "tf.constant([4, 5, 6])))", None),
    "identity_n_grad": ("""
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    a, b = tf.identity_n([x * x, tf.constant([1.0, 2.0])])
    y = a * tf.reduce_sum(b)
result = [a, b, tape.gradient(y, x)]""", None),
    "identity_n_python": ("tf.identity_n([1, 2.0])", None),
    "identity_n_tensor": ("tf.identity_n(tf.constant([1.0, 2.0]))", None),
    "identity_n_empty": ("tf.identity_n([])", None),
    "no_op": ("tf.no_op()", None),
    "group": ("tf.group(tf.constant(1), [tf.constant(2)])", None),
}

# ---------------------------------------------------------------- debugging
DEBUG = {
    "check_numerics_ok": ("tf.debugging.check_numerics(tf.constant([1.0, 2.0]), 'msg')", None),
    "check_numerics_nan": ("tf.debugging.check_numerics(tf.constant([1.0, float('nan')]), 'msg')", None),
    "check_numerics_inf": ("tf.debugging.check_numerics(tf.constant([1.0, float('-inf')]), 'msg')", None),
    "check_numerics_both": ("tf.debugging.check_numerics(tf.constant([float('nan'), float('inf')], tf.float64), 'm')",
                            None),
    "check_numerics_int": ("tf.debugging.check_numerics(tf.constant([1, 2]), 'msg')",
                           "Value for attr 'T' of int32 is not in the list of allowed values"),
    "check_numerics_list": ("tf.debugging.check_numerics([1.0, 2.0], 'msg')", None),
    "check_numerics_no_message": ("tf.debugging.check_numerics(tf.constant([1.0]))", "missing 1 required positional"),
    "check_numerics_message_not_str": ("tf.debugging.check_numerics(tf.constant([1.0]), 3)", None),
    "check_numerics_grad": ("""
x = tf.Variable([1.0, 4.0])
with tf.GradientTape() as tape:
    y = tf.reduce_sum(tf.debugging.check_numerics(tf.sqrt(x), 'sqrt'))
result = tape.gradient(y, x)""", None),
    "check_numerics_grad_nan": ("""
x = tf.Variable([0.0, 4.0])
with tf.GradientTape() as tape:
    y = tf.reduce_sum(tf.debugging.check_numerics(x, 'x') * tf.constant([float('inf'), 1.0]))
result = tape.gradient(y, x)""", None),
    "assert_all_finite_nan": ("tf.debugging.assert_all_finite(tf.constant([1.0, float('nan')]), 'bad')", None),
    "assert_all_finite_ok": ("tf.debugging.assert_all_finite(tf.constant([1.0, 2.0]), 'bad')", None),
    "assert_equal_ok": ("tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2]))", None),
    "assert_equal_fails": ("tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]))", None),
    "assert_equal_message": ("tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]), message='hey')",
                             None),
    "assert_equal_broadcast": ("tf.debugging.assert_equal(tf.constant([1, 2]), 1)", None),
    "assert_equal_dtypes_differ": ("tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1.0, 2.0]))",
                                   "was expected to be a int32 tensor but is a float"),
    "assert_equal_shapes_differ": ("tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2, 3]))", False),
    "assert_less_fails": ("tf.debugging.assert_less(tf.constant([1, 2]), tf.constant([2, 2]))", None),
    "assert_less_ok": ("tf.debugging.assert_less(tf.constant([1, 2]), tf.constant([2, 3]))", None),
    "assert_greater_fails": ("tf.debugging.assert_greater(tf.constant([1, 2]), tf.constant([0, 2]))", None),
    "assert_less_equal_fails": ("tf.debugging.assert_less_equal(tf.constant([1, 3]), tf.constant([2, 2]))", None),
    "assert_greater_equal_fails": ("tf.debugging.assert_greater_equal(tf.constant([1, 3]), tf.constant([2, 2]))",
                                   None),
    "assert_near_ok_atol": ("tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1]), atol=0.2)",
                            None),
    "assert_near_ok_rtol": ("tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1]), rtol=0.1)",
                            None),
    "assert_near_fails": ("tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0001]))",
                          "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true"),
    "assert_near_float64_default_tolerance": ("tf.debugging.assert_near(tf.constant([1.0, 2.0], tf.float64), "
                                              "tf.constant([1.0, 2.0000001], tf.float64))", False),
    "assert_near_int": ("tf.debugging.assert_near(tf.constant([1, 2]), tf.constant([1, 2]))", None),
    "assert_rank_ok": ("tf.debugging.assert_rank(tf.constant([1, 2]), 1)", None),
    "assert_rank_fails": ("tf.debugging.assert_rank(tf.constant([1, 2]), 2)", None),
    "assert_rank_message": ("tf.debugging.assert_rank(tf.constant([1, 2]), 2, message='m')", None),
    "assert_rank_tensor_rank": ("tf.debugging.assert_rank(tf.constant([1, 2]), tf.constant(2))", None),
    "assert_rank_not_scalar": ("tf.debugging.assert_rank(tf.constant([1, 2]), [1])", None),
    "assert_shapes_ok": ("tf.debugging.assert_shapes([(tf.constant([1, 2]), ('N',)), "
                         "(tf.constant([[1, 2]]), (1, 'N'))])", None),
    "assert_shapes_symbol_differs": ("tf.debugging.assert_shapes([(tf.constant([1, 2]), ('N',)), "
                                     "(tf.constant([[1, 2, 3]]), (1, 'N'))])", None),
    "assert_shapes_explicit_size": ("tf.debugging.assert_shapes([(tf.constant([1, 2]), (3,))])", None),
    "assert_shapes_rank": ("tf.debugging.assert_shapes([(tf.constant([1, 2]), ('N', 'M'))])", None),
    "assert_shapes_ellipsis_not_first": ("tf.debugging.assert_shapes([(tf.constant([[1, 2]]), (1, ...))])", None),
    "assert_shapes_ellipsis_first": ("tf.debugging.assert_shapes([(tf.constant([[[1, 2]]]), (..., 1, 2))])", None),
    "assert_shapes_scalar": ("tf.debugging.assert_shapes([(tf.constant(1), ())])", None),
    "assert_shapes_rank_in_0_1": ("tf.debugging.assert_shapes([(tf.constant([[1, 2]]), ('N',))])", None),
    "assert_shapes_string_spec": ("tf.debugging.assert_shapes([(tf.constant([1, 2]), 'N'), (tf.constant([3]), 'N')])",
                                  None),
    "assert_shapes_any_size": ("tf.debugging.assert_shapes([(tf.constant([[1, 2]]), (None, '.'))])", None),
    "assert_shapes_ellipsis_symbol": ("tf.debugging.assert_shapes([(tf.constant([[1, 2, 3]]), ('*', 'N')), "
                                      "(tf.constant([1, 2]), ('N',))])", None),
    "assert_shapes_none_spec": ("tf.debugging.assert_shapes([(tf.constant([1, 2]), None)])", None),
    "assert_type_ok": ("tf.debugging.assert_type(tf.constant([1, 2]), tf.int32)", None),
    "assert_type_fails": ("tf.debugging.assert_type(tf.constant([1, 2]), tf.float32)", None),
    "assert_type_message": ("tf.debugging.assert_type(tf.constant([1, 2]), tf.float32, message='mm')", None),
    "assert_type_python": ("tf.debugging.assert_type([1, 2], tf.int32)", None),
    "Assert_fails": ("tf.debugging.Assert(tf.constant(False), ['x is', tf.constant([1, 2]), 3])", None),
    "Assert_summarize": ("tf.Assert(tf.constant([[False]]), [tf.constant([1, 2, 3, 4, 5]), 's'], summarize=2)", None),
    "Assert_python_false": ("tf.debugging.Assert(False, [1])", None),
    "Assert_ok": ("tf.debugging.Assert(tf.constant(1), [1])", None),
    "Assert_vector": ("tf.debugging.Assert(tf.constant([True, False]), [1.5])", None),
    "assert_top_level": ("[tf.assert_equal(1, 1), tf.assert_less(1, 2), tf.assert_greater(2, 1), "
                         "tf.assert_rank(tf.constant([1]), 1)]", None),
    "assert_non_negative_fails": ("tf.debugging.assert_non_negative(tf.constant([1, -2]))",
                                  "Condition x >= 0 did not hold element-wise"),
    "assert_positive_fails": ("tf.debugging.assert_positive(tf.constant([1, 0]))",
                              "Condition x > 0 did not hold element-wise"),
}

# ---------------------------------------------------------------- tf.print (captured through output_stream="file://")
PRINT = {
    "print_floats": ("capture(tf.constant([1.5, 2.0, 1 / 3, 1e-8, 1e20, float('nan'), float('inf'), -0.0]))", None),
    "print_float_specials": ("capture(tf.constant([float('-inf'), 0.1, 123456789.0, 1e-45, 3.4e38]), summarize=-1)",
                             None),
    "print_float64": ("capture(tf.constant([1 / 3, 0.1, 1e300, 2.5], tf.float64))", None),
    "print_float16": ("capture(tf.constant([1 / 3, 0.1, 65504.0, 2.5], tf.float16))", None),
    "print_ints_bools": ("capture(tf.constant(True), tf.constant([True, False]), tf.constant(5, tf.uint8), "
                         "tf.constant(-7, tf.int8), tf.constant([2 ** 40], tf.int64))", None),
    "print_3d": ("capture(tf.constant(np.arange(24).reshape(2, 3, 4)))", None),
    "print_3d_summarize_1": ("capture(tf.constant(np.arange(24).reshape(2, 3, 4)), summarize=1)", None),
    "print_3d_summarize_all": ("capture(tf.constant(np.arange(60).reshape(3, 4, 5)), summarize=-1)", None),
    "print_4d": ("capture(tf.constant(np.arange(48).reshape(2, 2, 3, 4)))", None),
    "print_long_vector": ("capture(tf.range(10))", None),
    "print_long_vector_summarize_2": ("capture(tf.range(10), summarize=2)", None),
    "print_long_matrix": ("capture(tf.reshape(tf.range(100), [10, 10]))", None),
    "print_summarize_none": ("capture(tf.range(10), summarize=None)", None),
    "print_summarize_zero": ("capture(tf.range(10), tf.constant(4), summarize=0)", None),
    "print_seven": ("capture(tf.range(7))", None),
    "print_six": ("capture(tf.range(6))", None),
    "print_empty": ("capture(tf.zeros((0, 3)), tf.zeros((2, 0)), tf.zeros((0,)))", None),
    "print_scalar_matrix": ("capture(tf.constant([[1.0]]), tf.constant(2.5))", None),
    "print_structures": ("capture({'b': [tf.constant(2.5), 's', 3, 4.5], 'a': tf.constant(1)}, 'x', (1, 2), None)",
                         None),
    "print_strings_top_level": ("capture('loss:', tf.constant(0.25), 'step', 3, 1 / 3)", None),
    "print_sep_end": ("capture(tf.Variable([1.0, 2.0]), None, 1.0 / 3, sep=', ', end='!\\n')", None),
    "print_long_list_wraps": ("capture([tf.constant(i) for i in range(30)])", None),
    "print_long_python_list": ("capture(list(range(40)), tf.constant(1))", None),
    "print_nested_tensor_in_dict_matrix": ("capture({'w': tf.ones([2, 2]), 'b': tf.zeros([2])})", None),
    "print_placeholder_in_string": ("capture('{}', tf.constant(1), '{}')", None),
    "print_numpy_array": ("capture(np.array([1, 2]), tf.constant([1, 2]))", None),
    "print_unknown_keyword": ("capture(tf.constant(1), foo=2)", "Unrecognized keyword arguments for tf.print"),
    "print_bad_stream": ("tf.print(tf.constant(1), output_stream=3)", "Unsupported output stream"),
    "print_returns_none": ("tf.print(tf.constant(1), output_stream=capture.path)", None),
}

# ---------------------------------------------------------------- config, device, IndexedSlices
EXTRAS = {
    "config_cpu_devices": ("[tuple(d) for d in tf.config.list_physical_devices('CPU')]", None),
    "config_logical_cpu": ("[tuple(d) for d in tf.config.list_logical_devices('CPU')]", None),
    "config_unknown_type": ("tf.config.list_physical_devices('TPUX')", None),
    "config_functions_run_eagerly": ("""
before = tf.config.functions_run_eagerly()
tf.config.run_functions_eagerly(True)
during = tf.config.functions_run_eagerly()
tf.config.run_functions_eagerly(False)
result = [before, during, tf.config.functions_run_eagerly()]""", None),
    "device_cpu_noop": ("""
with tf.device('/CPU:0'):
    x = tf.constant([1.0, 2.0]) * 2.0
result = x""", None),
    "device_unknown_attribute": ("with tf.device('/XPU:0'):\n    result = 1", None),
    "device_garbage": ("with tf.device('garbage'):\n    result = 1", None),
    "device_not_a_string": ("with tf.device(3):\n    result = 1", None),
    "device_job_spec": ("with tf.device('/job:localhost/replica:0/task:0/device:CPU:0'):\n    result = tf.ones([2])", None),
    "device_none": ("""
with tf.device(None):
    x = tf.constant(1.0)
result = x""", None),
    "indexed_slices_dense": ("tf.convert_to_tensor(tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), "
                             "tf.constant([2, 0, 2]), tf.constant([4, 2])))", None),
    "indexed_slices_in_op": ("tf.add(tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]), "
                             "tf.constant([2, 2])), 1.0)", None),
    "indexed_slices_attributes": ("""
s = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]), tf.constant([3, 2]))
result = [s.values, s.indices, s.dense_shape, repr(s.dtype)]""", None),
    "indexed_slices_no_dense_shape": ("tf.convert_to_tensor(tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([0])))",
                                      False),
    "indexed_slices_grad_of_values": ("""
v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
with tf.GradientTape() as tape:
    d = tf.convert_to_tensor(tf.IndexedSlices(v * 2.0, tf.constant([1, 1]), tf.constant([3, 2])))
    y = tf.reduce_sum(d * tf.constant([[1.0, 1.0], [5.0, 7.0], [1.0, 1.0]]))
result = [d, tape.gradient(y, v)]""", None),
    "indexed_slices_sgd": ("""
v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
opt = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
for _ in range(2):
    opt.apply_gradients([(tf.IndexedSlices(tf.constant([[1.0, 1.0], [0.5, 2.0]]), tf.constant([0, 2]),
                                           tf.constant([3, 2])), v)])
result = v""", None),
    "indexed_slices_adam": ("""
v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
opt = tf.keras.optimizers.Adam(learning_rate=0.1)
for _ in range(2):
    opt.apply_gradients([(tf.IndexedSlices(tf.constant([[1.0, 1.0], [0.5, 2.0]]), tf.constant([2, 0]),
                                           tf.constant([3, 2])), v)])
result = v""", None),
    "indexed_slices_adam_repeated_index": ("""
v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
opt = tf.keras.optimizers.Adam(learning_rate=0.1)
for _ in range(2):
    opt.apply_gradients([(tf.IndexedSlices(tf.constant([[1.0, 1.0], [0.5, 2.0]]), tf.constant([0, 0]),
                                           tf.constant([3, 2])), v)])
result = v""", None),
    "indexed_slices_sgd_repeated_index": ("""
v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
opt = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.5, nesterov=True)
for _ in range(3):
    opt.apply_gradients([(tf.IndexedSlices(tf.constant([[1.0, 1.0], [0.5, 2.0]]), tf.constant([1, 1]),
                                           tf.constant([3, 2])), v)])
result = v""", None),
}

CASES = {**COND, **WHILE, **TA, **HIGHER, **DEBUG, **PRINT, **EXTRAS}


class Capture:
    """``capture(*inputs, **kw)``: tf.print's output as a string, through ``output_stream="file://..."`` (the
    way both TF, which writes sys.stderr from C++, and gputape can be read back)."""

    def __init__(self, tf, path):
        self.tf = tf
        self.path = "file://" + path
        self.file = path

    def __call__(self, *inputs, **kw):
        open(self.file, "w").close()
        self.tf.print(*inputs, output_stream=self.path, **kw)
        with open(self.file) as f:
            return f.read()
