"""Issue 7, kinds 2, 3, 4, 6 and 8 in the elementwise, reduction and nn ops: TensorFlow 2.21's
dtype rules, output dtypes, axis checks and edge values, recorded as fixtures by
``tests/tf_fixtures/gen_dtype.py`` from the programs of ``tests/tf_fixtures/dtype_cases.py``, which
run here under gputape (no TensorFlow needed here).

A longer property run with outcome counts:

    GPUTAPE_HYPOTHESIS_EXAMPLES=2000 python -m pytest -q tests/test_silent_dtype.py -k property \
        -p no:cacheprovider --hypothesis-show-statistics
"""
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gputape as gt
from gputape import dtype_rules
from gputape.errors import InvalidArgumentError

import dtype_ops
from tf_fixture import TF_ERROR_BUILTIN, load

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
import dtype_cases  # noqa: E402

CASES = load("dtype")


@pytest.fixture(autouse=True)
def _gputape_warning_filter():
    """pytest imports gputape inside its collection-time ``catch_warnings`` and gives every test a
    fresh copy of the filter list, so op.py's RuntimeWarning filter (set at import) is not in it;
    gputape restores it on its next wrapper call (``ensure_warning_filter``).  Do that first here,
    as a program that imports gputape at its top has the filter from the start
    (``test_stderr_is_clean_in_a_fresh_process`` checks that case in a subprocess)."""
    from gputape.op import ensure_warning_filter
    ensure_warning_filter()
BUILTIN = dict(TF_ERROR_BUILTIN, NotFoundError=ValueError)


def _np(r):
    return np.asarray(r.numpy() if hasattr(r, "numpy") else r)


def _same(out, want, name):
    a = _np(out)
    assert a.dtype.name == want["dtype"], f"{name}: dtype {a.dtype.name}, TF {want['dtype']}"
    assert list(a.shape) == want["shape"], f"{name}: shape {a.shape}, TF {want['shape']}"
    w = np.asarray(want["value"], dtype=a.dtype).reshape(want["shape"])
    if a.dtype.kind == "f":
        tol = 2e-3 if a.dtype == np.float16 else 1e-5
        np.testing.assert_allclose(a, w, rtol=tol, atol=tol, equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(a, w, err_msg=name)


def expect(name, fn):
    """Run ``fn`` and compare with TF's recorded case ``name``: value, dtype and shape, or TF's
    exception class (ours subclasses the matching builtin; InvalidArgumentError is ours)."""
    want = CASES[name]
    if "error" in want:
        cls = BUILTIN[want["error"]]
        with pytest.raises(cls) as ei:
            fn()
        if want["error"] in ("InvalidArgumentError", "NotFoundError"):
            assert isinstance(ei.value, InvalidArgumentError), (name, ei.value)
        assert type(ei.value).__module__.startswith("gputape") or cls in (TypeError, ValueError), ei.value
        return ei.value
    out = fn()
    if "outputs" in want:
        assert len(out) == len(want["outputs"]), name
        for o, w in zip(out, want["outputs"]):
            _same(o, w, name)
    else:
        _same(out, want, name)
    return out


TABLE = [(op, dt) for op in dtype_ops.OPS for dt in dtype_ops.DTYPES]


# ---------------------------------------------------------------- kinds 3 and 4: the whole table
@pytest.mark.parametrize("op,dt", TABLE, ids=[f"{o}-{d}" for o, d in TABLE])
def test_dtype_table(op, dt):
    """Every public op in the table x every dtype: TF's output dtype and value, or TF's error."""
    kind, call = dtype_ops.OPS[op]
    expect(f"table/{op}/{dt}", lambda: call(gt, *dtype_ops.inputs(kind, dt, gt.constant)))


def test_refusal_names_the_op_and_dtype():
    with pytest.raises(InvalidArgumentError, match=r"sqrt: .*int32.*allowed values: half, float, double"):
        gt.sqrt(gt.constant([4, 9]))
    with pytest.raises(InvalidArgumentError, match=r"selu: .*int32"):
        gt.nn.selu(gt.constant([1, 2]))


# ---------------------------------------------------------------- one test per example of the issue
EXAMPLES = dtype_cases.examples(gt, np)


def test_every_recorded_example_has_a_test():
    recorded = {k for k in CASES if not k.startswith("table/")}
    assert recorded == set(EXAMPLES), recorded ^ set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example(name):
    """Each example of issue 7 in these ops: TF's value, dtype and shape, or TF's exception class."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # also: no NumPy warning escapes gputape
        expect(name, EXAMPLES[name])


def test_errors_name_the_op():
    for fn, op in [(EXAMPLES["floordiv_int_zero"], "floordiv"), (EXAMPLES["softmax_axis_2"], "softmax"),
                   (EXAMPLES["reduce_sum_dup_axis"], "reduce_sum"), (EXAMPLES["argmax_0d"], "argmax"),
                   (EXAMPLES["cumsum_axis_2"], "cumsum"), (EXAMPLES["moments_axis_2"], "moments"),
                   (EXAMPLES["cast_none"], "cast"), (EXAMPLES["exp_bool"], "exp"),
                   (EXAMPLES["xent_axis_2"], "softmax_cross_entropy_with_logits")]:
        with pytest.raises((ValueError, TypeError), match=op):
            fn()


# ---------------------------------------------------------------- kind 6: no NumPy warning reaches the user
_NOISY = ["log_zero", "divide_float_zero", "floordiv_float_zero", "floormod_float_zero", "reduce_mean_empty",
          "reduce_mean_empty_axis", "reduce_logsumexp_neg_inf", "reduce_logsumexp_pos_inf/grad",
          "reduce_logsumexp_mixed/grad", "dense_xent_neg_inf", "sigmoid_xent_pos_inf", "sigmoid_xent_pos_inf/grad",
          "relu6_inf/grad", "clip_by_norm_inf", "xlogy_zero", "cast_float_to_uint8"]


@pytest.mark.parametrize("name", _NOISY)
def test_no_runtime_warning_with_default_filters(name):
    """log(0), x/0, inf - inf, inf * 0 inside gputape: nothing recorded, the result is TF's."""
    with warnings.catch_warnings(record=True) as rec:
        expect(name, EXAMPLES[name])
    assert not [w for w in rec if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in rec]


def test_users_own_numpy_warnings_are_kept():
    """The filter is scoped to gputape's modules: the user's own np.log(0) still warns."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always", RuntimeWarning)
        np.log(np.zeros(1))
    assert any(issubclass(w.category, RuntimeWarning) for w in rec)
    assert np.geterr()["divide"] == "warn"          # NumPy's error state untouched


def test_filter_restored_after_import_inside_catch_warnings():
    """Imported inside a ``catch_warnings`` block (as pytest's collection does), the filter is gone
    when the block exits; the next reduction/nn wrapper call puts it back."""
    code = ("import warnings\n"
            "with warnings.catch_warnings():\n"
            "    import gputape as tf\n"
            "tf.reduce_sum(tf.constant([1.]))\n"
            "tf.math.log(tf.constant([0., -1.])); tf.constant([1.]) / tf.constant([0.])\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    assert r.stderr == "", r.stderr


def test_stderr_is_clean_in_a_fresh_process():
    code = ("import gputape as tf\n"
            "x = tf.constant([0., -1., float('inf')])\n"
            "tf.math.log(x); tf.math.divide(x, tf.zeros([3])); x - x; x * 0.\n"
            "tf.reduce_mean(tf.zeros([0])); tf.reduce_sum(tf.constant([float('inf'), -float('inf')]))\n"
            "tf.nn.softmax(tf.constant([float('inf'), 1.]))\n"
            "tf.reduce_logsumexp(tf.constant([-float('inf'), -float('inf')]))\n"
            "tf.cast(tf.constant([300., float('nan')]), tf.uint8)\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    assert r.stderr == "", r.stderr


# ---------------------------------------------------------------- property tests (TF's recorded rules as oracle)
# GPUTAPE_HYPOTHESIS_EXAMPLES raises the example count for a longer run; outcomes are hypothesis
# events (see them with --hypothesis-show-statistics).
import os  # noqa: E402

from hypothesis import event  # noqa: E402

_N = int(os.environ.get("GPUTAPE_HYPOTHESIS_EXAMPLES", "40"))
_SETTINGS = settings(max_examples=_N, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30]


def _tf_rule(op, dt):
    """TF's recorded outcome for ``op`` on ``dt``: ('ok', output dtype) or ('error', builtin class)."""
    w = CASES[f"table/{op}/{dt}"]
    if "error" in w:
        return "error", BUILTIN[w["error"]]
    return "ok", w["dtype"]


@st.composite
def arrays(draw, dtype, min_dims=0, max_dims=3, shape=None):
    if shape is None:
        shape = tuple(draw(st.lists(st.integers(0, 3), min_size=min_dims, max_size=max_dims)))
    n = int(np.prod(shape))
    if dtype == "bool":
        vals = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    elif dtype.startswith("float"):
        vals = draw(st.lists(st.sampled_from(_SPECIAL) | st.floats(-100, 100, width=16), min_size=n, max_size=n))
    else:
        info = np.iinfo(dtype)
        vals = draw(st.lists(st.integers(max(int(info.min), -100), min(int(info.max), 100)), min_size=n, max_size=n))
    with np.errstate(all="ignore"):
        return np.array(vals, dtype=np.float64 if dtype.startswith("float") else None).astype(dtype).reshape(shape)


def _run(fn, outcome, op, dt):
    """Call ``fn`` and check it against TF's outcome; no NumPy RuntimeWarning may escape."""
    with warnings.catch_warnings(record=True) as rec:
        if outcome[0] == "error":
            with pytest.raises(outcome[1]):
                fn()
            event(f"refused ({outcome[1].__name__})")
            out = None
        else:
            out = fn()
            outs = out if isinstance(out, tuple) else (out,)
            for o in outs:
                assert _np(o).dtype.name == outcome[1], (op, dt, _np(o).dtype.name, outcome[1])
            event("computed")
    assert not [w for w in rec if issubclass(w.category, RuntimeWarning)], (op, dt, [str(w.message) for w in rec])
    return out


_UNARY = [op for op, (k, _) in dtype_ops.OPS.items() if k == "u"]
_BINARY = [op for op, (k, _) in dtype_ops.OPS.items() if k == "b" and op not in ("add_n", "clip_by_value")]


@_SETTINGS
@given(st.sampled_from(_UNARY), st.sampled_from(dtype_ops.DTYPES), st.data())
def test_property_unary_dtype_rules(op, dt, data):
    """Every public unary op, any dtype, any shape and special values: TF's dtype legality and
    output dtype, the input's shape, and no RuntimeWarning."""
    x = data.draw(arrays(dt))
    call = dtype_ops.OPS[op][1]
    out = _run(lambda: call(gt, gt.constant(x)), _tf_rule(op, dt), op, dt)
    if out is not None:
        assert tuple(_np(out).shape) == x.shape


@_SETTINGS
@given(st.sampled_from(_BINARY), st.sampled_from(dtype_ops.DTYPES), st.data())
def test_property_binary_dtype_rules(op, dt, data):
    """Every public binary op on two tensors of one dtype (broadcast shapes): TF's rules; integer
    division by zero raises (TF's CPU kernels)."""
    shape = tuple(data.draw(st.lists(st.integers(1, 3), max_size=3)))
    x = data.draw(arrays(dt, shape=shape))
    y = data.draw(arrays(dt, shape=shape[data.draw(st.integers(0, len(shape))):]))
    outcome = _tf_rule(op, dt)
    if (outcome[0] == "ok" and op in ("floordiv", "floormod") and dt not in ("float16", "float32", "float64")
            and (y == 0).any()):
        outcome = ("error", ValueError)
        event("integer division by zero")
    if outcome[0] == "ok" and op == "pow" and dt.startswith("int") and (y < 0).any():
        outcome = ("error", ValueError)      # TF: "Integers to negative integer powers are not allowed"
    out = _run(lambda: dtype_ops.OPS[op][1](gt, gt.constant(x), gt.constant(y)), outcome, op, dt)
    if out is not None:
        assert tuple(_np(out).shape) == np.broadcast_shapes(x.shape, y.shape)


_REDUCE = {"reduce_sum": "reduce_sum", "reduce_mean": "reduce_mean", "reduce_max": "reduce_max",
           "reduce_min": "reduce_min", "reduce_prod": "reduce_prod", "reduce_any": "reduce_any",
           "reduce_all": "reduce_all", "reduce_logsumexp": "reduce_logsumexp",
           "reduce_euclidean_norm": "reduce_euclidean_norm", "reduce_variance": "reduce_variance",
           "reduce_std": "reduce_std", "count_nonzero": "count_nonzero"}


@st.composite
def axis_specs(draw, ndim):
    return draw(st.none() | st.integers(-ndim - 2, ndim + 1)
                | st.lists(st.integers(-ndim - 1, ndim), max_size=3))


@_SETTINGS
@given(st.sampled_from(sorted(_REDUCE)), st.sampled_from(dtype_ops.DTYPES), st.data())
def test_property_reductions(op, dt, data):
    """Every public reduction: any axis spec (None, int, list; out of range, duplicates), keepdims:
    TF's error for bad axes (InvalidArgumentError), TF's output dtype (int8 sums stay int8) and the
    reduced shape."""
    x = data.draw(arrays(dt, max_dims=3))
    axis = data.draw(axis_specs(x.ndim))
    keep = data.draw(st.booleans())
    outcome = _tf_rule(op if op != "reduce_min" else "reduce_min", dt)
    axes = None
    if outcome[0] == "ok" and axis is not None:
        lst = [axis] if isinstance(axis, int) else axis
        norm = [a + x.ndim if a < 0 else a for a in lst]
        if any(not -x.ndim <= a < x.ndim for a in lst) or len(set(norm)) != len(norm):
            outcome = ("error", InvalidArgumentError)
            event("bad axis")
        axes = tuple(norm)
    out = _run(lambda: getattr(gt.math, _REDUCE[op])(gt.constant(x), axis=axis, keepdims=keep), outcome, op, dt)
    if out is not None:
        want = np.sum(np.zeros(x.shape), axis=axes, keepdims=keep).shape
        assert tuple(_np(out).shape) == want, (op, x.shape, axis, keep)


_AXIS_OPS = {
    "softmax": lambda x, a: gt.nn.softmax(x, axis=a),
    "log_softmax": lambda x, a: gt.nn.log_softmax(x, axis=a),
    "cumsum": lambda x, a: gt.math.cumsum(x, axis=a),
    "argmax": lambda x, a: gt.math.argmax(x, axis=a),
    "argmin": lambda x, a: gt.math.argmin(x, axis=a),
    "l2_normalize": lambda x, a: gt.nn.l2_normalize(x, axis=a),
}


@_SETTINGS
@given(st.sampled_from(sorted(_AXIS_OPS)), st.sampled_from(("float32", "int32", "float16")), st.data())
def test_property_single_axis_ops(op, dt, data):
    """softmax/log_softmax/cumsum/argmax/argmin/l2_normalize: an axis outside [-rank, rank) or a 0-d
    input raises (TF), never wraps; otherwise TF's dtype and shape."""
    x = data.draw(arrays(dt, max_dims=3))
    axis = data.draw(st.integers(-x.ndim - 2, x.ndim + 1))
    outcome = _tf_rule(op, dt)
    if outcome[0] == "ok" and not -x.ndim <= axis < x.ndim:
        outcome = ("error", InvalidArgumentError)
        event("bad axis")
    elif outcome[0] == "ok" and op.startswith("arg") and x.shape[axis] == 0:
        outcome = ("error", InvalidArgumentError)       # TF: "Reduction axis 0 is empty in shape [0]"
        event("empty reduction axis")
    out = _run(lambda: _AXIS_OPS[op](gt.constant(x), axis), outcome, op, dt)
    if out is not None:
        a = axis % x.ndim
        want = x.shape[:a] + x.shape[a + 1:] if op.startswith("arg") else x.shape
        assert tuple(_np(out).shape) == want


@_SETTINGS
@given(st.sampled_from([op for op, (k, _) in dtype_ops.OPS.items() if k in ("u", "m")]),
       st.sampled_from(("float32", "int32", "bool")), st.data())
def test_property_plain_list_inputs(op, dt, data):
    """Every public unary/reduction op given a plain Python list behaves as given the tensor TF makes
    of that list (float32 / int32 / bool)."""
    kind, call = dtype_ops.OPS[op]
    x = data.draw(arrays(dt, min_dims=1 if kind == "u" else 2, max_dims=1 if kind == "u" else 2,
                         shape=(2,) if kind == "u" else (2, 2)))
    outcome = _tf_rule(op, dt)
    lst = x.tolist()
    out = _run(lambda: call(gt, lst), outcome, op, dt)
    if out is not None:
        ref = call(gt, gt.constant(x))
        for o, r in zip(out if isinstance(out, tuple) else (out,), ref if isinstance(ref, tuple) else (ref,)):
            np.testing.assert_array_equal(_np(o), _np(r))
