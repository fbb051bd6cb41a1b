"""keras Model.save_weights / load_weights: Keras 3's .weights.h5 layout (recorded from Keras 3.15), a
Keras-written file loaded here, strict all-or-nothing loading, gputape's .weights.npz."""
import os
from pathlib import Path

import numpy as np
import pytest

import gputape as tf
from gputape.errors import DataLossError
from tf_fixture import load

h5py = pytest.importorskip("h5py")
TF = load("ckpt")
L = tf.keras.layers
HERE = Path(__file__).resolve().parent / "tf_fixtures"


def _layout(path):
    items = []
    with h5py.File(path) as f:
        f.visititems(lambda n, o: items.append([n, list(getattr(o, "shape", []) or []),
                                                {k: str(a) for k, a in o.attrs.items()}]))
    return items


def _mlp(*units):
    return tf.keras.Sequential([tf.keras.Input((3,))] + [L.Dense(u) for u in units])


def test_sequential_layout_is_keras3s(tmp_path):
    m = tf.keras.Sequential([tf.keras.Input((3,)), L.Dense(4, name="dense"), L.Dense(2, name="dense_1")],
                            name="sequential")
    m.save_weights(tmp_path / "m.weights.h5")
    assert _layout(tmp_path / "m.weights.h5") == TF["weights_h5_layout_sequential"]["value"]


def test_subclassed_layout_is_keras3s(tmp_path):
    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.d1 = L.Dense(4)
            self.blocks = [L.Dense(3), L.Dense(2)]

        def call(self, x):
            return self.blocks[1](self.blocks[0](self.d1(x)))
    n = Net()
    n(np.ones((1, 3), np.float32))
    n.save_weights(tmp_path / "n.weights.h5")
    got, want = _layout(tmp_path / "n.weights.h5"), TF["weights_h5_layout_subclassed"]["value"]
    assert [(p, s) for p, s, _ in got] == [(p, s) for p, s, _ in want]     # layer names differ (auto-names)


def test_a_keras_written_file_loads():
    m = _mlp(4, 2)
    m.load_weights(str(HERE / "ckpt_keras_mlp.weights.h5"))
    for w, want in zip(m.get_weights(), TF["keras_mlp_weights"]["value"]):
        np.testing.assert_array_equal(w, np.asarray(want, np.float32))


def test_round_trip_h5_and_npz(tmp_path):
    m = _mlp(4, 2)
    for name in ("m.weights.h5", "m.weights.npz"):
        m.save_weights(str(tmp_path / name))
        m2 = _mlp(4, 2)
        m2.load_weights(str(tmp_path / name))
        for a, b in zip(m.weights, m2.weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert sorted(os.listdir(tmp_path)) == ["m.weights.h5", "m.weights.npz"]      # no temporary files left


@pytest.mark.parametrize("units,needle", [
    ((5, 2), "variable.shape=(3, 5), Received: value.shape=(3, 4)"),
    ((4, 2, 2), "expected 2 variables, but received 0 variables during loading"),
    ((4,), "the model has no layer there"),                      # Keras 3 loads this silently
])
@pytest.mark.parametrize("suffix", [".weights.h5", ".weights.npz"])
def test_mismatch_is_value_error_and_loads_nothing(tmp_path, units, needle, suffix):
    path = str(tmp_path / ("m" + suffix))
    _mlp(4, 2).save_weights(path)
    m = _mlp(*units)
    before = [w.copy() for w in m.get_weights()]
    with pytest.raises(ValueError) as e:
        m.load_weights(path)
    if suffix == ".weights.h5":
        assert needle in str(e.value) and str(e.value).startswith("A total of")
    else:
        assert "nothing was loaded" in str(e.value) or "nothing was restored" in str(e.value)
    assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))


def test_keras_error_cases(tmp_path):
    m = _mlp(4, 2)
    for case, name in (("save_weights_suffix", "x.h5"), ("save_weights_prefix", "x")):
        with pytest.raises(ValueError) as e:
            m.save_weights(str(tmp_path / name))
        assert str(e.value).replace(str(tmp_path), "DIR").startswith(TF[case]["message"])
    with pytest.raises(ValueError) as e:
        m.load_weights(str(tmp_path / "x.npy"))
    assert str(e.value).replace(str(tmp_path), "DIR") == TF["load_weights_format"]["message"].replace(".npz", ".npy")
    with pytest.raises(FileNotFoundError):
        m.load_weights(str(tmp_path / "zz.weights.h5"))
    assert TF["load_weights_missing"]["error"] == "FileNotFoundError"
    with pytest.raises(ValueError, match="Invalid keyword arguments"):
        m.load_weights(str(tmp_path / "zz.weights.h5"), by_name=True)
    with pytest.raises(NotImplementedError, match="max_shard_size"):
        m.save_weights(str(tmp_path / "a.weights.h5"), max_shard_size=1)
    assert hasattr(L.Dense(2), "save_weights") is TF["layer_has_save_weights"]["value"]


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    _mlp(4, 2).save_weights(str(tmp_path / "m.weights.h5"))
    m = _mlp(4, 3)
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        m.load_weights(str(tmp_path / "m.weights.h5"), skip_mismatch=True)


def test_damaged_h5_is_data_loss(tmp_path):
    p = tmp_path / "m.weights.h5"
    m = tf.keras.Sequential([tf.keras.Input((3,)), L.Dense(400, name="dense")])
    m.save_weights(str(p))
    with h5py.File(p) as f:
        chunk = f["layers/dense/vars/0"].id.get_chunk_info(0)
    b = bytearray(p.read_bytes())
    b[chunk.byte_offset + chunk.size // 2] ^= 0x10         # inside the kernel's data: Fletcher-32 catches it
    p.write_bytes(bytes(b))
    with pytest.raises(DataLossError):
        m.load_weights(str(p))
    p.write_bytes(p.read_bytes()[:300])
    with pytest.raises(DataLossError):
        m.load_weights(str(p))
