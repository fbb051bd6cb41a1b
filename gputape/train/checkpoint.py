"""``gputape.train.Checkpoint``: save and restore an object graph of Variables, Modules, Keras layers
and models, and optimizers, as TF 2.21's object-based ``tf.train.Checkpoint``.

    ckpt = gputape.train.Checkpoint(model=model, optimizer=opt)
    path = ckpt.save("out/ckpt")                  # 'out/ckpt-1' (the file is out/ckpt-1.npz)
    ckpt.restore(path).assert_consumed()

**The object graph.**  Each value is stored under the path of attribute names that reaches it from
the checkpoint, as TF's keys: ``model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE``.  A ``Module`` (a
Keras ``Layer``/``Model`` too) is walked through its attributes in sorted name order, lists and
tuples by index and dicts by key, to any depth (``gputape.module``'s walk); a Layer's weights and
sub-layers held by no attribute (``add_weight`` results kept only by Keras tracking) are
``.weights/<i>`` and ``.layers/<i>`` in tracking order.  An optimizer has ``iterations``,
``learning_rate`` (a float rate's Variable) and its slots, named by the variable they belong to:
``optimizer/.slots/model/dense/kernel/momentum`` (``.slots/<i>/<slot>`` for a variable the
checkpoint does not reach), so slots never depend on ``id()`` or creation order.  An object
reached twice is stored once, at its first path (depth first, sorted).  The schedule position
is the optimizer's step count: restoring ``iterations`` sets it, so N steps + save + restore in a
new process + M steps gives the N+M-step weights bit for bit.

**Deferred restore** (TF's): values whose objects do not exist yet wait; when a Keras layer is
built (first call), an optimizer creates its slots (first ``apply_gradients``) or a ``Module``
gets a new attribute, the waiting values under it are checked and assigned before they are used.

**All or nothing.**  ``restore``/``read`` read the whole file and verify it (CRC-32 of every
entry, shapes and dtypes against the index), then check every matched variable's shape and dtype,
and only then assign: a mismatch raises ValueError (``InvalidArgumentError`` for a dtype) naming
the variable, the key and both shapes/dtypes, and changes nothing.  A missing file is
``gputape.errors.NotFoundError``; a truncated or corrupted one ``gputape.errors.DataLossError``.

**The file** is NumPy's ``.npz`` (a ZIP of ``.npy`` arrays, stored uncompressed, each with a
CRC-32), written to a temporary file in the same directory, flushed, fsynced and renamed into
place (``atomic_write``): a process killed at any moment leaves either the old file or the new
one, never part of one.  See the README's "Checkpoints" section for why this format.
"""
import io
import json
import os
import tempfile
import warnings
import weakref
import zipfile
import zlib

import numpy as np

from .. import backend as _b
from .. import module as _module
from ..errors import DataLossError, InvalidArgumentError, NotFoundError
from ..module import Module
from ..optimizers import Optimizer
from ..tensor import Variable

GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
FORMAT = "gputape.train.Checkpoint"
SUFFIX = ".npz"


# ---------------------------------------------------------------- atomic files
def _fsync_dir(d):
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, write):
    """Write ``path`` so that it is either the old file or the complete new one, whatever happens:
    ``write(f)`` fills a temporary file (``.<name>.tmp-XXXX``) in the same directory, which is
    flushed, fsynced and renamed over ``path``; the directory is fsynced after the rename."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(d)


# ---------------------------------------------------------------- the object graph
def _join(prefix, name):
    return f"{prefix}/{name}" if prefix else str(name)


def _escape(name):
    return str(name).replace("/", "..")


def _is_node(x):
    return isinstance(x, (Module, Optimizer, Checkpoint))


def _expand(name, value, out):
    """(name, trackable) pairs of one attribute value: lists/tuples by index, dicts by key."""
    if isinstance(value, Variable) or _is_node(value):
        out.append((name, value))
    elif isinstance(value, dict):
        try:
            keys = sorted(value)
        except TypeError:
            keys = sorted(value, key=repr)
        for k in keys:
            _expand(f"{name}/{_escape(k)}", value[k], out)
    elif isinstance(value, (list, tuple)):
        for i, e in enumerate(value):
            _expand(f"{name}/{i}", e, out)


def _children(node):
    """A node's direct dependencies as (name, object) pairs, in a fixed order."""
    out = []
    if isinstance(node, Checkpoint):
        if isinstance(node._root, Variable):
            out.append(("root", node._root))
        elif node._root is not None:
            out.extend(_children(node._root))
        for k in sorted(node._objects):
            _expand(k, node._objects[k], out)
        if node._save_counter is not None:
            out.append(("save_counter", node._save_counter))
        return out
    if isinstance(node, Optimizer):
        out.append(("iterations", node._iterations))
        if isinstance(node._learning_rate, Variable):
            out.append(("learning_rate", node._learning_rate))
        return out
    d = vars(node)
    for k in sorted(d):
        if k == "_tracker":
            continue
        _expand(_escape(k), d[k], out)
    tracker = d.get("_tracker")
    if tracker is not None:               # a Keras layer: state kept only by its tracking
        own = tracker.trainable_vars + tracker.non_trainable_vars
        seen = {id(o) for _, o in out}
        out.extend((f".weights/{i}", v) for i, v in enumerate(own) if id(v) not in seen)
        out.extend((f".layers/{i}", l) for i, l in enumerate(tracker.layers) if id(l) not in seen)
    return out


def walk(root, prefix, var_path):
    """Every variable reachable from ``root`` (whose path is ``prefix``) as ``(key, variable,
    after)`` -- ``after(array)`` runs once a value is assigned (an optimizer's host step count) --
    and every node as ``(path, node)``; depth first in ``_children`` order, each object once.
    ``var_path`` (Variable ``_uid`` -> path) is extended; a variable already in it keeps its path."""
    entries, nodes, seen = [], [], set()
    optimizers = []

    def visit(node, path):
        nodes.append((path, node))
        if isinstance(node, Optimizer):
            optimizers.append((path, node))
        for name, obj in _children(node):
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            p = _join(path, name)
            if isinstance(obj, Variable):
                p = var_path.setdefault(obj._uid, p)
                after = None
                if isinstance(node, Optimizer) and obj is node._iterations:
                    after = _step_setter(node)
                entries.append((p + VALUE_SUFFIX, obj, after))
            else:
                visit(obj, p)

    seen.add(id(root))
    visit(root, prefix)
    for path, opt in optimizers:          # slots last: named by their variable's path
        for slot in sorted(opt._slot_lists):
            for i, (v, s) in enumerate(zip(opt._trainable_variables, opt._slot_lists[slot])):
                if id(s) in seen:
                    continue
                seen.add(id(s))
                owner = var_path.get(v._uid)
                where = owner if owner is not None else str(i)
                entries.append((_join(path, f".slots/{where}/{slot}") + VALUE_SUFFIX, s, None))
    return entries, nodes


def _step_setter(opt):
    def after(value):
        opt._t = int(value)               # the host copy of iterations (a host array: no device read)
    return after


# ---------------------------------------------------------------- the file
def checkpoint_file(path):
    """The file behind a checkpoint path: ``path`` itself when it names an existing ``.npz`` file,
    else ``path + '.npz'``."""
    path = os.fspath(path)
    if path.endswith(SUFFIX) and os.path.isfile(path):
        return path
    return path + SUFFIX


def _write_file(filename, arrays, meta):
    blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)

    def write(f):
        np.savez(f, **{GRAPH_KEY: blob}, **arrays)
    atomic_write(filename, write)


def read_file(filename, shown=None):
    """(meta, {key: array}) of a checkpoint file, verified whole: every entry's CRC-32, the index
    against the arrays.  NotFoundError for no file, DataLossError for a damaged one."""
    shown = filename if shown is None else shown
    if not os.path.isfile(filename):
        raise NotFoundError(f"Unsuccessful TensorSliceReader constructor: Failed to find any matching files for "
                            f"{shown}")

    def lost(why):
        return DataLossError(f"Checkpoint {filename} is truncated or corrupted ({why}); nothing was restored. "
                             f"Restore an earlier checkpoint (CheckpointManager.checkpoints lists them).")
    try:
        zf = zipfile.ZipFile(filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as e:
        raise lost(f"not a readable .npz file: {e}") from None
    arrays = {}
    with zf:
        for info in zf.infolist():
            name = info.filename
            if not name.endswith(".npy"):
                raise lost(f"unexpected entry {name!r}")
            try:
                data = zf.read(info)                  # checks the entry's CRC-32
                arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, NotImplementedError) as e:
                raise lost(f"entry {name!r}: {e}") from None
            arrays[name[:-4]] = arr
    blob = arrays.pop(GRAPH_KEY, None)
    if blob is None:
        raise lost(f"no {GRAPH_KEY} entry: not a gputape checkpoint")
    try:
        meta = json.loads(bytes(blob).decode("utf-8"))
        index = meta["variables"]
        ok = meta.get("format") == FORMAT
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise lost(f"unreadable object graph: {e}") from None
    if not ok:
        raise lost(f"format {meta.get('format')!r}, expected {FORMAT!r}")
    if set(index) != set(arrays):
        raise lost(f"the index lists {sorted(set(index) ^ set(arrays))[:5]} that the arrays do not match")
    for k, spec in index.items():
        a = arrays[k]
        if list(a.shape) != list(spec["shape"]) or a.dtype.name != spec["dtype"]:
            raise lost(f"{k}: stored {a.dtype.name}{list(a.shape)}, index says {spec['dtype']}{spec['shape']}")
    return meta, arrays


def _assign(var, value):
    """In place (views into an optimizer's flat buffers stay views); earlier reads keep their values."""
    if var._reads:
        var._detach_reads()
    var._v[...] = _b.get_xp().asarray(value)


def _check(matches, values, filename):
    """Every (key, var) against its stored array; one error listing all mismatches, before any assign."""
    bad, dtype_bad = [], False
    for key, var, _ in matches:
        a = values[key]
        vs, vd = tuple(var._v.shape), var._v.dtype
        if tuple(a.shape) != vs:
            bad.append(f"Received incompatible tensor with shape {tuple(a.shape)} when attempting to restore "
                       f"variable with shape {vs} and name {var.name} (key {key!r})")
        elif a.dtype != vd:
            dtype_bad = True
            bad.append(f"tensor_name = {key}; expected dtype {vd.name} does not equal original dtype {a.dtype.name} "
                       f"(variable {var.name}, shape {vs})")
    if bad:
        more = f"; {len(bad) - 1} more: " + "; ".join(bad[1:6]) if len(bad) > 1 else ""
        cls = InvalidArgumentError if dtype_bad else ValueError
        raise cls(f"{bad[0]}.{more} Checkpoint {filename}: nothing was restored.")


# ---------------------------------------------------------------- restore status
_UNBOUND = ("Found {n} Python objects that were not bound to checkpointed values, likely due to changes in the "
            "Python program. Showing {m} of {n} unmatched objects: {objs}")


class CheckpointLoadStatus:
    """What ``Checkpoint.restore``/``read`` return (TF's ``CheckpointLoadStatus``).  Values whose
    objects do not exist yet are restored when they are created (deferred restore)."""

    def __init__(self, checkpoint, filename, values):
        self._checkpoint = weakref.ref(checkpoint)
        self._filename = filename
        self._values = values              # key -> array still waiting for its variable
        self._restored = set()
        self._var_path = {}
        self._registered = weakref.WeakKeyDictionary()     # node -> its path
        self._partial = False

    # ------------------------------------------------------------ matching
    def _match(self, root, prefix):
        entries, nodes = walk(root, prefix, self._var_path)
        matches = [e for e in entries if e[0] in self._values]
        _check(matches, self._values, self._filename)
        for key, var, after in matches:
            value = self._values.pop(key)
            _assign(var, value)
            if after is not None:
                after(value)
            self._restored.add(key)
        self._register(nodes)

    def _register(self, nodes):
        if not self._values:
            self._unregister()
            return
        waiting = list(self._values)
        for path, node in nodes:
            if node in self._registered:
                continue
            head = path + "/" if path else ""
            if any(k.startswith(head) for k in waiting):
                self._registered[node] = path
                _module._pending_restores.setdefault(node, []).append(self._created)

    def _unregister(self):
        for node in list(self._registered):
            cbs = _module._pending_restores.get(node)
            if cbs is not None:
                cbs[:] = [c for c in cbs if getattr(c, "__self__", None) is not self]
                if not cbs:
                    del _module._pending_restores[node]
        self._registered = weakref.WeakKeyDictionary()

    def _created(self, node):
        path = self._registered.get(node)
        if path is not None and self._values:
            self._match(node, path)

    # ------------------------------------------------------------ TF's assertions
    def _unbound(self):
        ckpt = self._checkpoint()
        if ckpt is None:
            return []
        entries, _ = walk(ckpt, "", dict(self._var_path))
        return [(k, v) for k, v, _ in entries if k not in self._restored and k != "save_counter" + VALUE_SUFFIX]

    def assert_existing_objects_matched(self):
        """AssertionError (TF's message) when a Variable the checkpoint reaches now got no value."""
        unbound = self._unbound()
        if unbound:
            shown = [v for _, v in unbound[:10]]
            raise AssertionError(_UNBOUND.format(n=len(unbound), m=len(shown), objs=shown)
                                 + f" (keys {[k for k, _ in unbound[:10]]}, checkpoint {self._filename})")
        return self

    def assert_consumed(self):
        """``assert_existing_objects_matched``, and every value in the checkpoint restored
        (AssertionError "Unresolved object in checkpoint ..." naming the first that waits)."""
        self.assert_existing_objects_matched()
        if self._values:
            key = sorted(self._values)[0]
            a = self._values[key]
            dotted = ".".join(key[:-len(VALUE_SUFFIX)].split("/"))
            raise AssertionError(f"Unresolved object in checkpoint (root).{dotted}: attributes {{VARIABLE_VALUE}} "
                                 f"({a.dtype.name}{list(a.shape)}; {len(self._values)} value(s) of "
                                 f"{self._filename} not restored: their objects do not exist yet, or the program "
                                 f"changed)")
        return self

    def assert_nontrivial_match(self):
        """AssertionError unless some value besides ``save_counter`` was restored."""
        if not self._restored - {"save_counter" + VALUE_SUFFIX}:
            raise AssertionError(f"Nothing except the root object matched a checkpointed value. Typically this "
                                 f"means that the checkpoint does not match the Python program. (checkpoint "
                                 f"{self._filename})")
        return self

    def expect_partial(self):
        """Silence the warning about values never restored (TF's ``expect_partial``)."""
        self._partial = True
        return self

    def run_restore_ops(self, session=None):
        """Eager: values are restored at once; nothing to run (as TF 2 eager)."""
        if session is not None:
            raise NotImplementedError("CheckpointLoadStatus.run_restore_ops: `session` (TF 1 graphs) is not "
                                      "implemented in gputape")

    initialize_or_restore = run_restore_ops

    def __del__(self):
        try:
            if self._values and not self._partial:
                keys = sorted(self._values)
                warnings.warn(f"Value in checkpoint could not be found in the restored object: {len(keys)} value(s) "
                              f"of {self._filename} were never restored, e.g. {keys[:3]} (call expect_partial() "
                              f"on the restore status when a partial restore is intended)", UserWarning)
        except Exception:               # noqa: BLE001 - interpreter shutdown
            pass


class InitializationOnlyStatus:
    """``restore(None)``: nothing to restore (TF's ``InitializationOnlyStatus``)."""
    _MESSAGE = "No checkpoint specified (save_path=None); nothing is being restored."

    def assert_consumed(self):
        raise AssertionError(self._MESSAGE)

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        pass

    initialize_or_restore = run_restore_ops


# ---------------------------------------------------------------- Checkpoint
def _check_trackable(name, value):
    if isinstance(value, Variable) or _is_node(value):
        return
    if isinstance(value, (list, tuple)):
        for e in value:
            _check_trackable(name, e)
        return
    if isinstance(value, dict):
        for e in value.values():
            _check_trackable(name, e)
        return
    raise ValueError(f"`Checkpoint` was expecting {name} to be a trackable object (an object derived from "
                     f"`Trackable`), got {value}. If you believe this object should be trackable (i.e. it is part "
                     f"of the TensorFlow Python API and manages state), please open an issue.")


def _no_options(owner, options):
    if options is not None:
        raise NotImplementedError(f"{owner}: `options` (tf.train.CheckpointOptions) is not implemented in gputape")


class Checkpoint:
    """``tf.train.Checkpoint(root=None, **kwargs)``: the objects to save, by name (Variables,
    Modules, Keras layers/models, optimizers, other Checkpoints; lists and dicts of them).  Setting
    an attribute later adds one.  See the module docstring for keys, deferred restore, the file."""

    def __init__(self, root=None, **kwargs):
        object.__setattr__(self, "_objects", {})
        object.__setattr__(self, "_root", None)
        object.__setattr__(self, "_save_counter", None)
        if root is not None:
            _check_trackable("root", root)
            object.__setattr__(self, "_root", root)
        for k, v in kwargs.items():
            setattr(self, k, v)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        _check_trackable(name, value)
        self._objects[name] = value
        if _module._pending_restores:
            _module.state_created(self)

    def __getattr__(self, name):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(f"'Checkpoint' object has no attribute '{name}'")

    @property
    def save_counter(self):
        """An int64 Variable counting ``save`` calls (created on first use, as TF)."""
        if self._save_counter is None:
            object.__setattr__(self, "_save_counter", Variable(np.int64(0), trainable=False, name="save_counter",
                                                               dtype=np.int64))
        return self._save_counter

    def _bump_counter(self):
        c = self.save_counter
        n = int(c.numpy()) + 1
        c.assign(np.int64(n))
        return n

    def write(self, file_prefix, options=None):
        """Write every reachable value to ``file_prefix + '.npz'`` (atomically); returns ``file_prefix``.
        Does not touch ``save_counter`` or the directory's ``checkpoint`` file (as TF)."""
        _no_options("Checkpoint.write", options)
        file_prefix = os.fspath(file_prefix)
        entries, _ = walk(self, "", {})
        arrays, index = {}, {}
        for key, var, _ in entries:
            a = np.asarray(var.numpy())
            arrays[key] = a
            index[key] = {"shape": list(a.shape), "dtype": a.dtype.name}
        d = os.path.dirname(os.path.abspath(file_prefix))
        os.makedirs(d, exist_ok=True)
        _write_file(file_prefix + SUFFIX, arrays, {"format": FORMAT, "version": 1, "variables": index})
        return file_prefix

    def save(self, file_prefix, options=None):
        """``save_counter += 1``, write ``<file_prefix>-<save_counter>`` and record it as the latest in
        the directory's ``checkpoint`` file (both atomically); returns that path (as TF)."""
        _no_options("Checkpoint.save", options)
        from .manager import _update_state_for_save
        n = self._bump_counter()
        path = self.write(f"{os.fspath(file_prefix)}-{n}")
        _update_state_for_save(path)
        return path

    def read(self, save_path, options=None):
        """Restore from ``save_path`` (a path ``write``/``save`` returned, or the ``.npz`` file);
        returns a ``CheckpointLoadStatus``.  NotFoundError / DataLossError / ValueError as the module
        docstring says, raised before any variable changes."""
        _no_options("Checkpoint.read", options)
        save_path = os.fspath(save_path)
        filename = checkpoint_file(save_path)
        meta, values = read_file(filename, shown=save_path)
        if "save_counter" + VALUE_SUFFIX in values:
            self.save_counter                                 # noqa: B018 - created to take the value
        status = CheckpointLoadStatus(self, filename, values)
        try:
            status._match(self, "")
        except BaseException:
            status._values = {}           # nothing restored, nothing waits: no warning either
            status._unregister()
            raise
        return status

    def restore(self, save_path, options=None):
        """``read``; ``save_path=None`` gives an ``InitializationOnlyStatus`` (nothing restored)."""
        if save_path is None:
            return InitializationOnlyStatus()
        try:
            return self.read(save_path, options)
        except NotFoundError as e:
            raise NotFoundError(f"Error when restoring from checkpoint or SavedModel at {save_path}: {e}\nPlease "
                                f"double-check that the path is correct. You may be missing the checkpoint suffix "
                                f"(e.g. the '-1' in 'path/to/ckpt-1').") from None

    def __repr__(self):
        return f"<gputape.train.Checkpoint {sorted(self._objects)}>"


def list_variables(ckpt_dir_or_file):
    """``[(key, shape), ...]`` sorted by key, ``_CHECKPOINTABLE_OBJECT_GRAPH`` included (TF's
    ``tf.train.list_variables``); a directory means its latest checkpoint."""
    _, values = read_file(_resolve(ckpt_dir_or_file))
    out = [(k, list(v.shape)) for k, v in values.items()] + [(GRAPH_KEY, [])]
    return sorted(out)


def load_variable(ckpt_dir_or_file, name):
    """The stored value of key ``name`` as a NumPy array (TF's ``tf.train.load_variable``)."""
    _, values = read_file(_resolve(ckpt_dir_or_file))
    if name not in values:
        raise NotFoundError(f"Key {name} not found in checkpoint")
    return values[name]


def _resolve(ckpt_dir_or_file):
    p = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(p):
        from .manager import latest_checkpoint
        latest = latest_checkpoint(p)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory {p}")
        p = latest
    return checkpoint_file(p)
