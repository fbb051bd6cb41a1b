"""GradientTape, Variable, custom gradients and forward mode against TensorFlow 2.21's semantics.

One test (or a few) per element of docs/TF_SEMANTICS.md sections 1.1-1.3; the values and
messages were observed by running TensorFlow.  The last part covers gputape's own
debugging aids (check_numerics, explain_none).
"""
import logging

import numpy as np
import pytest

import gputape as tf
from gputape.debugging import explain_none
from gputape.errors import InvalidArgumentError, NumericsError

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def c(v, dtype=None):
    return tf.constant(v, dtype=dtype)


def val(t):
    return None if t is None else np.asarray(t).tolist()


# ================================================================ 1.1 GradientTape: construction and lifetime
def test_positional_persistent_argument():
    x = c(3.0)
    with tf.GradientTape(True) as t:
        t.watch(x)
        y = x * x
    assert val(t.gradient(y, x)) == 6.0 and val(t.gradient(y, x)) == 6.0


def test_constructing_a_tape_does_not_activate_it():
    v = tf.Variable(2.0)
    t = tf.GradientTape()
    y = v * v
    with pytest.raises(RuntimeError, match="A non-persistent GradientTape can only be used to compute one set"):
        t.gradient(y, v)


def test_non_persistent_second_call_raises_with_hint():
    x = c(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    assert val(t.gradient(y, x)) == 6.0
    with pytest.raises(RuntimeError, match="one set of gradients") as e:
        t.gradient(y, x)
    assert "persistent=True" in str(e.value)
    with pytest.raises(RuntimeError, match="persistent=True"):
        t.jacobian(y, x)


def test_persistent_tape_many_calls_then_del():
    x = c(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
        z = y * y
    assert val(t.gradient(z, x)) == 108.0
    assert val(t.gradient(y, x)) == 6.0
    assert val(t.jacobian(y, x)) == 6.0
    del t


def test_persistent_gradient_inside_context_records_and_warns_once(caplog):
    x = c(3.0)
    tf.GradientTape._warned_inside = False
    with caplog.at_level(logging.WARNING, logger="gputape"):
        with tf.GradientTape(persistent=True) as t:
            t.watch(x)
            y = x * x * x
            dy = t.gradient(y, x)
            d2y = t.gradient(dy, x)
    assert val(dy) == 27.0 and val(d2y) == 18.0
    assert val(t.gradient(d2y, x)) == 6.0                 # third order from one persistent tape
    msgs = [r.getMessage() for r in caplog.records if "persistent tape inside its context" in r.getMessage()]
    assert len(msgs) == 1 and "significantly less efficient" in msgs[0]


def test_non_persistent_gradient_inside_context_pops_the_tape():
    x = c(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
        g = t.gradient(y, x)
        z = g * x                                   # not recorded: the tape stopped
    assert val(g) == 6.0
    with pytest.raises(RuntimeError, match="one set of gradients"):
        t.gradient(z, x)


# ================================================================ watching
def test_trainable_variables_auto_watched_non_trainable_not():
    v, w = tf.Variable(1.0), tf.Variable(1.0, trainable=False)
    with tf.GradientTape(persistent=True) as t:
        y = v * v + w * w
    assert val(t.gradient(y, v)) == 2.0
    assert t.gradient(y, w) is None
    with tf.GradientTape() as t:
        t.watch(w)
        y = w * w
    assert val(t.gradient(y, w)) == 2.0


def test_integer_variable_is_watched_but_gets_none():
    i = tf.Variable(2)
    assert i.dtype == tf.int32
    with tf.GradientTape() as t:
        y = i * 3
    assert t.watched_variables() == (i,)
    assert t.gradient(y, i) is None


def test_watch_accessed_variables_false():
    v, w = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False, persistent=True) as t:
        y = v * w
        assert t.watched_variables() == ()
        t.watch(w)
        z = v * w
    assert t.watched_variables() == (w,)
    assert t.gradient(z, v) is None
    assert val(t.gradient(z, w)) == 1.0
    assert t.gradient(y, w) is None                 # computed before the watch


def test_watch_is_tape_local():
    x = c(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x * x
    assert val(inner.gradient(y, x)) == 4.0
    assert outer.gradient(y, x) is None


def test_watch_nested_structures_and_twice():
    a, b, d = c(1.0), c(2.0), c(3.0)
    with tf.GradientTape() as t:
        t.watch({"a": a, "rest": [b, (d,)]})
        t.watch(a)
        y = a * b * d
    assert val(t.gradient(y, [a, b, d])) == [6.0, 3.0, 2.0]


def test_watch_integer_warns_and_gives_none(caplog):
    i = c(3)
    with caplog.at_level(logging.WARNING, logger="gputape"):
        with tf.GradientTape() as t:
            t.watch(i)
            y = i * i
    assert any("must be floating" in r.getMessage() for r in caplog.records)
    assert t.gradient(y, i) is None


def test_watch_errors():
    t = tf.GradientTape()
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute '_tape'"):
        t.watch(c(1.0))
    with tf.GradientTape() as t:
        with pytest.raises(ValueError, match="Passed in object 1.0 of type 'ndarray', not tf.Tensor or tf.Variable"):
            t.watch(np.array(1.0))
        with pytest.raises(ValueError, match="of type 'float', not tf.Tensor"):
            t.watch(2.0)


# ================================================================ enter / exit
def test_reentering_after_exit_resumes_recording():
    x = c(3.0)
    g = tf.GradientTape()
    with g:
        g.watch(x)
        y = 2.0 * x
    with g:
        z = 2.0 * y
    assert val(g.gradient(z, x)) == 4.0


def test_entering_an_active_tape_raises():
    t = tf.GradientTape()
    with t:
        with pytest.raises(ValueError, match="Tape is still recording, This can happen if you try to re-enter"):
            t.__enter__()


def test_exception_inside_body_pops_the_tape():
    x = c(1.0)
    t = tf.GradientTape()
    with pytest.raises(ZeroDivisionError):
        with t:
            t.watch(x)
            1 / 0
    with tf.GradientTape() as t2:
        t2.watch(x)
        y = x * 5.0
    assert val(t2.gradient(y, x)) == 5.0


# ================================================================ stop_recording
def test_stop_recording_makes_constants_for_this_tape():
    x = c(4.0)
    with tf.GradientTape() as t:
        t.watch(x)
        with t.stop_recording():
            y = x ** 2
    assert t.gradient(y, x) is None


def test_stop_recording_is_tape_local():
    x = c(3.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            with inner.stop_recording():
                y = x * x
    assert val(outer.gradient(y, x)) == 6.0
    cc = c(1.0)
    with tf.GradientTape() as tape:
        with tf.autodiff.ForwardAccumulator(cc, c(2.0)) as acc:
            with tape.stop_recording():
                d = cc * 2.0
    assert val(acc.jvp(d)) == 4.0


def test_value_computed_outside_stop_recording_stays_differentiable():
    x = c(1.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        x2 = 2.0 * x
        with t.stop_recording():
            y = x2 * x2
        z = x2 * x2
    assert t.gradient(y, x2) is None
    assert val(t.gradient(z, x2)) == 4.0


def test_stop_recording_errors():
    t = tf.GradientTape()
    with pytest.raises(RuntimeError, match="Trying to stop recording a tape which is not recording."):
        with t.stop_recording():
            pass
    with t:
        pass
    with pytest.raises(ValueError, match="Tape is not recording."):
        with t.stop_recording():
            pass


# ================================================================ reset / watched_variables
def test_reset_forgets_everything():
    v = tf.Variable(1.0)
    with tf.GradientTape() as t:
        loss = v * v
        t.reset()
        assert t.watched_variables() == ()
        loss += v * v
        assert t.watched_variables() == (v,)
    assert val(t.gradient(loss, v)) == 2.0


def test_reset_outside_context_raises():
    t = tf.GradientTape()
    with t:
        pass
    with pytest.raises(ValueError, match="Tape is not recording."):
        t.reset()


def test_watched_variables_creation_order_once_each_and_after_gradient():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    cv = tf.Variable(3.0, name="c", trainable=False)
    with tf.GradientTape() as t:
        y = b * a + cv + a * b
    wv = t.watched_variables()
    assert isinstance(wv, tuple) and [v.name for v in wv] == ["a:0", "b:0"]
    t.gradient(y, [a, b])
    assert t.watched_variables() == wv


def test_variable_read_by_non_differentiable_op_is_watched():
    v = tf.Variable([1.0, 3.0, 2.0])
    with tf.GradientTape() as t:
        tf.argmax(v)
    assert t.watched_variables() == (v,)


# ================================================================ gradient(): targets
def test_list_and_dict_targets_are_summed():
    x = c(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        a, b = x * x, 2.0 * x
    assert val(t.gradient([a, b], x)) == 8.0
    assert val(t.gradient({"a": a, "b": x}, x)) == 7.0
    x = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    assert val(t.gradient([x, y], x)) == 5.0


def test_gradient_of_source_itself_on_empty_tape():
    v = tf.Variable(3.0)
    with tf.GradientTape() as t:
        pass
    assert val(t.gradient(v, v)) == 1.0


def test_non_scalar_target_is_summed():
    x = c([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    assert val(t.gradient(y, x)) == [2.0, 4.0, 6.0]


def test_integer_target_gives_none():
    x = c(1.0)
    with tf.GradientTape() as t:
        t.watch(x)
        k = tf.cast(x, tf.int32) * 2
    assert t.gradient([k], x) is None


def test_target_none_errors():
    x = c(1.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
    with pytest.raises(TypeError, match="Argument `target` should be a list or nested structure of Tensors"):
        t.gradient(None, x)
    with pytest.raises(TypeError, match="Cannot convert the argument `type_value`: None to a TensorFlow DType"):
        t.gradient([y, None], x)


# ================================================================ gradient(): sources
def test_sources_structure_is_kept():
    x1, x2, x3 = c(1.0), c(2.0), c(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch([x1, x2, x3])
        y = x1 + 2.0 * x2 + 3.0 * x3
    g = t.gradient(y, (x1, x2, [x1, x3]))
    assert isinstance(g, tuple) and isinstance(g[2], list)
    assert val(g[0]) == 1.0 and val(g[1]) == 2.0 and val(g[2]) == [1.0, 3.0]
    d = t.gradient(y, {"b": x1, "a": {"z": x2, "y": x3}})
    assert list(d) == ["b", "a"] and list(d["a"]) == ["z", "y"]
    assert val(d["b"]) == 1.0 and val(d["a"]["z"]) == 2.0 and val(d["a"]["y"]) == 3.0
    assert t.gradient(y, []) == []


def test_equal_constants_are_distinct_sources():
    a, b = c(3.0), c(3.0)
    with tf.GradientTape() as t:
        t.watch([a, b])
        y = a * 2.0
    ga, gb = t.gradient(y, [a, b])
    assert val(ga) == 2.0 and gb is None


def test_integer_sources_none_or_int_zero():
    i = c([1, 2])
    with tf.GradientTape(persistent=True) as t:
        t.watch(i)
        y = i * 2
    assert t.gradient(y, i) is None
    z = t.gradient(y, i, unconnected_gradients="zero")
    assert z.dtype == tf.int32 and val(z) == [0, 0]


def test_gradient_dtype_follows_source():
    for dt in (tf.float16, tf.float32, tf.float64):
        x = c([1.0, 2.0], dt)
        with tf.GradientTape() as t:
            t.watch(x)
            y = x * x
        g = t.gradient(y, x)
        assert g.dtype == dt and val(g) == [2.0, 4.0]


def test_bad_sources_raise_attribute_error():
    x = c(1.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
    with pytest.raises(AttributeError, match="'numpy.ndarray' object has no attribute '_id'|'ndarray' object"):
        t.gradient(y, np.array(1.0))
    with pytest.raises(AttributeError, match="'float' object has no attribute"):
        t.gradient(y, 1.0)


# ================================================================ output_gradients
def test_output_gradients_weight_the_targets():
    x = c([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
        y2 = x * 3.0
    assert val(t.gradient(y, x, output_gradients=c([1.0, 0.0, 2.0]))) == [2.0, 0.0, 12.0]
    # matched positionally to the flattened targets; missing trailing entries default to ones
    assert val(t.gradient([y, y2], x, output_gradients=[c([1.0, 0.0, 2.0])])) == [5.0, 3.0, 15.0]


def test_output_gradients_errors():
    x = c([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
    with pytest.raises(ValueError, match=r"Attempt to convert a value \(None\)"):
        t.gradient([y], x, output_gradients=[None])
    with pytest.raises(InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\]"):
        t.gradient(y, x, output_gradients=c([1.0, 2.0]))
    with pytest.raises(InvalidArgumentError, match="double tensor|float64"):
        t.gradient(y, x, output_gradients=c([1.0, 2.0, 3.0], tf.float64))


# ================================================================ unconnected gradients
def test_unconnected_none_and_zero():
    x, z = c([1.0, 2.0]), c([[1.0]], tf.float64)
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, z])
        y = x * 2.0
    assert t.gradient(y, z) is None
    g = t.gradient(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert g.dtype == tf.float64 and g.shape == (1, 1) and val(g) == [[0.0]]
    assert val(t.gradient(y, z, unconnected_gradients="zero")) == [[0.0]]
    assert tf.UnconnectedGradients("zero") is tf.UnconnectedGradients.ZERO
    assert tf.UnconnectedGradients.NONE.value == "none"
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'nonsense'"):
        t.gradient(y, x, unconnected_gradients="nonsense")


def test_runtime_zero_is_not_unconnected():
    x = c(-1.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.nn.relu(x)
    assert val(t.gradient(y, x)) == 0.0


def test_stop_gradient_counts_as_unconnected():
    x = c(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tf.stop_gradient(x * x)
    assert t.gradient(y, x) is None
    assert val(t.gradient(y, x, unconnected_gradients="zero")) == 0.0


# ================================================================ ops without gradients, breaking the tape
def _no_grad_op():
    from gputape.op import defop
    return defop("no_grad_example", lambda xp, x: x * 2)


def test_missing_gradient_raises_lookup_error_only_on_the_path():
    op = _no_grad_op()
    x, w = c(2.0), c(5.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, w])
        y = op(x)                                  # the forward works
        z = w * w
    assert val(y) == 4.0
    with pytest.raises(LookupError, match="gradient registry has no entry for: no_grad_example"):
        t.gradient(y, x)
    assert val(t.gradient(z, w)) == 10.0


def test_missing_gradient_on_a_branch_to_a_watched_tensor_also_raises():
    """TF too: tf.unique on a watched x raises for gradient(y, w) although w is the only source."""
    op = _no_grad_op()
    x, w = c(2.0), c(5.0)
    with tf.GradientTape() as t:
        t.watch([x, w])
        y = op(x) + w * w
    with pytest.raises(LookupError, match="no_grad_example"):
        t.gradient(y, w)


def test_numpy_and_constant_rewrap_break_the_tape():
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        y = x * x
        a = tf.constant(y.numpy()) * 2.0
        b = tf.constant(y) * 2.0
        d = c(np.asarray(y)) * 2.0
    assert t.gradient(a, x) is None and t.gradient(b, x) is None and t.gradient(d, x) is None


def test_python_control_flow_on_values_is_fine():
    def f(x):
        return x * x if x > 2.0 else x

    x = c(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    assert val(t.gradient(y, x)) == 6.0
    x = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x
        for _ in range(3):
            y = y * x
    assert val(t.gradient(y, x)) == 32.0


# ================================================================ jacobian / batch_jacobian
def test_jacobian_shapes_and_values():
    x = c([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:                     # non-persistent is fine
        t.watch(x)
        y = tf.reduce_sum(x * x)
    j = t.jacobian(y, x)
    assert j.shape == (3,) and val(j) == [2.0, 4.0, 6.0]
    w = c([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with tf.GradientTape() as t:
        t.watch(x)
        y = w * x
    j = t.jacobian(y, x)
    assert j.shape == (2, 3, 3)
    np.testing.assert_array_equal(j.numpy(), np.einsum("ij,jk->ijk", w.numpy(), np.eye(3)))


def test_jacobian_of_matmul():
    x = c([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.matmul(x, x)
    j = t.jacobian(y, x).numpy()
    assert j.shape == (2, 2, 2, 2)
    xv, eye = x.numpy(), np.eye(2)
    want = np.einsum("ik,lj->ijkl", eye, xv) + np.einsum("ik,jl->ijkl", xv, eye)
    np.testing.assert_allclose(j, want)


def test_jacobian_nested_sources_and_unconnected():
    x, z = c([1.0, 2.0]), c(5.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch([x, z])
        y = x * 3.0
    jx, jz = t.jacobian(y, [x, z])
    assert val(jx) == [[3.0, 0.0], [0.0, 3.0]] and jz is None
    d = t.jacobian(y, {"z": z}, unconnected_gradients="zero")
    assert d["z"].shape == (2,) and val(d["z"]) == [0.0, 0.0]


def test_jacobian_errors():
    x = c([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    with pytest.raises(AttributeError, match="'list' object has no attribute 'shape'"):
        t.jacobian([y], x)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * x
    with pytest.raises(RuntimeError, match="persistent=True to compute the jacobian with eager execution enabled "
                                           "and with  experimental_use_pfor set to False"):
        t.jacobian(y, x, experimental_use_pfor=False)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
    assert val(t.jacobian(y, x, experimental_use_pfor=False)) == [[2.0, 0.0], [0.0, 4.0]]


def test_batch_jacobian_shapes_values_and_errors():
    x = c([[1.0, 2.0], [3.0, 4.0]])
    w = c([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tf.matmul(x, w)
        y2 = tf.tanh(x) * x
    bj = t.batch_jacobian(y, x)
    assert bj.shape == (2, 3, 2)
    np.testing.assert_allclose(bj.numpy(), np.broadcast_to(w.numpy().T, (2, 3, 2)))
    assert t.jacobian(y, x).shape == (2, 3, 2, 2)
    xv = x.numpy()
    d = np.tanh(xv) + xv * (1 - np.tanh(xv) ** 2)
    np.testing.assert_allclose(t.batch_jacobian(y2, x).numpy(), np.stack([np.diag(r) for r in d]), rtol=1e-6)
    with pytest.raises(ValueError, match=r"Shape \(2,\) must have rank at least 2"):
        t.batch_jacobian(c([1.0, 2.0]), x)
    with pytest.raises(ValueError, match=r"Need first dimension of target shape \(\(4, 3\)\) and source shape "
                                         r"\(\(2, 2\)\) to match."):
        t.batch_jacobian(tf.zeros((4, 3)), x)


def test_batch_jacobian_unconnected_is_zeros_and_degenerate_shapes():
    x, z = c([[1.0], [2.0]]), c([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as t:
        t.watch(x)
        y = z * 2.0
    bj = t.batch_jacobian(y, x)
    assert bj.shape == (2, 2, 1) and val(bj) == [[[0.0], [0.0]], [[0.0], [0.0]]]
    e = tf.zeros([1, 0])
    with tf.GradientTape() as t:
        t.watch(e)
        y = e * 2.0
    assert t.batch_jacobian(y, e).shape == (1, 0, 0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * 2.0
    with pytest.raises(RuntimeError, match="persistent=True to compute the batch_jacobian"):
        t.batch_jacobian(y, x, experimental_use_pfor=False)


# ================================================================ 1.2 Variables
def test_every_variable_read_propagates():
    for read in (tf.convert_to_tensor, lambda v: v.value(), lambda v: v.read_value(), tf.identity, lambda v: v * 1.0):
        v = tf.Variable(1.0)
        with tf.GradientTape() as t:
            y = 2.0 * read(v)
        assert val(t.gradient(y, v)) == 2.0


def test_variable_dtype_inference_name_and_trainable():
    assert tf.Variable(1.0).dtype == tf.float32
    assert tf.Variable(1).dtype == tf.int32
    assert tf.Variable(np.array([1.0])).dtype == tf.float64
    assert tf.Variable(1.0).name == "Variable:0"
    a, b = tf.Variable(1.0, name="w"), tf.Variable(2.0, name="w")
    assert a.name == b.name == "w:0"
    with pytest.raises(AttributeError):
        a.trainable = False


def test_assign_returns_variable_and_is_not_differentiable():
    v = tf.Variable([1.0, 2.0])
    assert v.assign([3.0, 4.0]) is v and val(v) == [3.0, 4.0]
    assert v.assign_add([1.0, 1.0], read_value=False) is None and val(v) == [4.0, 5.0]
    assert v.assign_sub([1.0, 1.0]) is v and val(v) == [3.0, 4.0]
    v.assign([1, 2])                                   # an int list into a float variable is converted
    assert v.dtype == tf.float32 and val(v) == [1.0, 2.0]
    x = c(1.0)
    w = tf.Variable(0.0)
    with tf.GradientTape() as t:
        t.watch(x)
        w.assign(x * 2.0)
        y = w * 1.0
    assert t.gradient(y, x) is None


def test_reads_before_and_after_assign_use_their_own_values():
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = v * v
        v.assign(10.0)
        z = v * v
        total = y + z
    assert val(y) == 4.0 and val(z) == 100.0
    assert val(t.gradient(total, v)) == 24.0


def test_numpy_is_a_copy():
    v = tf.Variable([1.0, 2.0])
    a = v.numpy()
    a[0] = 99.0
    assert val(v) == [1.0, 2.0]


def test_assign_errors():
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match=r"Cannot assign value to variable ' Variable:0': Shape mismatch.The "
                                         r"variable shape \(2,\), and the assigned value shape \(3,\) are "
                                         r"incompatible."):
        v.assign([1.0, 2.0, 3.0])
    i = tf.Variable(1)
    with pytest.raises(TypeError, match="Cannot convert 2.5 to EagerTensor of dtype int32"):
        i.assign(2.5)


def test_in_place_add_on_variable_raises():
    v = tf.Variable(1.0)
    with pytest.raises(RuntimeError, match=r"`variable \+= value` with `tf.Variable`s is not supported. Use "
                                           r"`variable.assign_add\(value\)`"):
        v += 1.0


def test_rebinding_variable_to_tensor_loses_the_variable():
    w = tf.Variable(1.0)
    w = w + 1.0
    assert not isinstance(w, tf.Variable)


def test_slice_assign():
    v = tf.Variable([1.0, 2.0])
    v[1].assign(5.0)
    assert val(v) == [1.0, 5.0]


@pytest.mark.xfail(strict=True, reason="assign returns the variable itself, whose repr keeps its name; TF "
                   "returns a handle that prints as 'UnreadVariable'")
def test_assign_result_repr_is_unread_variable():
    v = tf.Variable([1.0, 2.0])
    assert repr(v.assign([3.0, 4.0])).startswith("<tf.Variable 'UnreadVariable' shape=(2,)")


# ================================================================ 1.3 custom_gradient
def test_custom_gradient_basic_and_kwargs():
    @tf.custom_gradient
    def clip_grad(x, scale=1.0):
        def grad(dy):
            return tf.clip_by_value(dy * scale, -0.5, 0.5)
        return x * 1.0, grad

    x = c([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = clip_grad(x, scale=3.0) * c([0.1, 1.0])
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [0.3, 0.5])


def test_custom_gradient_one_upstream_per_output_unused_are_zeros():
    seen = {}

    @tf.custom_gradient
    def two(x):
        def grad(dy1, dy2):
            seen["dy2"] = val(dy2)
            return dy1 + dy2
        return (x * 1.0, x * 2.0), grad

    x = c([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        a, _ = two(x)
        y = a * 3.0
    assert val(t.gradient(y, x)) == [3.0, 3.0] and seen["dy2"] == [0.0, 0.0]


def test_custom_gradient_none_return_and_errors():
    @tf.custom_gradient
    def f(x, y):
        return x * y, lambda dy: (None, dy * x)

    x, y = c(2.0), c(5.0)
    with tf.GradientTape() as t:
        t.watch([x, y])
        z = f(x, y)
    gx, gy = t.gradient(z, [x, y])
    assert gx is None and val(gy) == 2.0

    @tf.custom_gradient
    def wrong_count(x, y):
        return x * y, lambda dy: dy

    with tf.GradientTape() as t:
        t.watch([x, y])
        z = wrong_count(x, y)
    with pytest.raises(ValueError, match="custom_gradient function expected to return 2 gradients, but returned "
                                         "1 instead."):
        t.gradient(z, [x, y])


def test_custom_gradient_exception_in_grad_fn_propagates():
    @tf.custom_gradient
    def f(x):
        def grad(dy):
            raise KeyError("boom")
        return x * 2.0, grad

    x = c(1.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    with pytest.raises(KeyError, match="boom"):
        t.gradient(y, x)


def test_custom_gradient_with_variables():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def no_kwarg(x):
        return x * w, lambda dy: dy * w

    with tf.GradientTape() as t:
        with pytest.raises(TypeError, match="@tf.custom_gradient grad_fn must accept keyword argument "
                                            "'variables', since function uses variables"):
            no_kwarg(c(1.0))

    @tf.custom_gradient
    def good(x):
        def grad(dy, variables=None):
            return dy * w, [dy * x]
        return x * w, grad

    x = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = good(x)
    gx, gw = t.gradient(y, [x, w])
    assert val(gx) == 3.0 and val(gw) == 2.0

    @tf.custom_gradient
    def bad(x):
        def grad(dy, variables=None):
            return dy * w
        return x * w, grad

    with tf.GradientTape() as t:
        t.watch(x)
        y = bad(x)
    with pytest.raises(ValueError, match="Must return gradient for each variable from @custom_gradient grad_fn."):
        t.gradient(y, [x, w])


def test_custom_gradient_second_order_via_outer_tape():
    @tf.custom_gradient
    def cube(x):
        return x ** 3.0, lambda dy: dy * 3.0 * x ** 2.0

    x = c(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        g = inner.gradient(y, x)
    assert val(g) == 12.0 and val(outer.gradient(g, x)) == 12.0


def test_custom_gradient_returns_are_validated():
    """gputape says more than TF: a wrong shape or dtype is an error naming the argument."""
    @tf.custom_gradient
    def wrong_shape(x):
        return x * 1.0, lambda dy: tf.reduce_sum(dy) * c([1.0, 1.0, 1.0])

    @tf.custom_gradient
    def wrong_dtype(x):
        return x * 1.0, lambda dy: tf.cast(dy, tf.float64)

    x = c([1.0, 2.0])
    for f, msg in ((wrong_shape, r"has shape \(3,\) but the input has shape \(2,\)"),
                   (wrong_dtype, "has dtype float64 but the input has dtype float32")):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        with pytest.raises(InvalidArgumentError, match=msg):
            t.gradient(y, x)


def test_custom_gradient_under_forward_accumulator():
    @tf.custom_gradient
    def f(x):
        return x * x, lambda dy: dy * 2.0 * x

    x = c(3.0)
    with tf.autodiff.ForwardAccumulator(x, c(1.0)) as acc:
        y = f(x)
    assert val(acc.jvp(y)) == 6.0


def test_custom_gradient_errors_surface_at_forward_under_accumulator():
    @tf.custom_gradient
    def f(x):
        def grad(dy):
            raise KeyError("boom")
        return x * 2.0, grad

    x = c(1.0)
    with pytest.raises(KeyError, match="boom"):
        with tf.autodiff.ForwardAccumulator(x, c(1.0)):
            f(x)


def test_grad_pass_through():
    x = c(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.grad_pass_through(tf.round)(1.3 * x)
    assert val(y) == 3.0
    np.testing.assert_allclose(t.gradient(y, x).numpy(), 1.3)


def test_stop_gradient_forms():
    x = c(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = x * tf.stop_gradient(x)
    assert val(t.gradient(y, x)) == 3.0
    v = tf.Variable(1.0)
    s = tf.stop_gradient(v)
    assert type(s) is tf.Tensor
    packed = tf.stop_gradient([c(1.0), c(2.0)])
    assert packed.shape == (2,)
    x = c(2.0)
    with tf.autodiff.ForwardAccumulator(x, c(1.0)) as acc:
        y = tf.stop_gradient(x) * x
    assert val(acc.jvp(y)) == 2.0


def test_recompute_grad_matches_plain():
    x = c([1.0, 2.0])
    f = tf.recompute_grad(lambda t: tf.tanh(t) ** 2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [0.6397, 0.13622], rtol=1e-3)


def test_recompute_grad_with_variables_and_kwargs():
    w = tf.Variable(2.0)

    def layer(x, scale=1.0):
        return tf.sin(x * w) * scale

    f = tf.recompute_grad(layer)
    x = c([0.5, 1.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x, scale=2.0)
    gx, gw = t.gradient(y, [x, w])
    with tf.GradientTape() as t:
        t.watch(x)
        y2 = layer(x, scale=2.0)
    ex, ew = t.gradient(y2, [x, w])
    np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-6)
    np.testing.assert_allclose(gw.numpy(), ew.numpy(), rtol=1e-6)


def test_tape_outside_and_inside_function():
    @tf.function
    def f(x):
        return x ** 2.0

    x = c(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    assert val(t.gradient(y, x)) == 6.0

    @tf.function
    def g(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = x ** 3.0
        return t.gradient(y, x)

    assert val(g(c(2.0))) == 12.0


# ================================================================ ForwardAccumulator
def test_accumulator_basic_nested_and_after_exit():
    x, y = c(2.0), c([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator({"x": x, "y": [y]}, {"x": 1.0, "y": [c([0.0, 1.0])]}) as acc:
        z = x * x
        w = y * x
    out = acc.jvp({"z": z, "w": (w,)})
    assert val(out["z"]) == 4.0 and val(out["w"][0]) == [1.0, 4.0]
    assert acc.jvp(x * 3.0) is None                        # computed outside: no tangent
    assert val(acc.jvp(x * 3.0, unconnected_gradients="zero")) == 0.0


def test_accumulator_tangent_dtype_and_structure():
    x = c(2.0, tf.float64)
    with tf.autodiff.ForwardAccumulator(x, 1.0) as acc:
        y = x * x
    assert acc.jvp(y).dtype == tf.float64 and val(acc.jvp(y)) == 4.0
    with pytest.raises(ValueError, match="The two structures don't have the same nested structure."):
        tf.autodiff.ForwardAccumulator([x], [1.0, 2.0])


def test_accumulator_errors_and_reentry():
    x = c(1.0)
    with pytest.raises(ValueError, match=r"Tensor \{\} was specified as a primal multiple times. This may "
                                         r"indicate an error. If it was intended, please sum the corresponding "
                                         r"tangents."):
        tf.autodiff.ForwardAccumulator([x, x], [1.0, 1.0])
    acc = tf.autodiff.ForwardAccumulator(x, c(2.0))
    with acc:
        with pytest.raises(ValueError, match="Accumulator is already recording."):
            acc.__enter__()
        y = x * 3.0
    with acc:
        z = y * 2.0
    assert val(acc.jvp(y)) == 6.0 and val(acc.jvp(z)) == 12.0


def test_accumulator_int_primal_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="gputape"):
        tf.autodiff.ForwardAccumulator(c(1), c(1))
    assert any("must be floating" in r.getMessage() for r in caplog.records)


def test_accumulator_tangent_shape_checked_late():
    x = c([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(x, c([1.0, 2.0, 3.0])) as acc:   # no error here
        with pytest.raises(ValueError):
            x * c([1.0, 2.0])


def test_accumulator_with_variables_and_assign():
    v = tf.Variable(3.0)
    with tf.autodiff.ForwardAccumulator(v, c(1.0)) as acc:
        y = v * v
        v.assign_sub(1.0)
    assert val(acc.jvp(y)) == 6.0


def test_nested_accumulators_ignore_outer_jvps():
    x = c(2.0)
    with tf.autodiff.ForwardAccumulator(x, c(1.0)) as outer:
        with tf.autodiff.ForwardAccumulator(x, c(1.0)) as inner:
            y = x * x
            assert inner.jvp(outer.jvp(y)) is None
    assert val(outer.jvp(y)) == 4.0 and val(inner.jvp(y)) == 4.0


def test_hessian_vector_product_forward_over_back():
    x = c([1.0, 2.0])
    v = c([1.0, 0.5])
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(x ** 3.0) + x[0] * x[1]
        g = t.gradient(y, x)
    # H = [[6 x0, 1], [1, 6 x1]] = [[6, 1], [1, 12]]
    np.testing.assert_allclose(acc.jvp(g).numpy(), [6.5, 7.0])


def test_forward_over_back_through_fused_ops():
    x = c([[0.5, -1.0, 2.0]])
    v = c([[1.0, 0.0, -1.0]])
    b = c([0.1, 0.2, 0.3])
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(tf.nn.bias_add(tf.tanh(x), b) ** 2.0)
        g = t.gradient(y, x)
    h = 1e-3
    xs = x.numpy().astype(np.float64)

    def grad_at(a):
        th = np.tanh(a)
        return 2 * (th + b.numpy()) * (1 - th ** 2)

    np.testing.assert_allclose(acc.jvp(g).numpy(), (grad_at(xs + h * v.numpy()) - grad_at(xs - h * v.numpy())) / (2 * h),
                               rtol=1e-3, atol=1e-4)


# ================================================================ higher order
def test_nested_tapes_second_order_variable():
    x = tf.Variable(1.0)
    with tf.GradientTape() as t:
        with tf.GradientTape() as t2:
            y = x * x * x
        dy = t2.gradient(y, x)
    assert val(dy) == 3.0 and val(t.gradient(dy, x)) == 6.0


def test_third_order_nested_tapes():
    x = c(0.7, tf.float64)
    with tf.GradientTape() as t1:
        t1.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t3:
                t3.watch(x)
                y = tf.sin(x) * tf.exp(x)
            d1 = t3.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t1.gradient(d2, x)
    xv = 0.7
    assert abs(val(d1) - np.exp(xv) * (np.sin(xv) + np.cos(xv))) < 1e-12
    assert abs(val(d2) - 2 * np.exp(xv) * np.cos(xv)) < 1e-12
    assert abs(val(d3) - 2 * np.exp(xv) * (np.cos(xv) - np.sin(xv))) < 1e-12


@pytest.mark.parametrize("fn,d2", [
    ("tanh", lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("bias_act_tanh", lambda x: -2 * np.tanh(x + 0.5) * (1 - np.tanh(x + 0.5) ** 2)),
    ("bias_act_sigmoid", lambda x: (lambda s: s * (1 - s) * (1 - 2 * s))(1 / (1 + np.exp(-(x + 0.5))))),
])
def test_second_order_through_fused_ops(fn, d2):
    x = c([[-1.0, 0.3, 2.0]], tf.float64)
    b = c([0.5, 0.5, 0.5], tf.float64)
    f = {"tanh": tf.tanh,
         "bias_act_tanh": lambda t: tf.nn.dense_activation(t, b, "tanh"),
         "bias_act_sigmoid": lambda t: tf.nn.dense_activation(t, b, "sigmoid")}[fn]
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), d2(x.numpy()), rtol=1e-10)


def test_second_order_through_softmax_xent():
    z = c([[1.0, 2.0, 3.0]], tf.float64)
    lab = c([[0.0, 0.0, 1.0]], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(z)
        with tf.GradientTape() as inner:
            inner.watch(z)
            loss = tf.nn.softmax_cross_entropy_with_logits(labels=lab, logits=z)
        g = inner.gradient(loss, z)
    h = outer.jacobian(g, z)[0, :, 0, :].numpy()
    p = np.exp(z.numpy()[0]) / np.exp(z.numpy()[0]).sum()
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), atol=1e-12)


def test_persistent_tape_inside_context_hessian_via_jacobian():
    x = c([1.0, 2.0], tf.float64)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tf.reduce_sum(x ** 3.0)
        g = t.gradient(y, x)
    np.testing.assert_allclose(t.jacobian(g, x).numpy(), [[6.0, 0.0], [0.0, 12.0]])


# ================================================================ debugging: check_numerics and explain_none
def test_check_numerics_forward_names_op_and_line():
    x = c([0.0, 1.0])
    with tf.debugging.check_numerics_scope():
        with pytest.raises(NumericsError) as e:
            tf.math.log(x)
        site = f"{__file__}:{_lineno() - 1}"
    msg = str(e.value)
    assert "log" in msg and "Inf" in msg and site in msg
    tf.math.log(x)                                        # off again: no error


def test_check_numerics_backward_names_forward_op_and_line():
    x = c([0.0, 4.0])
    with tf.debugging.check_numerics_scope():
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.sqrt(x)
            site = f"{__file__}:{_lineno() - 1}"
        with pytest.raises(NumericsError) as e:
            t.gradient(y, x)
    msg = str(e.value)
    assert "gradient of sqrt" in msg and site in msg


def test_check_numerics_nan_in_gradient_rule():
    x = c([0.0])
    with tf.debugging.check_numerics_scope():
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.pow(x, 0.0)
        with pytest.raises(NumericsError, match="NaN|Inf"):
            t.gradient(y, x)


def _lineno():
    import sys
    return sys._getframe(1).f_lineno


def test_explain_none_never_watched():
    x = c(2.0)
    with tf.GradientTape() as t:
        y = x * x
    assert "never watched" in explain_none(t, y, x)


def test_explain_none_integer_dtype():
    i = c(2)
    with tf.GradientTape() as t:
        t.watch(i)
        y = i * i
    assert "integer" in explain_none(t, y, i)


def test_explain_none_non_trainable_variable():
    v = tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as t:
        y = v * v
    assert "trainable=False" in explain_none(t, y, v)


def test_explain_none_numpy_and_constant_rewrap():
    w = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = w * w
        z = tf.constant(y.numpy()) * 3.0
        line = _lineno() - 1
    msg = explain_none(t, z, w)
    assert ".numpy()" in msg and f"{__file__}:{line}" in msg
    with tf.GradientTape() as t:
        y = w * w
        z = tf.constant(y) * 3.0
    assert "constant(...)" in explain_none(t, z, w)


def test_explain_none_argmax_and_cast_to_int():
    xs = tf.Variable([1.0, 3.0, 2.0])
    with tf.GradientTape() as t:
        z = tf.cast(tf.argmax(xs), tf.float32) * 2.0
    msg = explain_none(t, z, xs)
    assert "argmax" in msg and "non-differentiable" in msg
    with tf.GradientTape() as t:
        z = tf.cast(tf.cast(xs, tf.int32), tf.float32) * 2.0
    msg = explain_none(t, z, xs)
    assert "cast" in msg and "integer" in msg


def test_explain_connected():
    w = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = w * w
    assert "connected" in explain_none(t, y, w)
    assert t.gradient(y, w) is not None
