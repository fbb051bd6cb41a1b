"""Per-thread engine state: the stack of active recorders (tapes, accumulators)."""
import threading


class _State(threading.local):
    def __init__(self):
        self.stack = []           # recorders currently recording, outermost first
        self.capture = None       # a function trace being built (gputape.function)


state = _State()
