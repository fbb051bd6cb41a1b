"""Record TensorFlow 2.21's dtype rules and edge values for gputape's elementwise, reduction and
nn ops (issue 7, kinds 2, 3, 4, 6, 8).  Run with a Python that has tensorflow-cpu 2.21:

    /opt/tfenv/bin/python tests/tf_fixtures/gen_dtype.py

It writes ``tests/tf_fixtures/dtype.json`` (format: ``tests/tf_fixture.py``).  Case names:

- ``table/<op>/<dtype>``: the op on a small fixed input of that dtype (``INPUTS`` below): TF's value
  and output dtype, or TF's error when the op does not allow the dtype.  The op names and the
  way each is called are listed once in ``tests/dtype_ops.py`` (shared with the tests).
- ``<example>``: one case per program of ``dtype_cases.py`` (the issue's examples), with gradients
  as ``<example>/grad``.
"""
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import json  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_fixture import encode  # noqa: E402
import dtype_ops  # noqa: E402
import dtype_cases  # noqa: E402

cases = {}


def _one(r):
    r = tf.convert_to_tensor(r)
    return {"value": encode(r.numpy().tolist()), "dtype": r.dtype.name, "shape": list(r.shape)}


def rec(name, fn):
    try:
        r = fn()
        if isinstance(r, (tuple, list)):
            outs = [_one(e) for e in r]
            cases[name] = dict(outs[0], outputs=outs)
        else:
            cases[name] = _one(r)
    except Exception as e:      # noqa: BLE001  (recording TF's exception, whatever it is)
        cases[name] = {"error": type(e).__name__, "message": str(e).strip().splitlines()[0][:400]}


# ---- the allowed-dtype / output-dtype table
for name, (kind, call) in dtype_ops.OPS.items():
    for dt in dtype_ops.DTYPES:
        args = dtype_ops.inputs(kind, dt, tf.constant)
        rec(f"table/{name}/{dt}", lambda: call(tf, *args))

# ---- one case per example of the issue (some also in the table; named here as the issue writes them)
for name, program in dtype_cases.examples(tf, np).items():
    rec(name, program)

with open(HERE / "dtype.json", "w") as f:
    json.dump(cases, f, indent=0, sort_keys=True)
print(len(cases), "cases")
