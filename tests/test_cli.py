"""The `gputape` command: help everywhere, info, a short train run, reproducibility, bench."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gputape import cli

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("info", "train", "bench")


def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "gputape", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "usage: gputape" in out and all(c in out for c in COMMANDS)
    assert cli.main([]) == 0                        # no command: the same help
    assert "usage: gputape" in capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: gputape {command}" in out


def test_python_dash_m_and_console_script():
    r = _run("--help")
    assert r.returncode == 0 and "usage: gputape" in r.stdout
    r = _run("train", "--help")
    assert r.returncode == 0 and "--optimizer {sgd,adam,rmsprop,adagrad}" in r.stdout
    exe = shutil.which("gputape")
    if exe is not None:                             # installed with pip: the console script
        r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "usage: gputape" in r.stdout


def test_info(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    for word in ("gputape", "backend", "device", "numpy", "kernel cache"):
        assert word in out
    assert cli.main(["info", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    import gputape
    assert d["gputape"] == gputape.__version__ and d["backend"] == gputape.backend_name()
    if d["backend"] == "numpy":
        assert d["kernel_cache"] == "n/a on numpy"
    else:
        assert d["memory_total_gib"] > 0 and d["cupy"] and d["cuda_runtime"]


def _train(tmp, *extra):
    assert cli.main(["train", "--epochs", "1", "--quiet", "--out", str(tmp), *extra]) == 0
    assert (tmp / "curves.png").stat().st_size > 1000
    with open(tmp / "metrics.json") as f:
        return json.load(f)


def _numbers(m):
    return {k: v for k, v in m.items() if k not in ("timing", "files")}


def test_train_one_epoch_writes_plot_and_metrics(tmp_path, capsys):
    m = _train(tmp_path)
    out = capsys.readouterr().out
    assert "test accuracy:" in out and str(tmp_path / "metrics.json") in out
    acc = m["final_test_accuracy"]
    assert isinstance(acc, float) and 0.5 < acc <= 1.0
    assert m["n_train"] + m["n_test"] == 1797 and m["n_params"] == 64 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10
    assert len(m["history"]["test_accuracy"]) == 1 and m["timing"]["train_s"] > 0


def test_same_seed_same_numbers_and_function_equals_eager(tmp_path):
    a = _train(tmp_path / "a", "--seed", "3")
    b = _train(tmp_path / "b", "--seed", "3")
    assert _numbers(a) == _numbers(b)
    c = _train(tmp_path / "c", "--seed", "4")
    assert c["history"] != a["history"]
    f = _train(tmp_path / "f", "--seed", "3", "--function")
    assert f["history"] == a["history"] and f["traces"]["train_step"] == 3   # TF: 2 for the first call (it creates Variables), 1 for the last, smaller batch
    # issue 12: both signatures replay (bit-equal history above), and the step is timed both ways
    assert len(f["replay"]["train_step"]) == 2 and all("replayed" in r for r in f["replay"]["train_step"])
    assert f["step_ms"]["eager"] > 0 and f["step_ms"]["function"] > 0 and f["step_ms"]["speedup"] > 0


def test_train_cnn_and_other_optimizers(tmp_path):
    m = _train(tmp_path / "cnn", "--model", "cnn", "--batch-size", "128", "--function")
    assert m["model"] == "cnn" and 0.3 < m["final_test_accuracy"] <= 1.0
    for opt in ("sgd", "rmsprop", "adagrad"):
        m = _train(tmp_path / opt, "--optimizer", opt, "--batch-size", "256")
        assert m["optimizer"] == opt and m["learning_rate"] == cli.DEFAULT_LR[opt]


def test_train_from_the_command_line(tmp_path):
    r = _run("train", "--epochs", "2", "--out", str(tmp_path), "--lr", "0.003")
    assert r.returncode == 0, r.stderr
    assert "test accuracy:" in r.stdout and "epoch 2/2" in r.stderr          # the tqdm bar
    assert json.loads((tmp_path / "metrics.json").read_text())["learning_rate"] == 0.003


def test_bad_arguments_exit_with_usage(capsys):
    for argv in (["train", "--epochs", "0"], ["train", "--optimizer", "lbfgs"], ["train", "--function", "--eager"],
                 ["nonsense"]):
        with pytest.raises(SystemExit) as e:
            cli.main(argv)
        assert e.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_bench_passes_arguments_through(tmp_path, monkeypatch, capfd):
    script = tmp_path / "benchmarks" / "compare.py"
    script.parent.mkdir()
    script.write_text("import sys; print('ARGS', sys.argv[1:]); sys.exit(3)\n")
    monkeypatch.setattr(cli, "_compare_script", lambda: script)
    assert cli.main(["bench", "--quick", "--peers", "numpy"]) == 3
    assert "ARGS ['--quick', '--peers', 'numpy']" in capfd.readouterr().out
    assert cli.main(["bench", "--", "--help"]) == 3
    assert "ARGS ['--help']" in capfd.readouterr().out
    monkeypatch.setattr(cli, "_compare_script", lambda: None)
    assert cli.main(["bench"]) == 2
    assert "benchmarks/compare.py was not found" in capfd.readouterr().err


# ---------------------------------------------------------------- issue 14: fail fast, one line, before training
def _one_line_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    err = r.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, err
    return err


def test_train_out_an_existing_file_fails_before_training(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("keep me")
    r = _run("train", "--epochs", "50", "--out", str(f))
    _one_line_error(r, "--out", str(f), "not a directory")
    assert f.read_text() == "keep me" and "test accuracy" not in r.stdout and "epoch" not in r.stderr
    r = _run("train", "--epochs", "50", "--out", str(f / "sub"))      # a file where a parent should be
    _one_line_error(r, "--out", "cannot create the directory")


def test_train_out_unwritable_fails_before_training(tmp_path):
    r = _run("train", "--epochs", "50", "--out", "/proc/gputape_cannot_be_here")   # refused even to root
    _one_line_error(r, "--out", "cannot create the directory")
    if hasattr(os, "geteuid") and os.geteuid() != 0:                # permissions bind only non-root users
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            _one_line_error(_run("train", "--out", str(ro)), "--out", "cannot write")
        finally:
            ro.chmod(0o700)


def test_prepare_out_is_checked_first_in_the_python_api(tmp_path, monkeypatch):
    f = tmp_path / "x"
    f.write_text("")
    monkeypatch.setattr(cli, "_digits", lambda *a: pytest.fail("data loaded before --out was checked"))
    with pytest.raises(cli.OutputDirError, match="not a directory"):
        cli.train(out=str(f))
    assert cli.prepare_out(tmp_path / "new" / "deeper").is_dir()


def test_bogus_backend_env_is_a_one_line_error():
    env_bogus = dict(os.environ, GPUTAPE_BACKEND="bogus")
    for args in (("info",), ("train", "--epochs", "1", "--quiet")):
        r = subprocess.run([sys.executable, "-m", "gputape", *args], capture_output=True, text=True, cwd=ROOT,
                           env=dict(env_bogus, PYTHONPATH=str(ROOT)), timeout=120)
        _one_line_error(r, "GPUTAPE_BACKEND=bogus", "numpy, cupy, auto")


def test_backend_flag_is_named_when_cupy_cannot_run():
    from gputape import backend
    if backend._cupy_with_device()[0] is not None:
        pytest.skip("CuPy runs here")
    err = _one_line_error(_run("info", "--backend", "cupy"), "--backend cupy")
    assert "GPUTAPE_BACKEND" not in err


@pytest.mark.parametrize("argv", [["--lr", "-1"], ["--lr", "0"], ["--lr", "nan"], ["--lr", "inf"], ["--lr", "x"],
                                  ["--batch-size", "0"], ["--batch-size", "-4"], ["--batch-size", "2.5"],
                                  ["--epochs", "-1"]])
def test_non_positive_numbers_are_rejected_by_argparse(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["train", *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and argv[0] in err and "must be a positive" in err


def test_one_epoch_is_singular(tmp_path, capsys):
    _train(tmp_path)
    out = capsys.readouterr().out
    assert "after 1 epoch;" in out and "1 epochs" not in out


def test_plot_loss_axis_is_log_and_final_values_are_written():
    from gputape import cli
    hist = {"train_loss": [1.0, 0.1, 0.01], "test_loss": [0.9, 0.2, 0.15],
            "train_accuracy": [0.5, 0.9, 1.0], "test_accuracy": [0.5, 0.8, 0.9]}
    fig = cli._figure(hist, "t")
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_yscale() == "log" and acc_ax.get_yscale() == "linear"
    assert {t.get_text() for t in loss_ax.texts} == {"0.01", "0.15"}
    assert {t.get_text() for t in acc_ax.texts} == {"100.00%", "90.00%"}
    assert all("end of epoch" in line.get_label() for line in loss_ax.lines)


def test_train_and_test_are_measured_the_same_way(tmp_path):
    """train_loss is evaluated with the end-of-epoch weights, like test_loss (the running mean is kept apart)."""
    from gputape import cli
    m = cli.train(epochs=1, out=str(tmp_path), quiet=True)
    h = m["history"]
    assert len(h["train_loss"]) == len(h["train_running_loss"]) == 1
    assert h["train_loss"][0] < h["train_running_loss"][0]      # the first epoch's running mean starts untrained


@pytest.mark.parametrize("args,needle", [
    (["--seed", "-1"], "--seed: must be an integer from 0 to 2**32 - 1"),
    (["--seed", "99999999999"], "--seed: must be an integer from 0 to 2**32 - 1"),
    (["--out", ""], "--out: an empty path"),
])
def test_bad_seed_and_empty_out_fail_fast(args, needle):
    r = _run("train", *args)
    assert r.returncode == 2
    assert needle in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("value", ["abc", "-1", "0"])
def test_bad_max_bytes_is_a_one_line_error(value, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), GPUTAPE_MAX_BYTES=value)
    r = subprocess.run([sys.executable, "-m", "gputape", "train", "--out", str(tmp_path)], capture_output=True,
                       text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 2
    assert "GPUTAPE_MAX_BYTES" in r.stderr and "Traceback" not in r.stderr


def test_train_without_demo_extras_says_what_to_install(monkeypatch, tmp_path, capsys):
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name, *a: None if name == "tqdm" else real(name, *a))
    assert cli.main(["train", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "demo extras" in err and "tqdm" in err
