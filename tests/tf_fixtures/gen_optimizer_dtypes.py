"""Regenerate ``optimizer_dtypes.json`` (TensorFlow 2.21's optimizer results in three dtypes):

    /path/to/python-with-tensorflow tests/tf_fixtures/gen_optimizer_dtypes.py
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
    import optimizer_dtype_cases as c
    out = {"tensorflow": tf.__version__,
           "results": {f"{n}/{d}": c.run(tf, n, d) for n in c.OPTIMIZERS for d in c.DTYPES}}
    (HERE / "optimizer_dtypes.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out['results'])} results from TensorFlow {tf.__version__}")


if __name__ == "__main__":
    main()
