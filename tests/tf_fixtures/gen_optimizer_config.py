"""Record Keras 3.15's ``get_config()`` of every optimizer gputape has (TF 2.21's Keras).

    /opt/tfenv/bin/python tests/tf_fixtures/gen_optimizer_config.py     # writes optimizer_config.json
"""
import json
from pathlib import Path

import keras

# (class name, constructor keywords): defaults and a few options each
CASES = [
    ("SGD", {}), ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "clipnorm": 1.0}),
    ("Adam", {}), ("Adam", {"learning_rate": 3e-4, "amsgrad": True, "use_ema": True, "global_clipnorm": 2.0}),
    ("AdamW", {}), ("Adamax", {}), ("Nadam", {}), ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adagrad", {"weight_decay": 0.01}), ("Adadelta", {}), ("Ftrl", {"l1_regularization_strength": 0.1}),
    ("Lion", {"clipvalue": 0.5}),
]


def main():
    out = []
    for cls, kw in CASES:
        cfg = getattr(keras.optimizers, cls)(name="opt", **kw).get_config()
        out.append({"class": cls, "kwargs": kw, "config": cfg})
    path = Path(__file__).with_name("optimizer_config.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
