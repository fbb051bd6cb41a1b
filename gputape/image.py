"""``gputape.image``: TensorFlow's image namespace (the ops gradient programs use).

resize (bilinear and nearest, half-pixel centres as TF 2.21; bilinear differentiable to any order),
flip_left_right, random_flip_left_right.  The implementations live in ``gputape/ops/array.py``.
"""
import enum

from .ops.array import resize, flip_left_right, random_flip_left_right  # noqa: F401


class ResizeMethod(str, enum.Enum):
    """TF's ``tf.image.ResizeMethod`` names (gputape implements BILINEAR and NEAREST_NEIGHBOR)."""
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"
