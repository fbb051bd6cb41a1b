"""Issue 8's functional API and training loops against Keras 3.15 (TF 2.21): every program of
tf_fixtures/layers_cases.py's FUNCTIONAL_CASES and TRAIN_CASES run under gputape, compared with
the record made by gen_layers.py (numbers within float32 tolerance; 20 training steps from the same
initial weights give Keras's losses; a frozen layer's weights do not move; BatchNormalization's
moving statistics match)."""
import json
import pathlib
import sys

import numpy as np
import pytest

import gputape as tf
from tf_fixture import load, raises_as_tf, run_code

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
from layers_cases import FUNCTIONAL_CASES, PRELUDE, TRAIN_CASES  # noqa: E402

keras = tf.keras
RECORDED = load("layers")


def _run(code):
    keras.backend.clear_session()
    env = {"keras": keras, "tf": tf, "np": np}
    exec(PRELUDE, env)
    kind, r = run_code(code, env)
    if kind == "error":
        raise r
    return r


def _same(got, want, path="result", rtol=2e-5, atol=2e-6):
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            _same(got[k], want[k], f"{path}[{k!r}]", rtol, atol)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _same(g, w, f"{path}[{i}]", rtol, atol)
    elif isinstance(want, float):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{path}: {got!r} != {want!r}"
        assert abs(got - want) <= atol + rtol * abs(want), f"{path}: {got!r} != {want!r}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def _summary_content(text):
    lines = text.split("\n")
    rows = [[c.strip() for c in ln.strip("│┃").split(ln[0])] for ln in lines if ln[:1] in ("│", "┃")]
    totals = [ln.strip() for ln in lines if "params:" in ln]
    return lines[0], rows, totals


def test_cases_recorded_with_the_same_code():
    for prefix, cases in (("functional:", FUNCTIONAL_CASES), ("train:", TRAIN_CASES)):
        for name, code in cases.items():
            assert RECORDED[prefix + name]["code"] == code, f"rerun gen_layers.py ({name})"


@pytest.mark.parametrize("name", list(FUNCTIONAL_CASES))
def test_functional_case(name):
    rec = RECORDED["functional:" + name]
    code = FUNCTIONAL_CASES[name]
    if "error" in rec:
        msg = raises_as_tf(lambda: _run(code), rec["error"], {})
        assert msg.split("\n")[0] == rec["message"]
        return
    got = json.loads(json.dumps(_run(code)))
    if name.startswith("summary_") and isinstance(got, dict):
        assert got.pop("summary") == rec["py"]["summary"]
        _same(got, {k: v for k, v in rec["py"].items() if k != "summary"})
    elif name.startswith("summary_"):
        assert _summary_content(got) == _summary_content(rec["py"]), got
    else:
        _same(got, rec["py"])


@pytest.mark.parametrize("name", list(TRAIN_CASES))
def test_training_matches_keras(name):
    rec = RECORDED["train:" + name]["py"]
    got = json.loads(json.dumps(_run(TRAIN_CASES[name])))
    # 20 steps of float32 arithmetic in a different order: agreement to ~1e-5 relative
    _same(got, rec, rtol=2e-4, atol=2e-5)
    losses = rec["losses"]
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name", ["summary_branched", "summary_chain", "summary_nested_shared",
                                  "summary_sequential_wrap", "summary_multi_output"])
def test_summary_is_keras_text_exactly(name):
    assert _run(FUNCTIONAL_CASES[name]) == RECORDED["functional:" + name]["py"]


# ---------------------------------------------------------------- behaviour beyond the record
def test_keras_tensor_is_symbolic():
    x = keras.Input((3,), batch_size=4, name="x")
    assert x.shape == (4, 3) and x.dtype == "float32" and x.ndim == 2
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(x)
    y = keras.layers.Dense(2)(x)
    assert y.shape == (4, 2)


def test_unknown_dims_stay_unknown():
    x = keras.Input((None, 3))
    h = keras.layers.Conv1D(2, 3, padding="same")(x)
    assert h.shape == (None, None, 2)
    y = keras.layers.GlobalMaxPooling1D()(h)
    assert y.shape == (None, 2)
    m = keras.Model(x, y)
    assert m(np.ones((2, 7, 3), "float32")).shape == (2, 2)
    assert m(np.ones((1, 4, 3), "float32")).shape == (1, 2)


def test_operators_on_keras_tensors_are_graph_nodes():
    a = keras.Input((2,)); b = keras.Input((2,))
    m = keras.Model([a, b], (a + b) * 2.0 - b)
    out = m([np.ones((1, 2), "float32"), np.full((1, 2), 3.0, "float32")])
    np.testing.assert_array_equal(out.numpy(), [[5.0, 5.0]])
    assert [type(l).__name__ for l in m.layers] == ["InputLayer", "InputLayer"]


def test_training_flag_reaches_layers_inside_the_graph():
    x = keras.Input((3,))
    y = keras.layers.Dropout(0.5, seed=1)(x)
    m = keras.Model(x, y)
    ones = np.ones((4, 3), "float32")
    np.testing.assert_array_equal(m(ones).numpy(), ones)
    assert (m(ones, training=True).numpy() == 0).any()


def test_gradients_through_a_functional_model():
    x = keras.Input((3,))
    m = keras.Model(x, keras.layers.Dense(1)(keras.layers.Dense(4, activation="tanh")(x)))
    data = tf.constant(np.ones((2, 3), "float32"))
    with tf.GradientTape() as tape:
        tape.watch(data)
        loss = tf.reduce_sum(m(data))
    grads = tape.gradient(loss, [data] + list(m.trainable_variables))
    assert all(g is not None for g in grads) and len(grads) == 5


def test_disconnected_graph_is_valueerror():
    a = keras.Input((2,)); b = keras.Input((2,))
    s = keras.layers.Add()([a, b])
    with pytest.raises(ValueError, match="disconnected"):
        keras.Model(a, s)


def test_model_inputs_must_be_keras_tensors():
    x = keras.Input((2,))
    with pytest.raises(ValueError, match="KerasTensors"):
        keras.Model(np.zeros((1, 2)), keras.layers.Dense(1)(x))


def test_wrong_number_of_inputs_is_valueerror():
    a = keras.Input((2,)); b = keras.Input((2,))
    m = keras.Model([a, b], keras.layers.Add()([a, b]))
    with pytest.raises(ValueError, match="expects 2 input"):
        m([np.ones((1, 2), "float32")])


def test_subclass_calling_functional_init_becomes_functional():
    """Keras 3: a Model subclass whose __init__ passes (inputs, outputs) up is a Functional subclass
    (recorded there: name 'my_model', layers ['input_layer', 'd'], 2 weights; with its own call and an
    extra layer added after: output (1, 5), 4 weights)."""
    class MyModel(keras.Model):
        def __init__(self, **kw):
            x = keras.Input((3,)); y = keras.layers.Dense(2, name="d")(x)
            super().__init__(inputs=x, outputs=y, **kw)
    keras.backend.clear_session()
    m = MyModel()
    assert (m.name, type(m).__name__, [l.name for l in m.layers], len(m.weights)) == \
        ("my_model", "MyModel", ["input_layer", "d"], 2)
    assert m(np.ones((1, 3), "float32")).shape == (1, 2)

    class Two(keras.Model):
        def __init__(self):
            x = keras.Input((3,)); super().__init__(x, keras.layers.Dense(2)(x))
            self.extra = keras.layers.Dense(5)

        def call(self, x):
            return self.extra(super().call(x))
    t = Two()
    assert t.name == "two" and t(np.ones((1, 3), "float32")).shape == (1, 5) and len(t.weights) == 4


def test_get_layer_and_input_output_of_functional():
    x = keras.Input((2,), name="inp")
    m = keras.Model(x, keras.layers.Dense(1, name="d")(x))
    assert m.get_layer("d").name == "d" and m.get_layer(index=0).name == "inp"
    assert m.input is x and m.output.shape == (None, 1)
    assert m.input_shape == (None, 2) and m.output_shape == (None, 1)


def test_from_config_reads_keras_own_config():
    """The functional config Keras 3.15 wrote (recorded JSON) builds the same graph here."""
    cfg = RECORDED["functional:config_round_trip"]["py"]["config"]
    m = keras.Model.from_config(cfg)
    assert type(m).__name__ == "Functional" and m.name == "rt"
    assert [l.name for l in m.layers] == RECORDED["functional:config_round_trip"]["py"]["layers"]
    assert m.count_params() == RECORDED["functional:config_round_trip"]["py"]["count2"]
    assert json.loads(json.dumps(m.get_config())) == cfg


def test_sequential_from_keras_config_with_new_layers():
    m = keras.Sequential([keras.Input((5, 2)), keras.layers.Conv1D(3, 2, name="c"),
                          keras.layers.LayerNormalization(name="ln"), keras.layers.GlobalMaxPooling1D(name="g"),
                          keras.layers.Dense(2, name="d")], name="s")
    cfg = json.loads(json.dumps(m.get_config()))
    m2 = keras.Sequential.from_config(cfg)
    assert m2.count_params() == m.count_params() == (2 * 2 * 3 + 3) + (3 + 3) + (3 * 2 + 2)


def test_dict_given_to_listed_inputs_is_matched_by_name():
    a = keras.Input((2,), name="a"); b = keras.Input((1,), name="b")
    m = keras.Model([a, b], keras.layers.Concatenate()([a, b]))
    out = m({"b": np.ones((1, 1), "float32"), "a": np.zeros((1, 2), "float32")})
    np.testing.assert_array_equal(out.numpy(), [[0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match='Missing data for input "a"'):
        m({"b": np.ones((1, 1), "float32"), "x": np.zeros((1, 2), "float32")})
    md = keras.Model({"a": a, "b": b}, keras.layers.Concatenate()([a, b]))
    with pytest.warns(UserWarning, match="structure of `inputs`"):
        out = md([np.zeros((1, 2), "float32"), np.ones((1, 1), "float32")])
    np.testing.assert_array_equal(out.numpy(), [[0.0, 0.0, 1.0]])


def test_reshape_of_an_unknown_dimension_builds():
    x = keras.Input((None, 3))
    y = keras.layers.Reshape((-1, 6))(x)
    assert y.shape == (None, None, 6)
    m = keras.Model(x, y)
    assert m(np.ones((1, 4, 3), "float32")).shape == (1, 2, 6)


def test_layer_with_its_own_call_method_joins_the_graph():
    """A layer overriding __call__ (converting its arguments, building from several shapes) is still
    called symbolically on KerasTensors, and built by its own __call__ on the first shape-finding run."""
    class Pair(keras.layers.Layer):
        def build(self, a_shape, b_shape):
            self.w = self.add_weight(shape=(a_shape[-1], b_shape[-1]), initializer="ones", name="w")

        def __call__(self, a, b, **kw):
            if not self.built:
                self.build(tuple(tf.convert_to_tensor(a).shape), tuple(tf.convert_to_tensor(b).shape))
                self.built = True
            return super().__call__(a, b, **kw)

        def call(self, a, b, scale=1.0):
            return tf.matmul(a, self.w) * scale + b

    a = keras.Input((3,)); b = keras.Input((2,))
    y = Pair()(a, b, scale=2.0)
    assert y.shape == (None, 2)
    m = keras.Model([a, b], y)
    out = m([np.ones((1, 3), "float32"), np.ones((1, 2), "float32")])
    np.testing.assert_array_equal(out.numpy(), [[7.0, 7.0]])
    assert m.count_params() == 6
