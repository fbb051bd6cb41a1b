"""Record Keras 3.15's (TF 2.21) numbers for issue 8's layers and functional API (layers_cases.py).

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_layers.py
Writes layers.json: "layer:<name>" -> run_layer_case's record; "functional:<name>" and
"train:<name>" -> {"code", "py"} or {"code", "error", "message"}; "signature:<Layer>" -> Keras's
constructor parameters [[name, kind, default-or-"<required>"], ...].
"""
import inspect
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from tf_fixture import run_code  # noqa: E402
from layers_cases import (FUNCTIONAL_CASES, LAYER_CASES, PRELUDE, SIGNATURE_LAYERS, TRAIN_CASES,  # noqa: E402
                          run_layer_case)


def _sig(cls):
    out = []
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        d = "<required>" if p.default is inspect.Parameter.empty else p.default
        if not isinstance(d, (int, float, str, bool, type(None), tuple, list)):
            d = repr(d)
        out.append([p.name, p.kind.name, d])
    return out


def main():
    import numpy as np
    import tensorflow as tf
    keras = tf.keras
    out = {}
    for name in LAYER_CASES:
        keras.utils.set_random_seed(0)
        out["layer:" + name] = json.loads(json.dumps(run_layer_case(tf, keras, np, name)))
        print(name, out["layer:" + name]["shape"])
    for prefix, cases in (("functional:", FUNCTIONAL_CASES), ("train:", TRAIN_CASES)):
        for name, code in cases.items():
            keras.backend.clear_session()
            env = {"keras": keras, "tf": tf, "np": np}
            exec(PRELUDE, env)
            kind, r = run_code(code, env)
            rec = {"code": code}
            if kind == "error":
                rec["error"], rec["message"] = type(r).__name__, str(r).split("\n")[0]
            else:
                rec["py"] = json.loads(json.dumps(r))
            out[prefix + name] = rec
            print(prefix + name, "|", rec.get("error", ""), str(rec.get("message", rec.get("py")))[:120])
    for n in SIGNATURE_LAYERS:
        out["signature:" + n] = {"value": json.loads(json.dumps(_sig(getattr(keras.layers, n))))}
    path = HERE / "layers.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"{len(out)} cases -> {path}")


if __name__ == "__main__":
    main()
