"""Kind 1 of issue 7 across the public API: no ``**kwargs`` that can drop an option, every Keras 3.15
argument accepted (implemented or NotImplementedError), every unknown keyword refused with Keras's
class (ValueError for layers and optimizers, TypeError elsewhere).

Keras's signatures are recorded in tests/tf_fixtures/keras.json (``signature:<name>`` cases of
gen_keras.py).  The hypothesis test draws keyword names, valid Keras ones or random identifiers;
``GPUTAPE_HYPOTHESIS_EXAMPLES`` raises its example count (default 60) and
``GPUTAPE_HYPOTHESIS_REPORT=1`` prints the outcome counts.
"""
import collections
import importlib
import inspect
import os
import pathlib
import sys
import types
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gputape as tf
from tf_fixture import load

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
from keras_cases import LAYER_BASE_KEYWORDS, SIGNATURES, resolve  # noqa: E402

keras = tf.keras
RECORDED = load("keras")
KERAS_SIG = {d: RECORDED["signature:" + d]["value"] for d in SIGNATURES}

# ---------------------------------------------------------------- the walk
PUBLIC_MODULES = ["gputape", "gputape.nn", "gputape.math", "gputape.linalg", "gputape.random", "gputape.keras",
                  "gputape.keras.layers", "gputape.keras.losses", "gputape.keras.activations",
                  "gputape.keras.initializers", "gputape.keras.models", "gputape.keras.backend", "gputape.optimizers",
                  "gputape.optimizers.schedules", "gputape.debugging", "gputape.nest", "gputape.autodiff",
                  "gputape.testing", "gputape.errors", "gputape.keras.metrics", "gputape.keras.regularizers",
                  "gputape.keras.constraints", "gputape.keras.utils"]

# A **kwargs is allowed only where every key is checked, with the reason; keyed by the defining
# function's __qualname__ in its module.
ALLOWED_VAR_KEYWORD = {
    # Keras 3 takes the base Layer keywords through **kwargs and raises ValueError for any other
    # (test_keras_classes_refuse_unknown_keywords checks it for every layer)
    ("gputape.keras.layers", "Layer.__init__"): "Keras base-layer keywords, unknown ones ValueError",
    ("gputape.keras.layers", "Dense.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers", "Flatten.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers", "Activation.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers", "Dropout.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.functional", "InputLayer.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "AveragePooling1D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "AveragePooling2D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "Conv1D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "Conv2D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "GlobalAveragePooling1D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "GlobalAveragePooling2D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "GlobalMaxPooling1D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "GlobalMaxPooling2D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "MaxPooling1D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "MaxPooling2D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "UpSampling2D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_conv", "ZeroPadding2D.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "Embedding.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "GaussianNoise.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "Lambda.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "LeakyReLU.__init__"): "Keras's deprecated `alpha` taken (warns), the rest to Layer.__init__",
    ("gputape.keras.layers_core", "Permute.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "ReLU.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "RepeatVector.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "Rescaling.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "Reshape.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_core", "Softmax.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_merge", "Concatenate.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_merge", "Dot.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_merge", "_Merge.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_norm", "BatchNormalization.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_norm", "LayerNormalization.__init__"): "Keras's deprecated `rms_scaling` taken (warns), the rest to Layer.__init__",
    ("gputape.keras.layers_norm", "Normalization.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.models", "Model.load_weights"): "Keras 3: any keyword is ValueError('Invalid keyword "
                                                    "arguments') for .weights.h5",
    ("gputape.keras.models", "Model.__init__"): "functional-API arguments raise NotImplementedError, the rest "
                                                "go to Layer.__init__, which validates",
    # pass-through: call's own signature rejects what it lacks (Python's TypeError), as Keras
    ("gputape.keras.layers", "Layer.__call__"): "pass-through to call(), which is strict",
    ("gputape.keras.layers", "Layer.call"): "abstract: subclasses define call's signature",
    # Keras 3's BaseOptimizer: 'decay' warns, anything else ValueError("Argument(s) not recognized")
    ("gputape.optimizers", "Optimizer.__init__"): "Keras base-optimizer keywords, unknown ones ValueError",
    ("gputape.optimizers", "SGD.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "Adam.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "RMSprop.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "Adagrad.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "AdamW.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "Adamax.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "Nadam.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "Adadelta.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "Ftrl.__init__"): "forwarded to Optimizer.__init__, which validates",
    ("gputape.optimizers", "Lion.__init__"): "forwarded to Optimizer.__init__, which validates",
    # Keras 3's MeanMetricWrapper passes its **kwargs to fn, whose own signature rejects unknown ones
    ("gputape.keras.metrics", "MeanMetricWrapper.__init__"): "passed to fn(y_true, y_pred, **kwargs) on update",
    ("gputape.keras.metrics", "Metric.update_state"): "abstract: subclasses define update_state's signature",
    ("gputape.keras.metrics", "Metric.__call__"): "pass-through to update_state(), which is strict",
    # every op object is called as op(*args, **params): ``name`` is dropped and every other keyword
    # is checked against the forward's parameters (op._public_params) - see
    # test_op_call_rejects_unknown_keyword
    ("gputape.op", "Op.__call__"): "the op-call protocol: keywords checked by op._public_params",
    # tf.print(*inputs, **kwargs): TF pops output_stream/summarize/sep/end/name and raises ValueError
    # ("Unrecognized keyword arguments for tf.print") for any other, as gputape.print does
    ("gputape.printing", "print"): "TF's keywords popped, any other ValueError (tests/test_print.py)",
    # recurrent and attention layers (issue 8): base-layer keywords forwarded to Layer.__init__
    ("gputape.keras.layers_rnn", "RNN.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_rnn", "SimpleRNN.__init__"): "forwarded to RNN/Layer.__init__, which validates",
    ("gputape.keras.layers_rnn", "LSTM.__init__"): "forwarded to RNN/Layer.__init__, which validates",
    ("gputape.keras.layers_rnn", "GRU.__init__"): "forwarded to RNN/Layer.__init__, which validates",
    ("gputape.keras.layers_rnn", "SimpleRNNCell.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_rnn", "LSTMCell.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_rnn", "GRUCell.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_rnn", "Bidirectional.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_rnn", "TimeDistributed.__init__"): "forwarded to Layer.__init__, which validates",
    ("gputape.keras.layers_attention", "MultiHeadAttention.__init__"): "forwarded to Layer.__init__, which "
                                                                        "validates",
    ("gputape.keras.layers_attention", "MultiHeadAttention.__call__"): "pass-through to call(), which is strict",
}


def _public_callables():
    for m in PUBLIC_MODULES:
        try:
            mod = importlib.import_module(m)
        except ImportError:
            mod = resolve(tf, m.split(".", 1)[1])
        for n in dir(mod):
            if n.startswith("_"):
                continue
            o = getattr(mod, n)
            if isinstance(o, types.ModuleType):
                continue
            if inspect.isclass(o):
                yield f"{m}.{n}", o.__init__
                for mn, mo in vars(o).items():
                    if (not mn.startswith("_") or mn == "__call__") and inspect.isfunction(mo):
                        yield f"{m}.{n}.{mn}", mo
            elif callable(o):
                yield f"{m}.{n}", (type(o).__call__ if not inspect.isroutine(o) else o)


def _var_keyword_definers():
    found = {}
    for public, fn in _public_callables():
        fn = inspect.unwrap(fn)
        if not (inspect.isfunction(fn) and fn.__module__.startswith("gputape")):
            continue                       # builtins' and the standard library's own __init__
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        if any(p.kind is p.VAR_KEYWORD for p in params):
            key = (getattr(fn, "__module__", "?"), getattr(fn, "__qualname__", "?"))
            found.setdefault(key, public)
    return found


def test_no_public_var_keyword_outside_the_allow_list():
    found = _var_keyword_definers()
    unexpected = {k: v for k, v in found.items() if k not in ALLOWED_VAR_KEYWORD}
    assert not unexpected, f"**kwargs that could drop an option: {unexpected}"
    assert len(found) >= 10        # the walk does reach the library


def test_allow_list_has_no_stale_entries():
    found = _var_keyword_definers()
    assert set(ALLOWED_VAR_KEYWORD) <= set(found), set(ALLOWED_VAR_KEYWORD) - set(found)


def test_op_call_rejects_unknown_keyword():
    with pytest.raises(TypeError, match="add.*foo"):
        tf.add(1.0, 2.0, foo=1)
    with pytest.raises(TypeError, match="square.*foo"):
        tf.square(tf.constant([1.0]), foo=1)


def test_op_call_takes_tfs_name_argument():
    x = tf.constant([1.0, 2.0])
    for f in (tf.add, tf.multiply, tf.maximum):
        assert f(x, x, name="n").numpy().tolist() == f(x, x).numpy().tolist()
    for f in (tf.square, tf.exp, tf.sqrt, tf.negative, tf.sigmoid):
        assert f(x, name="n").numpy().tolist() == f(x).numpy().tolist()


# ---------------------------------------------------------------- Keras's signatures
SAMPLE = {"units": 2, "filters": 2, "kernel_size": 3, "activation": "relu", "rate": 0.5,
          "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "boundaries": [1],
          "values": [0.1, 0.01], "shape": (3,)}


def _call_args(dotted):
    """Required arguments for one recorded Keras callable."""
    if dotted.startswith("losses.") and dotted[7].islower():
        return (tf.constant([[1.0, 0.0]]) if "sparse" not in dotted else tf.constant([0]),
                tf.constant([[0.6, 0.4]])), {}
    if dotted.startswith("activations."):
        return (tf.constant([[0.5, -0.5]]),), {}
    kw = {"shape": (3,)} if dotted == "Input" else {}      # Keras's Input needs a shape though it defaults None
    for name, kind, default in KERAS_SIG[dotted]:
        if default == "<required>" and kind not in ("VAR_POSITIONAL", "VAR_KEYWORD"):
            kw[name] = SAMPLE[name]
    return (), kw


def _keras_names(dotted):
    names = [n for n, kind, _ in KERAS_SIG[dotted] if kind not in ("VAR_POSITIONAL", "VAR_KEYWORD")]
    if dotted.startswith("layers."):
        names += LAYER_BASE_KEYWORDS
    return names


def _unknown_keyword_class(dotted):
    """Keras 3.15: layers and optimizers take **kwargs and raise ValueError; the rest TypeError."""
    return ValueError if dotted.startswith(("layers.", "optimizers.")) and "schedules" not in dotted else TypeError


def _defaults(dotted):
    """Keyword -> Keras's default, for the parameters whose default is a plain value."""
    out = {}
    for name, kind, default in KERAS_SIG[dotted]:
        if kind in ("VAR_POSITIONAL", "VAR_KEYWORD") or default == "<required>":
            continue
        if isinstance(default, str) and default.startswith("<"):
            continue                      # a repr, not a value
        out[name] = tuple(default) if isinstance(default, list) else default
    if dotted.startswith("layers."):
        out.update(trainable=True, dtype=None, autocast=True, activity_regularizer=None)
    return out


def _make(dotted, **extra):
    fn = resolve(keras, dotted)
    args, kw = _call_args(dotted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw, **extra)


@pytest.mark.parametrize("dotted", SIGNATURES)
def test_every_keras_argument_is_accepted_with_its_default(dotted):
    """Each Keras 3.15 parameter exists here and its Keras default is taken without error."""
    required = _call_args(dotted)[1]
    for name, value in _defaults(dotted).items():
        if name not in required and not (dotted == "Input" and name == "batch_shape"):
            _make(dotted, **{name: value})
    fn = resolve(keras, dotted)
    ours = inspect.signature(fn.__init__ if isinstance(fn, type) else fn).parameters
    takes_var_kw = any(p.kind is p.VAR_KEYWORD for p in ours.values())
    for name in _keras_names(dotted):
        assert name in ours or (takes_var_kw and name in LAYER_BASE_KEYWORDS), f"{dotted}: no `{name}`"


@pytest.mark.parametrize("dotted", SIGNATURES)
def test_keras_classes_refuse_unknown_keywords(dotted):
    with pytest.raises(_unknown_keyword_class(dotted)) as e:
        _make(dotted, zz_not_a_keras_argument=1)
    if _unknown_keyword_class(dotted) is ValueError:
        assert "zz_not_a_keras_argument" in str(e.value)


# ---------------------------------------------------------------- property: never silently accepted
IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True)
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 5), st.floats(-2, 2, allow_nan=False),
                   st.sampled_from(["relu", "same", "sum", "float64", "x"]))
OUTCOMES = collections.Counter()


@st.composite
def _keyword_calls(draw):
    dotted = draw(st.sampled_from(SIGNATURES))
    known = _keras_names(dotted)
    if known and draw(st.booleans()):
        name = draw(st.sampled_from(known))
        default = _defaults(dotted).get(name, "<none>")
        value = draw(st.one_of(st.just(default), VALUES)) if default != "<none>" else draw(VALUES)
    else:
        name = draw(IDENT.filter(lambda n: n not in known and n not in ("self", "args", "kwargs")))
        value = draw(VALUES)
    return dotted, name, value, name in known


@settings(max_examples=int(os.environ.get("GPUTAPE_HYPOTHESIS_EXAMPLES", "60")), deadline=None, database=None)
@given(_keyword_calls())
def test_keyword_is_honoured_or_refused_never_swallowed(call):
    """A Keras keyword: built, or NotImplementedError, or a ValueError/TypeError about its value;
    any other name: Keras's error class for unknown keywords, naming it."""
    dotted, name, value, known = call
    args, kw = _call_args(dotted)
    if name in kw:
        kw.pop(name)
    fn = resolve(keras, dotted)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kw, **{name: value})
    except NotImplementedError:
        outcome = "not_implemented"
        assert known, f"{dotted}({name}=...): NotImplementedError for a name Keras does not have"
    except (ValueError, TypeError) as e:
        outcome = "refused_" + type(e).__name__
        if not known:
            assert isinstance(e, _unknown_keyword_class(dotted)), (dotted, name, e)
            assert name in str(e) or "takes no arguments" in str(e), (dotted, name, e)
    else:
        outcome = "honoured"
        assert known, f"{dotted}({name}={value!r}) silently accepted an argument Keras does not have"
    OUTCOMES[("keras" if known else "unknown", outcome)] += 1


def teardown_module():
    if os.environ.get("GPUTAPE_HYPOTHESIS_REPORT"):
        print("\nkeyword outcomes:", dict(sorted(OUTCOMES.items())), file=sys.__stderr__)
