"""Record TensorFlow 2.21 / Keras 3.15's behaviour for the new-user review's cases (review_cases.py).

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_review.py
Writes review.json: case name -> {"code", then "value"/"dtype"/"shape" for a tensor, "py" for a plain
Python value, or "error"/"message"}, plus the case's options ("gputape", "match", "tf").
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
from review_cases import CASES, PRELUDE  # noqa: E402


_clean = clean_tf_message


def main():
    import numpy as np
    import tensorflow as tf

    def result(r):
        if isinstance(r, (tf.Tensor, tf.Variable)):
            return {"value": encode(r.numpy().tolist()), "dtype": r.dtype.name, "shape": r.shape.as_list()}
        if r is None or isinstance(r, (bool, int, float, str, list)):
            return {"py": encode(r)}
        return {"type": type(r).__name__}

    out = {}
    for name, code, opts in CASES:
        assert name not in out, name
        rec = {"code": code}
        if "skip_tf" in opts:
            rec["tf"] = opts["skip_tf"]
        else:
            ns = {"tf": tf, "np": np}
            exec(PRELUDE, ns)
            try:
                rec.update(result(eval(code, ns)))
            except Exception as e:    # noqa: BLE001  (recording whatever TF raises)
                rec["error"] = type(e).__name__
                rec["message"] = _clean(str(e))
        for k in ("gputape", "match"):
            if k in opts:
                rec[k] = opts[k]
        if "match" in opts:
            assert opts["match"] in rec.get("message", ""), (name, rec)
        out[name] = rec
        print(name, "|", rec.get("error", ""), rec.get("message", rec.get("value", rec.get("py", rec.get("type")))))
    path = HERE / "review.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"{len(out)} cases -> {path}")


if __name__ == "__main__":
    main()
