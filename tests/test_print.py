"""``gputape.print`` (tf.print): where it writes and what it refuses.  Its layout is checked against
TensorFlow 2.21's recorded output in tests/test_control_flow.py (the ``print_*`` cases of
tf_fixtures/control_cases.py: floats, float16/64, ints, bools, empty tensors, summarize, nested
structures, wrapping, sep/end)."""
import logging
import sys

import numpy as np
import pytest

import gputape as tf
from gputape.printing import summarize_value


def test_default_stream_is_the_current_stderr(capsys):
    assert tf.print("loss:", tf.constant([0.5, 0.25])) is None
    out = capsys.readouterr()
    assert out.err == "loss: [0.5 0.25]\n" and out.out == ""


def test_stdout_sep_end(capsys):
    tf.print(tf.constant(1), tf.constant([2, 3]), output_stream=sys.stdout, sep="|", end=";")
    assert capsys.readouterr().out == "1|[2 3];"


def test_logging_levels(caplog):
    with caplog.at_level(logging.INFO):
        tf.print("step", tf.constant(3), output_stream=logging.info)
    assert [r.getMessage() for r in caplog.records] == ["step 3"]


def test_file_stream_appends(tmp_path):
    p = tmp_path / "log.txt"
    tf.print(tf.constant(1.5), output_stream=f"file://{p}")
    tf.print(tf.constant(2.5), output_stream=f"file://{p}")
    assert p.read_text() == "1.5\n2.5\n"


def test_refusals():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments for tf.print"):
        tf.print(tf.constant(1), summarise=2)
    with pytest.raises(ValueError, match="Unsupported output stream"):
        tf.print(tf.constant(1), output_stream="stdout")
    with pytest.raises(TypeError, match="summarize"):
        tf.print(tf.constant(1), summarize=2.5)


def test_summarize_value_matches_the_recorded_layout_rules():
    a = np.arange(24).reshape(2, 3, 4)
    assert summarize_value(a, 3) == ("[[[0 1 2 3]\n  [4 5 6 7]\n  [8 9 10 11]]\n\n"
                                     " [[12 13 14 15]\n  [16 17 18 19]\n  [20 21 22 23]]]")
    assert summarize_value(np.float32(0.1)) == "0.1"
    assert summarize_value(np.array([1e-45], np.float32)) == "[0]"        # TF reads subnormals as zero
    assert summarize_value(np.array([True, False])) == "[1 0]"
    assert summarize_value(np.zeros((2, 0))) == "[\n ...]"


def test_variables_and_nested_structures(capsys):
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    tf.print({"v": v, "n": [1, tf.constant(2.0)]})
    assert capsys.readouterr().err == "{'n': [1, 2], 'v': [[1 2]\n [3 4]]}\n"
