"""TensorFlow-style dtype objects over numpy dtypes."""
import numpy as np


class DType:
    """``gputape.float32`` and friends; compares equal to the matching numpy dtype."""
    __slots__ = ("np", "name")

    def __init__(self, npdtype):
        self.np = np.dtype(npdtype)
        self.name = self.np.name

    as_numpy_dtype = property(lambda self: self.np.type)
    is_floating = property(lambda self: self.np.kind == "f")
    is_integer = property(lambda self: self.np.kind in "iu")
    is_bool = property(lambda self: self.np.kind == "b")
    size = property(lambda self: self.np.itemsize)

    @property
    def min(self):
        return np.finfo(self.np).min if self.is_floating else np.iinfo(self.np).min

    @property
    def max(self):
        return np.finfo(self.np).max if self.is_floating else np.iinfo(self.np).max

    def __repr__(self):
        return f"tf.{self.name}"

    def __str__(self):
        return f"<dtype: '{self.name}'>"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.np)


float16 = DType(np.float16)
float32 = DType(np.float32)
float64 = DType(np.float64)
int8 = DType(np.int8)
int16 = DType(np.int16)
int32 = DType(np.int32)
int64 = DType(np.int64)
uint8 = DType(np.uint8)
bool_ = DType(np.bool_)
half, double = float16, float64

_BY_NP = {d.np: d for d in (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)}
_BY_NAME = {d.name: d for d in _BY_NP.values()}
_BY_NAME.update(bool=bool_, half=float16, double=float64, float=float32)


def as_dtype(d):
    """A DType from a DType, a numpy dtype or type, or a name such as ``'float32'``.

    Raises TypeError, as TF 2.21's ``tf.as_dtype`` ("Cannot convert the argument `type_value`:
    None to a TensorFlow DType."), for None and anything that names no dtype, and for dtypes
    gputape does not have (complex, string, uint16/32/64)."""
    if isinstance(d, DType):
        return d
    if isinstance(d, _MissingDType):
        raise TypeError(f"{d!r} is not supported by gputape: gputape has no {d.name} tensors (its dtypes: "
                        f"{', '.join(sorted(_BY_NAME))})")
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        if d is None or isinstance(d, bool):
            raise TypeError
        npd = np.dtype(d)
    except (TypeError, ValueError):
        raise TypeError(f"Cannot convert the argument `type_value`: {d!r} to a TensorFlow DType.") from None
    got = _BY_NP.get(npd)
    if got is None:
        raise TypeError(f"dtype {npd} is not supported by gputape "
                        f"(supported: {', '.join(sorted(_BY_NAME))})")
    return got


def np_dtype(d):
    """The numpy dtype for anything ``as_dtype`` takes; None (no dtype requested) stays None."""
    if d is None:
        return None
    if isinstance(d, DType):
        return d.np
    return as_dtype(d).np


def from_np(npd):
    return _BY_NP.get(npd) or as_dtype(npd)


FLOATS = frozenset((np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)))


class _MissingDType:
    """A TensorFlow dtype gputape does not have (``gputape.string``): using it as a dtype anywhere
    (``constant(..., dtype=gputape.string)``, ``cast``, ``as_dtype``) is TypeError naming it."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"tf.{self.name}"


string = _MissingDType("string")
