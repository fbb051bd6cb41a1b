"""README's table of what is supported and what is not yet stays true: every name in the
'supported' column resolves under ``gputape``, and every name in the 'not yet' column is still absent
(so adding one means moving it in the README)."""
import pathlib
import re

import pytest

import gputape

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _rows():
    text = README.read_text()
    start = text.index("## What is supported, and what is not yet")
    section = text[start:text.index("\n## ", start + 10)]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| area")]
    out = []
    for line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 3, line
        out.append((cells[0], re.findall(r"`([^`]+)`", cells[1]), re.findall(r"`([^`]+)`", cells[2])))
    return out


def _resolve(dotted):
    o = gputape
    for part in dotted.split("."):
        o = getattr(o, part)
    return o


def test_table_has_rows():
    rows = _rows()
    assert len(rows) >= 10
    assert sum(len(s) for _, s, _ in rows) >= 150


@pytest.mark.parametrize("area,supported,missing", _rows(), ids=[r[0] for r in _rows()])
def test_supported_names_resolve_and_missing_names_are_absent(area, supported, missing):
    unresolved = []
    for name in supported:
        try:
            _resolve(name)
        except AttributeError:
            unresolved.append(name)
    assert not unresolved, f"README lists as supported but gputape lacks: {unresolved}"
    present = []
    for name in missing:
        try:
            _resolve(name)
            present.append(name)
        except AttributeError:
            pass
    assert not present, f"README lists as 'not yet' but gputape has: {present} (move them to 'supported')"


BEYOND_TF = "debugging (beyond TF)"


def test_table_uses_tensorflows_names():
    """Every name in the table (but the beyond-TF row) is TensorFlow 2.21's, so code written against
    the table runs on TensorFlow too (recorded by tf_fixtures/gen_readme_names.py)."""
    import json
    rec = json.loads((README.parent / "tests" / "tf_fixtures" / "readme_names.json").read_text())
    assert rec["tensorflow"].startswith("2.21")
    names = [n for area, s, m in _rows() if area != BEYOND_TF for n in s + m]
    unrecorded = [n for n in names if n not in rec["has"]]
    assert not unrecorded, f"regenerate tests/tf_fixtures/readme_names.json (unrecorded: {unrecorded})"
    not_tf = [n for n in names if not rec["has"][n]]
    assert not not_tf, f"not TensorFlow 2.21 names: {not_tf}"
