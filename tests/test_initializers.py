"""keras.initializers, keras.regularizers, keras.constraints, keras.utils.set_random_seed and
keras.backend.clear_session (issue 8): deterministic values, configs, names and errors as Keras 3.15
(metrics_cases.py's ``init_`` cases, recorded from TensorFlow 2.21); for the random initializers,
which cannot match TF's random numbers, the fans, statistics, truncation, orthogonality and
Keras's "a seeded initializer repeats its values" rule."""
import math
import pathlib
import sys

import numpy as np
import pytest

import gputape as tf
from gputape import errors

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
import metrics_cases as cases  # noqa: E402
from test_metrics import _signature_check  # noqa: E402

keras = tf.keras
I = keras.initializers
OURS = {"InvalidArgumentError": errors.InvalidArgumentError}
RANDOM = (I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.VarianceScaling, I.GlorotNormal, I.GlorotUniform,
          I.HeNormal, I.HeUniform, I.LecunNormal, I.LecunUniform, I.Orthogonal)


@pytest.mark.parametrize("name", [n for n in cases.CASES if n.startswith("init_")])
def test_matches_keras(name):
    diff = cases.check(name, tf, OURS)
    assert diff is None, diff


def test_signatures_are_keras():
    assert _signature_check(("initializers.", "regularizers.", "constraints.", "utils.", "backend.")) == []


@pytest.mark.parametrize("cls", RANDOM, ids=lambda c: c.__name__)
def test_seeded_initializer_repeats_its_values(cls):
    a = cls(seed=5)((4, 3)).numpy()
    assert (cls(seed=5)((4, 3)).numpy() == a).all()
    init = cls(seed=5)
    assert (init((4, 3)).numpy() == init((4, 3)).numpy()).all()
    assert not (cls(seed=6)((4, 3)).numpy() == a).all()


@pytest.mark.parametrize("cls", RANDOM, ids=lambda c: c.__name__)
def test_unseeded_initializer_follows_the_global_seed(cls):
    tf.random.set_seed(11)
    a = cls()((4, 3)).numpy()
    keras.utils.set_random_seed(11)
    assert (cls()((4, 3)).numpy() == a).all()


# (class, kwargs, shape) -> the stddev Keras's formula gives
FANS = [
    (I.GlorotUniform, {}, (200, 300), math.sqrt(6 / 500) / math.sqrt(3)),
    (I.GlorotNormal, {}, (200, 300), math.sqrt(2 / 500)),
    (I.HeNormal, {}, (3, 3, 40, 64), math.sqrt(2 / 360)),
    (I.HeUniform, {}, (3, 3, 40, 64), math.sqrt(6 / 360) / math.sqrt(3)),
    (I.LecunNormal, {}, (500, 100), math.sqrt(1 / 500)),
    (I.LecunUniform, {}, (500, 100), math.sqrt(3 / 500) / math.sqrt(3)),
    (I.VarianceScaling, dict(scale=3.0, mode="fan_out", distribution="untruncated_normal"), (100, 400),
     math.sqrt(3 / 400)),
    (I.VarianceScaling, dict(scale=2.0, mode="fan_avg", distribution="uniform", input_axes=[0, 1], output_axes=[2]),
     (10, 20, 300), math.sqrt(3 * 2 / 250) / math.sqrt(3)),
    (I.RandomNormal, dict(mean=1.0, stddev=0.5), (300, 300), 0.5),
    (I.RandomUniform, dict(minval=-2.0, maxval=4.0), (300, 300), 6 / math.sqrt(12)),
    (I.TruncatedNormal, dict(stddev=0.2), (300, 300), 0.2 * 0.87962566103423978),
]


@pytest.mark.parametrize("cls,kw,shape,std", FANS, ids=[f"{c.__name__}{i}" for i, (c, *_) in enumerate(FANS)])
def test_fans_and_statistics(cls, kw, shape, std):
    x = cls(seed=1, **kw)(shape).numpy()
    assert x.shape == shape and x.dtype == np.float32
    x = x.astype(np.float64)
    assert x.std() == pytest.approx(std, rel=0.03)
    if cls.__name__ in ("GlorotUniform", "HeUniform", "LecunUniform") or kw.get("distribution") == "uniform":
        limit = std * math.sqrt(3)
        assert -limit - 1e-6 <= x.min() and x.max() <= limit + 1e-6


def test_truncated_draws_stay_within_two_stddevs():
    x = I.HeNormal(seed=2)((100, 100)).numpy()
    untruncated = math.sqrt(2 / 100) / 0.87962566103423978
    assert np.abs(x).max() <= 2 * untruncated + 1e-6
    y = I.TruncatedNormal(mean=1.0, stddev=0.1, seed=3)((1000,)).numpy()
    assert y.min() >= 0.8 - 1e-6 and y.max() <= 1.2 + 1e-6


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 3, 4)])
def test_orthogonal(shape):
    q = I.Orthogonal(gain=2.0, seed=1)(shape).numpy().astype(np.float64)
    assert q.shape == shape
    m = q.reshape(-1, shape[-1])
    small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)


def test_layer_weights_use_the_initializers():
    d = keras.layers.Dense(3, kernel_initializer=I.Orthogonal(seed=1), bias_initializer=I.Constant(0.5))
    d(tf.ones((1, 4)))
    assert d.bias.numpy().tolist() == [0.5, 0.5, 0.5]
    assert (d.kernel.numpy() == I.Orthogonal(seed=1)((4, 3)).numpy()).all()


def test_regularizer_gradient_second_order():
    for reg in (keras.regularizers.L1L2(0.3, 0.1), keras.regularizers.L2(0.2)):
        tf.testing.check_grads(lambda w, reg=reg: reg(w), [np.array([[1.0, -2.0], [0.5, 3.0]])], order=2)


def test_constraints_gradient_second_order():
    w = np.array([[3.0, 0.5, -1.0], [4.0, 0.5, 0.2]])
    for c in (keras.constraints.MaxNorm(1.0), keras.constraints.UnitNorm(axis=1),
              keras.constraints.MinMaxNorm(0.5, 2.0, rate=0.5)):
        tf.testing.check_grads(lambda x, c=c: c(x), [w], order=2)


def test_add_weight_plumbing():
    class L(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(2,), initializer="ones", regularizer="l2", constraint="non_neg")
            self.b = self.add_weight(shape=(2,), initializer="zeros", regularizer=keras.regularizers.L1(0.5))

        def call(self, x):
            return x * self.w + self.b
    layer = L()
    layer(tf.ones((1, 2)))
    assert isinstance(layer.w.regularizer, keras.regularizers.L2)
    assert isinstance(layer.w.constraint, keras.constraints.NonNeg)
    assert [float(x) for x in layer.losses] == pytest.approx([0.02, 0.0])
    outer = keras.Sequential([layer])
    assert len(outer.losses) == 2
    with pytest.raises(ValueError, match="regularizer"):
        L().add_weight(shape=(1,), regularizer="l3")
