"""Keras optimizers bit-equal to TensorFlow 2.21 in float16, float32 and float64, per variable and
over flat buffers (``flat=True``).  In float64 this needs Keras's casts of Python floats, which go
through float32 (``ops.cast(0.9, float64)`` is float32(0.9)): Adam's betas, SGD's momentum and
Adagrad's initial accumulator."""
import json
import pathlib
import sys

import pytest

import gputape as tf

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tf_fixtures"))
import optimizer_dtype_cases as cases  # noqa: E402

RECORDED = json.loads((HERE / "tf_fixtures" / "optimizer_dtypes.json").read_text())


def test_recorded_from_tf_2_21_and_complete():
    assert RECORDED["tensorflow"].startswith("2.21")
    assert set(RECORDED["results"]) == {f"{n}/{d}" for n in cases.OPTIMIZERS for d in cases.DTYPES}


@pytest.mark.parametrize("flat", [False, True], ids=["per_variable", "flat"])
@pytest.mark.parametrize("dtype", cases.DTYPES)
@pytest.mark.parametrize("name", list(cases.OPTIMIZERS))
def test_bit_equal_to_tensorflow(name, dtype, flat):
    got = cases.run(tf, name, dtype, flat=flat)
    assert got == RECORDED["results"][f"{name}/{dtype}"]
