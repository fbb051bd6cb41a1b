"""Record TensorFlow 2.21 / Keras 3.15's answers to the cases of ``metrics_cases.py``:

    /opt/tfenv/bin/python tests/tf_fixtures/gen_metrics.py      # writes tests/tf_fixtures/metrics.json

Values are stored as ``{"value": <JSON>}``, errors as ``{"error": <class name>, "message": <first line>}``
(``tests/tf_fixture.py``'s format); ``signature:<name>`` cases hold Keras's signatures.
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import tensorflow as tf  # noqa: E402

from metrics_cases import CASES, SIGNATURES, code_and_rtol, resolve, run, signature_of, to_jsonable  # noqa: E402
from tf_fixture import encode  # noqa: E402


def main():
    out = {}
    for name, case in CASES.items():
        code, _ = code_and_rtol(case)
        kind, r = run(code, tf, tf.keras)
        if kind == "error":
            out[name] = {"error": type(r).__name__, "message": str(r).splitlines()[0] if str(r) else ""}
        else:
            out[name] = {"value": encode(to_jsonable(r))}
    for dotted in SIGNATURES:
        out["signature:" + dotted] = {"value": signature_of(resolve(tf.keras, dotted))}
    out["tensorflow"] = {"value": tf.__version__}
    with open(HERE / "metrics.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print(f"{len(out)} cases, TF {tf.__version__}")


if __name__ == "__main__":
    main()
