"""``python -m gputape``: the same command as the ``gputape`` console script."""
import sys

from .cli import main

sys.exit(main())
