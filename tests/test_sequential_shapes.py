"""``Sequential.input_shape`` / ``output_shape`` as Keras 3.15 (values and messages printed by TF 2.21's
Keras for the same models: ``(None, 2) (None, 4)``, and AttributeError "Sequential model '...' has no
defined output shape yet." before the input shape is known).  Found missing by a new-user check."""
import pytest

import gputape as tf


def test_shapes_of_a_built_sequential():
    m = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3), tf.keras.layers.Dense(2)])
    assert m.output_shape == (None, 2) and m.input_shape == (None, 4)
    m = tf.keras.Sequential([tf.keras.Input((5, 7)), tf.keras.layers.LSTM(4, return_sequences=True),
                             tf.keras.layers.Flatten()])
    assert m.output_shape == (None, 20)


def test_shapes_before_the_input_is_known_raise_as_keras():
    m = tf.keras.Sequential([tf.keras.layers.Dense(3)])
    with pytest.raises(AttributeError, match="has no defined output shape yet"):
        m.output_shape
    with pytest.raises(AttributeError, match="has no defined input shape yet"):
        m.input_shape
