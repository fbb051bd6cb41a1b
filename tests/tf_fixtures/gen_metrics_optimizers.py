"""Regenerate ``metrics_optimizers.json`` (TensorFlow 2.21's results for ``metrics_optimizer_cases.py``):

    /opt/tfenv/bin/python tests/tf_fixtures/gen_metrics_optimizers.py
"""
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(HERE))
    import tensorflow as tf
    import metrics_optimizer_cases as c
    out = {"tensorflow": tf.__version__,
           "results": {f"{n}/{d}": c.run(tf, n, d) for n in c.OPTIMIZERS for d in c.DTYPES}}
    (HERE / "metrics_optimizers.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out['results'])} results from TensorFlow {tf.__version__}")


if __name__ == "__main__":
    main()
