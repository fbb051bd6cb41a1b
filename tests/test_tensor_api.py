"""Tensor and Variable surface: printing, dtype rules, operators, indexing, conversions.

Expected strings and values were produced by TensorFlow 2.21 (docs/TF_SEMANTICS.md 1.2-1.4).
"""
import numpy as np
import pytest

import gputape as tf
from gputape.errors import InvalidArgumentError

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# ---------------------------------------------------------------- repr / str
@pytest.mark.parametrize("make,want_repr,want_str", [
    (lambda: tf.constant([10.0, 20.0, 30.0]),
     "<tf.Tensor: shape=(3,), dtype=float32, numpy=array([10., 20., 30.], dtype=float32)>",
     "tf.Tensor([10. 20. 30.], shape=(3,), dtype=float32)"),
    (lambda: tf.constant([[1.0, 2.0], [3.0, 4.0]]),
     "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[1., 2.],\n       [3., 4.]], dtype=float32)>",
     "tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)"),
    (lambda: tf.constant([[1.0, 2.0]]),          # one line: no line break before the array
     "<tf.Tensor: shape=(1, 2), dtype=float32, numpy=array([[1., 2.]], dtype=float32)>",
     "tf.Tensor([[1. 2.]], shape=(1, 2), dtype=float32)"),
    (lambda: tf.constant(3), "<tf.Tensor: shape=(), dtype=int32, numpy=3>", "tf.Tensor(3, shape=(), dtype=int32)"),
    (lambda: tf.constant(2.5), "<tf.Tensor: shape=(), dtype=float32, numpy=2.5>",
     "tf.Tensor(2.5, shape=(), dtype=float32)"),
    (lambda: tf.constant([True, False]), "<tf.Tensor: shape=(2,), dtype=bool, numpy=array([ True, False])>",
     "tf.Tensor([ True False], shape=(2,), dtype=bool)"),
    (lambda: tf.constant(np.array([1.5, 2.0])), "<tf.Tensor: shape=(2,), dtype=float64, numpy=array([1.5, 2. ])>",
     "tf.Tensor([1.5 2. ], shape=(2,), dtype=float64)"),
    (lambda: tf.argmax([1, 3, 2]), "<tf.Tensor: shape=(), dtype=int64, numpy=1>",
     "tf.Tensor(1, shape=(), dtype=int64)"),
    (lambda: tf.zeros((2, 0)), "<tf.Tensor: shape=(2, 0), dtype=float32, numpy=array([], shape=(2, 0), dtype=float32)>",
     "tf.Tensor([], shape=(2, 0), dtype=float32)"),
    (lambda: tf.zeros((2, 1, 2)),
     "<tf.Tensor: shape=(2, 1, 2), dtype=float32, numpy=\narray([[[0., 0.]],\n\n       [[0., 0.]]], dtype=float32)>",
     "tf.Tensor(\n[[[0. 0.]]\n\n [[0. 0.]]], shape=(2, 1, 2), dtype=float32)"),
])
def test_tensor_repr_and_str(make, want_repr, want_str):
    t = make()
    assert repr(t) == want_repr
    assert str(t) == want_str


def test_variable_repr_equals_str():
    v = tf.Variable(2.0)
    assert repr(v) == str(v) == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=2.0>"
    w = tf.Variable([[1.0, 2.0]], name="w")
    assert repr(w) == "<tf.Variable 'w:0' shape=(1, 2) dtype=float32, numpy=array([[1., 2.]], dtype=float32)>"
    m = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    assert repr(m) == ("<tf.Variable 'Variable:0' shape=(2, 2) dtype=float32, numpy=\n"
                       "array([[1., 2.],\n       [3., 4.]], dtype=float32)>")


def test_print_goes_through_str(capsys):
    print(tf.constant([1.0, 2.0]), tf.constant(7))
    assert capsys.readouterr().out == "tf.Tensor([1. 2.], shape=(2,), dtype=float32) tf.Tensor(7, shape=(), dtype=int32)\n"


def test_dtype_and_shape_printing():
    assert repr(tf.float32) == "tf.float32" and str(tf.float32) == "<dtype: 'float32'>"
    assert tf.float32.name == "float32" and tf.float32 == np.float32 and tf.float32.is_floating
    assert tf.float32.as_numpy_dtype is np.float32 and tf.int32.is_integer
    s = tf.zeros((2, 3)).shape
    assert repr(s) == "TensorShape([2, 3])" and str(s) == "(2, 3)"
    assert str(tf.zeros((1,)).shape) == "(1,)" and str(tf.constant(1.0).shape) == "()"
    assert repr(tf.constant(1.0).shape) == "TensorShape([])"
    assert s == (2, 3) and s.as_list() == [2, 3] and s.rank == 2 and s.num_elements() == 6
    assert tf.TensorShape([None, 3]).is_compatible_with((5, 3))
    assert str(tf.TensorShape([None, 3])) == "(None, 3)"


def test_format_and_fstrings():
    assert "{:.2f}".format(tf.constant(2.5)) == "2.50"
    assert f"{tf.constant(2.5)}" == "2.5"
    assert f"{tf.constant([2.5, 1.0])}" == "[2.5 1. ]"


# ---------------------------------------------------------------- default dtypes
@pytest.mark.parametrize("make,dtype", [
    (lambda: tf.constant([1.0]), tf.float32), (lambda: tf.zeros(2), tf.float32), (lambda: tf.eye(2), tf.float32),
    (lambda: tf.random.normal((2,)), tf.float32), (lambda: tf.linspace(0.0, 1.0, 3), tf.float32),
    (lambda: tf.range(3.0), tf.float32), (lambda: tf.constant(1), tf.int32), (lambda: tf.range(3), tf.int32),
    (lambda: tf.fill([2], 7), tf.int32), (lambda: tf.constant(np.array([1.0])), tf.float64),
    (lambda: tf.argmax([1.0, 2.0]), tf.int64), (lambda: tf.constant([1, 2.5]), tf.float32),
    (lambda: tf.constant(True), tf.bool), (lambda: tf.constant(np.int64(3)), tf.int64),
])
def test_default_dtypes(make, dtype):
    assert make().dtype == dtype


# ---------------------------------------------------------------- conversion of Python and numpy values
def test_python_scalars_adopt_the_tensor_dtype():
    assert (tf.constant(1.0) * 2).dtype == tf.float32
    assert (2 * tf.constant(1.0)).dtype == tf.float32
    assert (tf.constant(1.0, tf.float16) * 2.5).dtype == tf.float16
    assert (tf.constant(1.0, tf.float64) + 1).dtype == tf.float64
    with pytest.raises(TypeError, match="Cannot convert 2.5 to EagerTensor of dtype int32"):
        tf.constant(1) * 2.5
    with pytest.raises(TypeError, match="Cannot convert 2.0 to EagerTensor of dtype int32"):
        tf.constant(1) * 2.0


def test_numpy_values_adopt_the_tensor_dtype():
    assert (np.float64(2.0) * tf.constant(1.0)).dtype == tf.float32
    assert (tf.constant(1.0) * np.float64(2.0)).dtype == tf.float32
    r = tf.constant([1.0]) * np.array([2.0])
    assert r.dtype == tf.float32 and r.numpy().tolist() == [2.0]
    assert (tf.constant([1.0]) * np.array([2], dtype=np.int64)).dtype == tf.float32
    assert (tf.constant(1) + np.float64(2.0)).numpy() == 3


def test_no_promotion_between_tensors_errors_name_both_dtypes():
    with pytest.raises(InvalidArgumentError, match="float32.*float64"):
        tf.constant(1.0) * tf.constant(1.0, tf.float64)
    with pytest.raises(InvalidArgumentError, match="float32.*int32"):
        tf.constant(1.0) * tf.constant(1)
    with pytest.raises(InvalidArgumentError, match=r"input #1\(zero-based\)"):
        tf.matmul(tf.ones((2, 2)), tf.ones((2, 2), tf.float64))
    with pytest.raises(InvalidArgumentError, match="float64.*float32"):
        tf.Variable(1.0, dtype=tf.float64) * tf.constant(1.0)


def test_constant_conversion_errors():
    with pytest.raises(TypeError, match="Cannot convert 1.7 to EagerTensor of dtype int32"):
        tf.constant(1.7, dtype=tf.int32)
    with pytest.raises(TypeError, match="Cannot convert 2.0 to EagerTensor of dtype int32"):
        tf.constant(2.0, dtype=tf.int32)
    with pytest.raises(TypeError, match=r"Cannot convert \[1, 2.0\] to EagerTensor of dtype int32"):
        tf.constant([1, 2.0], tf.int32)
    with pytest.raises(TypeError, match="Cannot convert 3 to EagerTensor of dtype bool"):
        tf.constant(3, tf.bool)
    assert tf.constant(np.array([2.5]), tf.int32).numpy().tolist() == [2]     # numpy arrays are cast
    assert tf.constant(True, tf.int32).numpy() == 1
    assert tf.constant(1, tf.float32).dtype == tf.float32
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype tf.int32"):
        tf.random.uniform((2,), dtype=tf.int32)
    assert tf.random.uniform((2,), maxval=3, dtype=tf.int32).dtype == tf.int32


def test_constant_with_shape():
    assert tf.constant(1.0, shape=(2, 2)).numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert tf.constant([1, 2, 3, 4], shape=(2, 2)).numpy().tolist() == [[1, 2], [3, 4]]
    assert tf.convert_to_tensor([tf.constant(1.0), tf.constant(2.0)]).numpy().tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- integer arithmetic
def test_integer_division_rules():
    r = tf.constant([1, 2]) / 2
    assert r.dtype == tf.float64 and r.numpy().tolist() == [0.5, 1.0]
    assert (tf.constant([1, 2]) / tf.constant([2, 2])).dtype == tf.float64
    m = tf.reduce_mean(tf.constant([1, 2]))
    assert m.dtype == tf.int32 and m.numpy() == 1
    assert tf.reduce_mean(tf.constant([-1, -2])).numpy() == -1
    assert (tf.constant([3, -3]) // 2).numpy().tolist() == [1, -2]
    assert (tf.constant(-3.0) % 2.0).numpy() == 1.0
    assert (tf.constant([-3, 3]) % tf.constant([2, -2])).numpy().tolist() == [1, -1]
    assert (tf.constant([-7]) // tf.constant([2])).numpy().tolist() == [-4]
    assert tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]
    assert tf.round(tf.constant([0.5, 1.5, 2.5, -0.5])).numpy().tolist() == [0.0, 2.0, 2.0, -0.0]


# ---------------------------------------------------------------- operators
def test_operators():
    a, b = tf.constant([1.0, -2.0]), tf.constant([2.0, 4.0])
    assert (-a).numpy().tolist() == [-1.0, 2.0] and abs(a).numpy().tolist() == [1.0, 2.0]
    assert (b ** 2).numpy().tolist() == [4.0, 16.0] and (2 ** b).numpy().tolist() == [4.0, 16.0]
    assert (1 - b).numpy().tolist() == [-1.0, -3.0] and (1 / b).numpy().tolist() == [0.5, 0.25]
    assert (a + b).numpy().tolist() == [3.0, 2.0] and (a - 1).numpy().tolist() == [0.0, -3.0]
    assert (b < 3).numpy().tolist() == [True, False] and (b >= 4).numpy().tolist() == [False, True]
    assert (a == tf.constant([1.0, 3.0])).numpy().tolist() == [True, False]
    assert (a == 1.0).numpy().tolist() == [True, False] and (a != [1.0, 3.0]).numpy().tolist() == [False, True]
    t, f = tf.constant([True, False]), tf.constant([True, True])
    assert (t & f).numpy().tolist() == [True, False] and (t | f).numpy().tolist() == [True, True]
    assert (~t).numpy().tolist() == [False, True]
    m = tf.constant([[1.0, 2.0]]) @ tf.constant([[1.0], [1.0]])
    assert m.shape == (1, 1) and m.numpy().tolist() == [[3.0]]
    assert np.square(tf.constant([2.0, 3.0])).tolist() == [4.0, 9.0]
    assert np.asarray(tf.constant([2.0, 3.0])).dtype == np.float32


# ---------------------------------------------------------------- indexing and iteration
def test_indexing():
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x[1:, ::2].numpy().tolist() == [[4.0, 6.0]]
    assert x[1].numpy().tolist() == [4.0, 5.0, 6.0] and x[-1, -1].numpy() == 6.0
    assert x[:, tf.newaxis].shape == (2, 1, 3) and x[..., 1].numpy().tolist() == [2.0, 5.0]
    assert x[tf.constant(1)].numpy().tolist() == [4.0, 5.0, 6.0]
    assert tf.constant([1.0, 2.0, 3.0])[::-1].numpy().tolist() == [3.0, 2.0, 1.0]
    with pytest.raises(InvalidArgumentError, match="slice index 5 of dimension 0 out of bounds"):
        tf.constant([1.0, 2.0, 3.0])[5]


def test_iteration_len_and_scalar_conversions():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert [r.numpy().tolist() for r in x] == [[1.0, 2.0], [3.0, 4.0]]
    assert len(x) == 2
    assert float(tf.constant(2.5)) == 2.5 and int(tf.constant(2.7)) == 2
    assert bool(tf.constant(1.0)) and bool(tf.constant([1.0])) and not bool(tf.constant([[0.0]]))
    s = tf.constant(1.0)
    with pytest.raises(TypeError):
        len(s)
    with pytest.raises(TypeError):
        list(s)
    with pytest.raises(TypeError, match="only 0-dimensional arrays can be converted to Python scalars"):
        float(tf.constant([2.5, 1.0]))
    with pytest.raises(TypeError, match="only 0-dimensional arrays can be converted to Python scalars"):
        int(tf.constant([2]))
    with pytest.raises(ValueError, match="The truth value of an array with more than one element is ambiguous. "
                                         "Use a.any\\(\\) or a.all\\(\\)"):
        bool(tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="Tensor is unhashable. Instead, use tensor.ref\\(\\) as the key."):
        hash(s)
    with pytest.raises(TypeError, match="does not support item assignment"):
        x[0] = 1.0
    d = {s.ref(): "a"}
    assert d[s.ref()] == "a" and s.ref().deref() is s


def test_numpy_scalars_and_metadata():
    assert type(tf.constant(1.0).numpy()) is np.float32 and type(tf.constant(1).numpy()) is np.int32
    x = tf.zeros((2, 3))
    assert x.ndim == 2 and x.get_shape() == (2, 3) and x.device.endswith(("CPU:0", "GPU:0"))
    with pytest.raises(InvalidArgumentError, match="reshape"):
        tf.reshape(tf.zeros(6), (4, 2))


# ---------------------------------------------------------------- Variable
def test_variable_surface():
    v = tf.Variable([1.0, 2.0], name="w")
    assert v.name == "w:0" and v.trainable and v.shape == (2,) and v.dtype == tf.float32
    assert str(v.dtype) == "<dtype: 'float32'>"
    assert not tf.Variable(1.0, trainable=False).trainable
    assert isinstance(v.read_value(), tf.Tensor) and v.read_value().numpy().tolist() == [1.0, 2.0]
    assert isinstance(v.value(), tf.Tensor)
    assert v.assign([5.0, 6.0]) is v and v.numpy().tolist() == [5.0, 6.0]
    assert v.assign_add([1.0, 1.0]).numpy().tolist() == [6.0, 7.0]
    assert v.assign_sub([6.0, 7.0], read_value=False) is None and v.numpy().tolist() == [0.0, 0.0]
    r = v * 2.0
    assert type(r) is tf.Tensor and not isinstance(r, tf.Variable)
    assert (v ** 2.0).numpy().tolist() == [0.0, 0.0] and isinstance(abs(v), tf.Tensor)
    assert tf.Variable(lambda: tf.ones(2)).numpy().tolist() == [1.0, 1.0]
    assert tf.Variable(1.0, dtype=tf.float64).dtype == tf.float64
    with pytest.raises(TypeError, match="Cannot convert 2.0 to EagerTensor of dtype int32"):
        tf.Variable(2.0, dtype=tf.int32)
    with pytest.raises(TypeError, match="Cannot convert 2.0 to EagerTensor of dtype int32"):
        tf.Variable(1).assign(2.0)


def test_variable_snapshots_survive_assign():
    v = tf.Variable([1.0, 2.0])
    r = v.read_value()
    v.assign([3.0, 4.0])
    assert r.numpy().tolist() == [1.0, 2.0] and v.numpy().tolist() == [3.0, 4.0]
    t = tf.constant(v)
    v.assign_add([1.0, 1.0])
    assert t.numpy().tolist() == [3.0, 4.0]
