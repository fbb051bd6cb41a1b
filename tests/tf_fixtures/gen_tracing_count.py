"""Record TF 2.21's tracing counts for tracing_count_cases.py (run with a Python that has
tensorflow-cpu 2.21, from the repository root): writes tests/tf_fixtures/tracing_count.json."""
import json
import pathlib
import sys

import tensorflow as tf

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))
import tracing_count_cases  # noqa: E402

out = tracing_count_cases.run(tf)
out["_tensorflow"] = tf.__version__
(HERE / "tracing_count.json").write_text(json.dumps(out, indent=1) + "\n")
print(out)
