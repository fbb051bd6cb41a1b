"""`gputape train --model lstm`: each digit's 8 rows as a sequence of 8 steps of 8 pixels, LSTM(64) -> Dense(10),
with the same progress bar, plot and metrics as the other models."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gputape import cli

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")
ROOT = Path(__file__).resolve().parent.parent


def _train(tmp, *extra):
    assert cli.main(["train", "--model", "lstm", "--quiet", "--out", str(tmp), *extra]) == 0
    assert (tmp / "curves.png").stat().st_size > 1000
    with open(tmp / "metrics.json") as f:
        return json.load(f)


def test_lstm_trains_on_digit_rows(tmp_path, capsys):
    m = _train(tmp_path, "--epochs", "2")
    assert "test accuracy:" in capsys.readouterr().out
    assert m["model"] == "lstm" and m["n_train"] + m["n_test"] == 1797
    assert m["n_params"] == 4 * 64 * (8 + 64 + 1) + 64 * 10 + 10          # Keras 3's LSTM(64) + Dense(10)
    assert len(m["history"]["test_accuracy"]) == 2 and 0.4 < m["final_test_accuracy"] <= 1.0
    assert m["history"]["train_loss"][1] < m["history"]["train_loss"][0]


def test_lstm_function_equals_eager(tmp_path):
    a = _train(tmp_path / "a", "--epochs", "1", "--seed", "5", "--batch-size", "256")
    f = _train(tmp_path / "f", "--epochs", "1", "--seed", "5", "--batch-size", "256", "--function")
    assert f["history"] == a["history"] and f["traces"]["train_step"] == 3   # as TF: the first call twice, the last batch


def test_lstm_from_the_command_line_shows_the_progress_bar(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "gputape", "train", "--model", "lstm", "--epochs", "1",
                        "--batch-size", "256", "--out", str(tmp_path)], capture_output=True, text=True, env=env,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "test accuracy:" in r.stdout and "epoch 1/1" in r.stderr


def test_help_names_the_lstm_model(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "{mlp,cnn,lstm}" in capsys.readouterr().out
