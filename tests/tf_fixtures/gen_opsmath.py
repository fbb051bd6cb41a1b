"""Record TensorFlow 2.21's values, gradients, dtype tables and errors for issue 10's math, linalg,
nn and random cases (opsmath_cases.py).

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_opsmath.py
Writes opsmath.json: case name -> {"code", then "value"/"dtype"/"shape" for a tensor, "values" (a list of
those) for a list of tensors, "py" for a plain Python value, or "error"/"message"}.
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from tf_fixture import clean_tf_message, encode  # noqa: E402
from opsmath_cases import CASES, PRELUDE  # noqa: E402


_clean = clean_tf_message


def main():
    import numpy as np
    import tensorflow as tf

    def one(r):
        return {"value": encode(r.numpy().tolist()), "dtype": r.dtype.name, "shape": r.shape.as_list()}

    def result(r):
        if isinstance(r, (tf.Tensor, tf.Variable)):
            return one(r)
        if isinstance(r, (list, tuple)) and r and all(isinstance(e, (tf.Tensor, type(None))) for e in r):
            return {"values": [None if e is None else one(e) for e in r]}
        if r is None or isinstance(r, (bool, int, float, str)):
            return {"py": encode(r)}
        return {"type": type(r).__name__}

    out = {}
    for name, code in CASES:
        assert name not in out, name
        ns = {"tf": tf, "np": np}
        exec(PRELUDE, ns)
        rec = {"code": code}
        try:
            rec.update(result(eval(code, ns)))
        except Exception as e:    # noqa: BLE001  (recording whatever TF raises)
            rec["error"] = type(e).__name__
            rec["message"] = _clean(str(e))
        out[name] = rec
        print(name, "|", rec.get("error", ""), str(rec.get("message", rec.get("value", rec.get("py", ""))))[:100])
    (HERE / "opsmath.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out)} cases")


if __name__ == "__main__":
    main()
