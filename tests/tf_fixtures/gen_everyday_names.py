"""Regenerate ``everyday_names.json``: which of tests/test_everyday_names.py's 207 names TensorFlow 2.21 has.

    /path/to/python-with-tensorflow tests/tf_fixtures/gen_everyday_names.py
"""
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main():
    sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]     # tests/ and the repository (gputape)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import test_everyday_names as t
    import tensorflow as tf
    has = {n: t.resolves(n, tf) for n in t.NAMES}
    out = {"tensorflow": tf.__version__, "has": has}
    (HERE / "everyday_names.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(has)} names ({sum(has.values())} in TensorFlow {tf.__version__})")


if __name__ == "__main__":
    main()
