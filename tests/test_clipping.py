"""clip_by_norm / clip_by_global_norm against values printed by TensorFlow 2.21 (bit-equal in float32)."""
import numpy as np
import pytest

import gputape as tf


def test_clip_by_norm_gradient_and_zero():
    x = tf.Variable([3.0, 4.0])
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(tf.clip_by_norm(x, 1.0))
    assert t.gradient(loss, x).numpy().tolist() == [0.031999990344047546, -0.024000003933906555]
    z = tf.Variable([0.0, 0.0])
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(tf.clip_by_norm(z, 1.0))
    assert t.gradient(loss, z).numpy().tolist() == [1.0, 1.0]       # no NaN at zero, as TF


def test_clip_by_norm_over_axes():
    v = tf.clip_by_norm(tf.constant([[3.0, 4.0], [0.3, 0.4]]), 1.0, axes=[1])
    np.testing.assert_array_equal(v.numpy(), np.float32([[0.6, 0.8], [0.3, 0.4]]))


def test_clip_by_global_norm_values_and_gradient():
    a, b = tf.Variable([3.0, 4.0]), tf.Variable([12.0])
    with tf.GradientTape() as t:
        (ca, cb), n = tf.clip_by_global_norm([a * 1.0, b * 1.0], 6.5)
        loss = tf.reduce_sum(ca) + tf.reduce_sum(cb)
    assert ca.numpy().tolist() == [1.5, 2.0] and cb.numpy().tolist() == [6.0] and float(n) == 13.0
    ga, gb = t.gradient(loss, [a, b])
    assert ga.numpy().tolist() == [0.33136093616485596, 0.2751479148864746]
    assert gb.numpy().tolist() == [-0.1745561957359314]


def test_clip_by_global_norm_below_the_limit_and_with_none():
    (c1, none), n = tf.clip_by_global_norm([tf.constant([1.0, 2.0]), None], 10.0)
    assert c1.numpy().tolist() == [1.0, 2.0] and none is None
    assert float(n) == 2.2360680103302


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_clip_by_global_norm_nan_norm_poisons_everything():
    (c,), n = tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    assert np.isnan(c.numpy()).all()
