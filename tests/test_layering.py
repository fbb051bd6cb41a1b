"""Architecture rules that code review would otherwise have to remember."""
import pathlib
import re

PKG = pathlib.Path(__file__).resolve().parents[1] / "gputape"


def test_only_backend_and_kernels_import_cupy():
    pattern = re.compile(r"^\s*(import|from)\s+cupy", re.M)
    offenders = [str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
                 if p.name not in ("backend.py", "kernels.py") and pattern.search(p.read_text())]
    assert offenders == []


def test_library_never_imports_peer_frameworks():
    pattern = re.compile(r"^\s*(import|from)\s+(tensorflow|torch|jax)\b", re.M)
    offenders = [str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
