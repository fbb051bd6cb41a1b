"""Per-thread engine state: the stack of active recorders (tapes, accumulators), the debug switches
and the count of Variables this thread has created.

Reads are plain attribute reads (the dispatch reads them on every op); writes go
through ``__setattr__`` so that ``hooked`` -- "anything beyond compute must see each
op" -- always agrees with ``stack``, ``capture`` and the debug switches.

Everything here is per thread, as in TensorFlow (whose op callbacks -- ``enable_check_numerics`` --
and variable-creation scopes live in thread-local context): ``with check_numerics_scope():`` in one
thread never turns checking on or off in another, and ``gputape.function``'s "Variables created
after the first call" check counts only the calling thread's Variables.
"""
import threading

# how many threads have their ``hooked`` flag up: the dispatch skips the thread-local read at 0
hooked_anywhere = [0]
_count_lock = threading.Lock()
_SYNCED = frozenset(("stack", "capture", "check_numerics", "record_sites"))


class _State(threading.local):
    def __init__(self):
        super().__setattr__("stack", [])      # recorders currently recording, outermost first (never mutated)
        super().__setattr__("capture", None)  # a function trace being built (gputape.function)
        super().__setattr__("hooked", False)
        super().__setattr__("fast_tape", None)  # the one GradientTape, when nothing else listens
        super().__setattr__("check_numerics", False)  # gputape.debugging.check_numerics, this thread
        super().__setattr__("record_sites", False)    # record the user's line with each tape entry
        super().__setattr__("variables_created", 0)   # Variables made by this thread (gputape.function)
        super().__setattr__("name_scope", "")         # Module.name_scope prefix for new names ('net/')

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name in _SYNCED:
            self._sync()

    def _sync(self):
        stack = self.stack
        was = self.hooked
        numerics = self.check_numerics
        now = bool(stack) or self.capture is not None or numerics
        super().__setattr__("hooked", now)
        if now != was:
            with _count_lock:
                hooked_anywhere[0] += 1 if now else -1
        one = (len(stack) == 1 and getattr(stack[0], "_inline_record", False) and self.capture is None
               and not numerics and not self.record_sites)
        super().__setattr__("fast_tape", stack[0] if one else None)


state = _State()


class _Debug:
    """The calling thread's debug switches (``gputape.op.debug``; set through ``gputape.debugging``).

    ``debug.check_numerics`` and ``debug.record_sites`` read and write ``state`` of the calling thread.
    """
    __slots__ = ()

    check_numerics = property(lambda self: state.check_numerics,
                              lambda self, on: setattr(state, "check_numerics", bool(on)))
    record_sites = property(lambda self: state.record_sites,
                            lambda self, on: setattr(state, "record_sites", bool(on)))


debug = _Debug()
