"""Record TensorFlow 2.21 / Keras 3.15's answers to the cases of ``module_cases.py``.

    /opt/tfenv/bin/python tests/tf_fixtures/gen_module.py      # writes tests/tf_fixtures/module.json

Values as ``{"value": <JSON>}``, errors as ``{"error": <class name>, "message": <first line>}``
(the format of ``tests/tf_fixture.py``); the random nestings as ``spec_layer:<i>`` and
``spec_module:<i>``.
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

from module_cases import CASES, SPECS, run, spec_result, to_jsonable  # noqa: E402
from tf_fixture import encode  # noqa: E402


def KV(value, name=None, trainable=True):
    return keras.Variable(value, name=name, trainable=trainable)


def main():
    out = {}
    for name, code in CASES.items():
        kind, r = run(code, tf, keras, KV)
        if kind == "error":
            out[name] = {"error": type(r).__name__, "message": str(r).splitlines()[0] if str(r) else ""}
        else:
            out[name] = {"value": encode(to_jsonable(r))}
    for i, spec in enumerate(SPECS):
        for kind in ("layer", "module"):
            keras.backend.clear_session()
            out[f"spec_{kind}:{i}"] = {"value": spec_result(spec, tf, keras, KV, kind)}
    with open(HERE / "module.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print(f"{len(out)} cases, TF {tf.__version__}, Keras {keras.__version__}")


if __name__ == "__main__":
    main()
