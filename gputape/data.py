"""Input pipelines: ``gputape.data.Dataset``, as TensorFlow 2.21's ``tf.data.Dataset``.

    import gputape as tf
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1024).batch(128).prefetch(2)
    for xb, yb in ds:           # a fresh pass each time
        train_step(xb, yb)

Elements have TensorFlow's structure: tuples (namedtuples included) and dicts are structures, nested
as deep as you like; anything else, a Python list included, is one tensor (``from_tensor_slices([1, 2])``
slices one int32 tensor).  Conversions follow TF's rules (Python floats become float32, ints int32,
NumPy arrays keep their dtype) and the inputs are copied when the dataset is made.

Elements are NumPy arrays on the host while they go through the pipeline; iteration hands out
gputape Tensors.  On CuPy each element (a batch, after ``batch``) is copied to the device once, from
pinned host memory on a separate stream (``backend.DeviceCopier``): the iterator starts element k+1's
copy when it hands out element k, so the copy overlaps the caller's work on k, and the caller's
stream waits for a copy before first use.  ``prefetch`` runs the host side of the pipeline on a
thread.  ``as_numpy_iterator`` never touches the device.

Differences from TensorFlow, each deliberate:

- ``shuffle`` uses NumPy's generator: a seed gives the same order on every run and backend, not TF's.
- A user function (``map``, ``filter``, ``reduce``, ``from_generator``) runs eagerly, with gputape
  Tensors on the backend's device: TF traces it once into a graph.  So ``map``'s ``element_spec`` is
  found by running the function on the first input element (the shapes it reports are that
  element's when the input's shapes are fully known, else of unknown size), and errors TF raises
  when tracing (a non-boolean ``filter`` predicate) come at the first element instead.
- An exception raised by a generator or a function reaches you as itself (TF wraps it in
  ``UnknownError``/``InvalidArgumentError``) and ends the iteration.
- ``from_generator`` converts what the generator yields with ``gputape.constant``'s rules: a Python
  float yielded for an integer spec is a TypeError (TF truncates it).
- ``take(n)`` with ``n < -1`` has the cardinality of the whole input (TF reports ``n``).
- ``prefetch(AUTOTUNE)`` keeps 2 elements ready (TF tunes the depth); ``map`` with
  ``num_parallel_calls=AUTOTUNE`` uses one thread per CPU core.  Both keep the input's order.
"""
import collections
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import backend as _b
from .dtypes import DType, as_dtype, int64 as _int64
from .errors import DataLossError, InvalidArgumentError, OutOfRangeError
from .function import TensorSpec
from .tensor import Tensor, _Base, _has_tensor, _to_np, _wrap, constant

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
_AUTOTUNE_PREFETCH = 2


# ---------------------------------------------------------------- element structure (TF's normalize_element)
# Tuples (namedtuples too) and dicts are structures; everything else, lists included, is one leaf.
# Dict leaves are visited by sorted key, as tf.nest does; packing keeps the template's key order.

def _is_struct(x):
    return isinstance(x, (tuple, dict))


def _flatten(s):
    if isinstance(s, dict):
        return [leaf for k in sorted(s) for leaf in _flatten(s[k])]
    if isinstance(s, tuple):
        return [leaf for e in s for leaf in _flatten(e)]
    return [s]


def _pack(template, flat):
    return _pack_from(template, iter(flat))


def _pack_from(t, it):
    if isinstance(t, dict):
        vals = {k: _pack_from(t[k], it) for k in sorted(t)}
        return type(t)((k, vals[k]) for k in t)
    if isinstance(t, tuple):
        items = [_pack_from(e, it) for e in t]
        return type(t)(*items) if hasattr(t, "_fields") else tuple(items)
    return next(it)


def _map(fn, s):
    return _pack(s, [fn(leaf) for leaf in _flatten(s)])


def _same_structure(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and sorted(a) == sorted(b) and all(_same_structure(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return (isinstance(b, tuple) and not isinstance(b, dict) and len(a) == len(b)
                and all(_same_structure(x, y) for x, y in zip(a, b)))
    return not _is_struct(b)


def _struct_str(s, leaf=repr):
    if isinstance(s, dict):
        return "{" + ", ".join(f"{k!r}: {_struct_str(v, leaf)}" for k, v in s.items()) + "}"
    if isinstance(s, tuple):
        inner = ", ".join(_struct_str(e, leaf) for e in s)
        return "(" + inner + ("," if len(s) == 1 else "") + ")"
    return leaf(s)


# ---------------------------------------------------------------- leaves

def _readonly(a):
    a.flags.writeable = False
    return a


def _host_leaf(v, op):
    """A read-only host copy of one leaf, converted with TF's rules (tensor._to_np)."""
    if isinstance(v, _Base):
        return _readonly(np.array(_b.to_host(v._v), copy=True))
    if isinstance(v, list) and _has_tensor(v):
        from .tensor import convert_to_tensor
        return _readonly(np.array(_b.to_host(convert_to_tensor(v)._v), copy=True))
    if v is None:
        raise ValueError(f"{op}: Attempt to convert a value (None) with an unsupported type "
                         f"(<class 'NoneType'>) to a Tensor.")
    if isinstance(v, dict) or isinstance(v, list) and any(isinstance(e, dict) for e in v):
        bad = v if isinstance(v, dict) else next(e for e in v if isinstance(e, dict))
        raise ValueError(f"{op}: Attempt to convert a value ({bad!r}) with an unsupported type "
                         f"(<class 'dict'>) to a Tensor.")
    a = _to_np(v)
    return _readonly(np.array(a, copy=True))


def _spec_of(a, known=True):
    """TensorSpec of an array (its dims, or all unknown when ``known`` is False)."""
    shape = tuple(a.shape) if known else (None,) * a.ndim
    return TensorSpec(shape, as_dtype(a.dtype))


def _fully_defined(spec_struct):
    return all(s._dims is not None and None not in s._dims for s in _flatten(spec_struct))


def _to_tensor_host(a):
    return _wrap(a if isinstance(a, np.ndarray) else np.asarray(a))


def _as_backend_tensor(a):
    """A leaf as a gputape Tensor on the backend (a host array is copied to the device on CuPy)."""
    xp = _b.get_xp()
    if xp is np or _b.is_cupy_array(a):
        return _wrap(a if not isinstance(a, np.generic) else np.asarray(a))
    return _wrap(xp.asarray(a))


def _to_numpy(a):
    h = np.array(_b.to_host(a), copy=True)
    return h[()] if h.ndim == 0 else h


def _fn_output(value, what):
    """What a user function returned, as a structure of arrays (device arrays stay on the device).

    A top-level list is a tuple, as TF makes it; inner lists are tensors."""
    if value is None:
        raise InvalidArgumentError(f"{what}: the function returned None; it must return a tensor or a "
                                   f"(nested) tuple or dict of tensors")
    if isinstance(value, list):
        value = tuple(value)
    return _map(lambda v: _fn_leaf(v, what), value)


def _fn_leaf(v, what):
    if isinstance(v, _Base):
        return v._v if type(v) is Tensor else v._v.copy()       # a Variable's value as of now
    if v is None:
        raise InvalidArgumentError(f"{what}: the function returned None inside its result")
    return _readonly(np.array(_to_np(v), copy=True)) if not isinstance(v, list) or not _has_tensor(v) \
        else _host_leaf(v, what)


def _call(fn, element):
    """``fn`` on an element as TF calls it: a plain tuple is unpacked into positional arguments."""
    args = _map(_as_backend_tensor, element)
    if type(args) is tuple:
        return fn(*args)
    return fn(args)


def _signature(element):
    """Structure and dtypes of an element, to compare elements cheaply."""
    return tuple(a.dtype for a in _flatten(element))


# ---------------------------------------------------------------- argument checks

def _int_arg(value, op, arg):
    """An int64 scalar argument as TF converts it (a float or bool is TF's TypeError)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, _Base, np.ndarray)):
        if value is None:
            raise ValueError(f"{op}: Attempt to convert a value (None) with an unsupported type "
                             f"(<class 'NoneType'>) to a Tensor. ({arg})")
        raise TypeError(f"{op}: Cannot convert {value!r} to EagerTensor of dtype int64 ({arg})")
    a = np.asarray(_b.to_host(value._v) if isinstance(value, _Base) else value)
    if a.ndim != 0 or a.dtype.kind not in "iu":
        raise TypeError(f"{op}: {arg} must be a scalar integer, got a {a.dtype.name} array of shape {a.shape}")
    return int(a)


def _card_tensor(n):
    return constant(n, dtype=_int64)


# ---------------------------------------------------------------- shuffling

class _Draws:
    """Uniform doubles from a NumPy Generator, drawn in blocks (one draw per element is slow); a
    block boundary does not change the sequence, so ``_shuffle_positions`` can draw them at once."""
    __slots__ = ("rng", "block", "pos")

    def __init__(self, rng):
        self.rng, self.block, self.pos = rng, [], 0

    def index(self, n):
        if self.pos == len(self.block):
            self.block, self.pos = self.rng.random(4096).tolist(), 0
        u = self.block[self.pos]
        self.pos += 1
        return int(u * n)

    def take(self, k):
        rest = self.block[self.pos:self.pos + k]
        self.pos += len(rest)
        return np.concatenate([np.array(rest, np.float64), self.rng.random(k - len(rest))])


def _shuffled(it, size, rng):
    """TF's shuffle buffer: fill ``size`` slots, then for each further input emit a random slot and
    put the input there; when the input ends, emit what is left in a random order (TF picks one
    remaining slot at a time: the same distribution).  ``size=None``: one buffer for everything."""
    it = iter(it)
    buf = list(it) if size is None else list(itertools.islice(it, size))
    draws = _Draws(rng)
    n = len(buf)
    for x in it:
        j = draws.index(n)
        out = buf[j]
        buf[j] = x
        yield out
    for k in np.argsort(draws.take(len(buf)), kind="stable").tolist():
        yield buf[k]


def _shuffle_positions(n, size, rng):
    """The order ``_shuffled`` gives a stream of ``n`` elements, as input positions, computed with
    array operations: in the streaming phase the slot drawn at step t holds the input written there
    last (at step s: input B+s), or its first input when it was never written."""
    b = n if size is None else min(size, n)
    m = n - b
    u = rng.random(n)
    j = (u[:m] * b).astype(np.intp)
    order = np.argsort(j, kind="stable")              # steps grouped by slot, in time order
    js = j[order]
    same = np.empty(m, bool)
    same[:1] = False
    same[1:] = js[1:] == js[:-1]
    prev = np.full(m, -1, np.intp)
    prev[order[same]] = order[np.flatnonzero(same) - 1]
    out = np.where(prev >= 0, b + prev, j)
    buf = np.arange(b)
    last = np.ones(m, bool)
    last[:-1] = js[1:] != js[:-1]
    buf[js[last]] = b + order[last]
    return np.concatenate([out, buf[np.argsort(u[m:], kind="stable")]])


# ---------------------------------------------------------------- the Dataset

class Dataset:
    """A sequence of elements, each a (nested) structure of tensors, as ``tf.data.Dataset``.

    Make one with a source (``from_tensor_slices``, ``from_tensors``, ``range``, ``zip``,
    ``from_generator``), chain transformations (each returns a new Dataset), and iterate: ``for``
    (a fresh pass every time), ``iter``/``next``, ``as_numpy_iterator``, ``reduce``.
    """
    _peeked = None

    # subclasses: _elements() -> iterator of structures of arrays; _card() -> int; _spec() -> specs;
    # _static_spec(): the spec when it needs no user code, else None; _rows(), _row_index_array(),
    # _row_indices(): see _FromSlices

    def _static_spec(self):
        return self._spec()

    def _rows(self):
        return None

    def _row_arrays(self):
        """Whether ``_row_index_array`` gives an array (asking it costs a shuffle its pass)."""
        return False

    def _row_index_array(self):
        return None

    # ------------------------------------------------------------ sources

    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """A dataset of the slices of ``tensors`` along their first dimension.

        ``tensors``: a tensor, array, Python list (one tensor) or a (nested) tuple/dict of them; every
        component must have rank >= 1 and the same first dimension (else ValueError, as TF)."""
        return _FromSlices(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element, ``tensors`` (a tensor or a (nested) tuple/dict of them)."""
        return _FromTensors(tensors)

    @staticmethod
    def range(*args, **kwargs):
        """``range(stop)``, ``range(start, stop[, step])`` as int64 scalars (``output_type=`` another
        dtype); TF's errors for a float bound (TypeError) and a zero step (InvalidArgumentError)."""
        output_type = kwargs.pop("output_type", _int64)
        kwargs.pop("name", None)
        if kwargs:
            raise TypeError(f"Dataset.range() got an unexpected keyword argument '{next(iter(kwargs))}'")
        return _Range(args, output_type)

    @staticmethod
    def zip(*args, datasets=None, name=None):
        """A dataset of tuples (or the given tuple/dict structure) of the datasets' elements; it ends
        with the shortest."""
        if args and datasets is not None:
            raise TypeError("Both `*args` and `datasets` cannot be set.")
        if datasets is None:
            if not args:
                raise TypeError("Must pass at least one dataset to `zip`.")
            datasets = args[0] if len(args) == 1 else tuple(args)
        return _Zip(datasets)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None,
                       name=None):
        """A dataset of what ``generator(*args)`` yields, each checked against ``output_signature``
        (a (nested) structure of ``TensorSpec``) and converted to its dtypes; ``output_types`` /
        ``output_shapes`` (TF's older form) work too.  The generator is called anew for each pass."""
        return _FromGenerator(generator, output_types, output_shapes, args, output_signature)

    # ------------------------------------------------------------ transformations

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Stack ``batch_size`` consecutive elements (the last batch may be smaller unless
        ``drop_remainder``).  Components must have equal shapes (InvalidArgumentError otherwise, as
        TF).  ``num_parallel_calls``/``deterministic`` are accepted: batching here is one vectorised
        gather or stack per component, and the order is always kept."""
        bs = _int_arg(batch_size, "batch", "batch_size")
        if bs <= 0:
            raise InvalidArgumentError("Batch size must be greater than zero.")
        if num_parallel_calls is not None:
            npc = _int_arg(num_parallel_calls, "batch", "num_parallel_calls")
            if npc <= 0 and npc != AUTOTUNE:
                raise InvalidArgumentError("num_parallel_calls must be greater than zero.")
        return _Batch(self, bs, bool(drop_remainder))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        """Batch elements of different shapes, padding each component to ``padded_shapes`` (a dim of
        ``None`` or -1: the largest in the batch; default: all of them) with ``padding_values``
        (default 0 / False), as TF."""
        bs = _int_arg(batch_size, "padded_batch", "batch_size")
        if bs <= 0:
            raise InvalidArgumentError("Batch size must be greater than zero.")
        return _PaddedBatch(self, bs, padded_shapes, padding_values, bool(drop_remainder))

    def unbatch(self, name=None):
        """Split each element along its first dimension (components' first dims must match)."""
        return _Unbatch(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffle with a buffer of ``buffer_size`` elements, as TF: the first ``buffer_size`` are
        read, then each output is a random one of the buffer, replaced by the next input (a full
        permutation only when the buffer covers the dataset; ``UNKNOWN_CARDINALITY``: an unbounded
        buffer).  A ``seed`` (or ``gputape.random.set_seed``) makes the order reproducible; with
        ``reshuffle_each_iteration`` each pass has a new order.  The order is not TensorFlow's."""
        n = _int_arg(buffer_size, "shuffle", "buffer_size")
        if n <= 0 and n != UNKNOWN_CARDINALITY:
            raise InvalidArgumentError("buffer_size must be greater than zero or UNKNOWN_CARDINALITY")
        if seed is not None:
            seed = _int_arg(seed, "shuffle", "seed")
        return _Shuffle(self, None if n == UNKNOWN_CARDINALITY else n, seed,
                        True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration))

    def map(self, map_func, num_parallel_calls=None, deterministic=None, synchronous=None,
            use_unbounded_threadpool=False, name=None):
        """``map_func`` on each element (a tuple element is unpacked into positional arguments); it
        sees gputape Tensors and returns a tensor, value or (nested) tuple/dict of them (a list
        becomes a tuple).  ``num_parallel_calls`` (an int or ``AUTOTUNE``) runs it on a thread pool;
        the output order is the input's (also with ``deterministic=False``).  Every element's result
        must have the structure and dtypes of the first (TypeError otherwise)."""
        if not callable(map_func):
            raise TypeError(f"map: `map_func` must be callable, got {type(map_func).__name__}")
        workers = None
        if num_parallel_calls is not None:
            npc = _int_arg(num_parallel_calls, "map", "num_parallel_calls")
            if npc <= 0 and npc != AUTOTUNE:
                raise InvalidArgumentError("num_parallel_calls must be greater than zero.")
            workers = os.cpu_count() or 1 if npc == AUTOTUNE else npc
            if synchronous:
                raise ValueError("map: `synchronous=True` cannot be combined with `num_parallel_calls`")
        return _Map(self, map_func, workers)

    def filter(self, predicate, name=None):
        """The elements for which ``predicate`` (called as ``map``'s function) returns a scalar bool
        tensor that is True; another result is TF's ValueError."""
        if not callable(predicate):
            raise TypeError(f"filter: `predicate` must be callable, got {type(predicate).__name__}")
        return _Filter(self, predicate)

    def repeat(self, count=None, name=None):
        """The dataset ``count`` times (``None`` or -1: forever); each repetition is a new pass."""
        n = -1 if count is None else _int_arg(count, "repeat", "count")
        return _Repeat(self, n)

    def take(self, count, name=None):
        """At most ``count`` elements (-1: all)."""
        return _Take(self, _int_arg(count, "take", "count"))

    def skip(self, count, name=None):
        """All but the first ``count`` elements (-1: none are left)."""
        return _Skip(self, _int_arg(count, "skip", "count"))

    def enumerate(self, start=0, name=None):
        """``(i, element)`` pairs, ``i`` an int64 counting from ``start``."""
        return _Enumerate(self, _int_arg(start, "enumerate", "start"))

    def cache(self, filename="", name=None):
        """Keep the elements of the first complete pass in memory and replay them afterwards (a pass
        stopped early caches nothing, as TF discards a partial cache).  A ``filename`` is not
        implemented (NotImplementedError)."""
        if filename != "":
            raise NotImplementedError(f"Dataset.cache: filename={filename!r} (a cache on disk) is not implemented "
                                      f"by gputape; cache() keeps the elements in memory")
        return _Cache(self)

    def prefetch(self, buffer_size, name=None):
        """Produce up to ``buffer_size`` elements ahead on a background thread (``AUTOTUNE``: 2; 0: none).
        Exceptions reach the consumer in order; the thread stops when the iterator is dropped.  The
        thread does host work only: on CuPy the iterator itself overlaps the device copies."""
        n = _int_arg(buffer_size, "prefetch", "buffer_size")
        if n < 0 and n != AUTOTUNE:
            raise InvalidArgumentError("buffer_size must be >= 0 or set buffer_size to be -1 for auto-tuning")
        return _Prefetch(self, _AUTOTUNE_PREFETCH if n == AUTOTUNE else n)

    def shard(self, num_shards, index, name=None):
        """Every ``num_shards``-th element, starting at ``index``."""
        n = _int_arg(num_shards, "shard", "num_shards")
        i = _int_arg(index, "shard", "index")
        if n <= 0:
            raise InvalidArgumentError(f"Number of shards must be greater than zero (currently num_shards = {n}).")
        if not 0 <= i < n:
            raise InvalidArgumentError(f"Index must be between 0 and {n - 1} (currently index = {i}).")
        return _Shard(self, n, i)

    # ------------------------------------------------------------ consumption

    def __iter__(self):
        return _Iterator(self)

    def __bool__(self):
        return True

    def __len__(self):
        n = self._card()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def as_numpy_iterator(self):
        """The elements as NumPy arrays (0-d: NumPy scalars), in their structure; host only."""
        return _NumpyIterator(self)

    def cardinality(self):
        """The number of elements as an int64 scalar tensor, ``INFINITE_CARDINALITY`` (-1) or
        ``UNKNOWN_CARDINALITY`` (-2) (after ``filter``, ``from_generator``, ``unbatch``), as TF."""
        return _card_tensor(self._card())

    @property
    def element_spec(self):
        """The structure of ``TensorSpec``s of an element (a ``map`` runs its function once on the
        first input element to find it)."""
        return self._spec()

    def reduce(self, initial_state, reduce_func, name=None):
        """Fold the elements: ``state = reduce_func(state, element)`` from ``initial_state`` (converted
        to tensors); the new state must keep the structure and dtypes (TF's TypeError /
        InvalidArgumentError otherwise).  Returns the final state as tensors."""
        state = _map(lambda v: _as_backend_tensor(_host_leaf(v, "reduce") if not isinstance(v, _Base)
                                                  else v._v), initial_state)
        dtypes = [t.dtype for t in _flatten(state)]
        for element in self._elements():
            new = reduce_func(state, _map(_as_backend_tensor, element))
            new = tuple(new) if isinstance(new, list) else new
            if not _same_structure(state, new):
                n0, n1 = len(_flatten(state)), len(_flatten(new))
                if n0 != n1:
                    raise InvalidArgumentError(f"The number of components of the initial state and the reduce "
                                               f"function output does not match. (initial_state={n0}, output={n1}).")
                raise TypeError(f"reduce: the new state's structure {_struct_str(new)} does not match the "
                                f"initial state's {_struct_str(state)}")
            new_leaves = []
            for want, v in zip(dtypes, _flatten(new)):
                t = _as_backend_tensor(_fn_leaf(v, "reduce"))
                if as_dtype(t.dtype) != want:
                    raise TypeError(f"The element types for the new state must match the initial state. "
                                    f"Expected {want} but got {as_dtype(t.dtype)}.")
                new_leaves.append(t)
            state = _pack(state, new_leaves)
        return state

    def __repr__(self):
        spec = self._static_spec() if self._peeked is None else self._peeked
        shown = "<not known until the first element>" if spec is None else _struct_str(spec)
        return f"<{type(self).__name__} element_spec={shown}>"


# ---------------------------------------------------------------- iterators

class _Iterator:
    """``iter(dataset)``: ``next()`` gives the next element as gputape Tensors (StopIteration at the
    end); ``get_next()`` raises ``OutOfRangeError`` there instead, as TF's iterator.

    On CuPy the iterator reads one element ahead: when it hands out element k it starts element
    k+1's copy to the device (``backend.DeviceCopier``), before the caller enqueues its work on k, so
    the copy overlaps that work; element k's copy was started one call earlier and the caller's
    stream waits for it.  All CUDA calls are made here, in the consuming thread: a prefetch thread
    making them would contend for the GIL with a launch-bound training loop at every call."""

    def __init__(self, ds):
        self._ds = ds
        self._it = ds._elements()
        self._copier = None if _b.get_xp() is np else _b.DeviceCopier()
        self._ahead = None          # on CuPy: (element, device arrays, event) of the next element
        self._raise = None          # an exception met while reading ahead, for the next call

    def __iter__(self):
        return self

    def _start_next(self):
        if self._raise is not None:
            e, self._raise = self._raise, None
            raise e
        element = next(self._it)
        arrays, event = self._copier.start(_flatten(element))
        return element, arrays, event

    def __next__(self):
        if self._copier is None:
            return _map(_to_tensor_host, next(self._it))
        item = self._ahead if self._ahead is not None else self._start_next()
        self._ahead = None
        try:
            self._ahead = self._start_next()
        except StopIteration:
            pass
        except Exception as e:      # noqa: BLE001  (raised at its own position, the next call)
            self._raise = e
        element, arrays, event = item
        arrays = self._copier.finish(arrays, event)
        return _pack(element, [_wrap(a) for a in arrays])

    next = __next__

    def get_next(self):
        try:
            return self.__next__()
        except StopIteration:
            raise OutOfRangeError("End of sequence") from None

    @property
    def element_spec(self):
        return self._ds.element_spec

    def __del__(self):
        it = getattr(self, "_it", None)
        if it is not None:
            _close(it)
        copier = getattr(self, "_copier", None)
        if copier is not None:
            try:
                copier.close()
            except Exception:       # noqa: BLE001  (interpreter shutdown)
                pass


class _NumpyIterator:
    def __init__(self, ds):
        self._it = ds._elements()

    def __iter__(self):
        return self

    def __next__(self):
        return _map(_to_numpy, next(self._it))

    next = __next__

    def __del__(self):
        it = getattr(self, "_it", None)
        if it is not None:
            _close(it)


def _close(it):
    close = getattr(it, "close", None)
    if close is not None:
        close()


# ---------------------------------------------------------------- sources

def _normalize(tensors, op):
    if tensors is None or (_is_struct(tensors) and not _flatten(tensors)):
        raise ValueError("Invalid `element`. `element` should not be empty.")
    return _map(lambda v: _host_leaf(v, op), tensors)


class _FromSlices(Dataset):
    """Rows of fixed arrays.  ``_rows()`` (here and in shuffle/take/skip/repeat/shard over it) gives
    the arrays; ``_row_index_array()`` the row numbers of one pass as an array (None when infinite),
    and ``_row_indices()`` as an iterator; so ``batch`` gathers a whole batch with one fancy index per
    component instead of stacking rows, and shuffle permutes indices with array operations."""

    def __init__(self, tensors):
        src = _normalize(tensors, "from_tensor_slices")
        leaves = _flatten(src)
        for a in leaves:
            if a.ndim == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        n = leaves[0].shape[0]
        for a in leaves[1:]:
            if a.shape[0] != n:
                raise ValueError(f"Dimensions {n} and {a.shape[0]} are not compatible "
                                 f"(from_tensor_slices: the components' first dimensions differ: "
                                 f"{[x.shape[0] for x in leaves]})")
        self._src, self._n = src, n

    def _rows(self):
        return self._src

    def _row_arrays(self):
        return True

    def _row_index_array(self):
        return np.arange(self._n)

    def _row_indices(self):
        return iter(range(self._n))

    def _elements(self):
        return _rows_of(self)

    def _card(self):
        return self._n

    def _spec(self):
        return _map(lambda a: TensorSpec(a.shape[1:], as_dtype(a.dtype)), self._src)


def _rows_of(ds):
    src = ds._rows()
    flat = _flatten(src)
    for i in ds._row_indices():
        yield _pack(src, [a[i, ...] for a in flat])


class _RowsUnary:
    """Mixin of the transformations that keep elements rows of the source (shuffle, take, skip,
    repeat, shard): ``_cut_array``/``_cut_iter`` say what they do to one pass's row numbers."""

    def _rows(self):
        return self._input._rows()

    def _row_arrays(self):
        return self._input._row_arrays()

    def _row_index_array(self):
        a = self._input._row_index_array()
        return None if a is None else self._cut_array(a)

    def _row_indices(self):
        a = self._row_index_array()
        return iter(a.tolist()) if a is not None else self._cut_iter(self._input._row_indices())

    def _elements(self):
        if self._rows() is not None:
            return _rows_of(self)
        return self._stream()

    def _stream(self):
        it = self._input._elements()
        try:
            yield from self._cut_iter(it)
        finally:
            _close(it)


class _FromTensors(Dataset):
    def __init__(self, tensors):
        self._value = _normalize(tensors, "from_tensors")

    def _elements(self):
        return iter([self._value])

    def _card(self):
        return 1

    def _spec(self):
        return _map(_spec_of, self._value)


class _Range(Dataset):
    def __init__(self, args, output_type):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid `args`. The length of `args` should be between 1 and 3 but was {len(args)}.")
        vals = [_int_arg(a, "range", "args") for a in args]
        start, stop, step = (0, vals[0], 1) if len(vals) == 1 else (vals + [1])[:3]
        if step == 0:
            raise InvalidArgumentError("step must be a non-zero integer.")
        self._range = range(start, stop, step)
        self._dtype = as_dtype(output_type)

    def _elements(self):
        npd = self._dtype.np
        return (_readonly(np.array(v, npd)) for v in self._range)

    def _card(self):
        return len(self._range)

    def _spec(self):
        return TensorSpec((), self._dtype)


class _Zip(Dataset):
    def __init__(self, datasets):
        def check(d):
            if isinstance(d, list):
                raise TypeError("Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                                "`tf.data.Dataset` objects. Python `list` is not supported and you should use "
                                "`tuple` instead.")
            if isinstance(d, (tuple, dict)):
                for e in (d.values() if isinstance(d, dict) else d):
                    check(e)
            elif not isinstance(d, Dataset):
                raise TypeError(f"Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                                f"`tf.data.Dataset` objects but encountered object of type {type(d)}.")
        check(datasets)
        self._structure = datasets
        self._datasets = _flatten(datasets)

    def _elements(self):
        its = [d._elements() for d in self._datasets]
        try:
            while True:
                parts = []
                for it in its:
                    try:
                        parts.append(next(it))
                    except StopIteration:
                        return
                yield _pack(self._structure, parts)
        finally:
            for it in its:
                _close(it)

    def _card(self):
        cs = [d._card() for d in self._datasets]
        if UNKNOWN_CARDINALITY in cs:
            return UNKNOWN_CARDINALITY
        finite = [c for c in cs if c != INFINITE_CARDINALITY]
        return min(finite) if finite else INFINITE_CARDINALITY

    def _spec(self):
        return _pack(self._structure, [d._spec() for d in self._datasets])

    def _static_spec(self):
        specs = [d._static_spec() for d in self._datasets]
        return None if any(s is None for s in specs) else _pack(self._structure, specs)


def _check_signature(sig, what):
    for s in _flatten(sig):
        if not isinstance(s, TensorSpec):
            raise TypeError(f"`{what}` must contain objects that are subclass of `tf.TypeSpec` but found "
                            f"{type(s)} which is not.")


class _FromGenerator(Dataset):
    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None:
                raise TypeError("The `output_types` argument can not be used together with the "
                                "`output_signature` argument.")
            if output_shapes is not None:
                raise TypeError("The `output_shapes` argument can not be used together with the "
                                "`output_signature` argument.")
            _check_signature(output_signature, "output_signature")
            sig = output_signature
        else:
            if output_types is None:
                raise TypeError("To specify the output signature you need to provide either the "
                                "`output_signature` argument or the `output_types` argument.")
            types = _map(as_dtype, output_types) if not isinstance(output_types, DType) else output_types
            if output_shapes is None:
                sig = _map(lambda t: TensorSpec(None, t), types)
            else:
                shapes_flat = _flatten_up_to(types, output_shapes)
                sig = _pack(types, [TensorSpec(None if s is None else tuple(s), t)
                                    for s, t in zip(shapes_flat, _flatten(types))])
        self._gen = generator
        self._args = () if args is None else tuple(_to_numpy(_host_leaf(a, "from_generator")) for a in args)
        self._sig = sig
        self._flat_sig = _flatten(sig)

    def _elements(self):
        sig, flat_sig = self._sig, self._flat_sig
        it = iter(self._gen(*self._args))
        try:
            for value in it:
                yield _pack(sig, self._convert(value, sig, flat_sig))
        finally:
            _close(it)

    def _convert(self, value, sig, flat_sig):
        try:
            flat = _flatten_up_to(sig, value)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"TypeError: `generator` yielded an element that did not match the expected structure. The "
                f"expected structure was {_struct_str(sig, lambda s: repr(s.dtype))}, but the yielded element "
                f"was {value}.") from None
        out = []
        for v, spec in zip(flat, flat_sig):
            try:
                a = _to_np(v, spec.dtype.np)
            except (TypeError, ValueError) as e:
                raise InvalidArgumentError(
                    f"TypeError: `generator` yielded an element that could not be converted to the expected "
                    f"type. The expected type was {spec.dtype.name}, but the yielded element was {v}. ({e})") from None
            if not spec.is_compatible_with(TensorSpec(a.shape, spec.dtype)):
                raise InvalidArgumentError(
                    f"TypeError: `generator` yielded an element of shape {_shape_str(a.shape)} where an element "
                    f"of shape {_shape_str(spec._dims)} was expected.")
            out.append(_readonly(np.array(a, copy=True)))
        return out

    def _card(self):
        return UNKNOWN_CARDINALITY

    def _spec(self):
        return self._sig


def _shape_str(dims):
    if dims is None:
        return "<unknown>"
    return "(" + ", ".join("None" if d is None else str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _flatten_up_to(template, value):
    """``value``'s parts matching ``template``'s structure (a list does not stand for a tuple, as TF's
    from_generator)."""
    if isinstance(template, dict):
        if not isinstance(value, dict) or sorted(value) != sorted(template):
            raise TypeError("dict keys differ")
        return [v for k in sorted(template) for v in _flatten_up_to(template[k], value[k])]
    if isinstance(template, tuple):
        if not isinstance(value, tuple) or len(value) != len(template):
            raise TypeError("sequence differs")
        return [v for t, e in zip(template, value) for v in _flatten_up_to(t, e)]
    return [value]


# ---------------------------------------------------------------- transformations

class _Unary(Dataset):
    def __init__(self, ds):
        self._input = ds

    def _card(self):
        return self._input._card()

    def _spec(self):
        return self._input._spec()

    def _static_spec(self):
        return self._input._static_spec()


def _stack(arrays, component):
    first = arrays[0]
    for j, a in enumerate(arrays[1:], 1):
        if a.shape != first.shape:
            raise InvalidArgumentError(
                f"Cannot batch tensors with different shapes in component {component}. First element had shape "
                f"{list(first.shape)} and element {j} had shape {list(a.shape)}.")
        if a.dtype != first.dtype:
            raise InvalidArgumentError(
                f"Cannot batch tensors with different dtypes in component {component}: the first element is "
                f"{first.dtype.name}, element {j} is {a.dtype.name}")
    if any(_b.is_cupy_array(a) for a in arrays):
        xp = _b.get_xp()
        return xp.stack([a if _b.is_cupy_array(a) else xp.asarray(a) for a in arrays])
    return np.stack(arrays)


def _chunks(it, n, drop):
    it = iter(it)
    while True:
        chunk = list(itertools.islice(it, n))
        if not chunk or (drop and len(chunk) < n):
            return
        yield chunk


class _Batch(_Unary):
    def __init__(self, ds, n, drop):
        super().__init__(ds)
        self._n, self._drop = n, drop

    def _elements(self):
        src = self._input._rows()
        if src is not None:
            return self._gathered(src)
        return self._stacked()

    def _gathered(self, src):
        flat, n = _flatten(src), self._n
        rows = self._input._row_index_array()
        if rows is not None:
            stop = len(rows) - len(rows) % n if self._drop else len(rows)
            for i in range(0, stop, n):
                idx = rows[i:i + n]
                yield _pack(src, [a[idx] for a in flat])
            return
        for chunk in _chunks(self._input._row_indices(), n, self._drop):
            idx = np.array(chunk, dtype=np.intp)
            yield _pack(src, [a[idx] for a in flat])

    def _stacked(self):
        it = self._input._elements()
        try:
            for chunk in _chunks(it, self._n, self._drop):
                cols = zip(*[_flatten(e) for e in chunk])
                yield _pack(chunk[0], [_stack(list(c), k) for k, c in enumerate(cols)])
        finally:
            _close(it)

    def _card(self):
        c = self._input._card()
        if c < 0:
            return c
        return c // self._n if self._drop else -(-c // self._n)

    def _batched_spec(self, spec):
        lead = self._n if self._drop else None
        return _map(lambda s: TensorSpec(None if s._dims is None else (lead,) + s._dims, s.dtype), spec)

    def _spec(self):
        return self._batched_spec(self._input._spec())

    def _static_spec(self):
        s = self._input._static_spec()
        return None if s is None else self._batched_spec(s)


class _PaddedBatch(_Batch):
    def __init__(self, ds, n, padded_shapes, padding_values, drop):
        super().__init__(ds, n, drop)
        self._shapes_arg, self._values_arg = padded_shapes, padding_values
        self._plan = None
        spec = ds._static_spec()
        if spec is not None:
            self._plan = self._make_plan(spec)

    def _make_plan(self, spec):
        """Per component: (target dims with None for 'the batch's largest', padding value array)."""
        flat_spec = _flatten(spec)
        if self._shapes_arg is None:
            shapes = []
            for k, s in enumerate(flat_spec):
                if s._dims is None:
                    raise ValueError(f"You must provide `padded_shapes` argument because component {k} has "
                                     f"unknown rank.")
                shapes.append(s._dims)
        else:
            try:
                raw = _flatten_up_to(_map(lambda s: 0, spec), self._shapes_arg) if _is_struct(spec) \
                    else [self._shapes_arg]
            except TypeError:
                raise ValueError(f"padded_batch: `padded_shapes` {self._shapes_arg!r} does not match the "
                                 f"element structure {_struct_str(spec)}") from None
            shapes = []
            for s, p in zip(flat_spec, raw):
                dims = tuple(p) if p is not None and not isinstance(p, (int, np.integer)) else None
                if dims is None:
                    raise ValueError(f"padded_batch: each padded shape must be a list of dims, got {p!r}")
                dims = tuple(None if d is None or (isinstance(d, (int, np.integer)) and d == -1)
                             else _int_arg(d, "padded_batch", "padded_shapes") for d in dims)
                if s._dims is not None and (len(dims) != len(s._dims) or any(
                        d is not None and k is not None and d < k for d, k in zip(dims, s._dims))):
                    raise ValueError(f"The padded shape {_shape_str(dims)} is not compatible with the shape "
                                     f"{_shape_str(s._dims)} of the corresponding input component.")
                shapes.append(dims)
        if self._values_arg is None:
            values = [np.zeros((), s.dtype.np) for s in flat_spec]
        else:
            try:
                raw = _flatten_up_to(_map(lambda s: 0, spec), self._values_arg) if _is_struct(spec) \
                    else [self._values_arg]
            except TypeError:
                raise ValueError(f"padded_batch: `padding_values` {self._values_arg!r} does not match the "
                                 f"element structure {_struct_str(spec)}") from None
            values = []
            for s, v in zip(flat_spec, raw):
                a = _host_leaf(v, "padded_batch")
                if a.ndim != 0:
                    raise ValueError(f"Invalid `padding_values`. `padding_values` values should be scalars, "
                                     f"got shape {a.shape}")
                if a.dtype != s.dtype.np:
                    raise TypeError(f"Invalid `padding_values`. `padding_values` values type "
                                    f"{as_dtype(a.dtype)} does not match type {s.dtype} of the corresponding "
                                    f"input component.")
                values.append(a)
        return shapes, values

    def _elements(self):
        return self._padded()

    def _padded(self):
        it = self._input._elements()
        try:
            for chunk in _chunks(it, self._n, self._drop):
                if self._plan is None:       # the input's spec needs user code: plan from what came
                    self._plan = self._make_plan(_map(lambda a: _spec_of(a, known=False), chunk[0]))
                shapes, values = self._plan
                cols = zip(*[_flatten(e) for e in chunk])
                yield _pack(chunk[0], [self._pad(list(c), shapes[k], values[k], k) for k, c in enumerate(cols)])
        finally:
            _close(it)

    @staticmethod
    def _pad(arrays, dims, value, component):
        ranks = {a.ndim for a in arrays}
        if len(ranks) != 1 or arrays[0].ndim != len(dims):
            raise InvalidArgumentError(f"padded_batch: component {component} has ranks {sorted(ranks)} in one batch; "
                                       f"the padded shape {_shape_str(dims)} needs rank {len(dims)}")
        target = tuple(max(a.shape[i] for a in arrays) if d is None else d for i, d in enumerate(dims))
        for a in arrays:
            if any(s > t for s, t in zip(a.shape, target)):
                raise DataLossError("Attempted to pad to a smaller size than the input element.")
        mod = _b.array_module(arrays[0])
        out = mod.full((len(arrays),) + target, value[()], dtype=arrays[0].dtype)
        for i, a in enumerate(arrays):
            out[(i,) + tuple(slice(0, s) for s in a.shape)] = a
        return out

    def _batched_spec(self, spec):        # _Batch's _spec/_static_spec call it: the padded shapes
        shapes = self._make_plan(spec)[0]
        lead = self._n if self._drop else None
        return _pack(spec, [TensorSpec((lead,) + d, s.dtype) for d, s in zip(shapes, _flatten(spec))])


class _Unbatch(_Unary):
    def __init__(self, ds):
        super().__init__(ds)
        spec = ds._static_spec()
        if spec is not None:
            self._check_spec(spec)

    @staticmethod
    def _check_spec(spec):
        flat = _flatten(spec)
        if any(s._dims == () for s in flat):
            raise ValueError("Cannot unbatch an input with scalar components.")
        known = {s._dims[0] for s in flat if s._dims and s._dims[0] is not None}
        if len(known) > 1:
            a, b = sorted(known)[:2]
            raise ValueError(f"`unbatch()` is only supported for datasets of elements whose components have a "
                             f"matching leading dimension. Encountered both {a} and {b}.")

    def _elements(self):
        it = self._input._elements()
        try:
            for e in it:
                flat = _flatten(e)
                if any(a.ndim == 0 for a in flat):
                    raise ValueError("Cannot unbatch an input with scalar components.")
                n = flat[0].shape[0]
                if any(a.shape[0] != n for a in flat):
                    raise InvalidArgumentError(f"Input element must have the same batch size in each component. "
                                               f"Component 0 had size {n} but another had "
                                               f"{[a.shape[0] for a in flat]}.")
                for i in range(n):
                    yield _pack(e, [a[i, ...] for a in flat])
        finally:
            _close(it)

    def _card(self):
        return UNKNOWN_CARDINALITY

    def _unbatched(self, spec):
        self._check_spec(spec)
        return _map(lambda s: TensorSpec(None if s._dims is None else s._dims[1:], s.dtype), spec)

    def _spec(self):
        return self._unbatched(self._input._spec())

    def _static_spec(self):
        s = self._input._static_spec()
        return None if s is None else self._unbatched(s)


class _Shuffle(_RowsUnary, _Unary):
    def __init__(self, ds, size, seed, reshuffle):
        super().__init__(ds)
        self._size, self._reshuffle = size, reshuffle
        if seed is None:
            from .ops.creation import random
            # a seed from gputape's global generator: reproducible after random.set_seed, fresh otherwise
            seed = int(_b.to_host(random._rng().integers(0, 2 ** 62)))
        self._seed = seed
        self._epochs = itertools.count()

    def _rng(self):
        return np.random.default_rng([self._seed, next(self._epochs) if self._reshuffle else 0])

    def _cut_array(self, a):
        return a[_shuffle_positions(len(a), self._size, self._rng())]

    def _cut_iter(self, it):
        return _shuffled(it, self._size, self._rng())


class _Map(_Unary):
    def __init__(self, ds, fn, workers):
        super().__init__(ds)
        self._fn, self._workers = fn, workers
        self._peeked = None

    def _apply(self, element):
        return _fn_output(_call(self._fn, element), "map")

    def _elements(self):
        it = self._input._elements()
        src = it if self._workers is None else _ordered_pool(it, self._apply, self._workers)
        first_sig = None
        try:
            for e in src:
                out = self._apply(e) if self._workers is None else e
                sig = (_signature(out), _structure_key(out))
                if first_sig is None:
                    first_sig = sig
                elif sig != first_sig:
                    raise TypeError(f"map: the function returned {_struct_str(out, lambda a: a.dtype.name)} for "
                                    f"one element and a different structure or dtype for an earlier one; every "
                                    f"element's result must have the same structure and dtypes (TF traces the "
                                    f"function once)")
                yield out
        finally:
            _close(src)
            if src is not it:
                _close(it)

    def _spec(self):
        if self._peeked is None:
            in_spec = self._input._spec()
            it = self._input._elements()
            try:
                first = next(it, None)
            finally:
                _close(it)
            if first is None:          # an empty input: trace on zeros of the input's spec
                first = _map(lambda s: np.zeros(tuple(1 if d is None else d for d in (s._dims or ())),
                                                s.dtype.np), in_spec)
            out = self._apply(first)
            known = _fully_defined(in_spec)
            self._peeked = _map(lambda a: _spec_of(a, known), out)
        return self._peeked

    def _static_spec(self):
        return self._peeked


def _structure_key(s):
    if isinstance(s, dict):
        return ("d", tuple((k, _structure_key(s[k])) for k in sorted(s)))
    if isinstance(s, tuple):
        return ("t", type(s), tuple(_structure_key(e) for e in s))
    return None


def _ordered_pool(it, fn, workers):
    """``fn`` over ``it`` on ``workers`` threads, results in input order; an exception is raised at
    its element's turn; pending work is cancelled when the consumer stops."""
    pool = ThreadPoolExecutor(workers, thread_name_prefix="gputape.data.map")
    pending = collections.deque()
    try:
        for e in it:
            pending.append(pool.submit(fn, e))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=False)


class _Filter(_Unary):
    def __init__(self, ds, predicate):
        super().__init__(ds)
        self._pred = predicate

    def _keep(self, element):
        r = _call(self._pred, element)
        if isinstance(r, (bool, np.bool_)):
            return bool(r)
        v = r._v if isinstance(r, _Base) else (r if isinstance(r, np.ndarray) else None)
        if v is None or v.dtype != np.bool_ or v.ndim != 0:
            spec = _spec_of(v) if v is not None else repr(r)
            raise ValueError(f"Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its "
                             f"return type is {spec}.")
        return bool(v)       # on CuPy a read of one flag per element, as TF's predicate is read on the host

    def _elements(self):
        it = self._input._elements()
        try:
            for e in it:
                if self._keep(e):
                    yield e
        finally:
            _close(it)

    def _card(self):
        return UNKNOWN_CARDINALITY


class _Repeat(_RowsUnary, _Unary):
    def __init__(self, ds, count):
        super().__init__(ds)
        self._count = count

    def _passes(self):
        return itertools.count() if self._count < 0 else range(self._count)

    def _row_arrays(self):
        return self._count >= 0 and self._input._row_arrays()

    def _row_index_array(self):
        if not self._row_arrays():
            return None
        parts = [self._input._row_index_array() for _ in range(self._count)]    # a fresh pass each
        return np.concatenate(parts) if parts else np.zeros(0, np.intp)

    def _row_indices(self):
        a = self._row_index_array()
        if a is not None:
            return iter(a.tolist())
        return self._repeated(self._input._row_indices)

    def _stream(self):
        return self._repeated(self._input._elements)

    def _repeated(self, one_pass):
        for _ in self._passes():
            it = one_pass()
            empty = True
            try:
                for e in it:
                    empty = False
                    yield e
            finally:
                _close(it)
            if empty:
                return

    def _card(self):
        c = self._input._card()
        if self._count == 0 or c == 0:
            return 0
        if self._count < 0 or c == INFINITE_CARDINALITY:
            return INFINITE_CARDINALITY
        if c == UNKNOWN_CARDINALITY:
            return UNKNOWN_CARDINALITY
        return c * self._count


class _Take(_RowsUnary, _Unary):
    def __init__(self, ds, count):
        super().__init__(ds)
        self._count = count

    def _cut_array(self, a):
        return a if self._count < 0 else a[:self._count]

    def _cut_iter(self, it):
        return it if self._count < 0 else itertools.islice(it, self._count)

    def _card(self):
        c = self._input._card()
        if self._count < 0 or c == UNKNOWN_CARDINALITY:
            return c
        return self._count if c == INFINITE_CARDINALITY else min(c, self._count)


class _Skip(_RowsUnary, _Unary):
    def __init__(self, ds, count):
        super().__init__(ds)
        self._count = count

    def _cut_array(self, a):
        return a[:0] if self._count < 0 else a[self._count:]

    def _cut_iter(self, it):
        if self._count < 0:
            for _ in it:
                pass
            return iter(())
        return itertools.islice(it, self._count, None)

    def _card(self):
        c = self._input._card()
        if c < 0:
            return c
        return 0 if self._count < 0 else max(c - self._count, 0)


class _Shard(_RowsUnary, _Unary):
    def __init__(self, ds, n, index):
        super().__init__(ds)
        self._n, self._index = n, index

    def _cut_array(self, a):
        return a[self._index::self._n]

    def _cut_iter(self, it):
        return itertools.islice(it, self._index, None, self._n)

    def _card(self):
        c = self._input._card()
        if c < 0:
            return c
        return c // self._n + (1 if self._index < c % self._n else 0)


class _Enumerate(_Unary):
    def __init__(self, ds, start):
        super().__init__(ds)
        self._start = start

    def _elements(self):
        it = self._input._elements()
        try:
            for i, e in enumerate(it, self._start):
                yield (_readonly(np.array(i, np.int64)), e)
        finally:
            _close(it)

    def _spec(self):
        return (TensorSpec((), _int64), self._input._spec())

    def _static_spec(self):
        s = self._input._static_spec()
        return None if s is None else (TensorSpec((), _int64), s)


class _Cache(_Unary):
    def __init__(self, ds):
        super().__init__(ds)
        self._cached = None
        self._lock = threading.Lock()

    def _elements(self):
        if self._cached is not None:
            return iter(self._cached)
        return self._filling()

    def _filling(self):
        seen = []
        it = self._input._elements()
        try:
            for e in it:
                seen.append(e)
                yield e
        finally:
            _close(it)
        with self._lock:
            if self._cached is None:
                self._cached = seen


class _Prefetch(_Unary):
    def __init__(self, ds, n):
        super().__init__(ds)
        self._n = n

    def _elements(self):
        return self._iterate()

    def _iterate(self):
        """The input's elements, produced up to ``_n`` ahead by a thread."""
        if self._n == 0:
            return self._input._elements()
        return _PrefetchIterator(self._input._elements(), self._n)


class _PrefetchIterator:
    """A producer thread runs the input into a buffer of at most ``n`` elements;
    ``__next__`` takes from it and re-raises the producer's exception at its position.  Dropping the
    iterator (or ``close``) tells the thread to stop; it closes the input on its way out.

    The threads meet only on the buffer's transitions: the consumer takes without a lock while
    elements are ready and wakes the producer when it empties the buffer; the producer then refills
    it to ``n``.  One wake per ``n`` elements instead of one per element: each wake makes the two
    threads contend for the GIL, which costs more than the producer's work on a cheap pipeline."""

    def __init__(self, source, n):
        self._buf = collections.deque()
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._done = False
        self.thread = threading.Thread(target=_produce, args=(source, n, self._buf, self._cv, self._stop),
                                       name="gputape.data.prefetch", daemon=True)
        self.thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        buf = self._buf
        try:
            kind, value = buf.popleft()
        except IndexError:
            with self._cv:
                while not buf:
                    self._cv.wait()
                kind, value = buf.popleft()
        if not buf:
            with self._cv:
                self._cv.notify()
        if kind == "item":
            return value
        self._done = True
        if kind == "error":
            raise value
        raise StopIteration

    def close(self):
        self._done = True
        self._stop.set()
        with self._cv:
            self._buf.clear()
            self._cv.notify()

    def __del__(self):
        if getattr(self, "_stop", None) is not None:
            self.close()


def _produce(source, n, buf, cv, stop):
    def put(item):
        with cv:
            while len(buf) >= n and not stop.is_set():
                cv.wait(0.05)
            if stop.is_set():
                return False
            buf.append(item)
            cv.notify()
            return True

    try:
        for e in source:
            if stop.is_set() or not put(("item", e)):
                return
        put(("end", None))
    except BaseException as e:       # noqa: BLE001  (handed to the consumer, raised there)
        put(("error", e))
    finally:
        _close(source)


# ---------------------------------------------------------------- tf.data.experimental

class experimental:      # noqa: N801  (a namespace, as tf.data.experimental)
    AUTOTUNE = AUTOTUNE
    INFINITE_CARDINALITY = INFINITE_CARDINALITY
    UNKNOWN_CARDINALITY = UNKNOWN_CARDINALITY

    @staticmethod
    def cardinality(dataset):
        return dataset.cardinality()

