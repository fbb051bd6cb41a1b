"""``gputape.train``: ``Checkpoint``, ``CheckpointManager``, ``latest_checkpoint``, ``list_variables``,
``load_variable`` (TF 2.21's ``tf.train``); see ``gputape.train.checkpoint`` for the format."""
from .checkpoint import (Checkpoint, CheckpointLoadStatus, InitializationOnlyStatus, list_variables,  # noqa: F401
                         load_variable)
from .manager import CheckpointManager, latest_checkpoint  # noqa: F401
