"""Issue 7's dtype and edge-value examples (kinds 2, 3, 4, 6 and 8) as small programs run twice: by
``gen_dtype.py`` under TensorFlow 2.21 (recording ``dtype.json``) and by ``tests/test_silent_dtype.py``
under gputape (comparing with the record).  The dtype table's ops are ``tests/dtype_ops.py``'s.

``examples(tf, np)`` is ``{name: program}``: a program takes no argument and returns a tensor or a
tuple/list of them (gradients: ``<example>/grad``), or raises.  Nothing here imports TensorFlow.
"""


def examples(tf, np):
    inf = np.inf
    A = np.ones((1, 2), np.float32)

    def grad(fn, *xs):
        """Gradients of sum(fn(*xs)) with respect to each x (float32), zeros for None."""
        def run():
            ts = [tf.constant(np.asarray(x, np.float32)) for x in xs]
            with tf.GradientTape() as tape:
                for t in ts:
                    tape.watch(t)
                y = fn(*ts)
            gs = tape.gradient(y, ts)
            return [tf.zeros_like(t) if g is None else g for t, g in zip(ts, gs)]
        return run

    return {
        # ---- kind 3: examples of the issue (also in the table; named here as the issue writes them)
        "sqrt_int": lambda: tf.sqrt(tf.constant([4, 9])),
        "exp_bool": lambda: tf.exp(tf.constant([True])),
        "add_bool": lambda: tf.add(tf.constant([True]), tf.constant([False])),
        "matmul_bool": lambda: tf.matmul(tf.constant([[True]]), tf.constant([[True]])),
        "matmul_int32": lambda: tf.matmul(tf.constant([[1, 2]]), tf.constant([[3], [4]])),
        # ---- kind 4
        "reduce_sum_int32": lambda: tf.reduce_sum(tf.constant([1, 2])),
        "reduce_sum_int32_plus_1": lambda: tf.reduce_sum(tf.constant([1, 2])) + tf.constant(1),
        "reduce_sum_int8_wraps": lambda: tf.reduce_sum(tf.constant([100, 100], tf.int8)),
        "reduce_sum_uint8_wraps": lambda: tf.reduce_sum(tf.constant([200, 100], tf.uint8)),
        "reduce_prod_int8": lambda: tf.reduce_prod(tf.constant([3, 4], tf.int8)),
        "cumsum_uint8": lambda: tf.cumsum(tf.constant([200, 100], tf.uint8)),
        "reduce_mean_int32": lambda: tf.reduce_mean(tf.constant([1, 2])),
        "reduce_mean_int32_neg": lambda: tf.reduce_mean(tf.constant([-1, -2])),
        "reduce_mean_int8_no_wrap": lambda: tf.reduce_mean(tf.fill([100], tf.constant(2, tf.int8))),
        "reduce_mean_int8_200": lambda: tf.reduce_mean(tf.ones([200], tf.int8)),
        "reduce_mean_uint8_300": lambda: tf.reduce_mean(tf.fill([300], tf.constant(3, tf.uint8))),
        "reduce_mean_int16_70000": lambda: tf.reduce_mean(tf.fill([70000], tf.constant(-2, tf.int16))),
        "reduce_mean_int32_big": lambda: tf.reduce_mean(tf.constant([2 ** 30, 2 ** 30, 2 ** 30 + 3])),
        "reduce_mean_int8_trunc": lambda: tf.reduce_mean(tf.constant([-3, -4], tf.int8)),
        "divide_int8": lambda: tf.math.divide(tf.constant([1], tf.int8), tf.constant([2], tf.int8)),
        "count_nonzero_default": lambda: tf.math.count_nonzero(tf.constant([1., 0.])),
        # ---- kind 6: edge values
        "floordiv_int_zero": lambda: tf.math.floordiv(tf.constant([1, 2]), tf.constant([0, 1])),
        "floormod_int_zero": lambda: tf.math.floormod(tf.constant([1, 2]), tf.constant([0, 1])),
        "floordiv_int64_zero": lambda: tf.math.floordiv(tf.constant([1], tf.int64), tf.constant([0], tf.int64)),
        "floordiv_uint8_zero": lambda: tf.math.floordiv(tf.constant([1], tf.uint8), tf.constant([0], tf.uint8)),
        "floordiv_float_zero": lambda: tf.math.floordiv(tf.constant([1., -1., 0.]), tf.constant([0., 0., 0.])),
        "floormod_float_zero": lambda: tf.math.floormod(tf.constant([1., -1.]), tf.constant([0., 0.])),
        "divide_float_zero": lambda: tf.math.divide(tf.constant([1., -1., 0.]), tf.constant([0., 0., 0.])),
        "log_zero": lambda: tf.math.log(tf.constant([0., -1.])),
        "reduce_mean_empty": lambda: tf.reduce_mean(tf.zeros([0])),
        "reduce_mean_empty_int": lambda: tf.reduce_mean(tf.zeros([0], tf.int32)),
        "reduce_mean_empty_axis": lambda: tf.reduce_mean(tf.zeros([0, 2]), axis=0),
        "reduce_max_empty": lambda: tf.reduce_max(tf.zeros([0])),
        "reduce_max_empty_int": lambda: tf.reduce_max(tf.zeros([0], tf.int32)),
        "reduce_logsumexp_neg_inf": lambda: tf.reduce_logsumexp(tf.constant([-inf, -inf])),
        "reduce_logsumexp_pos_inf": lambda: tf.reduce_logsumexp(tf.constant([inf, 1.])),
        "reduce_logsumexp_neg_inf/grad": grad(tf.reduce_logsumexp, [-inf, -inf]),
        "reduce_logsumexp_pos_inf/grad": grad(tf.reduce_logsumexp, [inf, 1.]),
        "reduce_logsumexp_mixed": lambda: tf.reduce_logsumexp(tf.constant([[-inf, 0.], [-inf, -inf]]), axis=1),
        "reduce_logsumexp_mixed/grad": grad(lambda x: tf.reduce_logsumexp(x, axis=1), [[-inf, 0.], [-inf, -inf]]),
        "reduce_logsumexp_keepdims": lambda: tf.reduce_logsumexp(tf.constant([[1., 2.]]), axis=-1, keepdims=True),
        "sparse_xent_neg_inf": lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([1]), logits=tf.constant([[0., 1., -inf]])),
        "sparse_xent_neg_inf/grad": grad(lambda lg: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([1]), logits=lg), [[0., 1., -inf]]),
        "keras_sparse_cce_neg_inf": lambda: tf.keras.losses.sparse_categorical_crossentropy(
            tf.constant([1]), tf.constant([[0., 1., -inf]]), from_logits=True),
        "dense_xent_neg_inf": lambda: tf.nn.softmax_cross_entropy_with_logits(
            labels=tf.constant([[0., 1., 0.]]), logits=tf.constant([[0., 1., -inf]])),
        "dense_xent_neg_inf/grad": grad(lambda lg: tf.nn.softmax_cross_entropy_with_logits(
            labels=tf.constant([[0., 1., 0.]]), logits=lg), [[0., 1., -inf]]),
        "sigmoid_xent_neg_inf": lambda: tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.constant([1.]), logits=tf.constant([-inf])),
        "sigmoid_xent_neg_inf/grad": grad(lambda lg: tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.constant([1.]), logits=lg), [-inf]),
        "sigmoid_xent_pos_inf": lambda: tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.constant([0., 1.]), logits=tf.constant([inf, inf])),
        "sigmoid_xent_pos_inf/grad": grad(lambda lg: tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.constant([0., 1.]), logits=lg), [inf, inf]),
        "softmax_neg_inf": lambda: tf.nn.softmax(tf.constant([0., -inf])),
        "log_softmax_neg_inf": lambda: tf.nn.log_softmax(tf.constant([0., -inf])),
        "softmax_neg_inf/grad": grad(lambda x: tf.nn.softmax(x) * tf.constant([1., 2.]), [0., -inf]),
        "log_softmax_neg_inf/grad": grad(lambda x: tf.nn.log_softmax(x) * tf.constant([1., 2.]),
            [0., -inf]),
        "reduce_mean_empty/grad": grad(tf.reduce_mean, np.zeros([0])),
        "reduce_max_inf/grad": grad(tf.reduce_max, [inf, inf, 1.]),
        "sigmoid_tanh_inf/grad": grad(lambda x: tf.sigmoid(x) + tf.tanh(x), [-inf, inf]),
        "dropout_rate_1": lambda: tf.nn.dropout(tf.constant([1., inf]), rate=1.0),
        "dropout_rate_1_int": lambda: tf.nn.dropout(tf.constant([1., inf]), rate=1),
        "relu_inf": lambda: tf.nn.relu(tf.constant([-inf, inf])),
        "relu6_inf": lambda: tf.nn.relu6(tf.constant([-inf, inf])),
        "relu6_inf/grad": grad(tf.nn.relu6, [-inf, inf, 6., 0.]),
        "selu_neg_inf": lambda: tf.nn.selu(tf.constant([-inf, inf])),
        "l2_normalize_zero": lambda: tf.nn.l2_normalize(tf.constant([0., 0.])),
        "clip_by_norm_inf": lambda: tf.clip_by_norm(tf.constant([inf, 1.]), 1.0),
        "xlogy_zero": lambda: tf.math.xlogy(tf.constant([0., 0., 1.]), tf.constant([0., inf, 0.])),
        "divide_no_nan_inf": lambda: tf.math.divide_no_nan(tf.constant([inf, 1.]), tf.constant([0., inf])),
        # ---- kind 2: axes
        "softmax_axis_2": lambda: tf.nn.softmax(tf.constant(A), axis=2),
        "softmax_axis_m3": lambda: tf.nn.softmax(tf.constant(A), axis=-3),
        "softmax_0d": lambda: tf.nn.softmax(tf.constant(1.0)),
        "log_softmax_axis_2": lambda: tf.nn.log_softmax(tf.constant(A), axis=2),
        "log_softmax_0d": lambda: tf.nn.log_softmax(tf.constant(1.0)),
        "softmax_axis_0": lambda: tf.nn.softmax(tf.constant([[1., 2.], [3., 5.]]), axis=0),
        "reduce_sum_dup_axis": lambda: tf.reduce_sum(tf.constant(A), axis=[1, 1]),
        "reduce_sum_dup_axis_neg": lambda: tf.reduce_sum(tf.constant(A), axis=[1, -1]),
        "reduce_sum_axis_2": lambda: tf.reduce_sum(tf.constant(A), axis=2),
        "reduce_sum_0d_axis_0": lambda: tf.reduce_sum(tf.constant(1.0), axis=0),
        "reduce_sum_0d_axis_empty": lambda: tf.reduce_sum(tf.constant(1.0), axis=[]),
        "reduce_max_axis_m3": lambda: tf.reduce_max(tf.constant(A), axis=-3),
        "reduce_mean_float_axis": lambda: tf.reduce_mean(tf.constant(A), axis=1.0),
        "reduce_logsumexp_dup_axis": lambda: tf.reduce_logsumexp(tf.constant(A), axis=[1, 1]),
        "reduce_any_axis_2": lambda: tf.reduce_any(tf.constant([[True, False]]), axis=2),
        "argmax_0d": lambda: tf.argmax(tf.constant(1.0)),
        "argmin_0d": lambda: tf.argmin(tf.constant(1.0)),
        "argmax_axis_2": lambda: tf.argmax(tf.constant(A), axis=2),
        "argmax_axis_m1": lambda: tf.argmax(tf.constant([[1., 3.], [4., 2.]]), axis=-1),
        "argmax_float_axis": lambda: tf.argmax(tf.constant(A), axis=1.0),
        "argmax_int32_output": lambda: tf.argmax(tf.constant([1., 3.]), output_type=tf.int32),
        "argmax_float_output": lambda: tf.argmax(tf.constant([1., 3.]), output_type=tf.float32),
        "cumsum_axis_2": lambda: tf.cumsum(tf.constant(A), axis=2),
        "cumsum_axis_m3": lambda: tf.cumsum(tf.constant(A), axis=-3),
        "cumsum_0d": lambda: tf.cumsum(tf.constant(1.0)),
        "cumsum_list": lambda: tf.cumsum([1., 2.]),
        "cumsum_int_list": lambda: tf.cumsum([1, 2]),
        "cumsum_exclusive_reverse": lambda: tf.cumsum(tf.constant([1., 2., 3.]), exclusive=True, reverse=True),
        "cumsum_float_axis": lambda: tf.cumsum(tf.constant(A), axis=1.0),
        "moments_axis_2": lambda: tf.nn.moments(tf.constant(A), axes=[2]),
        "moments_axes_neg": lambda: tf.nn.moments(tf.constant([[1., 2.], [3., 5.]]), axes=[-1]),
        "moments_dup_axes": lambda: tf.nn.moments(tf.constant(A), axes=[1, 1]),
        "l2_normalize_axis_2": lambda: tf.nn.l2_normalize(tf.constant(A), axis=2),
        "xent_axis_2": lambda: tf.nn.softmax_cross_entropy_with_logits(
            labels=tf.constant(A), logits=tf.constant(A), axis=2),
        "xent_axis_0": lambda: tf.nn.softmax_cross_entropy_with_logits(
            labels=tf.constant([[1., 0.], [0., 1.]]), logits=tf.constant([[1., 2.], [3., 5.]]), axis=0),
        "reduce_sum_list": lambda: tf.reduce_sum([1., 2.]),
        "softmax_list": lambda: tf.nn.softmax([1., 2.]),
        "argmax_list": lambda: tf.argmax([1., 3.]),
        "relu_list": lambda: tf.nn.relu([1., -2.]),
        "sqrt_list": lambda: tf.sqrt([4., 9.]),
        "sqrt_int_list": lambda: tf.sqrt([4, 9]),
        "argmax_empty": lambda: tf.argmax(tf.zeros([0])),
        "argmax_empty_axis1": lambda: tf.argmax(tf.zeros([2, 0]), axis=1),
        "argmax_empty_other_axis": lambda: tf.argmax(tf.zeros([0, 2]), axis=1),
        "softmax_empty": lambda: tf.nn.softmax(tf.zeros([2, 0])),
        "cumsum_empty": lambda: tf.cumsum(tf.zeros([0, 2]), axis=1),
        # ---- kind 8
        "cast_none": lambda: tf.cast(tf.constant([1.]), None),
        "cast_bad_name": lambda: tf.cast(tf.constant([1.]), "floaty"),
        "cast_float_to_int": lambda: tf.cast(tf.constant([-1.7, 2.7]), tf.int32),
        "cast_float_to_uint8": lambda: tf.cast(tf.constant([1.7, 300.]), tf.uint8),
        "cast_bool_to_float": lambda: tf.cast(tf.constant([True, False]), tf.float32),
        "cast_float_to_bool": lambda: tf.cast(tf.constant([0.5, 0.]), tf.bool),
        "cast_list": lambda: tf.cast([1, 2], tf.float32),
        "floordiv_mixed": lambda: tf.math.floordiv(tf.constant([1.]), tf.constant([1])),
        "softmax_int_msg": lambda: tf.nn.softmax(tf.constant([1, 2])),
    }
