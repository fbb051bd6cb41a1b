"""Shape and array ops: roll, repeat, meshgrid, sequence_mask, reverse_sequence,
broadcast_dynamic_shape / broadcast_static_shape, and the image ops behind ``gputape.image``
(resize bilinear/nearest, flip_left_right, random_flip_left_right).

Built from gather / take_along_axis / reshape / broadcast_to where that keeps them differentiable to
any order; ``roll`` is one primitive whose VJP rolls back.  Arguments are checked as TF 2.21 checks
them, before any compute.
"""
import math

import numpy as np

from ..op import defop
from ..tensor import _Base, _wrap, convert_to_tensor
from ..errors import InvalidArgumentError
from .. import backend as _b
from .. import checks

_tensor = checks.as_tensor


def _shape(t):
    return tuple(t._v.shape)


# ================================================================ roll
_roll = defop("roll", lambda xp, x, shift, axis: xp.roll(x, shift, axis), linear=True)
_roll.def_vjp(lambda g, out, x, shift, axis: _roll(g, shift=tuple(-s for s in shift),
                                                   axis=tuple(a - x._v.ndim for a in axis)))


def roll(input, shift, axis, name=None):
    """``input`` rolled by ``shift`` along ``axis`` (ints or equal-length 1-D lists; an axis may repeat and
    its shifts add), as TF 2.21.  Axes in ``[-rank, rank)`` (InvalidArgumentError), integer shift and
    axis (a float is an InvalidArgumentError, TF's attr error)."""
    input = _tensor(input, "roll", "input")
    r = input._v.ndim
    for v, what in ((shift, "shift"), (axis, "axis")):
        if isinstance(v, (float, np.floating)) or (isinstance(v, (list, tuple)) and
                                                    any(isinstance(e, (float, np.floating)) for e in v)):
            raise InvalidArgumentError(f"roll: Value for attr 'T{'shift' if what == 'shift' else 'axis'}' of float "
                                       f"is not in the list of allowed values: int32, int64 ({what}={v!r})")
    sh = checks.as_shape(shift, "roll", "shift", InvalidArgumentError)
    ax = checks.as_shape(axis, "roll", "axis", InvalidArgumentError)
    if len(sh) != len(ax):
        raise InvalidArgumentError(f"roll: shift and axis must have the same size, got shift {list(sh)} and axis "
                                   f"{list(ax)}")
    out = []
    for a in ax:
        if not -r <= a < r:
            raise InvalidArgumentError(f"roll: axis {a} is out of range for a tensor of rank {r} (shape "
                                       f"{list(_shape(input))})")
        out.append(a + r if a < 0 else a)
    return _roll(input, shift=tuple(sh), axis=tuple(out))


# ================================================================ repeat
def repeat(input, repeats, axis=None, name=None):
    """Each element (``axis=None``: of the flattened input) or slice along ``axis`` repeated ``repeats``
    times (an int or one per slice), as TF 2.21's ``tf.repeat``; differentiable (a gather).  Negative
    repeats or a length mismatch are an InvalidArgumentError."""
    from .shape import reshape, gather
    input = _tensor(input, "repeat", "input")
    if axis is None:
        input = reshape(input, [-1])
        axis = 0
    r = input._v.ndim
    if r == 0:
        raise InvalidArgumentError("repeat: input must be at least 1-D when axis is given (a scalar has no axis)")
    axis = checks.normalize_axis(axis, r, "repeat")
    if isinstance(repeats, _Base):
        reps = np.asarray(_b.to_host(repeats._v))
        if reps.dtype.kind not in "iu":
            raise InvalidArgumentError(f"repeat: repeats must be integers, got {reps.dtype.name}")
        reps = reps.astype(np.int64).reshape(-1) if reps.ndim else np.int64(reps)
    else:
        reps = np.asarray(checks.as_int_list(repeats, "repeat", "repeats"), np.int64)
        if not isinstance(repeats, (list, tuple, np.ndarray)):
            reps = reps[0]
    n = input._v.shape[axis]
    if np.ndim(reps) and reps.size == 1:
        reps = reps[0]
    if np.ndim(reps) and reps.size != n:
        raise InvalidArgumentError(f"repeat: repeats has {reps.size} entries but axis {axis} of the input has "
                                   f"size {n} (input shape {list(_shape(input))})")
    if np.any(reps < 0):
        raise InvalidArgumentError(f"repeat: repeats must be non-negative, got {np.asarray(reps).tolist()}")
    idx = np.repeat(np.arange(n, dtype=np.int64), reps)
    checks.check_size(_shape(input)[:axis] + (idx.size,) + _shape(input)[axis + 1:], input._v.dtype, "repeat",
                      "output shape")
    return gather(input, convert_to_tensor(idx), axis=axis)


# ================================================================ meshgrid
def meshgrid(*args, indexing="xy", name=None):
    """N-D coordinate grids from 1-D ``args`` (TF 2.21: ``indexing`` 'xy' swaps the first two outputs'
    axes, 'ij' does not; ValueError for another value); differentiable (reshape + broadcast_to).
    All args share one dtype (InvalidArgumentError otherwise).  Other ranks are flattened, as TF."""
    from .shape import reshape, broadcast_to
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'")
    xs = [reshape(_tensor(a, "meshgrid", "args"), [-1]) for a in args]
    if not xs:
        return []
    for k, x in enumerate(xs):
        if x._v.dtype != xs[0]._v.dtype:
            raise InvalidArgumentError(f"meshgrid: cannot compute Mul as input #{k}(zero-based) was expected to be a "
                                       f"{xs[0]._v.dtype.name} tensor but is a {x._v.dtype.name} tensor")
    n = len(xs)
    sizes = [x._v.shape[0] for x in xs]
    if indexing == "xy" and n > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(xs):
        pos = i
        if indexing == "xy" and n > 1 and i < 2:
            pos = 1 - i
        s = [1] * n
        s[pos] = x._v.shape[0]
        out.append(broadcast_to(reshape(x, s), sizes))
    return out


# ================================================================ sequence_mask
def sequence_mask(lengths, maxlen=None, dtype=np.bool_, name=None):
    """``mask[..., j] = j < lengths[...]`` with ``maxlen`` columns (default ``max(lengths)``, read on the
    host), cast to ``dtype``, as TF 2.21: float lengths and a float maxlen are accepted (TF compares
    against ``range(maxlen)``, so a float maxlen gives ``ceil(maxlen)`` columns); a negative maxlen is
    an InvalidArgumentError (TF's Range: "Requires start <= limit when delta > 0")."""
    from ..dtypes import np_dtype
    lengths = _tensor(lengths, "sequence_mask", "lengths")
    if lengths._v.dtype.kind not in "iuf":
        raise InvalidArgumentError(f"sequence_mask: lengths must be numbers, got a {lengths._v.dtype.name} tensor")
    xp = _b.get_xp()
    if maxlen is None:
        m = float(_b.to_host(lengths._v.max())) if lengths._v.size else 0.0
    else:
        if isinstance(maxlen, _Base):
            if maxlen._v.ndim != 0:
                raise InvalidArgumentError(f"sequence_mask: maxlen must be scalar for sequence_mask, got shape "
                                           f"{list(_shape(maxlen))}")
            m = float(_b.to_host(maxlen._v))
        elif isinstance(maxlen, (int, float, np.integer, np.floating)) and not isinstance(maxlen, (bool, np.bool_)):
            m = float(maxlen)
        else:
            raise TypeError(f"sequence_mask: maxlen must be a number, got {maxlen!r}")
    if m < 0:
        raise InvalidArgumentError(f"sequence_mask: Requires start <= limit when delta > 0: 0/{maxlen} (maxlen)")
    n = int(math.ceil(m))
    npd = np_dtype(dtype)
    checks.check_size(_shape(lengths) + (n,), npd, "sequence_mask", "output shape")
    mask = xp.arange(n) < lengths._v[..., None]
    return _wrap(mask.astype(npd))


# ================================================================ reverse_sequence
def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):
    """The first ``seq_lengths[b]`` entries along ``seq_axis`` of each batch entry ``b`` (along
    ``batch_axis``, default 0) reversed, the rest kept, as TF 2.21; differentiable (a permutation).
    seq_lengths: int32/int64 of size input.shape[batch_axis], each in [0, input.shape[seq_axis]]
    (InvalidArgumentError otherwise); seq_axis is required (TF: ValueError when None)."""
    from .sorting import take_along_axis
    input = _tensor(input, "reverse_sequence", "input")
    lens = _tensor(seq_lengths, "reverse_sequence", "seq_lengths")
    if seq_axis is None:
        raise ValueError("reverse_sequence: seq_axis must be given (TF: 'seq_dim' is required)")
    r = input._v.ndim
    sa = checks.normalize_axis(seq_axis, r, "reverse_sequence", "seq_axis")
    ba = checks.normalize_axis(0 if batch_axis is None else batch_axis, r, "reverse_sequence", "batch_axis")
    if sa == ba:
        raise InvalidArgumentError(f"reverse_sequence: seq_dim == batch_dim == {sa}")
    if lens._v.dtype.name not in ("int32", "int64"):
        raise InvalidArgumentError(f"reverse_sequence: Value for attr 'Tlen' of {lens._v.dtype.name} is not in the "
                                   f"list of allowed values: int32, int64")
    if lens._v.ndim != 1 or lens._v.shape[0] != input._v.shape[ba]:
        raise InvalidArgumentError(f"reverse_sequence: Length of seq_lengths != input.dims({ba}), ({lens._v.shape} "
                                   f"vs. {input._v.shape[ba]})")
    h = np.asarray(_b.to_host(lens._v)).astype(np.int64)
    n = input._v.shape[sa]
    for b, L in enumerate(h):
        if L < 0 or L > n:
            raise InvalidArgumentError(f"reverse_sequence: seq_lens({b}) > input.dims({sa}) ({L} vs. {n})"
                                       if L > n else f"reverse_sequence: seq_lens({b}) = {L} < 0")
    j = np.arange(n)[None, :]
    idx = np.where(j < h[:, None], h[:, None] - 1 - j, j)       # [batch, n]
    s = [1] * r
    s[ba] = input._v.shape[ba]
    s[sa] = n
    if ba > sa:
        idx = idx.T
    idx = np.broadcast_to(idx.reshape(s), _shape(input))
    xp = _b.get_xp()
    return take_along_axis(input, _wrap(xp.asarray(np.ascontiguousarray(idx))), axis=sa)


# ================================================================ broadcast shapes
def broadcast_dynamic_shape(shape_x, shape_y):
    """The broadcast of two 1-D integer shapes as a 1-D tensor of their dtype (TF 2.21; int32 for lists);
    InvalidArgumentError "Incompatible shapes" when they do not broadcast."""
    xs = [_tensor(s, "broadcast_dynamic_shape", "shape") for s in (shape_x, shape_y)]
    for t in xs:
        if t._v.dtype.name not in ("int32", "int64"):
            raise InvalidArgumentError(f"broadcast_dynamic_shape: Value for attr 'T' of {t._v.dtype.name} is not in "
                                       f"the list of allowed values: int32, int64")
        if t._v.ndim != 1:
            raise InvalidArgumentError(f"broadcast_dynamic_shape: In[0] must be a vector, got shape "
                                       f"{list(_shape(t))}")
    if xs[0]._v.dtype != xs[1]._v.dtype:
        raise InvalidArgumentError(f"broadcast_dynamic_shape: cannot compute BroadcastArgs as input #1(zero-based) "
                                   f"was expected to be a {xs[0]._v.dtype.name} tensor but is a "
                                   f"{xs[1]._v.dtype.name} tensor")
    a, b = (tuple(int(d) for d in np.asarray(_b.to_host(t._v))) for t in xs)
    try:
        out = np.broadcast_shapes(a, b)
    except ValueError:
        raise InvalidArgumentError(f"broadcast_dynamic_shape: Incompatible shapes: [{','.join(map(str, a))}] vs. "
                                   f"[{','.join(map(str, b))}]") from None
    return convert_to_tensor(np.asarray(out, dtype=xs[0]._v.dtype).reshape(len(out)))


def broadcast_static_shape(shape_x, shape_y):
    """The broadcast of two TensorShapes (TF 2.21: ValueError "Incompatible shapes for broadcasting";
    unknown dimensions of size None broadcast as TF's TensorShape does)."""
    from ..tensor import TensorShape
    a, b = TensorShape(shape_x), TensorShape(shape_y)
    da, db = list(a.as_list()), list(b.as_list())
    n = max(len(da), len(db))
    da = [1] * (n - len(da)) + da
    db = [1] * (n - len(db)) + db
    out = []
    for x, y in zip(da, db):
        if x is None or y is None:
            known = y if x is None else x
            out.append(None if known is None or known == 1 else known)
        elif x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError(f"Incompatible shapes for broadcasting. Two shapes are compatible if for each dimension "
                             f"pair they are either equal or one of them is 1. Received: {a} and {b}.")
    return TensorShape(out)


# ================================================================ images
def _image_rank(images, op):
    images = _tensor(images, op, "images")
    r = images._v.ndim
    if r not in (3, 4):
        raise ValueError(f"{op}: 'images' must have either 3 or 4 dimensions, got shape {list(_shape(images))}")
    return images, r


def _lerp_axis(x, axis, n_in, n_out):
    """Bilinear weights along one axis, half-pixel centres (TF 2.21's resize_images_v2)."""
    from .shape import gather
    from ..tensor import constant
    scale = np.float32(n_in) / np.float32(n_out)
    src = (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    f = np.floor(src)
    lo = np.maximum(f, 0).astype(np.int64)
    hi = np.minimum(np.ceil(src), n_in - 1).astype(np.int64)
    w = (src - f).astype(np.float32)
    s = [1] * x._v.ndim
    s[axis] = n_out
    wt = constant(w.reshape(s), dtype=x.dtype)
    a = gather(x, convert_to_tensor(lo), axis=axis)
    b = gather(x, convert_to_tensor(hi), axis=axis)
    return a + (b - a) * wt


def _nearest_axis(x, axis, n_in, n_out):
    from .shape import gather
    scale = np.float32(n_in) / np.float32(n_out)
    src = np.floor((np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * scale)
    idx = np.minimum(src, n_in - 1).astype(np.int64)
    return gather(x, convert_to_tensor(idx), axis=axis)


_RESIZE = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False, name=None):
    """``images`` ([batch,] height, width, channels) resized to ``size`` = [new_height, new_width], as TF
    2.21's ``image.resize`` (half-pixel centres).  ``method`` 'bilinear' (float32 out, differentiable
    to any order) or 'nearest' (input dtype kept, differentiable); the other TF methods and
    ``antialias=True`` raise NotImplementedError naming them.  ``preserve_aspect_ratio`` scales to fit
    inside ``size``.  Sizes must be positive (InvalidArgumentError), ``size`` two ints (ValueError)."""
    from .math import cast
    from .shape import reshape
    m = getattr(method, "value", method)
    if m not in _RESIZE:
        raise ValueError(f"resize: Resize method is not implemented: [{method}]")
    if m not in ("bilinear", "nearest"):
        raise NotImplementedError(f"image.resize: method={m!r} is not implemented in gputape (bilinear and nearest "
                                  f"are)")
    if antialias:
        raise NotImplementedError("image.resize: antialias=True is not implemented in gputape")
    images, r = _image_rank(images, "resize")
    from .. import dtype_rules as _rules
    _rules.check("resize", images)
    sz = checks.as_shape(size, "resize", "size", ValueError)
    if len(sz) != 2:
        raise ValueError(f"resize: 'size' must be a 1-D Tensor of 2 elements: new_height, new_width, got {size!r}")
    x = images if r == 4 else reshape(images, (1,) + _shape(images))
    h, w = x._v.shape[1], x._v.shape[2]
    nh, nw = sz
    if preserve_aspect_ratio:
        f = min(np.float32(nh) / np.float32(h), np.float32(nw) / np.float32(w))     # TF: float32, tf.round
        nh, nw = int(np.round(f * np.float32(h))), int(np.round(f * np.float32(w)))
    if nh <= 0 or nw <= 0:
        raise InvalidArgumentError(f"resize: output dimensions must be positive, got {[nh, nw]}")
    if m == "bilinear":
        if x._v.dtype != np.float32:
            x = cast(x, np.float32)             # TF: bilinear output is float32 whatever the input
        x = resize_bilinear_nhwc(x, nh, nw)
    elif (nh, nw) != (h, w):
        x = _nearest_axis(_nearest_axis(x, 1, h, nh), 2, w, nw)
    return x if r == 4 else reshape(x, _shape(x)[1:])


def resize_bilinear_nhwc(x, nh, nw):
    """Bilinear resize of a float [batch, h, w, c] tensor in its own dtype (``resize`` casts to float32
    first, as TF; tests use this in float64 for finite differences)."""
    h, w = x._v.shape[1], x._v.shape[2]
    if (nh, nw) == (h, w):
        return x
    return _lerp_axis(_lerp_axis(x, 1, h, nh), 2, w, nw)


def flip_left_right(image):
    """``image`` ([batch,] height, width, channels) mirrored along its width, as TF 2.21 (ValueError for
    another rank)."""
    from .shape import reverse
    image = _tensor(image, "flip_left_right", "image")
    r = image._v.ndim
    if r not in (3, 4):
        raise ValueError(f"flip_left_right: 'image' must be either 3 or 4 dimensional, got shape "
                         f"{list(_shape(image))}")
    return reverse(image, [r - 2])


def random_flip_left_right(image, seed=None):
    """Each image (of a batch) mirrored along its width with probability 1/2, as TF 2.21 (the coin is
    gputape's generator, so a seed gives gputape's stream, not TF's)."""
    from .creation import random
    from .math import where
    image = _tensor(image, "random_flip_left_right", "image")
    r = image._v.ndim
    if r not in (3, 4):
        raise ValueError(f"random_flip_left_right: 'image' must be either 3 or 4 dimensional, got shape "
                         f"{list(_shape(image))}")
    n = image._v.shape[0] if r == 4 else 1
    u = random.uniform([n] + [1] * (r - 1) if r == 4 else [1, 1, 1], seed=seed)
    return where(u < 0.5, flip_left_right(image), image)


__all__ = ["roll", "repeat", "meshgrid", "sequence_mask", "reverse_sequence", "broadcast_dynamic_shape",
           "broadcast_static_shape"]
