"""Optimizers' ``get_config`` / ``from_config`` equal Keras 3.15's (recorded by
tests/tf_fixtures/gen_optimizer_config.py from TF 2.21's Keras into optimizer_config.json)."""
import json
from pathlib import Path

import pytest

import gputape as tf

CASES = json.loads((Path(__file__).parent / "tf_fixtures" / "optimizer_config.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[f"{c['class']}-{i}" for i, c in enumerate(CASES)])
def test_get_config_is_keras(case):
    opt = getattr(tf.keras.optimizers, case["class"])(name="opt", **case["kwargs"])
    assert opt.get_config() == case["config"]
    again = type(opt).from_config(opt.get_config())
    assert again.get_config() == case["config"]


def test_what_has_no_config_yet_says_so():
    sched = tf.keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    with pytest.raises(NotImplementedError, match="schedule"):
        tf.keras.optimizers.Adam(sched).get_config()
    with pytest.raises(NotImplementedError, match="custom_objects"):
        tf.keras.optimizers.Adam.from_config(tf.keras.optimizers.Adam().get_config(), custom_objects={"a": 1})
    assert tf.keras.optimizers.Adam(flat=True).get_config()["flat"] is True     # gputape's own argument
