"""Issue 7's tensor/tape examples (kinds 5, 8 and 9) as small programs run twice: by
``gen_tensor.py`` under TensorFlow 2.21 (recording ``tensor.json``) and by
``tests/test_silent_tensor.py`` under gputape (comparing with the record).

Each section is a function of the ``tf`` module (and ``np``) returning ``{name: program}``; a
program takes no argument and returns a tensor, a list of them (recorded as ``name/<i>``) or None,
or raises.  ``cases(tf, np)`` is all of them.  Nothing here imports TensorFlow.
"""


class ArrayLike:
    def __init__(self, np):
        self._np = np

    def __array__(self, dtype=None, copy=None):
        return self._np.array([1.0, 2.0])


def conversions(tf, np):
    """Kind 5: what converts to a tensor, and what must fail."""
    def assign(value):
        return lambda: tf.Variable([1.0, 2.0]).assign(value)

    return {
        "assign_none": assign(None),
        "assign_list_with_none": assign([1.0, None]),
        "assign_add_none": lambda: tf.Variable([1.0, 2.0]).assign_add(None),
        "constant_list_with_none_float32": lambda: tf.constant([1.0, None], dtype=tf.float32),
        "constant_list_with_none": lambda: tf.constant([1.0, None]),
        "constant_none": lambda: tf.constant(None),
        "constant_none_float32": lambda: tf.constant(None, dtype=tf.float32),
        "convert_to_tensor_none": lambda: tf.convert_to_tensor(None),
        "variable_list_with_none": lambda: tf.Variable([1.0, None]),
        "constant_2_63": lambda: tf.constant(2 ** 63),
        "constant_minus_2_63_minus_1": lambda: tf.constant(-2 ** 63 - 1),
        "constant_list_2_64": lambda: tf.constant([1, 2 ** 64]),
        "constant_2_63_minus_1": lambda: tf.constant(2 ** 63 - 1),
        "constant_2_31": lambda: tf.constant(2 ** 31),
        "constant_2_63_float32": lambda: tf.constant(2 ** 63, dtype=tf.float32),
        "constant_string_array": lambda: tf.constant(np.array(["a"])),
        "constant_string_array_plus_1": lambda: tf.constant(np.array(["a"])) + 1,
        "constant_string": lambda: tf.constant("a"),
        "constant_string_float32": lambda: tf.constant("a", dtype=tf.float32),
        "constant_object_array": lambda: tf.constant(np.array([1, None], dtype=object)),
        "constant_object_array_ints": lambda: tf.constant(np.array([1, 2], dtype=object)),
        "constant_empty_int32": lambda: tf.constant([], dtype=tf.int32),
        "constant_empty": lambda: tf.constant([]),
        "constant_empty_2d": lambda: tf.constant([[]]),
        "constant_int_float": lambda: tf.constant([1, 2.5]),
        "constant_bool_int": lambda: tf.constant([True, 1]),
        "constant_int_bool": lambda: tf.constant([1, True]),
        "constant_bool_float": lambda: tf.constant([True, 1.5]),
        "constant_float_bool": lambda: tf.constant([1.5, True]),
        "constant_bools": lambda: tf.constant([True, False]),
        "constant_ragged": lambda: tf.constant([[1], [1, 2]]),
        "constant_scalar_then_list": lambda: tf.constant([1, [2]]),
        "constant_1e40": lambda: tf.constant(1e40),
        "constant_1e40_float32": lambda: tf.constant(1e40, dtype=tf.float32),
        "constant_floats_int32": lambda: tf.constant([1.0, 2.0], dtype=tf.int32),
        "constant_int_bool_dtype": lambda: tf.constant([1], dtype=tf.bool),
        "constant_bool_float32": lambda: tf.constant([True], dtype=tf.float32),
        "constant_numpy_float64": lambda: tf.constant(np.array([1.5])),
        "constant_numpy_float64_int32": lambda: tf.constant(np.array([1.5]), dtype=tf.int32),
        "constant_dict": lambda: tf.constant({}),
        "add_list_with_none": lambda: tf.constant([1.0, 2.0]) + [1.0, None],
        "constant_range": lambda: tf.constant(range(3)),
        "constant_range_float32": lambda: tf.constant(range(3), dtype=tf.float32),
        "constant_set": lambda: tf.constant({1, 2}),
        "constant_array_like": lambda: tf.constant(ArrayLike(np)),
        "constant_list_of_float64_arrays": lambda: tf.constant([np.array([1.0, 2.0]), np.array([3.0, 4.0])]),
        "constant_np_float32_then_1e40": lambda: tf.constant([np.float32(1.0), 1e40]),
        "constant_int_then_np_bool": lambda: tf.constant([1, np.bool_(True)]),
        "constant_np_uint64_beyond_int64": lambda: tf.constant([np.uint64(2 ** 63), 2]),
        "as_dtype_none": lambda: tf.as_dtype(None),
        "as_dtype_foo": lambda: tf.as_dtype("foo"),
        "constant_tensor_other_dtype": lambda: tf.constant(tf.constant(1.0), dtype=tf.float64),
        "variable_tensor_other_dtype": lambda: tf.Variable(tf.constant(1.0), dtype=tf.float64),
        "constant_shape_float": lambda: tf.constant(1.0, shape=[2.5]),
        "constant_shape_negative": lambda: tf.constant(1.0, shape=[-1]),
        "constant_shape_mismatch": lambda: tf.constant([1.0, 2.0, 3.0], shape=[2]),
        "constant_shape_fill": lambda: tf.constant(1.0, shape=[2, 2]),
        "convert_to_tensor_hint_float": lambda: tf.convert_to_tensor([1, 2], dtype_hint=tf.float32),
        "convert_to_tensor_hint_bool": lambda: tf.convert_to_tensor([1, 2], dtype_hint=tf.bool),
        "convert_to_tensor_hint_none": lambda: tf.convert_to_tensor([1, None], dtype_hint=tf.float32),
    }


def exceptions(tf, np):
    """Kind 8: exception classes of item assignment, assignment and indexing."""
    x = tf.constant([1.0, 2.0, 3.0])
    x2 = tf.constant([[1.0, 2.0], [3.0, 4.0]])

    def setitem():
        t = tf.constant([1.0, 2.0, 3.0])
        t[0] = 1.0

    return {
        "setitem": setitem,
        "assign_float64_tensor": lambda: tf.Variable([1.0, 2.0]).assign(tf.constant([1.0, 2.0], tf.float64)),
        "assign_add_float64_tensor":
            lambda: tf.Variable([1.0, 2.0]).assign_add(tf.constant([1.0, 2.0], tf.float64)),
        "index_float": lambda: x[1.0],
        "index_float_slice": lambda: x[1.5:2],
        "index_string": lambda: x["a"],
        "index_numpy_array": lambda: x2[np.array([0, 1])],
        "index_float_tensor": lambda: x[tf.constant(1.0)],
        "index_bool": lambda: x[True],
        "index_5": lambda: x[5],
        "index_3": lambda: x[3],
        "index_minus_3": lambda: x[-3],
        "index_minus_4": lambda: x[-4],
        "index_tensor_5": lambda: x[tf.constant(5)].numpy(),   # read: on CuPy the index check raises at the read
        "index_numpy_int_5": lambda: x[np.int64(5)],
        "index_2d_col_out": lambda: x2[:, 5],
        "index_2d_ellipsis_minus_3": lambda: x2[..., -3],
        "index_step_0": lambda: x[::0],
        "index_two_ellipses": lambda: x2[..., ...],
        "index_reverse": lambda: x[::-1],
        "index_past_end_slice": lambda: x[1:10],
        "index_newaxis": lambda: x[None],
        "index_ellipsis_newaxis": lambda: x[..., None],
        "index_newaxis_then_out": lambda: x[None, 5],
        "index_list_is_tuple": lambda: x2[[0, 1]],
        "variable_index_5": lambda: tf.Variable([1.0, 2.0, 3.0])[5],
    }


def tape_arguments(tf, np):
    """Kind 8: what GradientTape.gradient and batch_jacobian accept as targets and sources."""
    def grad(target_fn, sources_fn):
        def run():
            w = tf.Variable(2.0)
            with tf.GradientTape() as tape:
                loss = w * w
            return tape.gradient(target_fn(loss), sources_fn(w))
        return run

    def bj(target_fn, source_fn):
        def run():
            x = tf.constant([[1.0, 2.0]])
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = x * x
            return tape.batch_jacobian(target_fn(y), source_fn(x))
        return run

    return {
        "gradient_none_source": grad(lambda l: l, lambda w: None),
        "gradient_none_in_sources": grad(lambda l: l, lambda w: [w, None]),
        "gradient_string_source": grad(lambda l: l, lambda w: "w"),
        "gradient_float_source": grad(lambda l: l, lambda w: 3.0),
        "gradient_numpy_source": grad(lambda l: l, lambda w: np.array(3.0)),
        "gradient_float_target": grad(lambda l: float(l), lambda w: w),
        "gradient_numpy_target": grad(lambda l: l.numpy(), lambda w: w),
        "gradient_list_with_float_target": grad(lambda l: [l, 3.0], lambda w: w),
        "batch_jacobian_list_target": bj(lambda y: [y], lambda x: x),
        "batch_jacobian_list_source": bj(lambda y: y, lambda x: [x]),
        "batch_jacobian_none_source": bj(lambda y: y, lambda x: None),
        "batch_jacobian": bj(lambda y: y, lambda x: x),
    }


def custom_gradient_call(tf, call):
    """The gradients of ``call(f, x, y)`` for a custom-gradient ``f(x, y) = x * y`` whose gradient
    is ``(10 dy, 100 dy)``: which of its tensor arguments get the custom gradient."""
    @tf.custom_gradient
    def f(x, y):
        def grad(dy):
            return dy * 10.0, dy * 100.0
        return x * y, grad

    def run():
        x, y = tf.constant(2.0), tf.constant(3.0)
        with tf.GradientTape() as t:
            t.watch([x, y])
            z = call(f, x, y)
        return t.gradient(z, [x, y])
    return run


def introspection(tf, np):
    """Kind 9: custom gradients, recompute_grad and what the tape watches."""
    @tf.custom_gradient
    def clip_id(x):
        def grad(dy):
            return tf.clip_by_value(dy, -1.0, 1.0)
        return tf.identity(x), grad

    def clip_var():
        v = tf.Variable([3.0, -4.0])
        with tf.GradientTape() as t:
            y = clip_id(v)
            loss = tf.reduce_sum(y * y)
        return t.gradient(loss, v)

    w_captured = tf.Variable(2.0)

    @tf.custom_gradient
    def fw(x):
        def grad(dy, variables=None):
            return dy * 7.0, [dy * 11.0 for _ in variables]
        return x * w_captured, grad

    def var_and_captured():
        v = tf.Variable(3.0)
        with tf.GradientTape() as t:
            y = fw(v)
        return t.gradient(y, [v, w_captured])

    def recompute_var():
        v = tf.Variable(3.0)
        g = tf.recompute_grad(lambda x: x * x)
        with tf.GradientTape() as t:
            y = g(v)
        return t.gradient(y, v)

    def recompute_captured():
        w = tf.Variable(2.0)
        x = tf.constant(3.0)
        g = tf.recompute_grad(lambda x: x * w)
        with tf.GradientTape() as t:
            t.watch(x)
            y = g(x)
        return t.gradient(y, [x, w])

    def watched(how):
        def run():
            x0, x1 = tf.Variable(1.0), tf.Variable(2.0)
            with tf.GradientTape() as tape:
                how(x0, x1)
            return tf.stack([v.read_value() for v in tape.watched_variables()])
        return run

    def assign_add_grads():
        x0, x1 = tf.Variable(1.0), tf.Variable(2.0)
        with tf.GradientTape() as tape:
            x1.assign_add(x0)
        return tape.gradient(x1, [x0, x1])

    return {
        "custom_gradient_keywords": custom_gradient_call(tf, lambda f, x, y: f(x=x, y=y)),
        "custom_gradient_positional": custom_gradient_call(tf, lambda f, x, y: f(x, y)),
        "custom_gradient_mixed": custom_gradient_call(tf, lambda f, x, y: f(x, y=y)),
        "custom_gradient_variable_argument": clip_var,
        "custom_gradient_variable_argument_and_captured": var_and_captured,
        "recompute_grad_variable": recompute_var,
        "recompute_grad_captured": recompute_captured,
        "watched_after_assign_add": watched(lambda x0, x1: x1.assign_add(x0)),
        "watched_after_assign": watched(lambda x0, x1: x1.assign(x0)),
        "watched_after_assign_add_constant": watched(lambda x0, x1: x1.assign_add(1.0)),
        "assign_add_gradient": assign_add_grads,
    }


SECTIONS = (conversions, exceptions, tape_arguments, introspection)


def cases(tf, np):
    """Every program of every section, ``{name: program}``."""
    out = {}
    for section in SECTIONS:
        part = section(tf, np)
        assert not set(part) & set(out), set(part) & set(out)
        out.update(part)
    return out
