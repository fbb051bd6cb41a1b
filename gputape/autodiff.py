"""``gputape.autodiff``: the tape classes under TensorFlow's second name for them."""
from .tape import GradientTape, ForwardAccumulator, UnconnectedGradients  # noqa: F401
