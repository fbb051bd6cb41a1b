"""``gputape.train.CheckpointManager`` and ``latest_checkpoint``, as TF 2.21's.

The directory's ``checkpoint`` file is TF's text format (``model_checkpoint_path: "ckpt-3"``,
``all_model_checkpoint_paths``, ``all_model_checkpoint_timestamps``, ``last_preserved_timestamp``),
paths relative to the directory.  Order of work in ``save``, so that a process killed at any
moment leaves a loadable latest checkpoint: (1) the new checkpoint file is written atomically;
(2) the ``checkpoint`` file naming it is written atomically; (3) only then are checkpoints beyond
``max_to_keep`` deleted.  (TF deletes before (2); a kill between them can leave TF's index naming a
deleted checkpoint.)  Temporary files of a killed save (``.ckpt-3.npz.tmp-XXXX``) are never
matched by ``latest_checkpoint``; a new manager removes those of its ``checkpoint_name`` and of
the ``checkpoint`` file.
"""
import collections
import glob
import json
import os
import re
import time

from .checkpoint import SUFFIX, atomic_write

_LINE = re.compile(r'^\s*([A-Za-z_]+)\s*:\s*(.*?)\s*$')


def _state_path(directory, latest_filename=None):
    return os.path.join(os.fspath(directory), latest_filename or "checkpoint")


def _read_state(directory, latest_filename=None):
    """The ``checkpoint`` file as a dict (None if there is none).  A line that does not parse is
    DataLossError naming the file (this file is only ever replaced whole, so it means damage)."""
    from ..errors import DataLossError
    path = _state_path(directory, latest_filename)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as e:
        raise DataLossError(f"Checkpoint state file {path} is corrupted ({e})") from None
    state = {"model_checkpoint_path": None, "all_model_checkpoint_paths": [], "all_model_checkpoint_timestamps": [],
             "last_preserved_timestamp": None}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _LINE.match(line)
        try:
            key, raw = m.group(1), m.group(2)
            value = json.loads(raw) if raw.startswith('"') else float(raw)
        except (AttributeError, ValueError) as e:
            raise DataLossError(f"Checkpoint state file {path} is corrupted: cannot parse line {line!r} ({e})") \
                from None
        if key in ("all_model_checkpoint_paths", "all_model_checkpoint_timestamps"):
            state[key].append(value)
        elif key in state:
            state[key] = value
    return state


def _write_state(directory, latest, paths, timestamps=None, last_preserved=None, latest_filename=None):
    d = os.fspath(directory)

    def rel(p):
        return os.path.relpath(p, d) if os.path.dirname(os.path.abspath(p)) == os.path.abspath(d) else p
    lines = [f"model_checkpoint_path: {json.dumps(rel(latest))}"]
    lines += [f"all_model_checkpoint_paths: {json.dumps(rel(p))}" for p in paths]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in timestamps or []]
    if last_preserved is not None:
        lines.append(f"last_preserved_timestamp: {last_preserved!r}")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    atomic_write(_state_path(d, latest_filename), lambda f: f.write(data))


def _absolute(directory, p):
    return p if os.path.isabs(p) else os.path.join(os.fspath(directory), p)


def _exists(prefix):
    return os.path.isfile(prefix + SUFFIX)


def _update_state_for_save(path):
    """``Checkpoint.save``: the directory's ``checkpoint`` file names ``path`` alone (as TF)."""
    _write_state(os.path.dirname(path) or ".", path, [path])


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The path of the newest checkpoint the directory's ``checkpoint`` file names, or None when
    there is no such file or the checkpoint it names does not exist (as TF)."""
    state = _read_state(checkpoint_dir, latest_filename)
    if state is None or not state["model_checkpoint_path"]:
        return None
    p = _absolute(checkpoint_dir, state["model_checkpoint_path"])
    return p if _exists(p) else None


class CheckpointManager:
    """``tf.train.CheckpointManager(checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
    checkpoint_name='ckpt', step_counter=None, checkpoint_interval=None, init_fn=None)``.

    ``save()`` writes ``<directory>/<checkpoint_name>-<n>`` (n = ``checkpoint.save_counter`` after
    incrementing it, or ``checkpoint_number``), records it and keeps the newest ``max_to_keep``
    (None: all; a positive int else ValueError as TF); with ``keep_checkpoint_every_n_hours`` a
    checkpoint that would be deleted is kept instead when at least that many hours passed since
    the last one kept so.  A manager on an existing directory takes over the checkpoints its
    ``checkpoint`` file lists.  ``step_counter``/``checkpoint_interval`` raise NotImplementedError.
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None, init_fn=None):
        from .checkpoint import Checkpoint
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"CheckpointManager: `checkpoint` must be a gputape.train.Checkpoint, got "
                            f"{type(checkpoint).__name__}")
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got {max_to_keep}.")
        if step_counter is not None or checkpoint_interval is not None:
            raise NotImplementedError("CheckpointManager: `step_counter` and `checkpoint_interval` are not "
                                      "implemented in gputape (call save() when a checkpoint is wanted)")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_every = keep_checkpoint_every_n_hours
        self._name = checkpoint_name
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._init_fn = init_fn
        self._maybe_delete = collections.OrderedDict()
        self._latest = None
        self._last_preserved = time.time()
        state = _read_state(self._directory)
        if state is not None:
            times = state["all_model_checkpoint_timestamps"]
            paths = state["all_model_checkpoint_paths"]
            if len(times) != len(paths):
                times = [time.time()] * len(paths)
            for p, t in zip(paths, times):
                p = _absolute(self._directory, p)
                if _exists(p):
                    self._maybe_delete[p] = t
            if state["last_preserved_timestamp"] is not None:
                self._last_preserved = state["last_preserved_timestamp"]
            if state["model_checkpoint_path"]:
                p = _absolute(self._directory, state["model_checkpoint_path"])
                self._latest = p if _exists(p) else None
        here = glob.escape(self._directory)
        stale_files = glob.glob(os.path.join(here, f".{glob.escape(checkpoint_name)}-*.tmp-*")) + glob.glob(
            os.path.join(here, ".checkpoint.tmp-*")) if _writer() else []     # rank 0's, under distribute
        for stale in stale_files:
            try:
                os.unlink(stale)            # left by a save that was killed
            except OSError:
                pass

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def latest_checkpoint(self):
        """The newest checkpoint's path (None before the first)."""
        return self._latest

    @property
    def checkpoints(self):
        """The managed checkpoints, oldest first (those kept by ``keep_checkpoint_every_n_hours`` leave it)."""
        return list(self._maybe_delete)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Write a new checkpoint and return its path (see the class docstring for the order of work)."""
        if options is not None:
            raise NotImplementedError("CheckpointManager.save: `options` is not implemented in gputape")
        n = self._checkpoint._bump_counter()
        if checkpoint_number is not None:
            n = int(checkpoint_number.numpy() if hasattr(checkpoint_number, "numpy") else checkpoint_number)
        writer = _writer()
        if writer:
            os.makedirs(self._directory, exist_ok=True)
            path = self._checkpoint.write(f"{self._prefix}-{n}")
        else:
            path = f"{self._prefix}-{n}"
        now = time.time()
        self._maybe_delete.pop(path, None)
        self._maybe_delete[path] = now
        self._latest = path
        doomed = []
        if self._max_to_keep is not None:
            while len(self._maybe_delete) > self._max_to_keep:
                old, stamp = self._maybe_delete.popitem(last=False)
                if self._keep_every is not None and stamp - self._keep_every * 3600.0 >= self._last_preserved:
                    self._last_preserved = stamp
                    continue
                doomed.append(old)
        if not writer:
            return path
        _write_state(self._directory, path, list(self._maybe_delete), list(self._maybe_delete.values()),
                     self._last_preserved)
        for old in doomed:
            try:
                os.unlink(old + SUFFIX)
            except FileNotFoundError:
                pass
        return path

    def sync(self):
        """Nothing to wait for: saves are synchronous."""

    def restore_or_initialize(self):
        """Restore the latest checkpoint and return its path, or run ``init_fn`` (if any) and return None."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None


def _writer():
    """Whether this process writes checkpoints: always, except under gputape.distribute where only rank 0
    does (the other ranks keep the same bookkeeping and return the same paths; call
    ``gputape.distribute.barrier()`` before they read what rank 0 wrote)."""
    from .. import distribute
    return not distribute.is_initialized() or distribute.rank() == 0
