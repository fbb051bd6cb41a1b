"""Record Keras 3.15's (TF 2.21) behaviour for issue 8's Sequential / summary / config cases (models_cases.py).

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_models.py
Writes models.json: case name -> {"code", then "py" (the result, JSON-normalised: tuples as lists) or
"error"/"message" (TF's class name, first line of its message)}, plus the case's options.
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from tf_fixture import run_code  # noqa: E402
from models_cases import CASES, PRELUDE  # noqa: E402


def main():
    import tensorflow as tf

    out = {}
    for name, code, opts in CASES:
        assert name not in out, name
        rec = {"code": code}
        env = {"keras": tf.keras}
        exec(PRELUDE, env)
        kind, r = run_code(code, env)
        if kind == "error":
            rec["error"] = type(r).__name__
            rec["message"] = str(r).split("\n")[0]
        else:
            try:
                rec["py"] = json.loads(json.dumps(r))
            except TypeError:
                rec["type"] = type(r).__name__
        rec.update(opts)
        out[name] = rec
        print(name, "|", rec.get("error", ""), str(rec.get("message", rec.get("py")))[:150])
    path = HERE / "models.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"{len(out)} cases -> {path}")


if __name__ == "__main__":
    main()
