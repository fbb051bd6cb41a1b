"""Record TF 2.21's float->int casts at the edges (NaN, +-inf, out of range, negatives to unsigned).

Run with a Python that has tensorflow-cpu 2.21, from the repo root:
    /opt/tfenv/bin/python tests/tf_fixtures/gen_cast_edges.py
Writes tests/tf_fixtures/cast_edges.json: {"<src dtype>-><dst dtype>": [values]} for SOURCE below.
"""
import json
from pathlib import Path

import numpy as np
import tensorflow as tf

SOURCE = [float("inf"), float("-inf"), float("nan"), -1.5, 3.7, 3e9, -3e9, 300.0, -200.0, -0.5, 65504.0,
          2.0**31, -(2.0**31), 2.0**32, 2.0**63, 1e19, 2.0**64, -(2.0**63), 1e30]
DST = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def main():
    out = {"source": [repr(v) for v in SOURCE]}
    for src in ("float16", "float32", "float64"):
        with np.errstate(all="ignore"):
            x = np.array(SOURCE, dtype=src)
        for dst in DST:
            out[f"{src}->{dst}"] = [int(v) for v in tf.cast(tf.constant(x), dst).numpy().tolist()]
    path = Path(__file__).with_name("cast_edges.json")
    path.write_text(json.dumps(out, indent=0) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
