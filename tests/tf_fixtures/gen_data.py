"""Record TensorFlow 2.21's tf.data behaviour (issue 9): every transformation on small inputs, with
tuples, dicts and nested elements, padded_batch, cardinalities and error classes.

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_data.py

The cases are in data_cases.py; data.json maps each case name to
  {"code": ..., "result": <JSON>}                         what the code computed
  {"code": ..., "error": <TF class>, "message": <TF's message, first line, op-node prefix cut>}
plus "gputape" where gputape deliberately differs (see data_cases.py).
"""
import json
import os
import pathlib
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np           # noqa: E402
import tensorflow as tf      # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from tf_fixture import run_code  # noqa: E402
from data_cases import CASES, PRELUDE  # noqa: E402

tf.autograph.set_verbosity(0)


def _message(e):
    lines = [ln for ln in str(e).splitlines() if ln.strip()]
    m = lines[0] if lines else ""
    m = re.sub(r"^\{\{function_node [^}]*\}\}\s*", "", m)
    return re.sub(r"\s*\[Op:[^\]]*\].*$", "", m)


def main():
    out = {}
    for name, code, opts in CASES:
        env = {"tf": tf, "np": np}
        exec(PRELUDE, env)
        kind, r = run_code(code, env)
        case = {"code": code}
        if kind == "error":
            case.update(error=type(r).__name__, message=_message(r))
        else:
            case["result"] = "<Dataset>" if isinstance(r, tf.data.Dataset) else json.loads(json.dumps(r))
        case.update(opts)
        out[name] = case
    (HERE / "data.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out)} cases ({sum('error' in c for c in out.values())} errors) with TensorFlow {tf.__version__}")


if __name__ == "__main__":
    main()
