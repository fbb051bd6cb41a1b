"""TensorFlow 2.21's ``tf.debugging`` checks, eager: ``check_numerics`` and the ``assert_*`` functions.

Each reads the values it checks to the host (one device sync per call, as TF's eager asserts) and
raises TF's class with TF's first line: ``InvalidArgumentError`` ("Condition x < y did not hold.") for
value checks, ``ValueError`` for rank and shape checks (static in TF), ``TypeError`` for ``assert_type``.
They return None when the check holds (``check_numerics`` and ``assert_all_finite`` return the tensor),
so they are debugging tools: none of them belongs in a hot loop.
"""
import numpy as np

from . import backend as _b
from . import checks
from .dtypes import as_dtype
from .errors import InvalidArgumentError
from .op import defop
from .tensor import _Base, TensorShape

__all__ = ["check_numerics", "assert_equal", "assert_not_equal", "assert_less", "assert_less_equal", "assert_greater",
           "assert_greater_equal", "assert_near", "assert_rank", "assert_rank_at_least", "assert_shapes",
           "assert_all_finite", "assert_type", "assert_non_negative", "assert_positive", "assert_negative",
           "assert_non_positive", "assert_scalar", "Assert"]

_FLOAT_KINDS = "f"


def _numerics_fwd(xp, x, message):
    return x


_check_numerics = defop("check_numerics", _numerics_fwd, linear=True, aliases=True)


@_check_numerics.def_vjp
def _check_numerics_vjp(g, out, x, message):
    """dx = check_numerics(g): TF's CheckNumerics gradient checks the gradient too."""
    return check_numerics(g, f"Not a number (NaN) or infinity (Inf) values detected in gradient. "
                             f"{message.encode()!r}")     # TF formats the op's bytes attribute: b'msg'



def check_numerics(tensor, message, name=None):
    """``tensor`` unchanged, after checking it holds no NaN or Inf (TF 2.21's ``tf.debugging.check_numerics``).

    Raises InvalidArgumentError "<message> : Tensor had NaN values" (or "Inf values", "Inf and NaN
    values"), as TF; a non-float tensor is InvalidArgumentError (TF's "Value for attr 'T' of int32 is not
    in the list of allowed values"), a non-string ``message`` TypeError.  The gradient passes through,
    checked the same way ("Not a number (NaN) or infinity (Inf) values detected in gradient. <message>").
    One device-to-host read per call.  (gputape's check of every op is ``check_numerics_scope()`` /
    ``enable_check_numerics()``.)
    """
    if not isinstance(message, str):
        raise TypeError(f"Expected string for argument 'message' not {message!r}.")
    t = checks.as_tensor(tensor, "check_numerics", "tensor")
    v = t._v
    if v.dtype.kind not in _FLOAT_KINDS:
        raise InvalidArgumentError(f"Value for attr 'T' of {v.dtype.name} is not in the list of allowed values: "
                                   f"bfloat16, half, float, double (check_numerics of a {v.dtype.name} tensor of "
                                   f"shape {list(v.shape)})")
    xp = _b.array_module(v)
    nan, inf = _b.to_host(xp.stack([xp.isnan(v).any(), xp.isinf(v).any()]))
    if nan or inf:
        what = "Inf and NaN" if nan and inf else ("NaN" if nan else "Inf")
        raise InvalidArgumentError(f"{message} : Tensor had {what} values")
    return _check_numerics(t, message=message)


def assert_all_finite(x, message, name=None):
    """``check_numerics(x, message)`` (TF 2.21's ``tf.debugging.assert_all_finite``); returns ``x``."""
    return check_numerics(x, message)


# ---------------------------------------------------------------- comparisons

def _host(x, op, arg):
    return checks.as_tensor(x, op, arg)


def _first(a, n):
    flat = a.reshape(-1)[:n]
    return np.array2string(flat, separator=" ")


def _compare(x, y, fn, sym, message, summarize, op):
    from . import ops as _ops
    x = _host(x, op, "x")
    y = checks.as_tensor(y, op, "y", dtype=x.dtype) if not isinstance(y, _Base) else y
    cond = fn(_ops)(x, y)                       # the op's own dtype and broadcast checks
    ok = _b.to_host(cond._v)
    if ok.all():
        return None
    xa, ya = np.asarray(_b.to_host(x._v)), np.asarray(_b.to_host(y._v))
    n = summarize if summarize is not None else 3
    lines = [] if not message else [message]
    lines.append(f"Condition x {sym} y did not hold.")
    if xa.shape == ya.shape:
        bad = np.argwhere(~ok)[:n]
        lines += [f"Indices of first {len(bad)} different values:", np.array2string(bad),
                  "Corresponding x values:", np.array2string(xa[tuple(bad.T)]),
                  "Corresponding y values:", np.array2string(ya[tuple(bad.T)])]
    lines += [f"First {min(n, xa.size)} elements of x:", _first(xa, n),
              f"First {min(n, ya.size)} elements of y:", _first(ya, n)]
    raise InvalidArgumentError("\n".join(lines))


def assert_equal(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x == y did not hold." unless ``x == y`` everywhere (broadcast as
    ``equal``; a dtype mismatch or unbroadcastable shapes raise as ``equal`` does)."""
    return _compare(x, y, lambda o: o.equal, "==", message, summarize, "assert_equal")


def assert_not_equal(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x != y did not hold." unless ``x != y`` everywhere."""
    return _compare(x, y, lambda o: o.not_equal, "!=", message, summarize, "assert_not_equal")


def assert_less(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x < y did not hold." unless ``x < y`` everywhere."""
    return _compare(x, y, lambda o: o.less, "<", message, summarize, "assert_less")


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x <= y did not hold." unless ``x <= y`` everywhere."""
    return _compare(x, y, lambda o: o.less_equal, "<=", message, summarize, "assert_less_equal")


def assert_greater(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x > y did not hold." unless ``x > y`` everywhere."""
    return _compare(x, y, lambda o: o.greater, ">", message, summarize, "assert_greater")


def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x >= y did not hold." unless ``x >= y`` everywhere."""
    return _compare(x, y, lambda o: o.greater_equal, ">=", message, summarize, "assert_greater_equal")


def _sign_check(x, fn, sym, message, summarize, op):
    x = _host(x, op, "x")
    a = np.asarray(_b.to_host(x._v))
    if fn(a).all():
        return None
    n = a.size if summarize is None else summarize
    vals = [str(v) for v in a.reshape(-1)[:n]]
    head = f"{message}\n" if message else "\n"
    raise InvalidArgumentError(f"{head}Condition x {sym} 0 did not hold element-wise:\nx (shape={tuple(a.shape)} "
                               f"dtype={a.dtype.name}) = \n{vals}")


def assert_non_negative(x, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x >= 0 did not hold element-wise:" unless every ``x >= 0``."""
    return _sign_check(x, lambda a: a >= 0, ">=", message, summarize, "assert_non_negative")


def assert_positive(x, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x > 0 did not hold element-wise:" unless every ``x > 0``."""
    return _sign_check(x, lambda a: a > 0, ">", message, summarize, "assert_positive")


def assert_negative(x, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x < 0 did not hold element-wise:" unless every ``x < 0``."""
    return _sign_check(x, lambda a: a < 0, "<", message, summarize, "assert_negative")


def assert_non_positive(x, message=None, summarize=None, name=None):
    """InvalidArgumentError "Condition x <= 0 did not hold element-wise:" unless every ``x <= 0``."""
    return _sign_check(x, lambda a: a <= 0, "<=", message, summarize, "assert_non_positive")


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """InvalidArgumentError unless ``|x - y| <= atol + rtol * |y|`` everywhere (TF 2.21's
    ``tf.debugging.assert_near``; ``rtol`` and ``atol`` default to 10 * eps of the dtype).  Integer
    tensors are ValueError ("data type <class 'numpy.int32'> not inexact"), as TF."""
    x = _host(x, "assert_near", "x")
    y = checks.as_tensor(y, "assert_near", "y", dtype=x.dtype) if not isinstance(y, _Base) else y
    if x._v.dtype != y._v.dtype:
        raise InvalidArgumentError(f"assert_near: x is {x._v.dtype.name} and y is {y._v.dtype.name}; they must "
                                   f"have one dtype")
    dt = x._v.dtype
    if dt.kind != "f":
        raise ValueError(f"data type {dt.type} not inexact")
    eps = 10 * np.finfo(dt).eps
    rtol = eps if rtol is None else rtol
    atol = eps if atol is None else atol
    xa, ya = np.asarray(_b.to_host(x._v)), np.asarray(_b.to_host(y._v))
    try:
        ok = np.abs(xa - ya) <= dt.type(atol) + dt.type(rtol) * np.abs(ya)
    except ValueError:
        raise InvalidArgumentError(f"assert_near: Incompatible shapes: {list(xa.shape)} vs. {list(ya.shape)}") \
            from None
    if ok.all():
        return None
    n = xa.size if summarize is None else summarize
    head = f"{message}.  " if message else ""
    raise InvalidArgumentError(
        f"Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized data: b'{head}'\n"
        f"b'x and y not equal to tolerance rtol = {dt.type(rtol)}, atol = {dt.type(atol)}'\n"
        f"b'x (shape={tuple(xa.shape)} dtype={dt.name}) = '\n{', '.join(str(v) for v in xa.reshape(-1)[:n])}\n"
        f"b'y (shape={tuple(ya.shape)} dtype={dt.name}) = '\n{', '.join(str(v) for v in ya.reshape(-1)[:n])}")


# ---------------------------------------------------------------- ranks, shapes, types

def _rank_of(x):
    return x._v.ndim if isinstance(x, _Base) else np.ndim(x)


def _shape_of(x):
    return tuple(x._v.shape) if isinstance(x, _Base) else np.shape(x)


def _rank_arg(rank):
    if isinstance(rank, _Base):
        if rank._v.ndim != 0:
            raise ValueError("Rank must be a scalar.")
        return int(rank)
    if isinstance(rank, (list, tuple, np.ndarray)):
        raise ValueError("Rank must be a scalar.")
    return checks.as_int(rank, "assert_rank", "rank")


def _prefix(message):
    return f"{message}.  " if message else ""


def assert_rank(x, rank, message=None, name=None):
    """ValueError "Tensor  must have rank 2.  Received rank 1, shape (2,)" unless ``x`` has rank ``rank``
    (TF 2.21's message, eager tensors having no name)."""
    r = _rank_arg(rank)
    if _rank_of(x) != r:
        raise ValueError(f"{_prefix(message)}Tensor  must have rank {r}.  Received rank {_rank_of(x)}, shape "
                         f"{_shape_of(x)}")


def assert_rank_at_least(x, rank, message=None, name=None):
    """ValueError "Tensor  must have rank at least 2.  Received rank 1, shape (2,)" unless rank >= ``rank``."""
    r = _rank_arg(rank)
    if _rank_of(x) < r:
        raise ValueError(f"{_prefix(message)}Tensor  must have rank at least {r}.  Received rank {_rank_of(x)}, "
                         f"shape {_shape_of(x)}")


def assert_scalar(tensor, message=None, name=None):
    """ValueError unless ``tensor`` is a scalar (TF's "Expected scalar shape ... saw shape: (2,)")."""
    if _rank_of(tensor) != 0:
        raise ValueError(f"{_prefix(message)}Expected scalar shape, saw shape: {TensorShape(_shape_of(tensor))}.")


def _describe(t):
    return f"shape={TensorShape(_shape_of(t))} dtype={t.dtype.name if isinstance(t, _Base) else 'python'}"


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Check that each ``(tensor, shape)`` of ``shapes`` (a list of pairs, or a dict's items) has that shape
    (TF 2.21's ``tf.debugging.assert_shapes``): integer entries are sizes, other entries symbols whose size
    must agree across all tensors, None or '.' any size, a first entry ``...`` (Ellipsis) or ``'*'`` any
    number of leading dimensions; a shape of None is no constraint, a string is a sequence of
    one-character symbols.  Ranks are checked first (a shape of 0 or 1 entries takes rank 0 or 1), then
    sizes.  ValueError with TF's messages ("... dimension 1 must have size 2.  Received size 3, shape
    (1, 3)").  ``data`` and ``summarize`` only add to TF's message in graph mode."""
    from .tensor import convert_to_tensor
    pairs = list(shapes.items()) if isinstance(shapes, dict) else list(shapes)
    pre = _prefix(message)
    specs = []
    for t, spec in pairs:
        if spec is None:
            continue
        t = t if isinstance(t, _Base) else convert_to_tensor(t)
        if not hasattr(spec, "__iter__") and not hasattr(spec, "__getitem__"):
            raise ValueError(f"{pre}Tensor {_describe(t)}.  Specified shape must be an iterable.  An iterable has "
                             f"the attribute `__iter__` or `__getitem__`.  Received specified shape: {spec}")
        spec = tuple(spec)
        var = False
        for k, sym in enumerate(spec):
            if sym is Ellipsis or (isinstance(sym, str) and sym == "*"):
                if k != 0:
                    raise ValueError(f"{pre}Tensor {_describe(t)} specified shape index {k}.  Symbol `...` or `*` "
                                     f"for a variable number of unspecified dimensions is only allowed as the "
                                     f"first entry")
                var = True
        specs.append((t, var, spec[1:] if var else spec))
    for t, var, dims in specs:
        rank, shape = len(_shape_of(t)), _shape_of(t)
        if var:
            if len(dims) > 1 and rank < len(dims):
                raise ValueError(f"{pre}Tensor  must have rank at least {len(dims)}.  Received rank {rank}, shape "
                                 f"{shape}")
        elif len(dims) in (0, 1):
            if rank not in (0, 1):
                raise ValueError(f"{pre}Tensor  must have rank in (0, 1).  Received rank {rank}, shape {shape}")
        elif rank != len(dims):
            raise ValueError(f"{pre}Tensor  must have rank {len(dims)}.  Received rank {rank}, shape {shape}")
    sizes = {}
    for t, var, dims in specs:
        shape = _shape_of(t)
        actual = tuple(shape) if shape else (1,)
        for i, sym in enumerate(dims):
            if sym is None or (isinstance(sym, str) and sym == "."):
                continue
            dim = i - len(dims) if var else i
            got = actual[dim]
            known = isinstance(sym, (int, np.integer)) and not isinstance(sym, bool)
            if known or sym in sizes:
                if known:
                    want, how = int(sym), "Specified explicitly"
                else:
                    want, by, by_dim = sizes[sym]
                    how = f"Specified by tensor {by} dimension {by_dim}"
                if got != want:
                    raise ValueError(f"{pre}{how}.  Tensor {_describe(t)} dimension {dim} must have size {want}.  "
                                     f"Received size {got}, shape {shape}")
            else:
                sizes[sym] = (got, _describe(t), dim)


def assert_type(tensor, tf_type, message=None, name=None):
    """TypeError "tensor must be of type tf.float32; got tf.int32" unless ``tensor`` has dtype ``tf_type``
    (a Python value is converted first, as TF)."""
    from .tensor import convert_to_tensor
    want = as_dtype(tf_type)
    t = tensor if isinstance(tensor, _Base) else convert_to_tensor(tensor)
    if t.dtype != want:
        raise TypeError(f"{_prefix(message)}tensor must be of type {want!r}; got {t.dtype!r}")


def Assert(condition, data, summarize=None, name=None):  # noqa: N802  (tf.debugging.Assert)
    """InvalidArgumentError "Expected '<condition>' to be true. Summarized data: ..." unless ``condition``
    is true (TF 2.21's eager ``tf.debugging.Assert``: Python's truth of its value; more than one element is
    ValueError).  ``data``: strings (shown as bytes, as TF), tensors (their first ``summarize`` values,
    default 3) and Python values, one per line.  Returns None."""
    from .tensor import convert_to_tensor
    c = condition if isinstance(condition, _Base) else convert_to_tensor(condition)
    if bool(c):
        return None
    n = 3 if summarize is None else summarize
    parts = []
    for d in data:
        if isinstance(d, str):
            parts.append(repr(d.encode()))
        elif isinstance(d, (_Base, np.ndarray)):
            flat = np.asarray(_b.to_host(d._v) if isinstance(d, _Base) else d).reshape(-1)
            parts.append(", ".join(str(v) for v in flat[:n]) + (", ..." if flat.size > n else ""))
        else:
            parts.append(str(d))
    shown = condition if isinstance(condition, _Base) else repr(condition)
    raise InvalidArgumentError(f"Expected '{shown!s}' to be true. Summarized data: " + "\n".join(parts))
