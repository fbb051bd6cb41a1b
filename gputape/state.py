"""Per-thread engine state: the stack of active recorders (tapes, accumulators).

Reads are plain attribute reads (the dispatch reads them on every op); writes go
through ``__setattr__`` so that ``hooked`` -- "anything beyond compute must see each
op" -- always agrees with ``stack``, ``capture`` and the debug switches.
"""
import threading

# how many threads have their ``hooked`` flag up: the dispatch skips the thread-local read at 0
hooked_anywhere = [0]
_count_lock = threading.Lock()
_debug = [None]      # gputape.op.debug, once imported


class _State(threading.local):
    def __init__(self):
        super().__setattr__("stack", [])      # recorders currently recording, outermost first (never mutated)
        super().__setattr__("capture", None)  # a function trace being built (gputape.function)
        super().__setattr__("hooked", False)
        super().__setattr__("fast_tape", None)  # the one GradientTape, when nothing else listens

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name in ("stack", "capture"):
            self._sync()

    def _sync(self):
        debug = _debug[0]
        if debug is None:
            from .op import debug
            _debug[0] = debug
        stack = self.stack
        was = self.hooked
        now = bool(stack) or self.capture is not None or debug.check_numerics
        super().__setattr__("hooked", now)
        if now != was:
            with _count_lock:
                hooked_anywhere[0] += 1 if now else -1
        one = (len(stack) == 1 and getattr(stack[0], "_inline_record", False) and self.capture is None
               and not debug.check_numerics and not debug.record_sites)
        super().__setattr__("fast_tape", stack[0] if one else None)


state = _State()
