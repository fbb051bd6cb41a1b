"""Model base: a layer container."""
from .layers import Layer as Model  # noqa: F401
