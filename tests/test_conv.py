"""conv2d / max_pool2d: forward against naive loops, gradients against finite differences, TF's rules."""
import itertools

import numpy as np
import pytest

import gputape as tf
from gputape.testing import check_grads


# ---------------------------------------------------------------- naive references
def _pads(n, k, s, d, padding):
    if padding == "VALID":
        return 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def naive_conv2d(x, w, strides, padding, dilations=(1, 1)):
    n, h, wd, ci = x.shape
    kh, kw, _, co = w.shape
    sh, sw = strides
    dh, dw = dilations
    pt, pb = _pads(h, kh, sh, dh, padding)
    pl, pr = _pads(wd, kw, sw, dw, padding)
    xp = np.zeros((n, h + pt + pb, wd + pl + pr, ci), x.dtype)
    xp[:, pt:pt + h, pl:pl + wd] = x
    ho = (h + pt + pb - (kh - 1) * dh - 1) // sh + 1
    wo = (wd + pl + pr - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((n, ho, wo, co), np.float64)
    for b, i, j, o in itertools.product(range(n), range(ho), range(wo), range(co)):
        acc = 0.0
        for a, c, ch in itertools.product(range(kh), range(kw), range(ci)):
            acc += xp[b, i * sh + a * dh, j * sw + c * dw, ch] * w[a, c, ch, o]
        y[b, i, j, o] = acc
    return y


def naive_max_pool(x, k, s, padding):
    n, h, wd, c = x.shape
    pt, pb = _pads(h, k[0], s[0], 1, padding)
    pl, pr = _pads(wd, k[1], s[1], 1, padding)
    xp = np.full((n, h + pt + pb, wd + pl + pr, c), -np.inf)
    xp[:, pt:pt + h, pl:pl + wd] = x
    ho = (h + pt + pb - k[0]) // s[0] + 1
    wo = (wd + pl + pr - k[1]) // s[1] + 1
    y = np.zeros((n, ho, wo, c))
    for b, i, j, ch in itertools.product(range(n), range(ho), range(wo), range(c)):
        y[b, i, j, ch] = xp[b, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1], ch].max()
    return y


CONV_CASES = [  # x shape, w shape, strides, padding, dilations
    ((2, 5, 5, 3), (3, 3, 3, 4), (1, 1), "VALID", (1, 1)),
    ((2, 5, 5, 3), (3, 3, 3, 4), (1, 1), "SAME", (1, 1)),
    ((1, 6, 7, 2), (3, 2, 2, 3), (2, 2), "SAME", (1, 1)),
    ((1, 7, 6, 2), (2, 3, 2, 1), (2, 3), "VALID", (1, 1)),
    ((1, 8, 8, 1), (4, 4, 1, 2), (3, 3), "SAME", (1, 1)),
    ((1, 7, 7, 2), (3, 3, 2, 2), (1, 1), "SAME", (2, 2)),
    ((3, 4, 4, 1), (1, 1, 1, 5), (1, 1), "VALID", (1, 1)),
]


@pytest.mark.parametrize("xs,ws,strides,padding,dil", CONV_CASES)
def test_conv2d_forward_matches_loops(xs, ws, strides, padding, dil):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    y = tf.nn.conv2d(tf.constant(x), tf.constant(w), strides=list(strides), padding=padding, dilations=list(dil))
    np.testing.assert_allclose(y.numpy(), naive_conv2d(x, w, strides, padding, dil), rtol=1e-12, atol=1e-12)
    assert y.dtype == tf.float64


def test_conv2d_float32_and_stride_forms():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 5, 5, 2)).astype(np.float32), rng.standard_normal((3, 3, 2, 2)).astype(np.float32)
    ref = naive_conv2d(x.astype(np.float64), w.astype(np.float64), (2, 2), "SAME")
    for s in (2, [2], [2, 2], [1, 2, 2, 1]):
        y = tf.nn.conv2d(x, w, strides=s, padding="SAME")
        assert y.dtype == tf.float32
        np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_conv2d_explicit_padding_and_nchw():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 4, 4, 2)), rng.standard_normal((3, 3, 2, 2))
    y = tf.nn.conv2d(x, w, 1, [[0, 0], [1, 1], [1, 1], [0, 0]])
    np.testing.assert_allclose(y.numpy(), naive_conv2d(x, w, (1, 1), "SAME"), atol=1e-12)
    y2 = tf.nn.conv2d(np.transpose(x, (0, 3, 1, 2)), w, 1, "SAME", data_format="NCHW")
    np.testing.assert_allclose(np.transpose(y2.numpy(), (0, 2, 3, 1)), y.numpy(), atol=1e-12)


@pytest.mark.parametrize("xs,k,s,padding", [
    ((2, 4, 4, 3), (2, 2), (2, 2), "VALID"),
    ((1, 5, 5, 2), (2, 2), (2, 2), "SAME"),
    ((1, 5, 6, 1), (3, 3), (1, 2), "SAME"),
    ((1, 6, 5, 2), (3, 2), (2, 1), "VALID"),
])
def test_max_pool_forward_matches_loops(xs, k, s, padding):
    x = np.random.default_rng(3).standard_normal(xs)
    y = tf.nn.max_pool2d(tf.constant(x), list(k), list(s), padding)
    np.testing.assert_array_equal(y.numpy(), naive_max_pool(x, k, s, padding))


# ---------------------------------------------------------------- gradients (float64, finite differences)
GRAD_CASES = [
    ((1, 4, 4, 2), (3, 3, 2, 2), 1, "SAME", 1),
    ((2, 5, 4, 1), (2, 3, 1, 2), 2, "VALID", 1),
    ((1, 5, 5, 1), (3, 3, 1, 1), 2, "SAME", 1),
    ((1, 6, 6, 1), (2, 2, 1, 2), 1, "SAME", 2),
]


@pytest.mark.parametrize("xs,ws,s,padding,d", GRAD_CASES)
def test_conv2d_gradients_second_order(xs, ws, s, padding, d):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)

    def f(x, w):
        return tf.nn.conv2d(x, w, strides=s, padding=padding, dilations=d)

    check_grads(f, [x, w], order=2)


def test_conv2d_third_order_through_nonlinearity():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((1, 3, 3, 1)), rng.standard_normal((2, 2, 1, 1))
    check_grads(lambda x, w: tf.tanh(tf.nn.conv2d(x, w, 1, "SAME")), [x, w], order=3)


def test_conv2d_transpose_is_the_input_gradient():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 5, 5, 2)), rng.standard_normal((3, 3, 2, 3))
    xt = tf.constant(x)
    g = rng.standard_normal((1, 3, 3, 3))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.conv2d(xt, w, 2, "SAME")
    dx = tape.gradient(y, xt, output_gradients=tf.constant(g))
    dt = tf.nn.conv2d_transpose(g, w, [1, 5, 5, 2], 2, "SAME")
    np.testing.assert_allclose(dt.numpy(), dx.numpy(), atol=1e-12)
    check_grads(lambda g, w: tf.nn.conv2d_transpose(g, w, [1, 5, 5, 2], 2, "SAME"), [g, w], order=2)


@pytest.mark.parametrize("xs,k,s,padding", [
    ((1, 4, 4, 2), 2, 2, "VALID"),
    ((1, 5, 5, 1), 3, 2, "SAME"),
    ((2, 4, 5, 1), 2, 1, "SAME"),
])
def test_max_pool_gradients_second_order(xs, k, s, padding):
    # distinct values: finite differences never cross a tie
    x = np.random.default_rng(7).permutation(np.prod(xs)).reshape(xs) * 0.1
    check_grads(lambda x: tf.nn.max_pool2d(x, k, s, padding), [x], order=2, eps=1e-4)
    check_grads(lambda x: tf.nn.max_pool2d(x * x, k, s, padding), [x], order=2, eps=1e-4)


def test_max_pool_tie_rule_first_max_gets_the_gradient():
    x = tf.constant(np.ones((1, 2, 2, 1), np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    np.testing.assert_array_equal(tape.gradient(y, x).numpy()[0, :, :, 0], [[1, 0], [0, 0]])
    # row-major order inside the window: the first of two tied maxima in the second row
    x = tf.constant(np.array([[0., 1.], [3., 3.]], np.float32).reshape(1, 2, 2, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 1, "VALID")
    np.testing.assert_array_equal(tape.gradient(y, x).numpy()[0, :, :, 0], [[0, 0], [1, 0]])
    # overlapping windows accumulate
    x = tf.constant(np.array([1., 5., 2., 0.], np.float32).reshape(1, 1, 4, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, [1, 2], 1, "VALID")
    np.testing.assert_array_equal(tape.gradient(y, x).numpy().ravel(), [0, 2, 1, 0])


def test_max_pool_same_padding_never_picks_padding():
    x = tf.constant(-np.arange(1., 10.).reshape(1, 3, 3, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 2, "SAME")
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[-1, -3], [-7, -9]])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy()[0, :, :, 0], [[1, 0, 1], [0, 0, 0], [1, 0, 1]])


def test_jacobian_and_forward_mode_through_conv_and_pool():
    rng = np.random.default_rng(8)
    x = tf.constant(rng.standard_normal((1, 4, 4, 1)))
    w = tf.constant(rng.standard_normal((2, 2, 1, 2)))

    def f(x, w):
        return tf.nn.max_pool2d(tf.nn.conv2d(x, w, 1, "SAME"), 2, 2, "VALID")

    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, w])
        y = f(x, w)
    jx, jw = tape.jacobian(y, x), tape.jacobian(y, w)
    assert jx.shape == (1, 2, 2, 2, 1, 4, 4, 1) and jw.shape == (1, 2, 2, 2, 2, 2, 1, 2)
    # each column of the jacobian is a forward-mode JVP
    e = np.zeros((1, 4, 4, 1))
    e[0, 1, 2, 0] = 1.0
    with tf.ForwardAccumulator(x, tf.constant(e)) as acc:
        y2 = f(x, w)
    np.testing.assert_allclose(acc.jvp(y2).numpy(), jx.numpy()[..., 0, 1, 2, 0], atol=1e-12)


def test_int_and_empty_batch():
    x = tf.constant(np.arange(16, dtype=np.int32).reshape(1, 4, 4, 1))
    assert tf.nn.max_pool2d(x, 2, 2, "VALID").numpy().ravel().tolist() == [5, 7, 13, 15]
    y = tf.nn.conv2d(tf.zeros([0, 4, 4, 2]), tf.ones([3, 3, 2, 5]), 1, "SAME")
    assert y.shape == (0, 4, 4, 5)


# ---------------------------------------------------------------- errors
def test_bad_shapes_raise_clear_errors():
    x, w = tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 2, 4])
    with pytest.raises(tf.InvalidArgumentError, match=r"conv2d: input depth must equal filter depth: 3 vs 2.*"
                                                      r"\(1, 5, 5, 3\).*\(3, 3, 2, 4\).*float32"):
        tf.nn.conv2d(x, w, 1, "SAME")
    with pytest.raises(tf.InvalidArgumentError, match=r"conv2d: input must be 4-dimensional.*\(5, 5, 3\)"):
        tf.nn.conv2d(tf.zeros([5, 5, 3]), tf.zeros([3, 3, 3, 1]), 1, "SAME")
    with pytest.raises(tf.InvalidArgumentError, match=r"conv2d: filters must be 4-dimensional.*\(3, 3, 3\)"):
        tf.nn.conv2d(x, tf.zeros([3, 3, 3]), 1, "SAME")
    with pytest.raises(tf.InvalidArgumentError, match=r"conv2d.*float32.*float64"):
        tf.nn.conv2d(x, tf.zeros([3, 3, 3, 1], dtype=tf.float64), 1, "SAME")
    with pytest.raises(tf.InvalidArgumentError, match=r"conv2d: Computed output size would be negative.*"
                                                      r"input_size: 5, effective_filter_size: 7"):
        tf.nn.conv2d(x, tf.zeros([7, 7, 3, 1]), 1, "VALID")
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        tf.nn.conv2d(x, tf.zeros([3, 3, 3, 1]), 1, "FULL")
    with pytest.raises(tf.InvalidArgumentError, match="batch and depth dimensions must be 1"):
        tf.nn.conv2d(x, tf.zeros([3, 3, 3, 1]), [2, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="strides must be positive"):
        tf.nn.conv2d(x, tf.zeros([3, 3, 3, 1]), 0, "SAME")
    with pytest.raises(tf.InvalidArgumentError, match=r"max_pool2d: input must be 4-dimensional.*\(4, 4\)"):
        tf.nn.max_pool2d(tf.zeros([4, 4]), 2, 2, "VALID")
    with pytest.raises(tf.InvalidArgumentError, match=r"max_pool2d: Computed output size would be negative"):
        tf.nn.max_pool2d(tf.zeros([1, 2, 2, 1]), 3, 1, "VALID")


# ---------------------------------------------------------------- keras layers
def test_conv_layers_names_shapes_and_training():
    tf.random.set_seed(0)
    conv = tf.keras.layers.Conv2D(4, 3, padding="same", activation="relu")
    pool = tf.keras.layers.MaxPooling2D()
    conv2 = tf.keras.layers.Conv2D(2, (2, 2), strides=2, use_bias=False)
    flat = tf.keras.layers.Flatten()
    drop = tf.keras.layers.Dropout(0.5)
    x = tf.constant(np.random.default_rng(9).standard_normal((2, 8, 8, 1)).astype(np.float32))
    h = pool(conv(x))
    assert h.shape == (2, 4, 4, 4)
    z = flat(conv2(h))
    assert z.shape == (2, 2 * 2 * 2)
    assert conv.name.startswith("conv2d") and pool.name.startswith("max_pooling2d")
    assert [v.name for v in conv.trainable_variables] == [f"{conv.name}/kernel:0", f"{conv.name}/bias:0"]
    assert conv.kernel.shape == (3, 3, 1, 4) and conv.bias.shape == (4,)
    assert [v.name for v in conv2.trainable_variables] == [f"{conv2.name}/kernel:0"]
    np.testing.assert_allclose(h.numpy(), naive_max_pool(
        np.maximum(naive_conv2d(x.numpy().astype(np.float64), conv.kernel.numpy().astype(np.float64), (1, 1), "SAME")
                   + conv.bias.numpy(), 0), (2, 2), (2, 2), "VALID"), rtol=1e-5, atol=1e-5)
    assert drop(z) is z or np.array_equal(drop(z).numpy(), z.numpy())
    assert np.array_equal(drop(z, training=False).numpy(), z.numpy())
    zt = drop(tf.ones([200, 10]), training=True).numpy()
    assert set(np.unique(zt)) <= {0.0, 2.0} and 0.3 < (zt == 0).mean() < 0.7
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(flat(conv2(pool(conv(x)))))
    grads = tape.gradient(loss, conv.trainable_variables + conv2.trainable_variables)
    assert all(g is not None for g in grads)


def test_conv_layer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="filters"):
        tf.keras.layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="padding"):
        tf.keras.layers.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="rate"):
        tf.keras.layers.Dropout(1.5)
    conv = tf.keras.layers.Conv2D(2, 3)
    with pytest.raises(ValueError, match="ndim=4"):
        conv(tf.zeros([8, 8, 1]))
