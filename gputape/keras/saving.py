"""``Model.save_weights`` / ``Model.load_weights``: Keras 3's ``.weights.h5`` layout (HDF5 through
the optional ``h5py``: ``pip install "gputape[h5]"``), or gputape's checkpoint format for a
``.weights.npz`` path (NumPy only).

The ``.weights.h5`` layout is Keras 3.15's (recorded in tests/tf_fixtures/ckpt.json): each layer's
own weights (trainable-tracked, then the others) are datasets ``0``, ``1``, ... of a group
``<path>/vars`` whose ``name`` attribute is the layer's name; the model's own are ``vars``; a
Sequential's layers are ``layers/<class in snake case>[_<n>]``; a subclassed model's sub-layers are
``<attribute>`` (sorted), and those in a list, tuple or dict attribute ``<attribute>/<class in
snake case>[_<n>]``; a layer met twice is written once.  Files written by Keras 3 for the same
architecture load here and the other way round.  Datasets are written with HDF5's Fletcher-32
checksum (scalars excepted: HDF5 cannot checksum them), so a damaged file is an error, not
silently wrong weights; the file is written to a temporary file and renamed into place.

Loading is strict and all-or-nothing: every layer of the model must find exactly its number of
weights with equal shapes and dtypes, and every weight group of the file must find its layer;
otherwise ValueError (Keras 3's wording: "A total of N objects could not be loaded ...") before
anything is assigned.  Deliberate difference: Keras 3 silently ignores weight groups of the file
that the model does not have; gputape raises (``skip_mismatch=True`` warns and skips instead).
"""
import errno
import os
import re
import warnings

import numpy as np

from ..errors import DataLossError


def _snake(name):
    """Keras 3's ``to_snake_case``: 'Dense' -> 'dense', 'MaxPooling2D' -> 'max_pooling2d'."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _own(layer):
    t = layer._tr()
    return t.trainable_vars + t.non_trainable_vars


def _layout(model):
    """[(group path, layer)] in Keras 3's walk order; '' is the model itself."""
    from .layers import Layer
    from .models import Sequential
    out, seen = [], set()

    def visit(layer, path):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        out.append((path, layer))
        if isinstance(layer, Sequential):
            container(layer._seq_layers, _join(path, "layers"))
            return
        d = vars(layer)
        for k in sorted(d):
            v = d[k]
            if isinstance(v, Layer):
                visit(v, _join(path, k))
            elif isinstance(v, (list, tuple, dict)) and k not in ("_tracker", "_losses"):
                container(v, _join(path, k))

    def container(items, path):
        used = {}
        for item in (items.values() if isinstance(items, dict) else items):
            if not isinstance(item, Layer):
                continue
            name = _snake(type(item).__name__)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            visit(item, _join(path, name))

    visit(model, "")
    return out


def _join(a, b):
    return f"{a}/{b}" if a else b


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError('Reading or writing a `.weights.h5` file needs h5py: pip install "gputape[h5]" (or save '
                          'to a `.weights.npz` path: gputape\'s checkpoint format, NumPy only)') from None
    return h5py


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """Keras 3's ``Model.save_weights`` (see the module docstring)."""
    from ..train.checkpoint import atomic_write
    filepath = os.fspath(filepath)
    if max_shard_size is not None:
        raise NotImplementedError("save_weights: `max_shard_size` (sharded .weights.json) is not implemented in "
                                  "gputape")
    npz = filepath.endswith(".weights.npz")
    if not (filepath.endswith(".weights.h5") or npz):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath} (gputape also "
                         f"accepts `.weights.npz`: its checkpoint format)")
    if not overwrite and os.path.exists(filepath):
        raise NotImplementedError(f"save_weights(overwrite=False): {filepath} exists, and Keras 3 would ask on the "
                                  f"terminal whether to overwrite it; gputape does not ask (pass overwrite=True "
                                  f"or another path)")
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    if npz:
        from ..train import Checkpoint
        Checkpoint(root=model).write(filepath[:-len(".npz")])
        return
    h5py = _h5py()
    layout = [(p, l, [v.numpy() for v in _own(l)]) for p, l in _layout(model)]

    def write(f):
        with h5py.File(f, "w") as h:
            for path, layer, values in layout:
                g = h.create_group(_join(path, "vars"))
                g.attrs["name"] = layer.name
                for i, a in enumerate(values):
                    a = np.asarray(a)
                    g.create_dataset(str(i), data=a, fletcher32=a.ndim > 0 and a.size > 0)
    atomic_write(filepath, write)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Keras 3's ``Model.load_weights`` for ``.weights.h5`` (and gputape's ``.weights.npz``)."""
    filepath = os.fspath(filepath)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if filepath.endswith(".weights.npz"):
        return _load_npz(model, filepath, skip_mismatch)
    if filepath.endswith(".keras") or (filepath.endswith(".h5") and not filepath.endswith(".weights.h5")):
        raise NotImplementedError(f"load_weights: {filepath}: whole-model `.keras` files and legacy `.h5` files are "
                                  f"not implemented in gputape (save with save_weights to a `.weights.h5` path)")
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` files, "
                         f"`.weights.h5` files, legacy H5 format files (`.h5` extension), or Orbax checkpoints.")
    if not os.path.isfile(filepath):
        raise FileNotFoundError(errno.ENOENT, f"Unable to synchronously open file (unable to open file: name = "
                                              f"'{filepath}'): No such file or directory", filepath)
    h5py = _h5py()
    stored = {}
    try:
        with h5py.File(filepath, "r") as h:
            groups = []
            h.visititems(lambda name, obj: groups.append(name) if isinstance(obj, h5py.Group)
                         and name.split("/")[-1] == "vars" else None)
            for name in groups:
                g = h[name]
                keys = sorted(g.keys(), key=lambda k: int(k) if k.isdigit() else -1)
                stored[name[:-len("vars")].rstrip("/")] = [np.asarray(g[k][()]) for k in keys]
    except (OSError, ValueError, KeyError) as e:
        raise DataLossError(f"{filepath} is truncated or corrupted ({e}); no weights were loaded") from None
    _assign_all(model, filepath, stored, skip_mismatch)


def _assign_all(model, filepath, stored, skip_mismatch):
    from ..train.checkpoint import _assign
    problems, plan = [], []
    layout = _layout(model)
    for path, layer in layout:
        own = _own(layer)
        values = stored.pop(path, [])
        if len(values) != len(own):
            problems.append((layer, f"Layer '{layer.name}' expected {len(own)} variables, but received "
                                    f"{len(values)} variables during loading. Expected: "
                                    f"{[v.name.split('/')[-1][:-2] for v in own]}"))
            continue
        bad = None
        for v, a in zip(own, values):
            if tuple(a.shape) != tuple(v._v.shape):
                bad = (f"The shape of the target variable and the shape of the target value in "
                       f"`variable.assign(value)` must match. variable.shape={tuple(v._v.shape)}, Received: "
                       f"value.shape={tuple(a.shape)}. Target variable: {v!r}")
                break
            if a.dtype != v._v.dtype:
                bad = f"Variable {v.name} has dtype {v._v.dtype.name}; the file holds {a.dtype.name} (not cast)"
                break
        if bad:
            problems.append((layer, bad))
        else:
            plan.extend(zip(own, values))
    for path in stored:
        if stored[path]:
            problems.append((path or "(the model)", f"The file has {len(stored[path])} weights at '{path}/vars' and "
                                                    f"the model has no layer there"))
    if problems and not skip_mismatch:
        first, msg = problems[0]
        raise ValueError(f"A total of {len(problems)} objects could not be loaded. Example error message for object "
                         f"{first!r}:\n\n{msg}\n\nList of objects that could not be loaded:\n"
                         f"{[p for p, _ in problems]}\n(file {filepath}; nothing was loaded)")
    for obj, msg in problems:
        warnings.warn(f"Skipping variable loading for {obj!r} due to mismatch: {msg}", UserWarning, stacklevel=3)
    for v, a in plan:
        _assign(v, a)


def _load_npz(model, filepath, skip_mismatch):
    from ..train.checkpoint import VALUE_SUFFIX, _check, _assign, checkpoint_file, read_file, walk
    from ..train import Checkpoint
    if not os.path.isfile(filepath):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", filepath)
    _, values = read_file(checkpoint_file(filepath))
    entries, _ = walk(Checkpoint(root=model), "", {})
    live = {k: (k, v, a) for k, v, a in entries}
    missing = sorted(set(live) - set(values))
    extra = sorted(set(values) - set(live))
    if (missing or extra) and not skip_mismatch:
        raise ValueError(f"{filepath} does not fit model '{model.name}': "
                         + (f"{len(missing)} weight(s) of the model are not in the file, e.g. "
                            f"{[k[:-len(VALUE_SUFFIX)] for k in missing[:3]]}; " if missing else "")
                         + (f"{len(extra)} value(s) of the file have no weight in the model, e.g. "
                            f"{[k[:-len(VALUE_SUFFIX)] for k in extra[:3]]}; " if extra else "")
                         + "nothing was loaded")
    matches = [live[k] for k in sorted(set(live) & set(values))]
    _check(matches, values, filepath)
    for k, v, _ in matches:
        _assign(v, values[k])
