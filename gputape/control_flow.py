"""Control flow, run eagerly with TensorFlow 2.21's argument conventions: ``cond``, ``case``,
``switch_case``, ``while_loop``, ``foldl``/``foldr``/``scan``/``map_fn``/``vectorized_map``,
``identity_n``, ``no_op``, ``group``.

In eager mode TensorFlow runs control flow as Python (``tf.cond`` calls the branch the predicate picks,
``tf.while_loop`` is a Python ``while``), and so does gputape: every op a branch or a loop body runs is
recorded on the active tapes like any other op, so gradients (of any order) through them are the
gradients of the ops that ran, as TensorFlow's eager tape gives them.  Reading a predicate is one
device-to-host read per branch decision or loop iteration (TensorFlow's eager control flow reads it too).

    x = gputape.Variable(2.0)
    with gputape.GradientTape() as tape:
        y = gputape.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), [0, x])[1]
    tape.gradient(y, x)            # y = x**4: 4 * x**3 = 32.0

Where TF's eager path and its graph path (``tf.function``) disagree, gputape takes the one that refuses
bad input: ``case(exclusive=True)`` with two true predicates raises (TF eager takes the first), and
``while_loop``'s ``shape_invariants``, when given, are checked on entry and after every iteration
(TF eager ignores them; its graph mode checks them).
"""
import collections

import numpy as np

from . import ops as _ops
from . import checks
from .dtypes import as_dtype
from .errors import InvalidArgumentError
from .nest import flatten as _flatten, pack_sequence_as as _pack
from .tensor import _Base, Tensor, TensorShape, Variable, convert_to_tensor

__all__ = ["cond", "case", "switch_case", "while_loop", "foldl", "foldr", "scan", "map_fn", "vectorized_map",
           "identity_n", "no_op", "group"]


# ---------------------------------------------------------------- structures (as tf.nest)

def _is_seq(x):
    return isinstance(x, (list, tuple, dict))


_NOT_SAME = "The two structures don't have the same nested structure."


def _same_structure(a, b, check_types=True, where=""):
    """tf.nest.assert_same_structure: ValueError when the nesting differs, TypeError when only the
    sequence types do (list vs tuple), both with TF's first line."""
    why = _structure_difference(a, b, check_types)
    if why is not None:
        cls, more = why
        raise cls(f"{_NOT_SAME}\n\nFirst structure: {_kind(a)}\n\nSecond structure: {_kind(b)}\n\n"
                  f"More specifically: {more}" + (f"\n({where})" if where else ""))


def _structure_difference(a, b, check_types):
    """None when ``a`` and ``b`` nest alike, else (exception class, what differs)."""
    sa, sb = _is_seq(a), _is_seq(b)
    if not sa and not sb:
        return None
    if sa != sb:
        return ValueError, f"{_kind(a if sa else b)} is a sequence, while {_kind(b if sa else a)} is not"
    if check_types and type(a) is not type(b) and not (isinstance(a, dict) and isinstance(b, dict)):
        return TypeError, f"the sequence types differ: {type(a).__name__} and {type(b).__name__}"
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or sorted(a) != sorted(b):
            return ValueError, "the dictionaries' keys differ"
        pairs = [(a[k], b[k]) for k in a]
    else:
        if len(a) != len(b):
            return ValueError, f"The two structures don't have the same number of elements ({len(a)} and {len(b)})"
        pairs = zip(a, b)
    for x, y in pairs:
        why = _structure_difference(x, y, check_types)
        if why is not None:
            return why
    return None


def _kind(s):
    if _is_seq(s):
        return f"type={type(s).__name__} of {len(s)}"
    if isinstance(s, _Base):
        return f"a {s._v.dtype.name} tensor of shape {tuple(s._v.shape)}"
    return f"type={type(s).__name__} str={s!r}"[:120]


def _callable(fn, what):
    if not callable(fn):
        raise TypeError(f"'{what}' must be callable.")


def _truth(pred, op):
    """Python truth of a predicate, as TF's eager control flow reads it (``bool`` of its value: a
    one-element tensor of any dtype counts, a longer one is ValueError)."""
    if not isinstance(pred, _Base):
        pred = convert_to_tensor(pred)
    return bool(pred)


# ---------------------------------------------------------------- cond, case, switch_case

def cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``, only the chosen branch runs (TF 2.21's eager ``tf.cond``).

    ``pred``: a scalar (or one-element) tensor, Python or NumPy value, read as Python's ``bool`` of its
    value, as TF's eager ``cond``; a tensor of more than one element raises ValueError ("The truth value
    of an array with more than one element is ambiguous").  A missing branch is TypeError
    ("cond(): 'true_fn' argument required"), a non-callable one TypeError ("'true_fn' must be callable.").
    The branch's result is returned as it is (a one-element list stays a list: ``strict`` semantics).
    Gradients flow through the branch that ran.
    """
    if true_fn is None:
        raise TypeError("cond(): 'true_fn' argument required")
    if false_fn is None:
        raise TypeError("cond(): 'false_fn' argument required")
    _callable(true_fn, "true_fn")
    _callable(false_fn, "false_fn")
    return true_fn() if _truth(pred, "cond") else false_fn()


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The function of the first true predicate of ``pred_fn_pairs`` (TF 2.21's ``tf.case``).

    ``pred_fn_pairs``: a list/tuple of ``(pred, fn)`` 2-tuples (an ``OrderedDict``, or a dict when
    ``exclusive=True``); each ``pred`` a bool tensor (TypeError otherwise, as TF), each ``fn`` callable.
    Without ``default``, the last pair's function is the default and runs only if its predicate is true:
    no true predicate is InvalidArgumentError ("... None of conditions evaluated as True"), as TF.
    ``exclusive=True`` with more than one true predicate is InvalidArgumentError (TF's graph mode; its
    eager mode silently takes the first).  Without ``strict``, a one-element list or tuple a function
    returns is unpacked once per ``cond`` of TF's chain it passes out of (TF's non-strict cond): the k-th
    pair's result k+1 times, the default's once per pair, a lone pair's never.
    """
    if not isinstance(pred_fn_pairs, (list, tuple, dict)):
        raise TypeError(f"'pred_fn_pairs' must be a list, tuple, or dict. Received: {type(pred_fn_pairs)}")
    if isinstance(pred_fn_pairs, collections.OrderedDict):
        pred_fn_pairs = list(pred_fn_pairs.items())
    elif isinstance(pred_fn_pairs, dict):
        if not exclusive:
            raise ValueError("Unordered dictionaries are not supported for the 'pred_fn_pairs' argument when "
                             "`exclusive=False` and eager mode is enabled.")
        pred_fn_pairs = list(pred_fn_pairs.items())
    if default is not None:
        _callable(default, "default")
    for pair in pred_fn_pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'pred_fn_pairs' must be a 2-tuple. Received {pair}.")
        pred, fn = pair
        if isinstance(pred, _Base):
            if pred._v.dtype != np.bool_:
                raise TypeError(f"pred must be Tensor of type bool: got a {pred._v.dtype.name} tensor of shape "
                                f"{tuple(pred._v.shape)}")
        else:
            raise TypeError(f"pred must be a Tensor, got: {pred}")
        if not callable(fn):
            raise TypeError(f"fn for pred {_short(pred)} must be callable.")
    if not pred_fn_pairs:
        raise ValueError("not enough values to unpack (expected 2, got 0): 'pred_fn_pairs' is empty")
    truth = [bool(p) for p, _ in pred_fn_pairs]
    if exclusive and sum(truth) > 1:
        raise InvalidArgumentError(f"Input error: exclusive=True: more than 1 conditions evaluated as True: "
                                   f"{[int(t) for t in truth]}")
    n = len(pred_fn_pairs)
    last = n if default is not None else n - 1          # TF's chain: the last pair is the default when none is given
    for k, ((_, fn), t) in enumerate(zip(pred_fn_pairs, truth)):
        if t:
            return _unpack(fn(), 0 if strict else min(k + 1, last))
    if default is not None:
        return _unpack(default(), 0 if strict else n)
    raise InvalidArgumentError(f"Expected '{pred_fn_pairs[-1][0]}' to be true. Summarized data: b'Input error: "
                               f"None of conditions evaluated as True:' {[int(t) for t in truth]}")


def _unpack(result, times):
    """TF's non-strict cond unpacks a one-element list or tuple, once per cond the result passes out of
    (``tf.case`` chains one cond per predicate but the last when there is no default)."""
    for _ in range(times):
        if not (isinstance(result, (list, tuple)) and len(result) == 1):
            break
        result = result[0]
    return result


def _short(t):
    return str(t) if isinstance(t, _Base) else repr(t)


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """``branch_fns[branch_index]()``, or ``default()`` (else the last branch) when the index is out of
    range (TF 2.21's eager ``tf.switch_case``).

    ``branch_index``: an integer tensor (a Python int is TypeError "'branch_index' must be a Tensor", a
    float tensor TypeError, as TF); a scalar.  ``branch_fns``: a non-empty list of callables, a list of
    ``(int, callable)`` pairs or a dict whose keys are exactly ``0..n-1`` (ValueError otherwise).
    """
    if not isinstance(branch_index, _Base):
        raise TypeError(f"'branch_index' must be a Tensor, got {type(branch_index)}")
    if branch_index._v.dtype.kind not in "iu":
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype}")
    if not branch_fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    if not isinstance(branch_fns, (list, tuple, dict)):
        raise TypeError("'branch_fns' must be a list, tuple, or dict")
    if isinstance(branch_fns, dict):
        branch_fns = list(branch_fns.items())
    if all(callable(fn) for fn in branch_fns):
        branch_fns = list(enumerate(branch_fns))
    for pair in branch_fns:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'branch_fns' must be a 2-tuple. Received {pair}.")
        key, fn = pair
        if not isinstance(key, int):
            raise TypeError(f"key must be a Python `int`, got {type(key)}")
        if not callable(fn):
            raise TypeError(f"fn for key {key} must be callable.")
    keys = [p[0] for p in branch_fns]
    if min(keys) < 0 or max(keys) >= len(keys) or len(set(keys)) != len(keys):
        raise ValueError(f"branch indices (keys) must form contiguous range of [0 to {len(keys)}) but found "
                         f"{{{','.join(map(str, sorted(keys)))}}}")
    if default is not None:
        _callable(default, "default")
    if branch_index._v.ndim != 0:
        raise InvalidArgumentError(f"switch_case: 'branch_index' must be a scalar, got shape "
                                   f"{list(branch_index._v.shape)}")
    actions = [fn for _, fn in sorted(branch_fns, key=lambda p: p[0])]
    if default is not None:
        actions.append(default)
    i = int(branch_index)
    return actions[i if 0 <= i < len(actions) else len(actions) - 1]()


# ---------------------------------------------------------------- while_loop

def _positive_int(v, what):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise TypeError(f"'{what}' must be a positive integer.")


def _as_loop_value(x):
    from .tensor_array import TensorArray
    if isinstance(x, TensorArray):
        return x
    return convert_to_tensor(x)


def _shape(v):
    return None if _is_tensor_array(v) else tuple(v._v.shape) if isinstance(v, _Base) else tuple(np.shape(v))


def _is_tensor_array(v):
    from .tensor_array import TensorArray
    return isinstance(v, TensorArray)


def _check_invariant(inv, entered, shape, where, after):
    """A loop variable's shape against its shape invariant (TF's graph-mode messages)."""
    if shape is None or inv.rank is None or inv.is_compatible_with(shape):
        return
    if after:
        raise ValueError(f"Input tensor `{where}` enters the loop with shape {TensorShape(entered)}, but has shape "
                         f"{TensorShape(shape)} after one iteration, which its shape invariant {inv} does not "
                         f"allow. To allow the shape to vary across iterations, use the `shape_invariants` "
                         f"argument of tf.while_loop to specify a less-specific shape.")
    raise ValueError(f"The shape invariant specified for {where} is not compatible with the initial shape of the "
                     f"loop variable. It enters the loop with shape {TensorShape(shape)}, but the specified shape "
                     f"invariant is {inv}.")


def _invariants(shape_invariants, loop_vars):
    flat_inv = _flatten_shapes(shape_invariants)
    _same_structure(loop_vars, _pack_shapes(shape_invariants), check_types=False)
    return flat_inv


def _is_shape(s):
    return isinstance(s, TensorShape) or s is None


def _flatten_shapes(s):
    if _is_shape(s):
        return [TensorShape(None) if s is None else s]
    if isinstance(s, dict):
        return [x for k in sorted(s) for x in _flatten_shapes(s[k])]
    if isinstance(s, (list, tuple)):
        return [x for e in s for x in _flatten_shapes(e)]
    raise TypeError(f"while_loop: shape_invariants must hold TensorShapes (or None), got {s!r}")


def _pack_shapes(s):
    """shape_invariants with each TensorShape as a leaf (for the structure comparison)."""
    if _is_shape(s):
        return 0
    if isinstance(s, dict):
        return {k: _pack_shapes(v) for k, v in s.items()}
    out = [_pack_shapes(e) for e in s]
    return type(s)(*out) if hasattr(s, "_fields") else type(s)(out)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, maximum_iterations=None, name=None):
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (TF 2.21's eager ``tf.while_loop``).

    - ``loop_vars``: a non-empty (possibly nested) list, tuple or namedtuple of tensors, numbers, arrays,
      Variables (read once) or ``TensorArray``s; empty is ValueError ("'loop_vars' must be provided.").
      The result has the structure ``body`` returned (the loop variables as given, converted to tensors,
      when the loop runs zero times); ``body`` must return the same nesting every iteration (ValueError
      "The two structures don't have the same nested structure."; a list where a tuple was is TypeError
      under ``maximum_iterations``, as TF).  Shapes and dtypes may change between iterations, as in TF's
      eager mode, unless ``shape_invariants`` is given.
    - ``shape_invariants``: TensorShapes (``None`` dimensions unknown) in the structure of ``loop_vars``;
      each loop variable is checked against its invariant on entry and after every iteration (ValueError,
      TF's graph-mode message).  TF's eager mode ignores them.
    - ``maximum_iterations``: a scalar integer (tensor); the loop stops after that many iterations
      (0 or negative: none).  A float is TypeError (TF eager truncates it).
    - ``parallel_iterations``: a positive integer (TypeError otherwise, as TF); iterations run one after
      another, as TF eager.  ``swap_memory`` has no effect eagerly (as TF); ``back_prop=False`` stops the
      gradient through the results (TF's deprecated option).
    Gradients flow through every iteration's ops (the tape records them as they run).
    """
    _callable(cond, "cond")
    _callable(body, "body")
    _positive_int(parallel_iterations, "parallel_iterations")
    if not _is_seq(loop_vars):
        if loop_vars is None or (not isinstance(loop_vars, _Base) and not loop_vars):
            raise ValueError("'loop_vars' must be provided.")
        raise TypeError(f"while_loop: loop_vars must be a list, tuple or namedtuple of loop variables (TF's "
                        f"tf.while_loop iterates over it), got {_kind(loop_vars)}")
    if isinstance(loop_vars, dict):
        raise TypeError("while_loop: loop_vars must be a list, tuple or namedtuple (cond and body take one "
                        "argument per loop variable), got a dict")
    if not loop_vars:
        raise ValueError("'loop_vars' must be provided.")
    limit = None
    if maximum_iterations is not None:
        m = maximum_iterations
        if isinstance(m, (list, tuple, np.ndarray)):
            m = convert_to_tensor(m)
        if isinstance(m, _Base) and m._v.ndim != 0:
            raise ValueError(f"'maximum_iterations' must be a scalar. Received shape: {m.shape}")
        limit = checks.as_int(m, "while_loop", "maximum_iterations")
    loop_vars = _pack(loop_vars, [_ops.identity(x) if isinstance(x, Variable) else x for x in _flatten(loop_vars)])
    inv = None
    if shape_invariants is not None:
        inv = _invariants(shape_invariants, loop_vars)
        entered = [_shape(v) for v in _flatten(loop_vars)]
        for k, (s, e) in enumerate(zip(inv, entered)):
            _check_invariant(s, e, e, f"loop_vars[{k}]", after=False)
    structure = loop_vars
    it = 0
    while True:
        c = cond(*loop_vars)
        if limit is not None:
            c = _bool_with_limit(c)
            if not (it < limit) or not bool(c):
                break
        elif not _truth(c, "while_loop"):
            break
        out = body(*loop_vars)
        if not isinstance(out, (list, tuple)):
            if isinstance(out, _Base) and out._v.ndim == 0:
                raise TypeError("Cannot iterate over a scalar tensor. (while_loop: body must return a list or "
                                f"tuple of {len(structure)} loop variables, as loop_vars; it returned a tensor)")
            raise TypeError(f"while_loop: body must return a list or tuple of {len(structure)} loop variables, "
                            f"as loop_vars; it returned {_kind(out)}")
        _same_structure(list(structure), list(out), where="while_loop: loop_vars, then what body returned")
        if limit is not None and it == 0 and type(out) is not type(structure):
            # TF packs (counter, loop_vars) and compares with the body's (counter, out): the sequence types count
            _same_structure(structure, out, where="while_loop with maximum_iterations: loop_vars, then what body "
                                                  "returned")
        if inv is not None:
            for k, (s, e, v) in enumerate(zip(inv, entered, _flatten(out))):
                _check_invariant(s, e, _shape(v), f"loop_vars[{k}]", after=True)
        loop_vars = out
        it += 1
    res = _pack(loop_vars, [_as_loop_value(x) for x in _flatten(loop_vars)])
    if back_prop is False:
        res = _pack(res, [x if not isinstance(x, _Base) else _ops.stop_gradient(x) for x in _flatten(res)])
    return res


def _bool_with_limit(c):
    """TF's ``logical_and(i < maximum_iterations, cond(...))``: the condition must be a bool."""
    if isinstance(c, _Base):
        if c._v.dtype != np.bool_:
            raise InvalidArgumentError(f"cannot compute LogicalAnd as input #1(zero-based) was expected to be a bool "
                                       f"tensor but is a {c._v.dtype.name} tensor (while_loop's cond with "
                                       f"maximum_iterations)")
        return c
    if isinstance(c, (bool, np.bool_)):
        return c
    raise TypeError(f"Cannot convert {c!r} to EagerTensor of dtype bool (while_loop's cond with "
                    f"maximum_iterations must return a bool)")


# ---------------------------------------------------------------- map_fn, scan, foldl, foldr

def _elems(elems, op):
    """The flat elems as tensors of rank >= 1 with one leading size (TF's checks and messages)."""
    flat = [convert_to_tensor(e) if not isinstance(e, _Base) else _ops.identity(e) if not isinstance(e, Tensor)
            else e for e in _flatten(elems)]
    if not flat:
        raise ValueError(f"{op}: elems must hold at least one tensor")
    for e in flat:
        if e._v.ndim == 0:
            raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
    n = flat[0]._v.shape[0]
    for e in flat[1:]:
        if e._v.shape[0] != n:
            raise ValueError(f"Dimensions {n} and {e._v.shape[0]} are not compatible ({op}: the elems' first "
                             f"dimensions differ)")
    return flat, n


def _spec(sig):
    """A leaf of fn_output_signature as (dtype, shape or None)."""
    from .function import TensorSpec
    if isinstance(sig, TensorSpec):
        return as_dtype(sig.dtype).np, (None if sig._dims is None else TensorShape(sig._dims))
    if type(sig).__name__ in ("RaggedTensorSpec", "SparseTensorSpec"):
        raise NotImplementedError(f"map_fn: fn_output_signature {sig!r}: gputape has no ragged or sparse tensors")
    return as_dtype(sig).np, None


def _write_check(value, dtype, shape, first):
    """A TensorArray write's checks: TF's messages for dtype and (inferred) shape mismatches."""
    if value._v.dtype != dtype:
        raise InvalidArgumentError(f"TensorArray dtype is {np.dtype(dtype).name} but Op is trying to write dtype "
                                   f"{value._v.dtype.name} ")
    want = shape if shape is not None else first
    if want is not None and not TensorShape(want).is_compatible_with(value._v.shape):
        raise ValueError(f"Incompatible shape for value ({TensorShape(value._v.shape)}), expected "
                         f"({TensorShape(want)})")


def _to_dtype(v, dtype):
    if isinstance(v, _Base):
        return v if isinstance(v, Tensor) else _ops.identity(v)
    return convert_to_tensor(v, dtype_hint=dtype)


def _stack_outputs(columns, dtypes, shapes):
    out = []
    for col, dt, shp in zip(columns, dtypes, shapes):
        if col:
            out.append(_ops.stack(col))
        else:
            tail = tuple(shp) if shp is not None and shp.rank is not None and None not in tuple(shp) else ()
            out.append(convert_to_tensor(np.zeros((0,) + tail, dtype=dt)))
    return out


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, infer_shape=True,
           name=None, fn_output_signature=None):
    """``fn`` on each slice ``elems[i]`` (the same nesting as ``elems``), the results stacked (TF 2.21's
    ``tf.map_fn``; a Python loop, one ``fn`` call per element, as TF's eager mode).

    ``elems``: a tensor or a nested structure of tensors of rank >= 1 and equal first dimension
    (ValueError otherwise; a Python list is a structure of its elements, as TF).  ``fn_output_signature``
    (or the deprecated ``dtype``): the dtypes (or ``TensorSpec``s) of ``fn``'s outputs, in their structure;
    without it ``fn`` must return the structure and dtypes of ``elems`` (ValueError / InvalidArgumentError
    "TensorArray dtype is int32 but Op is trying to write dtype float32", as TF).  With ``infer_shape``
    every output must have the first one's shape (ValueError "Incompatible shape for value ...").  No
    elements: an empty result of shape ``[0]`` (TF's).  ``back_prop=False`` stops the gradient;
    ``parallel_iterations`` (a positive int or None) and ``swap_memory`` do not change anything eagerly.
    """
    _callable(fn, "fn")
    if parallel_iterations is not None:
        _positive_int(parallel_iterations, "parallel_iterations")
    if fn_output_signature is None:
        fn_output_signature = dtype
    flat, n = _elems(elems, "map_fn")
    if fn_output_signature is None:
        sig_struct = elems
        specs = [(e._v.dtype, None) for e in flat]
    else:
        sig_struct = fn_output_signature
        specs = [_spec(s) for s in _flatten(fn_output_signature)]
    columns = [[] for _ in specs]
    first = [None] * len(specs)
    for i in range(n):
        out = fn(_pack(elems, [e[i] for e in flat]))
        _same_structure(sig_struct, out, check_types=False,
                        where="map_fn: fn_output_signature (else elems), then what fn returned")
        for k, (v, (dt, shp)) in enumerate(zip(_flatten(out), specs)):
            v = _to_dtype(v, dt)
            _write_check(v, dt, shp, first[k] if infer_shape else None)
            if first[k] is None:
                first[k] = tuple(v._v.shape)
            columns[k].append(v)
    res = _stack_outputs(columns, [s[0] for s in specs], [s[1] for s in specs])
    if back_prop is False:
        res = [_ops.stop_gradient(r) for r in res]
    return _pack(sig_struct, res)


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """``fn`` on each slice of ``elems``, the results stacked (TF 2.21's ``tf.vectorized_map``).

    gputape does not vectorise ``fn``: it loops in Python, one ``fn`` call per element (``map_fn``'s
    way), so the values and gradients are those of TF's vectorised version but the cost is ``n`` calls.
    The outputs' structure and dtypes come from ``fn`` (no signature needed, as TF); a Python number
    returned by ``fn`` becomes a tensor per element.  ``elems``: tensors of rank >= 1 and equal first
    dimension (InvalidArgumentError otherwise).  No elements: ``fn`` runs once on a zero slice to learn the
    outputs' dtypes and shapes, and the result is empty.  ``fallback_to_while_loop`` and ``warn`` are
    accepted (there is nothing to fall back from).
    """
    _callable(fn, "fn")
    flat = [convert_to_tensor(e) if not isinstance(e, _Base) else e for e in _flatten(elems)]
    if not flat or any(e._v.ndim == 0 for e in flat):
        raise ValueError("vectorized_map: elems must be tensors of rank >= 1 (TF: IndexError list index out of "
                         "range for a scalar)")
    n = flat[0]._v.shape[0]
    for e in flat[1:]:
        if e._v.shape[0] != n:
            raise InvalidArgumentError(f"vectorized_map: the elems' first dimensions differ ({n} and "
                                       f"{e._v.shape[0]})")
    if n == 0:
        probe = fn(_pack(elems, [_ops.zeros(e._v.shape[1:], dtype=e.dtype) for e in flat]))
        vals = [convert_to_tensor(v) if not isinstance(v, _Base) else v for v in _flatten(probe)]
        return _pack(probe, [convert_to_tensor(np.zeros((0,) + tuple(v._v.shape), dtype=v._v.dtype)) for v in vals])
    outs = [fn(_pack(elems, [e[i] for e in flat])) for i in range(n)]
    for o in outs[1:]:
        _same_structure(outs[0], o, check_types=False, where="vectorized_map: what fn returned for element 0, "
                                                             "then for a later one")
    cols = list(zip(*[[_to_dtype(v, None) for v in _flatten(o)] for o in outs]))
    return _pack(outs[0], [_ops.stack(list(c)) for c in cols])


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, infer_shape=True,
         reverse=False, name=None):
    """The running results of ``a = fn(a, x)`` over the slices ``x`` of ``elems``, stacked (TF 2.21's
    ``tf.scan``; a Python loop, as TF eager).

    Without ``initializer`` the first slice (the last with ``reverse=True``) starts the accumulator and is
    the first output; an empty ``elems`` then raises OutOfRangeError (an IndexError, TF's message).
    ``fn`` must return the structure of the accumulator (ValueError) and its dtypes
    (InvalidArgumentError "TensorArray dtype is ..."). ``reverse=True`` scans from the end and writes the
    results in their positions.  Gradients flow through every step.
    """
    _callable(fn, "fn")
    _positive_int(parallel_iterations, "parallel_iterations")
    flat, n = _elems(elems, "scan")
    a_struct, a, order = _accumulator(elems, flat, n, initializer, reverse)
    results = [a] if initializer is None else []
    a_dtypes = [x._v.dtype for x in _flatten(a)]
    for i in order:
        a = fn(a, _pack(elems, [e[i] for e in flat]))
        _same_structure(a_struct, a, check_types=False, where="scan: the accumulator, then what fn returned")
        vals = [_to_dtype(v, d) for v, d in zip(_flatten(a), a_dtypes)]
        for v, d in zip(vals, a_dtypes):
            _write_check(v, d, None, None)
        a = _pack(a, vals)
        results.append(a)
    if reverse:
        results = results[::-1]
    cols = [list(c) for c in zip(*[_flatten(r) for r in results])] if results else [[] for _ in a_dtypes]
    res = _stack_outputs(cols, a_dtypes, [None] * len(a_dtypes))
    if back_prop is False:
        res = [_ops.stop_gradient(r) for r in res]
    return _pack(a_struct, res)


def _accumulator(elems, flat, n, initializer, reverse):
    """scan's and fold's start: (the accumulator's structure, its first value, the element order left).
    Without an initializer the first element (the last when ``reverse``) starts it."""
    order = list(range(n))[::-1] if reverse else list(range(n))
    if initializer is None:
        if n == 0:
            raise _out_of_range(0, 0)
        return elems, _pack(elems, [e[order[0]] for e in flat]), order[1:]
    return initializer, _pack(initializer, [_as_loop_value(x) for x in _flatten(initializer)]), order


def _out_of_range(index, size):
    from .tensor_array import OutOfRangeError
    return OutOfRangeError(f"Tried to read from index {index} but array size is: {size} (no initializer and an "
                           f"empty elems)")


def _fold(fn, elems, initializer, parallel_iterations, back_prop, op, reverse):
    _callable(fn, "fn")
    _positive_int(parallel_iterations, "parallel_iterations")
    try:
        flat, n = _elems(elems, op)
    except ValueError as e:
        if "1+ dimensional" in str(e):
            raise IndexError(f"{op}: elems must be tensors of rank >= 1 (TF: tuple index out of range)") from None
        raise
    a_struct, a, order = _accumulator(elems, flat, n, initializer, reverse)
    for i in order:
        a = fn(a, _pack(elems, [e[i] for e in flat]))
        _same_structure(a_struct, a, check_types=False, where=f"{op}: the accumulator, then what fn returned")
    res = [_as_loop_value(x) for x in _flatten(a)]
    if back_prop is False:
        res = [_ops.stop_gradient(r) for r in res]
    return _pack(a_struct, res)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``a = fn(a, x)`` over the slices of ``elems`` from the first, returning the last ``a`` (TF 2.21's
    ``tf.foldl``).  Without ``initializer`` the first slice starts (empty ``elems``: OutOfRangeError, an
    IndexError); ``fn`` must keep the accumulator's structure (ValueError).  A Python loop."""
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, "foldl", reverse=False)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``foldl`` from the last slice to the first (TF 2.21's ``tf.foldr``)."""
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, "foldr", reverse=True)


# ---------------------------------------------------------------- identity_n, no_op, group

def identity_n(input, name=None):
    """Each of ``input`` as a tensor, in a list (TF 2.21's ``tf.identity_n``; gradients pass through).

    A tensor input is iterated (its rows); an empty list is InvalidArgumentError, as TF."""
    items = list(input)
    if not items:
        raise InvalidArgumentError("Length for attr 'T' of 0 must be at least minimum 1 (identity_n of an empty list)")
    return [_ops.identity(v) if isinstance(v, _Base) else convert_to_tensor(v) for v in items]


def no_op(name=None):
    """Does nothing and returns None (TF 2.21's eager ``tf.no_op``)."""
    return None


def group(*inputs, name=None):
    """Returns None: eagerly every op has already run (TF 2.21's eager ``tf.group``)."""
    return None
