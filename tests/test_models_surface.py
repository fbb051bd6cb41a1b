"""Issue 8's Sequential / summary / config surface against Keras 3.15: every case of
tests/tf_fixtures/models_cases.py, run with ``keras`` bound to ``gputape.keras``, against the result
recorded from TF 2.21's Keras (models.json, made by gen_models.py)."""
import json
import pathlib
import sys

import pytest

import gputape
import gputape.keras as gkeras
from tf_fixture import load, raises_as_tf, run_code

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
from models_cases import CASES, PRELUDE  # noqa: E402

RECORDED = load("models")


def _run(code):
    env = {"keras": gkeras}
    exec(PRELUDE, env)
    kind, r = run_code(code, env)
    if kind == "error":
        raise r
    return r


def _summary_content(text):
    """The summary's content: the model line, each row's cells (stripped), the totals lines."""
    lines = text.split("\n")
    rows = [[c.strip() for c in ln.strip("│┃").split(ln[0])] for ln in lines if ln[:1] in ("│", "┃")]
    totals = [ln.strip() for ln in lines if "params:" in ln]
    return lines[0], rows, totals


def test_cases_recorded():
    """models.json holds every case of models_cases.py with the same code (rerun gen_models.py if not)."""
    assert sorted(RECORDED) == sorted(n for n, _, _ in CASES)
    for name, code, _ in CASES:
        assert RECORDED[name]["code"] == code, name


@pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`")
@pytest.mark.parametrize("name", [n for n, _, _ in CASES])
def test_models_case(name):
    rec = RECORDED[name]
    if "error" in rec:
        raises_as_tf(lambda: _run(rec["code"]), rec["error"], {})
        return
    got = _run(rec["code"])
    if "type" in rec:
        assert type(got).__name__ == rec["type"]
    elif rec.get("summary"):
        assert _summary_content(got) == _summary_content(rec["py"]), got
    else:
        assert json.loads(json.dumps(got)) == rec["py"]


def test_summary_is_keras_text_exactly():
    """Not required (content is), but gputape's summary of these models is Keras's text character for character."""
    for name in [n for n, _, o in CASES if o.get("summary")]:
        assert _run(RECORDED[name]["code"]) == RECORDED[name]["py"], name


def test_summary_print_fn_and_unimplemented_arguments(capsys):
    m = gkeras.Sequential([gkeras.Input((3,)), gkeras.layers.Dense(2, name="q")], name="pm")
    m.summary()
    assert 'Model: "pm"' in capsys.readouterr().out
    calls = []
    m.summary(print_fn=lambda s, **k: calls.append(s))
    assert len(calls) == 1 and "q (Dense)" in calls[0]
    for kw in (dict(line_length=100), dict(positions=[.3, .6, 1.]), dict(expand_nested=True),
               dict(show_trainable=True), dict(layer_range=["q", "q"])):
        with pytest.raises(NotImplementedError, match=list(kw)[0]):
            m.summary(**kw)


def test_subclassed_model_summary_lists_tracked_layers():
    class Net(gkeras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.d = gkeras.layers.Dense(2, name="d")

        def call(self, x):
            return self.d(x)

    net = Net()
    net(gputape.ones((1, 3)))
    out = []
    net.summary(print_fn=out.append)
    _, rows, totals = _summary_content(out[0])
    assert rows[1] == ["d (Dense)", "(1, 2)", "8"]
    assert totals[0] == "Total params: 8 (32.00 B)"


_LAYERS = [lambda L: L.Dense(3, activation="tanh", kernel_initializer="he_uniform", name="d"),
           lambda L: L.Conv2D(4, (2, 3), strides=(1, 2), padding="same", activation="relu", name="c"),
           lambda L: L.MaxPooling2D((2, 3), padding="same", name="p"), lambda L: L.Flatten(name="f"),
           lambda L: L.Dropout(0.3, noise_shape=(None, 1), seed=5, name="o"),
           lambda L: L.Activation("softmax", name="a"), lambda L: L.Dense(2, dtype="float64", trainable=False)]


@pytest.mark.parametrize("make", _LAYERS)
def test_from_config_round_trip_is_equivalent(make):
    layer = make(gkeras.layers)
    again = type(layer).from_config(layer.get_config())
    assert type(again) is type(layer) and again.get_config() == layer.get_config()
    assert again.dtype == layer.dtype and again.trainable == layer.trainable


def test_sequential_round_trip_keeps_architecture():
    m = gkeras.Sequential([gkeras.Input((6, 6, 2)), gkeras.layers.Conv2D(3, 3), gkeras.layers.Flatten(),
                           gkeras.layers.Dense(2, activation="sigmoid")])
    m2 = gkeras.Sequential.from_config(m.get_config())
    assert m2.count_params() == m.count_params()
    assert [l.get_config() for l in m2.layers] == [l.get_config() for l in m.layers]
    built_later = gkeras.Sequential([gkeras.layers.Dense(2)])
    built_later.build((None, 3))
    assert gkeras.Sequential.from_config(built_later.get_config()).count_params() == 8


def test_unsupported_config_values_raise_not_implemented():
    reg = {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": None}
    try:
        import gputape.keras.regularizers  # noqa: F401  (where it exists, the config builds)
    except ImportError:
        with pytest.raises(NotImplementedError, match="kernel_regularizer"):
            gkeras.layers.Dense.from_config({"units": 2, "kernel_regularizer": reg})
    else:
        assert gkeras.layers.Dense.from_config({"units": 2, "kernel_regularizer": reg}).kernel_regularizer
    with pytest.raises(NotImplementedError, match="activation"):
        gkeras.layers.Dense(2, activation=lambda x: x).get_config()
    with pytest.raises(NotImplementedError, match="initializer"):
        gkeras.layers.Dense(2, kernel_initializer=lambda shape, dtype=None: None).get_config()
    with pytest.raises(NotImplementedError, match="Bogus"):
        gkeras.Sequential.from_config({"name": "s", "layers": [{"class_name": "Bogus", "config": {}}]})
    with pytest.raises(TypeError, match="Error when deserializing class 'Dense'"):
        gkeras.layers.Dense.from_config({"units": 2, "bogus": 1})


def test_sequential_add_pop_build_details():
    m = gkeras.Sequential([gkeras.layers.Dense(3), gkeras.layers.Dense(2)])
    with pytest.raises(ValueError, match="You must provide an `input_shape`"):
        m.build()
    m.build((None, 4))
    w_before = len(m.weights)
    m.pop()
    assert len(m.weights) == w_before - 2 and m.count_params() == 15
    m.add(gkeras.layers.Dense(5))
    assert m.count_params() == 15 + 20          # rebuilt from the known input shape
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        m.add(lambda x: x)
