"""The new-user review's silent differences from TensorFlow 2.21 (issue 7 follow-up): every case of
tests/tf_fixtures/review_cases.py against TF's recorded answer (review.json, made by gen_review.py),
plus gradient checks in float64 for the new differentiable code."""
import math
import pathlib
import sys

import numpy as np
import pytest

import gputape as tf
from gputape import errors
from gputape.testing import check_grads
from tf_fixture import load, raises_as_tf, _decode

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
from review_cases import CASES, PRELUDE  # noqa: E402

RECORDED = load("review")
_OURS = {"InvalidArgumentError": errors.InvalidArgumentError,
         "ResourceExhaustedError": errors.ResourceExhaustedError}
_NUMPY_TEXT = ("Unable to allocate", "array is too big", "object is not iterable", "maximum possible size")


def _run(code):
    ns = {"tf": tf, "np": np}
    exec(PRELUDE, ns)
    return eval(code, ns)


def _same_py(got, want):
    if isinstance(want, list):
        assert list(got) == [None if w is None else w for w in want] or np.allclose(got, want)
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == want, (got, want)


def test_cases_recorded():
    """review.json holds every case of review_cases.py, with the same code (rerun gen_review.py if not)."""
    assert sorted(RECORDED) == sorted(n for n, _, _ in CASES)
    for name, code, _ in CASES:
        assert RECORDED[name]["code"] == code, name


@pytest.mark.parametrize("name", [n for n, _, _ in CASES])
def test_review_case(name):
    rec = RECORDED[name]
    want = dict(rec, **{k: _decode(v) for k, v in rec.get("gputape", {}).items()})   # a deliberate difference
    assert "error" in want or "tf" not in rec, name
    if "error" in want:
        raises_as_tf(lambda: _run(rec["code"]), want["error"], _OURS, _NUMPY_TEXT, rec.get("match"))
        return
    got = _run(rec["code"])
    if "py" in want:
        _same_py(list(got) if isinstance(got, tf.TensorShape) else got, want["py"])
    elif "type" in want:
        assert type(got).__name__ == want["type"] or want["type"] in type(got).__name__, (got, want)
    else:
        assert got.dtype.name == want["dtype"], (got.dtype.name, want["dtype"])
        assert list(got.shape) == want["shape"], (list(got.shape), want["shape"])
        np.testing.assert_allclose(np.asarray(got.numpy(), dtype=np.float64),
                                   np.asarray(want["value"], dtype=np.float64).reshape(want["shape"]),
                                   rtol=2e-6, atol=1e-7)


def test_deviations_are_documented():
    for name, case in RECORDED.items():
        if "gputape" in case:
            assert case["gputape"]["why"], name


_RNG = np.random.default_rng(7)
_M = _RNG.normal(size=(2, 3, 4))


@pytest.mark.parametrize("ord_, axis", [(1, [-2, -1]), (np.inf, [-2, -1]), ("fro", [0, 2]), (2, [-2, -1]),
                                        (2, [2, 0]), (3, None), (1.5, 1)])
def test_norm_grads_float64(ord_, axis):
    """Matrix norms (1, inf, Frobenius, spectral) and p-norms: VJP and JVP against finite differences."""
    check_grads(lambda x: tf.norm(x, ord=ord_, axis=axis), [_M], order=1)


def test_bias_add_nc_grads_float64():
    check_grads(lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"), [_M, _RNG.normal(size=3)], order=2)


def test_relu6_grads_float64():
    check_grads(lambda x: tf.nn.relu6(x), [np.array([-1.5, 0.5, 3.0, 5.5, 7.0])], order=2)


def test_huge_broadcast_names_op_and_shapes():
    with pytest.raises(errors.ResourceExhaustedError) as info:
        tf.ones([100000, 1]) * tf.ones([1, 1000000])
    msg = str(info.value)
    assert "multiply" in msg and "[100000, 1000000]" in msg and "[100000, 1]" in msg, msg


def test_sparse_xent_gradient_op_to_second_order():
    """The fused sparse cross-entropy gradient (one op: g * (softmax - one_hot)) against finite
    differences to second order, and its jacobian equal to the dense cross-entropy's on one-hot labels."""
    import numpy as np
    import gputape as tf
    from gputape.testing import check_grads
    lab = tf.constant([1, 0, 2])
    x = tf.constant(np.random.RandomState(0).randn(3, 4))
    w = tf.constant([1.0, -2.0, 3.0], tf.float64)
    check_grads(lambda z: tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=z) * w),
                [x], order=2)
    oh = tf.one_hot(lab, 4, dtype=tf.float64)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
        dense = tf.nn.softmax_cross_entropy_with_logits(labels=oh, logits=x)
    np.testing.assert_array_equal(t.jacobian(sparse, x).numpy(), t.jacobian(dense, x).numpy())
