"""tf.random beyond normal/uniform: Generator, categorical, gamma, poisson, stateless ops, the
device truncated normal.  The numbers are the backend's generator's (never TF's); what is checked is
TF's interface (shapes, dtypes, errors), determinism per seed, and the distributions' moments."""
import numpy as np
import pytest

import gputape as tf
from gputape.ops import random_ops as R

N = 20000


def test_generator_from_seed_is_reproducible_and_advances():
    g1, g2 = tf.random.Generator.from_seed(7), tf.random.Generator.from_seed(7)
    a, b = g1.normal([5]), g2.normal([5])
    assert a.dtype == tf.float32 and a.numpy().tolist() == b.numpy().tolist()
    assert g1.normal([5]).numpy().tolist() != a.numpy().tolist()        # the state advanced
    g1.reset_from_seed(7)
    assert g1.normal([5]).numpy().tolist() == a.numpy().tolist()
    nd1, nd2 = tf.random.Generator.from_non_deterministic_state(), tf.random.Generator.from_non_deterministic_state()
    assert nd1.normal([4]).numpy().tolist() != nd2.normal([4]).numpy().tolist()


def test_generator_draws_shapes_dtypes_moments():
    g = tf.random.Generator.from_seed(3)
    n = g.normal([N], mean=2.0, stddev=3.0, dtype=tf.float64)
    assert n.dtype == tf.float64 and abs(n.numpy().mean() - 2) < 0.1 and abs(n.numpy().std() - 3) < 0.1
    u = g.uniform([N], minval=-1.0, maxval=3.0)
    assert u.numpy().min() >= -1 and u.numpy().max() < 3 and abs(u.numpy().mean() - 1) < 0.05
    i = g.uniform([N], minval=2, maxval=5, dtype=tf.int64)
    assert i.dtype == tf.int64 and set(np.unique(i.numpy())) == {2, 3, 4}
    full = g.uniform([8], minval=None, maxval=None, dtype=tf.int32)
    assert full.dtype == tf.int32
    t = g.truncated_normal([N], stddev=2.0)
    assert np.abs(t.numpy()).max() <= 4.0 and abs(t.numpy().std() - 2 * 0.87962566) < 0.05
    b = g.binomial([N], counts=10.0, probs=0.3)
    assert b.dtype == tf.int32 and abs(b.numpy().mean() - 3) < 0.1
    b2 = g.binomial([2, 3], counts=[5.0, 10.0, 20.0], probs=[0.5], dtype=tf.float32)
    assert b2.shape == (2, 3) and b2.dtype == tf.float32


def test_generator_errors_as_tf():
    g = tf.random.Generator.from_seed(1)
    with pytest.raises(ValueError, match="minval and maxval must be both"):
        g.uniform([2], dtype=tf.int32)
    with pytest.raises(TypeError):
        g.normal([2], dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError):
        g.normal(3)
    with pytest.raises(ValueError):
        tf.random.Generator()


def test_split_and_make_seeds():
    g = tf.random.Generator.from_seed(11)
    a, b = g.split(2)
    xa, xb = a.normal([6]).numpy(), b.normal([6]).numpy()
    assert xa.tolist() != xb.tolist()
    c, d = tf.random.Generator.from_seed(11).split(2)
    assert c.normal([6]).numpy().tolist() == xa.tolist()
    assert g.split(1)[0].normal([6]).numpy().tolist() != xa.tolist()   # split advances the parent
    s = g.make_seeds(3)
    assert s.dtype == tf.int64 and s.shape == (2, 3) and s.numpy()[1].tolist() == [0, 0, 0]
    x1 = tf.random.stateless_normal([3], seed=s[:, 0])
    assert x1.numpy().tolist() == tf.random.stateless_normal([3], seed=s[:, 0]).numpy().tolist()


def test_stateless_same_seed_same_numbers_different_seeds_differ():
    for fn in (tf.random.stateless_normal, tf.random.stateless_uniform, tf.random.stateless_truncated_normal):
        a = fn([4, 3], seed=[1, 2])
        assert a.numpy().tolist() == fn([4, 3], seed=[1, 2]).numpy().tolist()
        assert a.numpy().tolist() != fn([4, 3], seed=[1, 3]).numpy().tolist()
        assert a.numpy().tolist() != fn([4, 3], seed=[2, 1]).numpy().tolist()
    i = tf.random.stateless_uniform([N], seed=[5, 6], minval=0, maxval=4, dtype=tf.int32)
    assert i.dtype == tf.int32 and set(np.unique(i.numpy())) == {0, 1, 2, 3}
    c = tf.random.stateless_categorical(tf.math.log([[0.2, 0.8]]), 5, seed=[1, 1])
    assert c.dtype == tf.int64 and c.numpy().tolist() == \
        tf.random.stateless_categorical(tf.math.log([[0.2, 0.8]]), 5, seed=[1, 1]).numpy().tolist()
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
        tf.random.stateless_normal([2], seed=[1, 2, 3])
    with pytest.raises(ValueError, match="minval and maxval"):
        tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int32)


def test_categorical_frequencies_and_infinities():
    tf.random.set_seed(0)
    logits = tf.math.log(tf.constant([[0.1, 0.6, 0.3], [1.0, 0.0, 0.0]]))
    s = tf.random.categorical(logits, N)
    assert s.dtype == tf.int64 and s.shape == (2, N)
    freq = np.bincount(s.numpy()[0], minlength=3) / N
    np.testing.assert_allclose(freq, [0.1, 0.6, 0.3], atol=0.02)
    assert set(s.numpy()[1].tolist()) == {0}                          # log(0) = -inf is never drawn
    assert tf.random.categorical(logits, 3, dtype=tf.int32).dtype == tf.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match="matrix"):
        tf.random.categorical(tf.constant([0.0, 1.0]), 2)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.random.categorical(logits, 2, dtype=tf.float32)


def test_gamma_shape_moments_and_gradients():
    tf.random.set_seed(1)
    g = tf.random.gamma([N], alpha=[2.0, 5.0], beta=[1.0, 2.0])
    assert g.shape == (N, 2) and g.dtype == tf.float32
    np.testing.assert_allclose(g.numpy().mean(0), [2.0, 2.5], rtol=0.05)
    beta = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(beta)
        x = tf.random.gamma([5], alpha=3.0, beta=beta)
        total = tf.reduce_sum(x)
    np.testing.assert_allclose(tape.gradient(total, beta).numpy(), -x.numpy().sum() / 2.0, rtol=1e-5)
    alpha = tf.constant([0.5, 3.0, 40.0], tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(alpha)
        y = tf.random.gamma([4], alpha=alpha, dtype=tf.float64)
        total = tf.reduce_sum(y)
    ga = tape.gradient(total, alpha).numpy()
    # implicit reparameterization: the draw moves with alpha at a fixed CDF value u = P(alpha, y)
    sp = pytest.importorskip("scipy.special")
    u = sp.gammainc(alpha.numpy(), y.numpy())
    eps = 1e-6
    moved = sp.gammaincinv(alpha.numpy() + eps, u) - sp.gammaincinv(alpha.numpy() - eps, u)
    np.testing.assert_allclose(ga, (moved / (2 * eps)).sum(0), rtol=1e-5)
    with tf.GradientTape() as outer:
        outer.watch(alpha)
        with tf.GradientTape() as inner:
            inner.watch(alpha)
            z = tf.reduce_sum(tf.random.gamma([2], alpha=alpha, dtype=tf.float64))
        g1 = inner.gradient(z, alpha)
    with pytest.raises(LookupError):
        outer.gradient(g1, alpha)


def test_random_gamma_grad_fallback_without_scipy(monkeypatch):
    from gputape.ops import special as Sp
    a, x = np.array([0.5, 2.0, 5.0, 30.0, 0.05]), np.array([0.3, 1.5, 7.0, 25.0, 1e-3])
    want = R._gamma_grad_fwd(np, a, x)
    monkeypatch.setattr(Sp, "_scipy_special", lambda: None)
    np.testing.assert_allclose(R._gamma_grad_fwd(np, a, x), want, rtol=1e-6)


def test_poisson():
    tf.random.set_seed(2)
    p = tf.random.poisson([N], lam=[1.0, 4.0])
    assert p.shape == (N, 2) and p.dtype == tf.float32
    np.testing.assert_allclose(p.numpy().mean(0), [1.0, 4.0], rtol=0.05)
    assert tf.random.poisson([3], 2.0, dtype=tf.int64).dtype == tf.int64
    lam = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(lam)
        y = tf.random.poisson([3], lam)
    assert tape.gradient(y, lam) is None


def test_truncated_normal_inverse_cdf_path():
    """The device path (inverse CDF, no redraw loop), run here on NumPy: inside +-2, the right moments."""
    rng = np.random.default_rng(0)
    x = R._draw_truncated(rng, (N,))
    assert np.abs(x).max() <= 2.0 and abs(x.mean()) < 0.02 and abs(x.std() - 0.87962566) < 0.01
    t = R._truncated(rng, [4, 2], 1.0, 0.5, tf.float16, "t")
    assert t.dtype == tf.float16 and t.shape == (4, 2)
    tf.random.set_seed(4)
    a = tf.random.truncated_normal([100], seed=3)
    assert np.abs(a.numpy()).max() <= 2.0


def test_shuffle_is_a_permutation():
    tf.random.set_seed(5)
    x = tf.range(10)
    y = tf.random.shuffle(x)
    assert sorted(y.numpy().tolist()) == list(range(10))


# ---------------------------------------------------------------- TF 2.21's record (tf_fixtures/opsmath.json)
from opsmath_fixture import check as _tf_check, names as _tf_names  # noqa: E402


@pytest.mark.parametrize("name", _tf_names("random/"))
def test_matches_tensorflow_record(name):
    _tf_check(name)


# ---------------------------------------------------------------- the CuPy path, on the NumPy-backed stand-in (NOT a GPU)
@pytest.fixture
def standin(monkeypatch):
    import cupy_standin as S
    from gputape import kernels
    cp = S.install(monkeypatch)
    S.full_api()
    monkeypatch.setattr(kernels.KernelRef, "__call__", lambda self, *a, **k: None)
    yield S
    S.full_api(False)
    monkeypatch.undo()
    S.restore()


def test_device_draws_sync_nothing(standin):
    """truncated_normal (inverse CDF through cupyx's erfinv), categorical, stateless and Generator draws
    run with no device-to-host read on the CuPy path."""
    S = standin
    tf.random.set_seed(0)
    logits = tf.constant(np.log([[0.2, 0.8]]))
    g = tf.random.Generator.from_seed(3)
    S.reset_counts()
    t = tf.random.truncated_normal([256])
    c = tf.random.categorical(logits, 8)
    n = g.normal([4])
    u = g.uniform([4], 0, 5, dtype=tf.int32)
    assert S.syncs == [], S.syncs
    assert ("erfinv", np.dtype(np.float64)) in S.calls
    assert np.abs(t.numpy()).max() <= 2 and c.shape == (1, 8) and n.shape == (4,) and u.dtype == tf.int32
