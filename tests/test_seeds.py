"""The seed programs (tests/seeds/seed_*.py, TensorFlow code found in the wild) and the guide-style
programs (tests/guides/guide_*.py) run unchanged on gputape.

Each program runs in a subprocess where ``import tensorflow`` gives gputape (a shim module on
PYTHONPATH); its stdout must equal what TensorFlow 2.21 printed for the same program, saved in
tests/seeds/expected/ (regenerate with ``python tests/test_seeds.py --regenerate`` run by a Python
that has TensorFlow).

Where the output is not deterministic the comparison masks it, per seed:

- seed_000 draws its initial weights with unseeded tf.random.normal, but prints only their shapes:
  compared in full.
- seed_003 trains on unseeded random data, but prints only before that loop: compared in full
  (the loop still runs: 10,000 tape/gradient iterations, which must stay fast).
- seed_004 prints gradients of a loss built on unseeded tf.random.normal weights: the numbers inside
  those ``array(...)`` are masked (the shapes, dtypes and layout are still compared), and gputape
  must print the same numbers for the list and the dict form of the same gradient.  It also prints
  Dense variable names: Keras 3 prints ``kernel``/``bias`` (its own variable's ``.name``), while
  gputape's layers carry the underlying tf.Variable name ``dense/kernel:0`` (the project's spec, as
  Keras 2 did); the names are mapped back before comparing.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "seeds"
ROOT = Path(__file__).parent.parent
# the seed programs, then programs written the way the TF guides write them (tests/guides/: a subclassed
# model with BatchNormalization, tf.data, metrics, tf.function and checkpoints; functional LSTM/GRU
# models), each with TF 2.21's output in its directory's expected/
SEEDS = sorted(HERE.glob("seed_*.py")) + sorted((HERE.parent / "guides").glob("guide_*.py"))

_ARRAY = re.compile(r"array\(\[.*?\], dtype=float32\)", re.S)
_DENSE_NAME = re.compile(r"^dense(?:_\d+)?/(kernel|bias):0,", re.M)


def _mask_random_arrays(text):
    return _ARRAY.sub("array(<random>, dtype=float32)", text)


NORMALISE = {
    "seed_004": lambda text: _mask_random_arrays(_DENSE_NAME.sub(r"\1,", text)),
}


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    d = tmp_path_factory.mktemp("tf_shim")
    (d / "tensorflow.py").write_text("import sys\nimport gputape\nsys.modules['tensorflow'] = gputape\n")
    return d


def _run(seed, shim):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(shim), str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("GPUTAPE_BACKEND", "numpy")
    env["PYTHONWARNINGS"] = "ignore"
    return subprocess.run([sys.executable, str(seed)], capture_output=True, text=True, env=env, cwd=str(seed.parent),
                          timeout=120)


@pytest.mark.parametrize("seed", SEEDS, ids=[s.stem for s in SEEDS])
def test_seed_prints_what_tensorflow_printed(seed, shim):
    r = _run(seed, shim)
    assert r.returncode == 0, f"{seed.name} failed under gputape:\n{r.stderr[-3000:]}"
    want = (seed.parent / "expected" / f"{seed.stem}.txt").read_text()
    norm = NORMALISE.get(seed.stem, lambda t: t)
    got, want = norm(r.stdout), norm(want)
    if got != want and os.environ.get("GPUTAPE_BACKEND") == "cupy":
        _same_within_float32(got, want)     # README "What is promised on CuPy": cuBLAS sums in its own order
    else:
        assert got == want


_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def _same_within_float32(got, want):
    """On CuPy: the same text with every decimal number within float32 tolerance (rtol 1e-5, atol 1e-6;
    the guides print 6 decimals, so a cuBLAS sum order shows as one last digit)."""
    assert _NUMBER.sub("#", got) == _NUMBER.sub("#", want)
    g, w = [float(x) for x in _NUMBER.findall(got)], [float(x) for x in _NUMBER.findall(want)]
    bad = [(a, b) for a, b in zip(g, w) if abs(a - b) > 1e-6 + 1e-5 * abs(b)]
    assert not bad, f"numbers beyond float32 tolerance (got, TF): {bad[:5]}"


def test_seed_004_list_and_dict_gradients_agree(shim):
    out = _run(HERE / "seed_004.py", shim).stdout
    arrays = _ARRAY.findall(out)
    assert len(arrays) == 3            # w's gradient (list form), b's gradient, w's gradient (dict form)
    assert arrays[0] == arrays[2]


def _regenerate():
    for seed in SEEDS:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        r = subprocess.run([sys.executable, str(seed)], capture_output=True, text=True, env=env, cwd=str(seed.parent))
        if r.returncode:
            raise SystemExit(f"{seed.name} failed:\n{r.stderr}")
        (seed.parent / "expected" / f"{seed.stem}.txt").write_text(r.stdout)
        print("wrote", seed.stem)


if __name__ == "__main__" and "--regenerate" in sys.argv:
    _regenerate()
