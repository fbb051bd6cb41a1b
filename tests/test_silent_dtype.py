"""Issue 7, kinds 2, 3, 4, 6 and 8 in the elementwise, reduction and nn ops: TensorFlow 2.21's
dtype rules, output dtypes, axis checks and edge values, recorded as fixtures by
``tests/tf_fixtures/gen_dtype.py`` (no TensorFlow needed here)."""
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gputape as gt
from gputape import dtype_rules
from gputape.errors import InvalidArgumentError

import dtype_ops
from tf_fixture import TF_ERROR_BUILTIN, load

CASES = load("dtype")
BUILTIN = dict(TF_ERROR_BUILTIN, NotFoundError=ValueError)


def _np(r):
    return np.asarray(r.numpy() if hasattr(r, "numpy") else r)


def _same(out, want, name):
    a = _np(out)
    assert a.dtype.name == want["dtype"], f"{name}: dtype {a.dtype.name}, TF {want['dtype']}"
    assert list(a.shape) == want["shape"], f"{name}: shape {a.shape}, TF {want['shape']}"
    w = np.asarray(want["value"], dtype=a.dtype)
    if a.dtype.kind == "f":
        tol = 2e-3 if a.dtype == np.float16 else 1e-5
        np.testing.assert_allclose(a, w, rtol=tol, atol=tol, equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(a, w, err_msg=name)


def expect(name, fn):
    """Run ``fn`` and compare with TF's recorded case ``name``: value, dtype and shape, or TF's
    exception class (ours subclasses the matching builtin; InvalidArgumentError is ours)."""
    want = CASES[name]
    if "error" in want:
        cls = BUILTIN[want["error"]]
        with pytest.raises(cls) as ei:
            fn()
        if want["error"] in ("InvalidArgumentError", "NotFoundError"):
            assert isinstance(ei.value, InvalidArgumentError), (name, ei.value)
        assert type(ei.value).__module__.startswith("gputape") or cls in (TypeError, ValueError), ei.value
        return ei.value
    out = fn()
    if "outputs" in want:
        assert len(out) == len(want["outputs"]), name
        for o, w in zip(out, want["outputs"]):
            _same(o, w, name)
    else:
        _same(out, want, name)
    return out


def grad_of(fn, *xs):
    def run():
        ts = [gt.constant(np.asarray(x, np.float32)) for x in xs]
        with gt.GradientTape() as tape:
            for t in ts:
                tape.watch(t)
            y = fn(*ts)
        gs = tape.gradient(y, ts)
        return [gt.zeros_like(t) if g is None else g for t, g in zip(ts, gs)]
    return run


TABLE = [(op, dt) for op in dtype_ops.OPS for dt in dtype_ops.DTYPES]


# ---------------------------------------------------------------- kinds 3 and 4: the whole table
@pytest.mark.parametrize("op,dt", TABLE, ids=[f"{o}-{d}" for o, d in TABLE])
def test_dtype_table(op, dt):
    """Every public op in the table x every dtype: TF's output dtype and value, or TF's error."""
    kind, call = dtype_ops.OPS[op]
    expect(f"table/{op}/{dt}", lambda: call(gt, *dtype_ops.inputs(kind, dt, gt.constant)))


def test_refusal_names_the_op_and_dtype():
    with pytest.raises(InvalidArgumentError, match=r"sqrt: .*int32.*allowed values: half, float, double"):
        gt.sqrt(gt.constant([4, 9]))
    with pytest.raises(InvalidArgumentError, match=r"selu: .*int32"):
        gt.nn.selu(gt.constant([1, 2]))
