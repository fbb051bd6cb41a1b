"""Issue 7, kinds 5, 8 and 9 in the tensor/tape layer: conversions that must fail (or work),
exception classes of indexing, assignment and the tape's arguments, custom gradients and tape
introspection.  The programs are ``tests/tf_fixtures/tensor_cases.py``'s; expected values and
exception classes are TensorFlow 2.21's, recorded by ``tests/tf_fixtures/gen_tensor.py`` running the
same programs into ``tensor.json``.

Property tests: ``test_conversion_corpus_matches_tf`` replays 300 recorded ``tf.constant`` calls;
``test_conversion_rules`` checks hypothesis-generated nested lists against the rules derived from
them (``GPUTAPE_HYPOTHESIS_EXAMPLES`` sets its number of examples; 150 by default).

Where gputape deliberately differs from TF the test says so: TF makes string tensors (gputape has
no string dtype: TypeError), wraps integers out of a requested dtype's range (gputape: ValueError),
and silently drops elements of a ragged list whose first row is empty (gputape: ValueError).
"""
import math
import os
import pathlib
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

import gputape as tf
from gputape.debugging import explain_none
from gputape.errors import InvalidArgumentError
from tf_fixture import TF_ERROR_BUILTIN, load

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
import tensor_cases  # noqa: E402

TF = load("tensor")
PROGRAMS = tensor_cases.cases(tf, np)
N_EXAMPLES = int(os.environ.get("GPUTAPE_HYPOTHESIS_EXAMPLES", "150"))


def _cls(name):
    return InvalidArgumentError if name == "InvalidArgumentError" else TF_ERROR_BUILTIN[name]


def _same(got, want):
    """Equal values, NaN equal to NaN, -0.0 to 0.0; nested lists."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    return got == want


def _compare(name, r):
    case = TF[name]
    if case["value"] is None:
        assert r is None, f"{name}: TF gives None, gputape {r!r}"
        return
    assert r.dtype.name == case["dtype"], name
    assert list(r.shape) == case["shape"], name
    assert _same(r.numpy().tolist(), case["value"]), (name, r.numpy().tolist(), case["value"])


def check(name, fn):
    """Run ``fn`` under gputape and compare with TF's recorded case ``name`` (a list of results:
    the cases ``name/<i>``)."""
    case = TF.get(name)
    if case is not None and "error" in case:
        with pytest.raises(_cls(case["error"])):
            fn()
        return
    r = fn()
    if case is not None:
        _compare(name, r)
        return
    n = sum(1 for k in TF if k.startswith(name + "/") and k[len(name) + 1:].isdigit())
    assert n, f"{name}: not recorded (rerun tests/tf_fixtures/gen_tensor.py)"
    assert isinstance(r, (list, tuple)) and len(r) == n, (name, r)
    for i, e in enumerate(r):
        _compare(f"{name}/{i}", e)


# Cases where gputape deliberately differs from TF: each has its own test below.
DIFFERS = {
    "constant_string_array", "constant_string_array_plus_1", "constant_string",   # no string dtype
    "custom_gradient_keywords", "custom_gradient_positional", "custom_gradient_mixed",   # keyword tensors
}


def _same_as_tf(section):
    return [n for n in section(tf, np) if n not in DIFFERS]


def test_every_program_is_recorded():
    """tensor.json holds every program of tensor_cases.py (rerun gen_tensor.py if not)."""
    for name in PROGRAMS:
        assert name in TF or f"{name}/0" in TF, name


# ================================================================ kind 5: conversions
@pytest.mark.parametrize("name", _same_as_tf(tensor_cases.conversions))
def test_conversion_examples(name):
    check(name, PROGRAMS[name])


def test_conversion_errors_keep_tf_text_and_name_the_api():
    with pytest.raises(ValueError, match=r"Attempt to convert a value \(None\).*\(Variable.assign: value None"):
        tf.Variable([1.0, 2.0]).assign(None)
    with pytest.raises(ValueError, match=r"mixed types.*\(constant: value \[1.0, None\], dtype float32\)"):
        tf.constant([1.0, None], dtype=tf.float32)
    with pytest.raises(ValueError, match="out-of-range integer"):
        tf.constant(2 ** 63)


def test_strings_are_refused_at_conversion():
    # TF makes a string tensor (then "cannot compute Add as input #1 ... string"); gputape has no
    # string dtype, so conversion raises TypeError naming it instead of carrying strings on
    assert TF["constant_string_array"]["dtype"] == "string"
    assert TF["constant_string_array_plus_1"]["error"] == "InvalidArgumentError"
    assert TF["constant_string"]["dtype"] == "string"
    for make in (PROGRAMS["constant_string_array"], PROGRAMS["constant_string_array_plus_1"],
                 PROGRAMS["constant_string"], lambda: tf.constant(["a", "b"]), lambda: tf.Variable("a"),
                 lambda: tf.convert_to_tensor(np.array([b"x"]))):
        with pytest.raises(TypeError, match="no string dtype"):
            make()


def test_dtypes_gputape_lacks_are_refused():
    with pytest.raises(TypeError, match="uint32"):
        tf.constant(np.array([1], np.uint32))
    with pytest.raises(TypeError, match="complex"):
        tf.constant(1 + 2j)


def test_out_of_range_for_the_requested_dtype_raises_instead_of_wrapping():
    # TF wraps (tf.constant(2**40, tf.int32) is 0, tf.constant(300, tf.uint8) 44): a silent change of value
    for v, d in ((2 ** 40, tf.int32), ([300], tf.uint8), ([-1], tf.uint8), (np.array([2 ** 40]), tf.int32)):
        with pytest.raises(ValueError, match="out of range"):
            tf.constant(v, dtype=d)
    with pytest.raises(ValueError, match="NaN or Inf"):
        tf.constant(np.array([np.nan]), dtype=tf.int32)
    assert tf.constant([1, 2], dtype=tf.int8).numpy().tolist() == [1, 2]


def test_op_arguments_convert_with_the_same_rules():
    with pytest.raises(ValueError, match="mixed types"):
        tf.add(tf.constant([1.0, 2.0]), [1.0, None])
    with pytest.raises(ValueError, match="out-of-range integer"):
        tf.add(tf.constant([1, 2], tf.int64), [2 ** 63, 1])
    assert tf.add([1, 2], [3, 4]).dtype == tf.int32


def test_conversion_of_python_scalars_fast_path_agrees():
    assert tf.constant(1).dtype == tf.int32 and tf.constant(2 ** 31).dtype == tf.int64
    assert tf.constant(1.5).dtype == tf.float32 and tf.constant(True).dtype == tf.bool
    assert tf.constant(1, tf.float16).numpy() == 1.0
    assert tf.constant(True, tf.float32).numpy() == 1.0


# ---------------------------------------------------------------- the recorded corpus
def _eval(src):
    return eval(src, {"nan": float("nan"), "inf": float("inf"), "np": np})   # noqa: S307 (our own fixture)


def _rect(v):
    """Whether a nested list is rectangular (an independent check of TF's ragged-list bug)."""
    def shape(x):
        if isinstance(x, (list, tuple)):
            subs = [shape(e) for e in x]
            if any(s is False for s in subs) or len(set(subs)) > 1:
                return False
            return (len(x),) + (subs[0] if subs else ())
        return ()
    return shape(v) is not False


def _leaves(v):
    if isinstance(v, (list, tuple)):
        for e in v:
            yield from _leaves(e)
    else:
        yield v


CORPUS = sorted(k for k in TF if k.startswith("conv/"))


def _deviation(case, value):
    """The exception gputape raises where it deliberately differs from a TF success, else None."""
    if "error" in case:
        return None
    if case["dtype"] == "string":
        return TypeError
    if not _rect(value):
        return ValueError          # TF drops elements of [[], [1]]
    if case["dtype"].startswith(("int", "uint")):
        got = list(_leaves(case["value"]))
        want = [int(x) for x in _leaves(value)]
        if got != want:
            return ValueError      # TF wrapped an integer out of the dtype's range
    return None


@pytest.mark.parametrize("name", CORPUS)
def test_conversion_corpus_matches_tf(name):
    case = TF[name]
    value = _eval(case["input"])
    dtype = case["dtype_arg"]
    dev = _deviation(case, value)
    if dev is not None:
        with pytest.raises(dev):
            tf.constant(value, dtype=dtype)
        return
    if "error" in case:
        with pytest.raises(_cls(case["error"])) as e:
            tf.constant(value, dtype=dtype)
        assert case["message"] in str(e.value), (case["input"], dtype, str(e.value))
        return
    r = tf.constant(value, dtype=dtype)
    assert r.dtype.name == case["dtype"], (case["input"], dtype)
    assert list(r.shape) == case["shape"], (case["input"], dtype)
    assert _same(r.numpy().tolist(), case["value"]), (case["input"], dtype, r.numpy().tolist(), case["value"])


def test_corpus_outcomes_cover_every_kind():
    kinds = {TF[k].get("error") or TF[k]["dtype"] for k in CORPUS}
    assert {"ValueError", "TypeError", "float32", "int32", "bool", "float64", "int64"} <= kinds
    assert len(CORPUS) == 300


# ---------------------------------------------------------------- hypothesis: the derived rules
_F32 = float(np.finfo(np.float32).max)
LEAVES = [
    st.booleans(),
    st.integers(-3, 300) | st.integers(-2 ** 63, 2 ** 63 - 1),
    st.floats(-_F32, _F32) | st.floats() | st.sampled_from([float("nan"), float("inf"), 3.4028236e38, 65520.0]),
    st.none(),
    st.sampled_from(["a", "xy"]),
]
DTYPE = st.sampled_from([None, None, "float32", "float64", "float16", "int32", "int64", "int8", "int16",
                         "uint8", "bool"])


@st.composite
def nested(draw):
    shape = draw(st.lists(st.integers(1, 3), max_size=3))
    kinds = draw(st.lists(st.sampled_from(range(len(LEAVES))), min_size=1, max_size=2, unique=True))
    leaf = st.one_of([LEAVES[k] for k in kinds])
    flat = draw(st.lists(leaf, min_size=math.prod(shape), max_size=math.prod(shape)))
    it = iter(flat)

    def build(s):
        return next(it) if not s else [build(s[1:]) for _ in range(s[0])]
    return build(shape)


def expected(value, dtype):
    """TF 2.21's outcome for rectangular, non-empty nested lists of Python bools, ints within
    int64, floats (any double), None and strings, with gputape's deviations:
    an exception class, or (numpy dtype name, list of values)."""
    leaves = list(_leaves(value))
    first = leaves[0]
    if any(v is None for v in leaves):
        return ValueError
    strs = [isinstance(v, str) for v in leaves]
    if all(strs):
        return TypeError
    if any(strs):
        return ValueError
    isbool = [type(v) is bool for v in leaves]
    isfloat = [type(v) is float for v in leaves]
    if dtype is None or dtype in ("int8", "int16", "uint8", "bool"):
        # TF infers first: a bool first takes only bools
        if isbool[0] and not all(isbool):
            return ValueError
    if dtype is None:
        if all(isbool):
            return "bool", leaves
        if any(isfloat):
            if any(f and math.isfinite(v) and abs(v) > _F32 and math.isinf(float(np.array(v).astype(np.float32)))
                   for f, v in zip(isfloat, leaves)):
                return ValueError    # "... a value out of range for a double-precision float."
            return "float32", [float(np.float32(v)) for v in leaves]
        ints = [int(v) for v in leaves]
        fits = all(-2 ** 31 <= v < 2 ** 31 for v in ints)
        return ("int32" if fits else "int64"), ints
    if dtype == "bool":
        return ("bool", leaves) if all(isbool) else TypeError
    if dtype in ("int8", "int16", "uint8") and all(isbool):
        return TypeError             # inferred bool: TF casts only to bool, int32/int64 and floats
    if dtype.startswith("float"):
        with np.errstate(over="ignore"):
            over = [f and math.isfinite(v) and math.isinf(float(np.array(v).astype(dtype)))
                    for f, v in zip(isfloat, leaves)]
        if any(over) and isbool[0] and not all(isbool):
            return ValueError        # TF's float converter refuses the overflow, then infers: a bool first
        with np.errstate(over="ignore"):
            return dtype, [float(np.array(float(v), np.float64).astype(dtype)) for v in leaves]
    if any(isfloat):
        # int32/int64's converter refuses the float; TF then infers (a bool first: mixed types)
        return ValueError if isbool[0] else TypeError
    ints = [int(v) for v in leaves]
    info = np.iinfo(dtype)
    if not all(info.min <= v <= info.max for v in ints):
        return ValueError            # gputape refuses what TF wraps
    return dtype, ints


@settings(max_examples=N_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=nested(), dtype=DTYPE)
def test_conversion_rules(value, dtype):
    with np.errstate(over="ignore"):
        want = expected(value, dtype)
    event(f"outcome: {want.__name__ if isinstance(want, type) else want[0]}")
    if isinstance(want, type):
        with pytest.raises(want):
            tf.constant(value, dtype=dtype)
        return
    d, vals = want
    r = tf.constant(value, dtype=dtype)
    assert r.dtype.name == d
    assert _same(list(map(_py, r.numpy().reshape(-1).tolist())), list(map(_py, vals)))


def _py(v):
    return float(v) if type(v) is float else v


# ================================================================ kind 8: exception classes
@pytest.mark.parametrize("name", _same_as_tf(tensor_cases.exceptions))
def test_exception_class_examples(name):
    check(name, PROGRAMS[name])


def test_index_errors_name_the_index():
    with pytest.raises(TypeError, match=r"tensor\[\.\.\.\]: Only integers.*got 1.0"):
        PROGRAMS["index_float"]()
    with pytest.raises(InvalidArgumentError, match="slice index 5 of dimension 0 out of bounds"):
        PROGRAMS["index_5"]()
    with pytest.raises(TypeError, match="does not support item assignment"):
        PROGRAMS["setitem"]()
    with pytest.raises(ValueError, match="Tensor conversion requested dtype float32 for Tensor with dtype float64"):
        PROGRAMS["assign_float64_tensor"]()
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="requested dtype float32"):
        v[0].assign(tf.constant(1.0, tf.float64))


@pytest.mark.parametrize("name", _same_as_tf(tensor_cases.tape_arguments))
def test_tape_argument_examples(name):
    check(name, PROGRAMS[name])


def test_tape_argument_errors_name_the_api_and_argument():
    with pytest.raises(AttributeError, match=r"GradientTape.gradient's target 4.0 is a float"):
        PROGRAMS["gradient_float_target"]()
    with pytest.raises(TypeError, match="GradientTape.gradient: a source is None"):
        PROGRAMS["gradient_none_source"]()
    with pytest.raises(AttributeError, match="GradientTape.batch_jacobian's target must be a single tensor"):
        PROGRAMS["batch_jacobian_list_target"]()


# ================================================================ kind 9: custom gradients, introspection
@pytest.mark.parametrize("name", _same_as_tf(tensor_cases.introspection))
def test_introspection_examples(name):
    check(name, PROGRAMS[name])


@pytest.mark.parametrize("program", [PROGRAMS["custom_gradient_keywords"],
                                     tensor_cases.custom_gradient_call(tf, lambda f, x, y: f(y=y, x=x)),
                                     PROGRAMS["custom_gradient_mixed"], PROGRAMS["custom_gradient_positional"]])
def test_custom_gradient_keyword_tensors_get_the_custom_gradient(program):
    # TF 2.21 differentiates through the forward for keyword tensors (custom_gradient_keywords:
    # [3., 2.]) or raises for f(x, y=y); the custom gradient is what the user asked for: gputape
    # gives the positional call's values (custom_gradient_positional)
    assert TF["custom_gradient_keywords/0"]["value"] == 3.0
    assert TF["custom_gradient_mixed"]["error"] == "ValueError"
    gx, gy = program()
    assert gx.numpy() == TF["custom_gradient_positional/0"]["value"] == 10.0
    assert gy.numpy() == TF["custom_gradient_positional/1"]["value"] == 100.0


def test_recompute_grad_with_a_captured_variable_and_keywords():
    check("recompute_grad_captured", PROGRAMS["recompute_grad_captured"])
    x = tf.constant(3.0)
    sq = tf.recompute_grad(lambda x: x * x)
    with tf.GradientTape() as t:
        t.watch(x)
        y = sq(x=x)
    assert t.gradient(y, x).numpy() == 6.0         # TF 2.21: None (keyword tensors are not inputs)


def test_assign_add_gradient_and_explanation():
    x0, x1 = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        x1.assign_add(x0)
    g0, g1 = tape.gradient(x1, [x0, x1])
    check("assign_add_gradient/0", lambda: g0)
    check("assign_add_gradient/1", lambda: g1)
    msg = explain_none(tape, x1, x0)
    assert "never read" not in msg and "assign_add" in msg and "records no gradient" in msg


def test_explain_none_after_a_non_persistent_gradient():
    w = tf.Variable(2.0)
    x = tf.constant(3.0)
    frozen = tf.Variable(1.0, trainable=False)
    with tf.GradientTape() as t:
        y = w * w
        z = tf.cast(tf.argmax(tf.stack([y, y])), tf.float32)
        u = y * frozen
    assert t.gradient(y, w).numpy() == 4.0
    assert "records were released" not in explain_none(t, y, w)
    assert "connected" in explain_none(t, y, w)
    assert "never watched" in explain_none(t, y, x)
    assert "trainable=False" in explain_none(t, u, frozen)
    assert "target was not computed" in explain_none(t, z, w)
    v = tf.Variable(5.0)
    assert "never read" in explain_none(t, y, v)
    x0, x1 = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        x1.assign_add(x0)
    assert tape.gradient(x1, x0) is None
    msg = explain_none(tape, x1, x0)
    assert "no recorded path" in msg and "assign_add" in msg


def test_released_tape_keeps_no_arrays():
    w = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = w * w
    t.gradient(y, w)
    tracked, cuts, (targets, reached) = t._released
    assert all(isinstance(i, int) for i in tracked) and all(isinstance(i, int) for i in targets)
    assert reached == {id(w): True}
    assert all(isinstance(x, str) for cut in cuts for x in cut)


def test_explain_after_release_about_another_pair_says_so():
    w, u = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = w * u
        z = y * 2.0
    t.gradient(y, w)
    assert "released by an earlier call about other targets or sources" in explain_none(t, z, u)
