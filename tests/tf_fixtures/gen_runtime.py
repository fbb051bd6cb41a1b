"""Record TensorFlow 2.21's tf.function retracing warning (text, threshold, how often) for tests/test_silent_runtime.py.

Run with a Python that has tensorflow-cpu 2.21:  /opt/tfenv/bin/python tests/tf_fixtures/gen_runtime.py
Writes tests/tf_fixtures/runtime.json.  Cases:

- ``retrace_new_float``: a tf.function called 12 times with a new Python float each call: ``value`` is the list of
  call numbers (1-based) after which TF logged the warning, ``message`` its text with the function's repr replaced
  by ``{function}``, ``tracing_count`` the final experimental_get_tracing_count();
- ``retrace_mixed``: calls alternating a repeated and a new float (tracing only every other call): when it warns;
- ``retrace_in_loop``: a new tf.function made in a loop around the same Python function, called once each;
- ``variable_after_first_call``: TF's error when a call after the first creates a Variable;
- ``retrace_pattern_<k>`` (k < 24): a fresh tf.function called 40 times, call i with a new Python float when
  ``pattern[i]`` is 1 and with the first call's float (0.5) otherwise (seeded random patterns of varying density):
  ``pattern``, ``value`` the warned call numbers and ``counts`` the "N out of the last M" pairs.
"""
import random
import re
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from tf_fixture import encode  # noqa: E402,F401
import runtime_cases  # noqa: E402
from runtime_cases import warned_calls  # noqa: E402

OUT = pathlib.Path(__file__).with_name("runtime.json")


def main():
    cases = {}

    f, tf_f, calls = runtime_cases.retrace_new_float(tf)
    at, texts = warned_calls(calls, "tensorflow")
    cases["retrace_new_float"] = {
        "value": at, "dtype": "int32", "shape": [len(at)],
        "message": texts[0].replace(repr(f), "{function}"),
        "messages": [t.replace(repr(f), "{function}") for t in texts],
        "tracing_count": int(tf_f.experimental_get_tracing_count()),
        "constants": {"FREQUENT_TRACING_WARNING_MAX_CALL_HISTORY": 10, "FREQUENT_TRACING_WARNING_THRESHOLD": 5,
                      "FREQUENT_TRACING_WARNING_MAX_WARNING_PER_DETECTOR": 2},
    }

    tf_g, calls = runtime_cases.retrace_mixed(tf)
    at, _ = warned_calls(calls, "tensorflow")
    cases["retrace_mixed"] = {"value": at, "dtype": "int32", "shape": [len(at)],
                              "tracing_count": int(tf_g.experimental_get_tracing_count())}

    at, _ = warned_calls(runtime_cases.retrace_in_loop(tf), "tensorflow")
    cases["retrace_in_loop"] = {"value": at, "dtype": "int32", "shape": [len(at)]}

    first, second = runtime_cases.variable_after_first_call(tf)
    first()
    try:
        second()
        cases["variable_after_first_call"] = {"value": None}
    except Exception as e:   # noqa: BLE001 -- recorded as the class TF raises
        cases["variable_after_first_call"] = {"error": type(e).__name__, "message": str(e).splitlines()[0]}

    x = tf.constant([1.0, 2.0])
    rnd = random.Random(7)
    for k in range(24):
        p = rnd.choice([0.2, 0.35, 0.5, 0.65, 0.8, 1.0])
        pattern = [0] + [int(rnd.random() < p) for _ in range(39)]
        scope = {}
        # a function compiled anew: TF counts retracing per code object, at most two warnings each
        exec(f"def body_{k}(x, lr):\n    return x * lr\n", scope)
        fn = tf.function(scope[f"body_{k}"])
        calls = [(lambda i=i, new=new: fn(x, 1000.0 + i) if new else fn(x, 0.5)) for i, new in enumerate(pattern)]
        at, texts = warned_calls(calls, "tensorflow")
        counts = [[int(a), int(b)] for a, b in (re.match(r"(\d+) out of the last (\d+)", t).groups() for t in texts)]
        cases[f"retrace_pattern_{k}"] = {"value": at, "dtype": "int32", "shape": [len(at)], "pattern": pattern,
                                          "counts": counts,
                                          "tracing_count": int(fn.experimental_get_tracing_count())}

    OUT.write_text(json.dumps(cases, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
