"""Regenerate ``differential.json``: TensorFlow's results for the programs in
``tests/test_tf_differential.py``, so that those tests run without TensorFlow.

    /path/to/python-with-tensorflow tests/tf_fixtures/gen_differential.py

Needs tensorflow-cpu (2.21 for the committed file) in the Python that runs it; the
programs and the reporting code are read from the test module, so they cannot drift.
"""
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main():
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("GPUTAPE_TF_FIXTURE_GEN", "1")
    import test_tf_differential as td
    r = subprocess.run([sys.executable, "-c", td.RUNNER], input=json.dumps(td.PROGRAMS), capture_output=True,
                       text=True, timeout=600, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore"))
    if r.returncode:
        sys.exit(f"the TensorFlow side failed:\n{r.stderr[-3000:]}")
    results = json.loads(r.stdout.strip().splitlines()[-1])
    version = subprocess.run([sys.executable, "-c", "import tensorflow as tf; print(tf.__version__)"],
                             capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")).stdout.strip()
    out = {"tensorflow": version, "programs": results}
    (HERE / "differential.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(results)} programs' results from TensorFlow {version}")


if __name__ == "__main__":
    main()
