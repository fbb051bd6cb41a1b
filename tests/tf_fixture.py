"""TensorFlow 2.21's recorded behaviour, for tests that must not need TensorFlow.

Each area has ``tests/tf_fixtures/gen_<area>.py`` (run with a Python that has
tensorflow-cpu 2.21: ``python tests/tf_fixtures/gen_<area>.py``) which writes
``tests/tf_fixtures/<area>.json``: a mapping from case name to either
``{"value": <nested list or number>, "dtype": "<tf dtype name>", "shape": [...]}`` or
``{"error": "<TF exception class name>", "message": "<TF's message, first line>"}``.
Non-finite floats are stored as the strings "inf", "-inf" and "nan".
"""
import json
import math
import pathlib

HERE = pathlib.Path(__file__).parent / "tf_fixtures"

# TF's exception class name -> the builtin gputape's class must subclass
TF_ERROR_BUILTIN = {
    "InvalidArgumentError": ValueError,
    "NotFoundError": ValueError,
    "ValueError": ValueError,
    "TypeError": TypeError,
    "ResourceExhaustedError": MemoryError,
    "UnimplementedError": NotImplementedError,
    "NotImplementedError": NotImplementedError,
    "AbortedError": ValueError,
    "OutOfRangeError": IndexError,
    "IndexError": IndexError,
    "KeyError": KeyError,
    "RuntimeError": RuntimeError,
    "AttributeError": AttributeError,
}


def _decode(v):
    if isinstance(v, str) and v in ("inf", "-inf", "nan"):
        return float(v)
    if isinstance(v, list):
        return [_decode(e) for e in v]
    return v


def load(area):
    """The recorded cases of one area, non-finite floats decoded."""
    with open(HERE / f"{area}.json") as f:
        cases = json.load(f)
    for c in cases.values():
        if "value" in c:
            c["value"] = _decode(c["value"])
    return cases


def clean_tf_message(msg):
    """A TF error message as the fixtures keep it: its first line, without TF's ``{{function_node ...}}``
    prefix and ``[Op:...]`` suffix (for the gen_<area>.py scripts)."""
    import re
    msg = msg.split("\n")[0]
    msg = re.sub(r"^\{\{function_node [^}]*\}\}\s*", "", msg)
    msg = re.sub(r"\s*\[Op:[^\]]*\].*$", "", msg)
    return msg.strip()


def encode(v):
    """For generator scripts: a JSON-safe nested list with non-finite floats as strings."""
    if isinstance(v, list):
        return [encode(e) for e in v]
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def to_jsonable(x):
    """Tensors/Variables -> nested lists; lists/tuples recursively; NumPy scalars -> Python."""
    import numpy as np
    if hasattr(x, "numpy"):
        x = x.numpy()
    if isinstance(x, (list, tuple)):
        return [to_jsonable(e) for e in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def run_code(code, env):
    """Run a case's code in ``env`` (a one-line expression is its result); returns
    ``("value", result)`` or ``("error", exception)``."""
    code = code.strip()
    if "\n" not in code and not code.startswith("result"):
        code = "result = " + code
    try:
        exec(code, env)
    except Exception as e:           # noqa: BLE001 - the class is the recorded answer
        return "error", e
    return "value", env["result"]


def raises_as_tf(fn, error, ours, forbidden=(), match=None):
    """For tests: ``fn()`` must raise the class gputape gives for TF's class named ``error``
    (``ours[error]`` where gputape has its own, else the builtin of ``TF_ERROR_BUILTIN``), with none
    of the ``forbidden`` fragments (NumPy's own words) in its message and ``match``, if given.
    Returns the message."""
    import pytest
    cls = ours[error] if error in ours else TF_ERROR_BUILTIN[error]
    with pytest.raises(cls) as info:
        _read_back(fn())     # on CuPy an op's deferred device check (gather's indices) raises at the first read
    msg = str(info.value)
    assert not any(t in msg for t in forbidden), msg
    if match is not None:
        assert match in msg, msg
    return msg


def _read_back(r):
    """Read a result (tensors, nested in lists/tuples) back to the host, as a user's next use would."""
    if isinstance(r, (list, tuple)):
        for e in r:
            _read_back(e)
    elif hasattr(r, "numpy"):
        r.numpy()
