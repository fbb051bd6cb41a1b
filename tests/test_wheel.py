"""The wheel carries kernels/*.cu (as gputape/kernels_src) and the loader finds them installed.

Builds from a copy of the checkout (so no build/ or egg-info lands in the work tree), without
build isolation where setuptools can make wheels offline (it has bdist_wheel: setuptools >= 70.1
or the ``wheel`` package), else with it (pip then fetches the build requirements).
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import gputape

ROOT = Path(gputape.__file__).resolve().parent.parent


def _offline_build_possible():
    if importlib.util.find_spec("wheel") is not None:
        return True
    try:
        import setuptools
        major, minor = (int(p) for p in setuptools.__version__.split(".")[:2])
        return (major, minor) >= (70, 1)
    except Exception:
        return False


@pytest.mark.slow
def test_wheel_ships_kernel_sources_and_loader_finds_them(tmp_path):
    if not (ROOT / "pyproject.toml").is_file() or not (ROOT / "kernels").is_dir():
        pytest.skip("not a source checkout")
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "gputape", src / "gputape", ignore=ignore)
    shutil.copytree(ROOT / "kernels", src / "kernels", ignore=ignore)
    out = tmp_path / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(out), "-q"]
    if _offline_build_possible():
        cmd.append("--no-build-isolation")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}"
    wheels = list(out.glob("gputape-*.whl"))
    assert len(wheels) == 1, wheels

    shipped = sorted(p.name for p in (ROOT / "kernels").iterdir() if p.suffix in (".cu", ".cuh"))
    assert "math.cu" in shipped and "common.cuh" in shipped
    with zipfile.ZipFile(wheels[0]) as z:
        names = set(z.namelist())
        missing = [n for n in shipped if f"gputape/kernels_src/{n}" not in names]
        assert not missing, f"kernel sources missing from the wheel: {missing}"
        site = tmp_path / "site"
        z.extractall(site)

    # the installed layout, imported from elsewhere so that the checkout is out of reach
    probe = (
        "import sys, pathlib\n"
        "import gputape.kernels as k\n"
        "site = pathlib.Path(sys.argv[1]).resolve()\n"
        "assert pathlib.Path(k.__file__).resolve().is_relative_to(site), k.__file__\n"
        "for f in sys.argv[2:]:\n"
        "    p = k.source_path(f).resolve()\n"
        "    assert p.parent == site / 'gputape' / 'kernels_src', p\n"
        "    src = k.source(f)\n"
        "    assert 'namespace gt' in src and k.kernel_names(f), f\n"
        "print('ok')\n"
    )
    env = {key: v for key, v in os.environ.items() if key not in ("PYTHONPATH", "GPUTAPE_KERNEL_DIR")}
    env.update(PYTHONPATH=str(site), GPUTAPE_BACKEND="numpy")
    cu = [n for n in shipped if n.endswith(".cu")]
    r = subprocess.run([sys.executable, "-c", probe, str(site), *cu], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr
