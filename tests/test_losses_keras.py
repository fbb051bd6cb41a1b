"""The rest of Keras 3's losses (issue 8): values, reductions, sample weights, gradients and configs
against Keras 3.15 (metrics_cases.py's ``loss_`` cases, recorded from TensorFlow 2.21 in
tf_fixtures/metrics.json), Keras's signatures, and first and second derivatives against finite
differences in float64 (gputape.testing.check_grads, away from the kinks)."""
import pathlib
import sys

import numpy as np
import pytest

import gputape as tf
from gputape import errors
from tf_fixture import load

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
import metrics_cases as cases  # noqa: E402
from test_metrics import _signature_check  # noqa: E402

keras = tf.keras
OURS = {"InvalidArgumentError": errors.InvalidArgumentError}


@pytest.mark.parametrize("name", [n for n in cases.CASES if n.startswith("loss_")])
def test_loss_matches_keras(name):
    diff = cases.check(name, tf, OURS)
    assert diff is None, diff


def test_signatures_are_keras():
    assert _signature_check(("losses.",)) == []


def test_unknown_keyword_is_type_error():
    with pytest.raises(TypeError):
        keras.losses.Huber(delta_=1.0)
    with pytest.raises(TypeError):
        keras.losses.hinge([[1.0]], [[0.5]], axis=0)


RNG = np.random.default_rng(8)
Y = RNG.uniform(0.1, 0.9, (3, 4))
P = RNG.uniform(0.15, 0.85, (3, 4))
Z = RNG.standard_normal((3, 4)) * 2.0
L01 = np.array([[0., 1., 0., 1.], [1., 0., 0., 1.], [0., 0., 1., 0.]])

SECOND_ORDER = {
    "mape": (keras.losses.mape, Y, Z),
    "msle": (keras.losses.msle, Y, P),
    "huber": (lambda y, p: keras.losses.huber(y, p, delta=0.5), Y, P * 3.0),
    "logcosh": (keras.losses.logcosh, Y, Z),
    "kld": (keras.losses.kld, Y, P),
    "poisson": (keras.losses.poisson, Y, P),
    "hinge": (keras.losses.hinge, L01, Z * 0.2),
    "squared_hinge": (keras.losses.squared_hinge, L01, Z * 0.2),
    "categorical_hinge": (keras.losses.categorical_hinge, L01, Z),
    "cosine_similarity": (keras.losses.cosine_similarity, Y, Z),
    "focal": (lambda y, p: keras.losses.binary_focal_crossentropy(y, p, apply_class_balancing=True), L01, P),
    "focal_logits": (lambda y, p: keras.losses.binary_focal_crossentropy(y, p, from_logits=True, gamma=1.5), L01, Z),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_gradients_to_second_order(name):
    fn, y, p = SECOND_ORDER[name]
    yt = tf.constant(y)
    tf.testing.check_grads(lambda pred: fn(yt, pred), [p], order=2)


def test_classes_reduce_and_weight_like_keras_losses():
    """Every new class is Loss.__call__: float64 dtype= casts both inputs; 'none' keeps per-example values."""
    for cls in (keras.losses.Huber, keras.losses.LogCosh, keras.losses.Poisson, keras.losses.KLDivergence,
                keras.losses.Hinge, keras.losses.SquaredHinge, keras.losses.CategoricalHinge,
                keras.losses.CosineSimilarity, keras.losses.MeanAbsolutePercentageError,
                keras.losses.MeanSquaredLogarithmicError, keras.losses.BinaryFocalCrossentropy):
        per = cls(reduction="none")(L01, P)
        assert tuple(per.shape) == (3,), cls
        assert cls(dtype="float64")(L01, P).dtype == tf.float64
        np.testing.assert_allclose(cls(reduction="sum")(L01, P, sample_weight=[1., 2., 0.]).numpy(),
                                   (per.numpy() * [1., 2., 0.]).sum(), rtol=1e-6)


def test_hinge_label_conversion_reads_nothing_back():
    """Keras decides 0/1 -> -1/1 with a cond on the labels; here a where on the device flag."""
    a = keras.losses.hinge(tf.constant([[0., 1.]]), tf.constant([[0.3, 0.4]]))
    b = keras.losses.hinge(tf.constant([[-1., 1.]]), tf.constant([[0.3, 0.4]]))
    assert a.numpy().tolist() == b.numpy().tolist()


def test_focal_shape_mismatch_is_value_error():
    with pytest.raises(ValueError, match="same shape"):
        keras.losses.binary_focal_crossentropy([[1., 0.]], [[0.5, 0.5, 0.5]])
