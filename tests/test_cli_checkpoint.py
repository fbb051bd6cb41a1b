"""`gputape train --checkpoint-dir DIR [--resume]`: a checkpoint per epoch, and a resumed run that gives
the numbers of an uninterrupted one."""
import json
import os

import pytest

from gputape import backend_name, cli

pytest.importorskip("sklearn")
pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _no_plot(monkeypatch):
    monkeypatch.setattr(cli, "_plot", lambda hist, path, title: path.write_bytes(b""))   # the plot is tested elsewhere


def _train(tmp_path, out, *extra):
    # in this process, on the run's backend: asking for another one once tensors exist is the CLI's
    # one-line error and exit 2 (a `--backend cupy` suite run failed every test here with a fixed numpy)
    return cli.main(["train", "--quiet", "--backend", backend_name(), "--batch-size", "128",
                     "--out", str(tmp_path / out), *extra])


def _history(tmp_path, out):
    return json.loads((tmp_path / out / "metrics.json").read_text())


def test_help_lists_the_checkpoint_flags(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--checkpoint-dir DIR" in out and "--resume" in out


def test_resume_gives_the_numbers_of_an_uninterrupted_run(tmp_path, capsys):
    ck = tmp_path / "ck"
    assert _train(tmp_path, "whole", "--epochs", "2") == 0
    assert _train(tmp_path, "first", "--epochs", "1", "--checkpoint-dir", str(ck)) == 0
    assert sorted(os.listdir(ck)) == ["checkpoint", "ckpt-1.npz", "run.json"]
    assert _train(tmp_path, "rest", "--epochs", "2", "--checkpoint-dir", str(ck), "--resume") == 0
    whole, rest = _history(tmp_path, "whole"), _history(tmp_path, "rest")
    assert rest["resumed_from_epoch"] == 1 and rest["checkpoint_dir"] == str(ck)
    assert rest["history"] == whole["history"]                   # every number, bit for bit
    assert "test accuracy" in capsys.readouterr().out
    assert sorted(os.listdir(ck)) == ["checkpoint", "ckpt-1.npz", "ckpt-2.npz", "run.json"]


def test_resume_with_no_checkpoint_starts_afresh(tmp_path, capsys):
    assert _train(tmp_path, "o", "--epochs", "1", "--checkpoint-dir", str(tmp_path / "new"), "--resume") == 0
    assert "no checkpoint in" in capsys.readouterr().err
    assert _history(tmp_path, "o")["resumed_from_epoch"] == 0


@pytest.mark.parametrize("args,needle", [
    (["--resume"], "--resume needs --checkpoint-dir DIR"),
    (["--checkpoint-dir", "{ck}"], "already holds checkpoints"),
    (["--checkpoint-dir", "{ck}", "--resume", "--lr", "0.5"], "another run configuration"),
    (["--checkpoint-dir", "{ck}", "--resume", "--model", "cnn"], "'model': ('mlp', 'cnn')"),
    (["--checkpoint-dir", "{file}"], "exists and is not a directory"),
])
def test_misuse_is_a_one_line_error_that_keeps_the_checkpoints(tmp_path, capsys, args, needle):
    ck = tmp_path / "ck"
    assert _train(tmp_path, "o", "--epochs", "1", "--checkpoint-dir", str(ck)) == 0
    (tmp_path / "file").write_text("")
    before = sorted(os.listdir(ck))
    capsys.readouterr()
    args = [a.format(ck=ck, file=tmp_path / "file") for a in args]
    assert _train(tmp_path, "o", "--epochs", "2", *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("gputape train: ") and needle in err and err.count("\n") == 1
    assert sorted(os.listdir(ck)) == before


def test_a_damaged_checkpoint_is_named(tmp_path, capsys):
    ck = tmp_path / "ck"
    assert _train(tmp_path, "o", "--epochs", "1", "--checkpoint-dir", str(ck)) == 0
    (ck / "ckpt-1.npz").write_bytes((ck / "ckpt-1.npz").read_bytes()[:100])
    capsys.readouterr()
    assert _train(tmp_path, "o", "--epochs", "2", "--checkpoint-dir", str(ck), "--resume") == 2
    err = capsys.readouterr().err
    assert "ckpt-1.npz is truncated or corrupted" in err
