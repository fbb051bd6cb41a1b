"""A small Keras: Dense, Sequential, losses, initializers, activations, and the optimizers."""
from . import layers, losses, initializers, activations, backend, naming  # noqa: F401
from .. import optimizers  # noqa: F401
from .layers import Input, Layer  # noqa: F401
from .models import Model, Sequential  # noqa: F401
from . import models  # noqa: F401
from . import metrics  # noqa: F401
from . import regularizers, constraints, utils  # noqa: F401
from .layers import KerasTensor  # noqa: F401,E402  (Keras 3's keras.KerasTensor)
