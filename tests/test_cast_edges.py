"""float->int casts against TF 2.21's recorded results (tests/tf_fixtures/cast_edges.json, written by
gen_cast_edges.py beside it).

In-range values (truncated toward zero, representable in the target) equal TF's on every source and
target dtype.  NaN, +-inf and out-of-range values are undefined behaviour in C++: TF's own results
depend on the source dtype (float16 saturates some targets, float32/64 give x86's "integer
indefinite" value) and on the device; gputape gives NumPy's on the NumPy backend and CUDA's
saturating conversion on CuPy.  README, "Deliberate differences", says so; the last test pins the
NumPy backend's current results for those values so a change is seen.
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest

import gputape as tf

FIX = json.loads((Path(__file__).parent / "tf_fixtures" / "cast_edges.json").read_text())
SOURCE = [float(s) for s in FIX["source"]]
PAIRS = [k for k in FIX if k != "source"]


def _in_range(v, dst):
    info = np.iinfo(dst)
    return math.isfinite(v) and info.min <= math.trunc(v) <= info.max


@pytest.mark.parametrize("pair", PAIRS)
def test_in_range_casts_equal_tensorflows(pair):
    src, dst = pair.split("->")
    with np.errstate(all="ignore"):
        x = np.array(SOURCE, dtype=src)
    if dst in ("uint16", "uint32", "uint64"):        # dtypes gputape does not have: a named TypeError
        with pytest.raises(TypeError, match=dst):
            tf.cast(tf.constant(x), dst)
        return
    keep = [i for i, v in enumerate(x.tolist()) if _in_range(v, dst)]
    assert keep, pair
    got = tf.cast(tf.constant(x[keep]), tf.as_dtype(dst)).numpy().tolist()
    assert got == [FIX[pair][i] for i in keep], pair
    assert tf.cast(tf.constant(x[keep]), tf.as_dtype(dst)).dtype.name == dst
