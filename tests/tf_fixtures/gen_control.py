"""Record TensorFlow 2.21's answers to issue 10's control-flow, TensorArray, print, debugging and small-extras
programs (``control_cases.py``) for tests/test_control_flow.py.

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_control.py
Writes tests/tf_fixtures/control.json: per case either ``{"result": <encoded>}`` or ``{"error": <TF class name>,
"message": <TF's first line, without the {{function_node ...}} prefix and [Op:...] suffix>}``.  A result is
encoded by ``encode_result``: a tensor as ``{"tensor": nested list, "dtype": name, "shape": [...]}``, a list or
tuple as ``{"seq": "list"|"tuple", "items": [...]}``, a dict as ``{"dict": {key: ...}}``, anything else as
``{"py": value}`` (non-finite floats as strings).
"""
import json
import os
import pathlib
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from control_cases import CASES, Capture  # noqa: E402
from tf_fixture import encode, run_code  # noqa: E402


def encode_result(x):
    if hasattr(x, "numpy") and hasattr(x, "dtype"):
        a = np.asarray(x.numpy())
        return {"tensor": encode(a.tolist()), "dtype": a.dtype.name, "shape": list(a.shape)}
    if isinstance(x, dict):
        return {"dict": {str(k): encode_result(v) for k, v in x.items()}}
    if isinstance(x, (list, tuple)):
        return {"seq": "tuple" if isinstance(x, tuple) else "list", "items": [encode_result(e) for e in x]}
    if isinstance(x, np.generic):
        x = x.item()
    return {"py": encode(x) if isinstance(x, (int, float, str, bool, type(None))) else repr(x)}


def first_line(e):
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if msg.startswith("{{function_node"):
        msg = msg.split("}} ", 1)[1]
    if " [Op:" in msg:
        msg = msg.split(" [Op:")[0]
    return msg


def main():
    out = {}
    with tempfile.TemporaryDirectory() as d:
        for name, (code, _match) in CASES.items():
            tf.config.run_functions_eagerly(False)
            env = {"tf": tf, "np": np, "capture": Capture(tf, os.path.join(d, "print.txt"))}
            kind, val = run_code(code, env)
            if kind == "error":
                out[name] = {"error": type(val).__name__, "message": first_line(val)}
            else:
                out[name] = {"result": encode_result(val)}
    (HERE / "control.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out)} cases ({sum('error' in c for c in out.values())} errors) with TensorFlow {tf.__version__}")


if __name__ == "__main__":
    main()
