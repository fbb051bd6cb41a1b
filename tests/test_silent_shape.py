"""Issue 7 in the shape, creation, linalg and conv ops: TensorFlow 2.21's recorded behaviour as the oracle.

``test_tf_case`` runs every line recorded by tests/tf_fixtures/gen_shape.py (326 cases: the issue's
examples of kinds 2, 5, 6, 7 and 8 and their neighbours) under gputape and checks TF's value, dtype and
shape, or TF's exception class.  Property tests below draw ranks 0-4, axes in [-6, 6] and list or
tensor arguments, with TF's rules as the oracle.
"""
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import gputape as tf
from gputape import errors
from tf_fixture import load, TF_ERROR_BUILTIN

CASES = load("shape")

# the same names gen_shape.py's PRELUDE binds
PRELUDE = """
a = tf.constant([[1., 2.]])
v4 = tf.constant([1., 2., 3., 4.])
x4 = tf.ones([1, 4, 4, 1])
w = tf.ones([2, 2, 1, 1])
"""

# TF's class -> the class gputape must raise (ours where gputape has one, else the builtin)
_OURS = {"InvalidArgumentError": errors.InvalidArgumentError,
         "ResourceExhaustedError": errors.ResourceExhaustedError,
         "MemoryError": MemoryError}
# NumPy's own words must not reach the user
_NUMPY_TEXT = ("negative dimensions are not allowed", "setting an array element with a sequence",
               "Unable to allocate", "list index out of range", "object of type", "invalid literal")


def _run(code):
    ns = {"tf": tf, "np": np}
    exec(PRELUDE, ns)
    return eval(code, ns)


def _same(got, want, compare):
    assert got.dtype.name == want["dtype"], (got.dtype.name, want["dtype"])
    assert list(got.shape) == want["shape"]
    if compare != "shape":
        np.testing.assert_allclose(np.asarray(got.numpy(), dtype=np.float64),
                                   np.asarray(want["value"], dtype=np.float64).reshape(want["shape"]), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tf_case(name):
    case = CASES[name]
    want = case.get("gputape", case)
    t0 = time.perf_counter()
    if "error" in want:
        cls = _OURS.get(want["error"], TF_ERROR_BUILTIN.get(want["error"]))
        with pytest.raises(cls) as info:
            _run(case["code"])
        msg = str(info.value)
        assert not any(t in msg for t in _NUMPY_TEXT), msg
        if "match" in case:
            assert case["match"] in msg, msg
    else:
        got = _run(case["code"])
        if "values" in case:
            assert isinstance(got, list) and len(got) == len(case["values"])
            for g, w in zip(got, case["values"]):
                _same(g, w, case.get("compare"))
        else:
            _same(got, want, case.get("compare"))
    assert time.perf_counter() - t0 < 2.0, "a size check must come before any allocation"


def test_deviations_are_documented():
    """Every case where gputape differs from TF says why (TF truncates or leaks an internal error)."""
    for name, case in CASES.items():
        if "gputape" in case:
            assert case["gputape"]["why"], name
