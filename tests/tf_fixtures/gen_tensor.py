"""Record TensorFlow 2.21's conversion, indexing, tape and custom-gradient behaviour for gputape's
tensor/tape layer (issue 7, kinds 5, 8 and 9).  Run with a Python that has tensorflow-cpu 2.21:

    /opt/tfenv/bin/python tests/tf_fixtures/gen_tensor.py

It writes ``tests/tf_fixtures/tensor.json`` (format: ``tests/tf_fixture.py``).  Case names:

- ``<example>``: one case per program of ``tensor_cases.py`` (a value, or TF's error class and message).
  A gradient list is recorded as one case per element, ``<example>/<i>``; a None gradient as
  ``{"value": null, "dtype": null, "shape": null}``.
- ``conv/<nnn>``: a fixed corpus of ``tf.constant(value, dtype=...)`` calls on nested Python lists
  of bools, ints (small and beyond int32/int64), floats (with nan, inf, beyond float32), None,
  strings and a few numpy scalars, from a seeded generator (``corpus()``, shared with
  ``tests/test_silent_tensor.py`` through the recorded ``input``: the value's ``repr``, evaluated
  with ``nan``, ``inf`` and ``np`` in scope; ``dtype_arg``: a dtype name or null).
"""
import os
import pathlib
import random
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import json  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_fixture import encode  # noqa: E402
import tensor_cases  # noqa: E402

cases = {}


def _one(r):
    if r is None:
        return {"value": None, "dtype": None, "shape": None}
    r = tf.convert_to_tensor(r)
    v = r.numpy()
    if r.dtype == tf.string:
        v = np.vectorize(lambda b: b.decode())(v) if isinstance(v, np.ndarray) else v.decode()
    v = v.tolist() if isinstance(v, np.ndarray) else (v.item() if hasattr(v, "item") else v)
    return {"value": encode(v), "dtype": r.dtype.name, "shape": list(r.shape)}


def rec(name, fn):
    """Record ``fn()``: a tensor (or a list of them, as ``name/<i>``) or the error TF raises."""
    try:
        r = fn()
        if isinstance(r, (tuple, list)):
            for i, e in enumerate(r):
                cases[f"{name}/{i}"] = _one(e)
        else:
            cases[name] = _one(r)
    except Exception as e:      # noqa: BLE001  (recording TF's exception, whatever it is)
        cases[name] = {"error": type(e).__name__, "message": str(e).strip().splitlines()[0][:400]}


for _name, _program in tensor_cases.cases(tf, np).items():
    rec(_name, _program)


# ---------------------------------------------------------------- the conversion corpus
LEAVES = {
    "bool": [True, False],
    "int": [0, 1, -2, 3, 7],
    "bigint": [2 ** 31, -2 ** 31 - 1, 2 ** 40, 2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1, 2 ** 70],
    "float": [0.5, -1.25, 0.0, -0.0, 2.0, float("nan"), float("inf"), -float("inf"), 3.0e38],
    "hugefloat": [1e40, -1e300],
    "none": [None],
    "str": ["a", "xy"],
    "np": [np.float64(1.5), np.int64(2), np.bool_(True), np.float32(0.5), np.int32(-3), np.float16(2.0)],
}
WEIGHTS = {"bool": 4, "int": 6, "bigint": 2, "float": 6, "hugefloat": 1, "none": 1, "str": 1, "np": 2}
DTYPES = [None, None, None, None, "float32", "float64", "float16", "int32", "int64", "int8", "uint8", "int16",
          "bool"]


def _leaf(rng, kinds):
    return rng.choice(LEAVES[rng.choice(kinds)])


def _build(rng, shape, kinds):
    if not shape:
        return _leaf(rng, kinds)
    seq = [_build(rng, shape[1:], kinds) for _ in range(shape[0])]
    return tuple(seq) if rng.random() < 0.1 else seq


def _spoil(rng, v):
    """Make a nested list ragged (drop or add an element) or put a list where a leaf was."""
    if not isinstance(v, list) or not v:
        return v
    i = rng.randrange(len(v))
    if isinstance(v[i], list) and v[i] and rng.random() < 0.6:
        v[i] = _spoil(rng, list(v[i]))
    elif rng.random() < 0.5:
        v[i] = [v[i]]
    elif len(v) > 1:
        del v[i]
    return v


def corpus(n=300, seed=7):
    """(value, dtype name or None) pairs: nested lists of depth 0-3 with 0-3 elements a level."""
    rng = random.Random(seed)
    names = list(WEIGHTS)
    out = []
    for _ in range(n):
        depth = rng.choice([0, 1, 1, 2, 2, 3])
        shape = [rng.choice([0, 1, 2, 2, 3, 3]) for _ in range(depth)]
        kinds = rng.choices(names, weights=[WEIGHTS[k] for k in names], k=rng.choice([1, 1, 2, 3]))
        v = _build(rng, shape, kinds)
        if rng.random() < 0.12:
            v = _spoil(rng, v if isinstance(v, list) else [v])
        out.append((v, rng.choice(DTYPES)))
    return out


def _constant(v, d):
    return lambda: tf.constant(v, dtype=d)


for k, (v, d) in enumerate(corpus()):
    name = f"conv/{k:03d}"
    rec(name, _constant(v, d))
    cases[name]["input"] = repr(v)
    cases[name]["dtype_arg"] = d

with open(HERE / "tensor.json", "w") as f:
    json.dump(cases, f, indent=1, sort_keys=True)
print(f"{len(cases)} cases -> {HERE / 'tensor.json'}")
