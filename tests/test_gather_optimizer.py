"""A gradient made by a gather along axis 0 (Embedding, ``tf.gather(v, ids)``) reaching an optimizer whose
update is not linear in the gradient.  TensorFlow hands it over as IndexedSlices and Keras squares each
slice (Adam's second moment), so with a repeated id TF's numbers differ from those of the summed dense
gradient gputape computes: gputape raises NotImplementedError rather than differ silently (found by a
new-user check: TF [0.87351, 1.865837] vs the dense [0.9, 1.9]).  TF 2.21's values below were recorded
with /opt/tfenv (the programs are the test bodies with ``import tensorflow as tf``).
"""
import numpy as np
import pytest

import gputape as tf

W = [[1.0, 2.0], [3.0, 4.0]]
C = [[1.0, 2.0], [3.0, 1.0]]


def _grad(ids):
    v = tf.Variable(W)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.gather(v, ids) * C)
    return v, tape.gradient(loss, v)


@pytest.mark.parametrize("make", [lambda: tf.keras.optimizers.Adam(0.1), lambda: tf.keras.optimizers.RMSprop(0.1),
                                  lambda: tf.keras.optimizers.Adagrad(0.1),
                                  lambda: tf.keras.optimizers.SGD(0.1, clipnorm=1.0)],
                         ids=["adam", "rmsprop", "adagrad", "sgd-clipnorm"])
def test_a_repeated_gathered_id_is_refused_where_keras_squares_slices(make):
    v, g = _grad([0, 0])
    with pytest.raises(NotImplementedError, match="comes from a gather .* repeated index"):
        make().apply_gradients([(g, v)])
    np.testing.assert_array_equal(v.numpy(), W)          # nothing changed


def test_unique_ids_give_tensorflows_numbers():
    v, g = _grad([0, 1])
    tf.keras.optimizers.Adam(0.1).apply_gradients([(g, v)])
    np.testing.assert_allclose(v.numpy(), [[0.900001, 1.9000008], [2.9000008, 3.900001]], rtol=0, atol=1e-7)


def test_plain_sgd_and_the_dense_gradient_on_request():
    v, g = _grad([0, 0])
    tf.keras.optimizers.SGD(0.1).apply_gradients([(g, v)])      # linear: the sum of slices is the slices
    np.testing.assert_allclose(v.numpy()[0], [0.59999996, 1.6999999], rtol=0, atol=1e-6)   # TF's, to rounding
    v, g = _grad([0, 0])
    tf.keras.optimizers.Adam(0.1).apply_gradients([(tf.identity(g), v)])   # the user asks for dense numbers
    np.testing.assert_allclose(v.numpy()[0], [0.9, 1.9], atol=1e-5)


def test_an_embedding_with_a_repeated_id_and_adam_is_refused():
    emb = tf.keras.layers.Embedding(5, 2)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(emb(tf.constant([[1, 1, 2]])))
    grads = tape.gradient(loss, emb.trainable_variables)
    with pytest.raises(NotImplementedError, match="Embedding"):
        tf.keras.optimizers.Adam(0.01).apply_gradients(zip(grads, emb.trainable_variables))
