"""Run one of opsmath_cases.py's cases under gputape and compare with TF 2.21's record
(tf_fixtures/opsmath.json): values and gradients to float tolerance, dtypes and shapes exactly, errors
by class.  Used by test_ops_math2.py, test_ops_linalg.py and test_random.py (each its own areas)."""
import sys
import pathlib

import numpy as np

import gputape
from tf_fixture import load, raises_as_tf, TF_ERROR_BUILTIN  # noqa: F401

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "tf_fixtures"))
from opsmath_cases import PRELUDE  # noqa: E402

RECORD = load("opsmath")

# where gputape deliberately gives other numbers than TF (each with its reason)
DIFFERENT = {
    # TF's factor of a non-positive-definite matrix is partly NaN, partly uninitialised memory
    "linalg/cholesky_not_pd": "all-nan",
    # TF's CPU kernels lack these (its GPU kernels have them): gputape computes them (values checked
    # against NumPy references in the spec tables)
    "nn/avg_pool2d_nchw": "computed",
    "nn/conv1d_ncw": "computed",
    "nn/conv1d_dilated": "computed",
    "nn/depthwise_conv2d_nchw": "computed",
    # TF 2.21 only warns and returns a tensor of the wrong size; gputape raises TF's documented ValueError
    "nn/depthwise_conv2d_stride_dilation_error": "raises ValueError",
}


def names(prefix):
    return sorted(n for n in RECORD if n.startswith(prefix))


def _env():
    env = {"tf": gputape, "np": np}
    exec(PRELUDE, env)
    return env


def _tol(dtype):
    return {"float16": (2e-3, 2e-3), "float32": (2e-5, 2e-5)}.get(dtype, (1e-7, 1e-9))


def _compare(ours, rec, name):
    assert isinstance(ours, (gputape.Tensor, gputape.Variable)), (name, ours)
    assert ours.dtype.name == rec["dtype"], (name, ours.dtype.name, rec["dtype"])
    assert list(ours.shape) == rec["shape"], (name, list(ours.shape), rec["shape"])
    want = np.asarray(rec["value"], dtype=np.float64 if rec["dtype"].startswith("float") else None)
    if want.size == 0:
        want = want.reshape(rec["shape"])
    got = ours.numpy()
    if DIFFERENT.get(name) == "all-nan":
        assert np.isnan(got).all(), (name, got)
        return
    if rec["dtype"].startswith("float"):
        rtol, atol = _tol(rec["dtype"])
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=rtol, atol=atol * max(1.0, np.nanmax(
            np.abs(np.where(np.isfinite(want), want, 0)), initial=0)), equal_nan=True, err_msg=name)
    else:
        assert got.tolist() == want.tolist(), (name, got, want)


def _read_back(out):
    """Every tensor in ``out`` read to the host: on CuPy some checks (gather's indices) are deferred to
    the next host read, so a case expecting TF's error must read its result inside the raise check."""
    if isinstance(out, (list, tuple)):
        return [_read_back(o) for o in out]
    if isinstance(out, (gputape.Tensor, gputape.Variable)):
        return out.numpy()
    return out


def check(name):
    rec = RECORD[name]
    env = _env()
    code = rec["code"]
    if DIFFERENT.get(name) == "computed":
        out = eval(code, env)
        assert all(isinstance(t, gputape.Tensor) and np.isfinite(t.numpy()).all() for t in out), name
        return
    if DIFFERENT.get(name) == "raises ValueError":
        import pytest
        with pytest.raises(ValueError):
            eval(code, env)
        return
    if "error" in rec:
        raises_as_tf(lambda: _read_back(eval(code, env)), rec["error"], {"InvalidArgumentError": gputape.errors.InvalidArgumentError,
                                                             "NotFoundError": gputape.errors.NotFoundError})
        return
    ours = eval(code, env)
    if "values" in rec:
        assert len(ours) == len(rec["values"]), name
        for o, r in zip(ours, rec["values"]):
            if r is None:
                assert o is None, name
            else:
                _compare(o, r, name)
    elif "py" in rec:
        assert ours == rec["py"], (name, ours, rec["py"])
    else:
        _compare(ours, rec, name)
