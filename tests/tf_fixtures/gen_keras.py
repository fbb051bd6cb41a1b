"""Record TensorFlow 2.21 / Keras 3.15's answers to the cases of ``keras_cases.py``.

    /opt/tfenv/bin/python tests/tf_fixtures/gen_keras.py      # writes tests/tf_fixtures/keras.json

Values are stored as ``{"value": <JSON>}`` (nested lists, numbers, strings, booleans), errors as
``{"error": <class name>, "message": <first line>}`` (the format of ``tests/tf_fixture.py``).
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_cases import CASES, SIGNATURES, resolve, run, signature_of, to_jsonable  # noqa: E402
from tf_fixture import encode  # noqa: E402


def main():
    out = {}
    for name, (code, _) in CASES.items():
        kind, r = run(code, tf, keras)
        if kind == "error":
            out[name] = {"error": type(r).__name__, "message": str(r).splitlines()[0] if str(r) else ""}
        else:
            out[name] = {"value": encode(to_jsonable(r))}
    for dotted in SIGNATURES:
        out["signature:" + dotted] = {"value": signature_of(resolve(keras, dotted))}
    with open(HERE / "keras.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print(f"{len(out)} cases, TF {tf.__version__}, Keras {keras.__version__}")


if __name__ == "__main__":
    main()
