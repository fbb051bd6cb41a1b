"""Record Keras 3.15's (TF 2.21) recurrent / attention layer numbers for rnn_cases.py.

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_rnn.py
Writes rnn.json: case name -> run_layer / run_mha's dict (outputs, grads, weights, count), or
{"error", "message"}; plus "stateful_lstm" (run_stateful) and "train_lstm": {"losses": [...]} from
run_training.
"""
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from rnn_cases import LAYER_CASES, MHA_CASES, run_layer, run_mha, run_stateful, run_training  # noqa: E402


def main():
    import tensorflow as tf
    keras = tf.keras
    out = {}
    for runner, cases in ((run_layer, LAYER_CASES), (run_mha, MHA_CASES)):
        for case in cases:
            name = case[0]
            assert name not in out, name
            try:
                out[name] = runner(case, keras, tf)
            except Exception as e:  # noqa: BLE001
                out[name] = {"error": type(e).__name__, "message": str(e).split("\n")[0]}
            print(name, out[name].get("error", ""), out[name].get("count", ""))
    out["stateful_lstm"] = run_stateful(keras, tf)
    out["train_lstm"] = {"losses": run_training(keras, tf)}
    print("train_lstm", out["train_lstm"]["losses"][::5])
    path = HERE / "rnn.json"
    path.write_text(json.dumps(out, sort_keys=True) + "\n")
    print(f"{len(out)} cases -> {path}")


if __name__ == "__main__":
    main()
