"""Regenerate ``readme_names.json``: which names of README's supported/not-yet table TensorFlow has.

    /path/to/python-with-tensorflow tests/tf_fixtures/gen_readme_names.py
"""
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main():
    sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]     # tests/ and the repository (gputape)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import test_readme_surface as t
    import tensorflow as tf
    has = {}
    for _, supported, missing in t._rows():
        for name in supported + missing:
            o = tf
            try:
                for part in name.split("."):
                    o = getattr(o, part)
                has[name] = True
            except AttributeError:
                has[name] = False
    out = {"tensorflow": tf.__version__, "has": has}
    (HERE / "readme_names.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(has)} names ({sum(has.values())} in TensorFlow {tf.__version__})")


if __name__ == "__main__":
    main()
