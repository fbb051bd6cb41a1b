"""``gputape.print``: TensorFlow 2.21's ``tf.print``, laid out exactly as TF lays it out.

    gputape.print("loss:", loss, {"w": w}, summarize=2)

How TF does it, and so gputape: every input that is not a string is turned into a template with
``pprint.pformat`` after each tensor inside it is replaced by a placeholder (so dicts are sorted by key,
Python values keep their ``repr`` inside structures, and long structures wrap at 80 columns as pprint
wraps them); a top-level string is its own template.  The templates are joined with ``sep``, and each
placeholder is replaced by the tensor's summary, which is TF's ``SummarizeValue``: the first and last
``summarize`` entries of each dimension with ``...`` between, nested brackets with numpy-like line breaks,
float32/float16 values as the shortest of ``%.6g``/``%.9g`` that reads back, float64 as ``%.15g``/``%.17g``,
bools as 1/0.
"""
import logging
import os
import pprint
import random as _random
import sys

import numpy as np

from . import backend as _b
from .nest import flatten as _flatten, pack_sequence_as as _pack
from .tensor import _Base

__all__ = ["print"]

def _float_str(x, digits, more, cast):
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x != 0 and abs(x) < np.finfo(cast).tiny:     # TF's CPU threads treat subnormals as zero (DAZ)
        return "-0" if x < 0 else "0"
    s = "%.*g" % (digits, float(x))
    if cast(s) != cast(float(x)):
        s = "%.*g" % (more, float(x))
    return s


def _element_formatter(dtype):
    kind = dtype.kind
    if kind == "b":
        return lambda v: "1" if v else "0"
    if kind in "iu":
        return lambda v: str(int(v))
    if dtype == np.float64:
        return lambda v: _float_str(v, 15, 17, np.float64)
    return lambda v: _float_str(np.float32(v), 6, 9, np.float32)     # float32, and float16 read as a float


def summarize_value(array, summarize=3):
    """TF's ``Tensor::SummarizeValue(summarize, print_v2=True)`` of a host array: the text tf.print
    puts in place of a tensor.  ``summarize`` < 0 (or None for 3) prints every entry."""
    a = np.asarray(array)
    fmt = _element_formatter(a.dtype)
    n = a.size
    limit = n if summarize < 0 else min(summarize, n)
    flat = a.reshape(-1)
    if a.ndim == 0:
        s = " ".join(fmt(flat[i]) for i in range(limit))
        return s + ("..." if n > limit else "")
    shape = a.shape
    nd = a.ndim
    out = []

    def spacing(dim):
        if dim == nd - 1:
            out.append(" ")
        else:
            out.append("\n" * (nd - dim - 1) + " " * (dim + 1))

    def one_dim(dim, start):
        if dim == nd:
            out.append(fmt(flat[start]))
            return
        out.append("[")
        count = shape[dim]
        end_start = max(limit, count - limit)
        per = int(np.prod(shape[dim + 1:], dtype=np.int64))
        i = 0
        while i < limit and i < count:
            if i > 0:
                spacing(dim)
            one_dim(dim + 1, start + per * i)
            i += 1
        if count > 2 * limit:
            spacing(dim)
            out.append("...")
        for i in range(end_start, count):
            spacing(dim)
            one_dim(dim + 1, start + per * i)
        out.append("]")

    one_dim(0, 0)
    return "".join(out)


def _placeholder(text):
    """TF's ``_generate_placeholder_string``: "{}" plus digits of random.Random(5) until not in ``text``."""
    p = "{}"
    rng = _random.Random(5)
    while p in text:
        p += str(rng.randint(0, 9))
    return p


def format_inputs(inputs, summarize=3, sep=" "):
    """The text tf.print writes for ``inputs`` (without ``end``)."""
    if summarize is None:
        summarize = 3
    free = [_pack(x, ["" if isinstance(v, _Base) else v for v in _flatten(x)]) for x in inputs]
    placeholder = _placeholder(" ".join(pprint.pformat(x) for x in free))
    templates, tensors = [], []
    for x in inputs:
        marks = []
        for v in _flatten(x):
            if isinstance(v, _Base):
                tensors.append(v)
                marks.append(placeholder)
            else:
                marks.append(v)
        templates.append(x if isinstance(x, str) else pprint.pformat(_pack(x, marks)))
    template = sep.join(templates).replace("'" + placeholder + "'", placeholder)
    parts = template.split(placeholder)
    if len(parts) != len(tensors) + 1:
        raise ValueError(f"print: {len(parts) - 1} placeholders in the template for {len(tensors)} tensors")
    out = [parts[0]]
    for t, rest in zip(tensors, parts[1:]):
        out.append(summarize_value(_b.to_host(t._v), summarize))
        out.append(rest)
    return "".join(out)


_LOG_LEVELS = {logging.info: logging.INFO, logging.warning: logging.WARNING, logging.error: logging.ERROR}


def print(*inputs, **kwargs):  # noqa: A001  (tf.print)
    """Print ``inputs`` as TF 2.21's ``tf.print`` does (see the module docstring for the layout).

    Keywords (TF's, all optional): ``output_stream`` -- ``sys.stderr`` (default, the one current at the
    call), ``sys.stdout``, ``"file://<path>"`` (appended to), or ``logging.info``/``logging.warning``/
    ``logging.error`` (TF's absl logging levels; here Python's root logger); ``summarize`` (3; -1 for
    every entry; None for 3), ``sep`` (" "), ``end`` (os.linesep), ``name`` (ignored).  Another output
    stream, or another keyword, is ValueError with TF's message.  Returns None (TF's eager result).
    Reads each tensor to the host (a device sync per tensor, as TF's print).
    """
    output_stream = kwargs.pop("output_stream", sys.stderr)
    kwargs.pop("name", None)
    summarize = kwargs.pop("summarize", 3)
    sep = kwargs.pop("sep", " ")
    end = kwargs.pop("end", os.linesep)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments for tf.print: {kwargs}")
    if summarize is not None and (isinstance(summarize, bool) or not isinstance(summarize, (int, np.integer))):
        raise TypeError(f"print: summarize must be an integer (or None), got {summarize!r}")
    if not isinstance(sep, str) or not isinstance(end, str):
        raise TypeError(f"print: sep and end must be strings, got {sep!r} and {end!r}")
    write = _writer(output_stream)
    write(format_inputs(inputs, summarize, sep) + end)
    return None


def _writer(stream):
    if isinstance(stream, str) and stream.startswith("file://"):
        path = stream[len("file://"):]

        def to_file(text):
            with open(path, "a") as f:
                f.write(text)
        return to_file
    if stream is sys.stdout or stream is sys.stderr or stream is sys.__stdout__ or stream is sys.__stderr__:
        def to_stream(text):
            stream.write(text)
            stream.flush()
        return to_stream
    for fn, level in _LOG_LEVELS.items():
        if stream is fn:
            return lambda text: logging.log(level, text.rstrip("\n"))
    raise ValueError(f"Unsupported output stream, logging level, or file.{stream}. Supported streams are "
                     f"sys.stdout, sys.stderr, tf.logging.info, tf.logging.warning, tf.logging.error. File needs "
                     f"to be in the form of 'file://<filepath>'.")
