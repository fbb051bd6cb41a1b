"""Exceptions.  Where TensorFlow's own class subclasses a Python builtin we raise
that builtin (ValueError, TypeError, RuntimeError, ...); TensorFlow's
``InvalidArgumentError`` is not a builtin subclass, so ours also is a ValueError."""


class InvalidArgumentError(ValueError):
    """An op got arguments it cannot work with: shapes, dtypes or values."""


class NumericsError(FloatingPointError):
    """``check_numerics`` found a NaN or Inf."""


def describe(vals):
    return ", ".join(f"{getattr(v, 'dtype', type(v).__name__)}{list(getattr(v, 'shape', ()))}" for v in vals)


class ResourceExhaustedError(MemoryError):
    """An op would need more memory than the device has (TensorFlow's ``ResourceExhaustedError``,
    raised here before allocating rather than by the allocator)."""


class UnimplementedError(NotImplementedError):
    """An option TensorFlow accepts that gputape does not implement (TF's ``UnimplementedError``)."""


class NotFoundError(InvalidArgumentError):
    """TensorFlow's ``NotFoundError`` ("Could not find device for node"): the op exists for this
    dtype but no kernel does.  TF's class subclasses no builtin; ours is a ValueError."""


class DataLossError(ValueError):
    """A file gputape wrote cannot be read back whole: truncated, corrupted (a CRC-32 mismatch) or not
    in the expected format (TensorFlow's ``DataLossError``; TF 2.21 itself raises a bare ``OpError``
    or an ``IndexError`` for a damaged checkpoint, recorded in tests/tf_fixtures/ckpt.json); also
    ``Dataset.padded_batch`` asked to pad an element to a smaller size, as TF."""


class OutOfRangeError(IndexError):
    """TensorFlow's ``OutOfRangeError``: an iterator's ``get_next()`` past the end of its dataset
    ("End of sequence").  TF's class subclasses no builtin; ours is an IndexError."""
