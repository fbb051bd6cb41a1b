"""Record TensorFlow 2.21 / Keras 3.15's checkpoint behaviour for tests/test_checkpoint.py.

    /opt/tfenv/bin/python tests/tf_fixtures/gen_ckpt.py      # writes tests/tf_fixtures/ckpt.json

Errors as ``{"error": <class name>, "message": <message with the temporary directory as DIR>}``;
values (file names, manager lists, the ``checkpoint`` file's keys) as ``{"value": ...}``.
"""
import json
import os
import pathlib
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = pathlib.Path(__file__).parent

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main():
    out = {}
    d = tempfile.mkdtemp()

    def rel(x):
        if isinstance(x, str):
            return x.replace(d, "DIR")
        if isinstance(x, (list, tuple)):
            return [rel(e) for e in x]
        return x

    def case(name, f):
        try:
            out[name] = {"value": rel(f())}
        except Exception as e:  # noqa: BLE001
            out[name] = {"error": type(e).__name__, "message": rel(str(e))}

    v = tf.Variable([1.0, 2.0])
    ck = tf.train.Checkpoint(v=v)
    p = ck.save(os.path.join(d, "ckpt"))
    case("save_path", lambda: p)
    case("save_counter_dtype", lambda: ck.save_counter.dtype.name)
    case("save_twice", lambda: ck.save(os.path.join(d, "ckpt")))
    case("write_returns_prefix", lambda: ck.write(os.path.join(d, "w")))
    case("state_keys_after_save", lambda: sorted({line.split(":")[0] for line in
                                                    open(os.path.join(d, "checkpoint")).read().splitlines()}))
    case("list_variables_keys", lambda: [k for k, _ in tf.train.list_variables(p)])
    case("latest_checkpoint_empty_dir", lambda: tf.train.latest_checkpoint(tempfile.mkdtemp()))
    case("latest_checkpoint", lambda: tf.train.latest_checkpoint(d))
    case("restore_missing", lambda: ck.restore(os.path.join(d, "nope")))
    case("read_missing", lambda: ck.read(os.path.join(d, "nope")))
    case("restore_shape_mismatch", lambda: tf.train.Checkpoint(v=tf.Variable([1.0, 2.0, 3.0])).restore(p))
    case("restore_dtype_mismatch", lambda: tf.train.Checkpoint(v=tf.Variable([1, 2], dtype=tf.int32)).restore(p))
    case("assert_consumed_unbound", lambda: tf.train.Checkpoint(w=tf.Variable(1.0)).restore(p).assert_consumed())
    case("assert_existing_unbound",
         lambda: tf.train.Checkpoint(w=tf.Variable(1.0)).restore(p).assert_existing_objects_matched())
    case("assert_consumed_ok",
         lambda: type(tf.train.Checkpoint(v=tf.Variable([0., 0.])).restore(p).assert_consumed()).__name__)
    case("restore_none", lambda: type(ck.restore(None)).__name__)
    case("restore_none_assert_consumed", lambda: ck.restore(None).assert_consumed())
    case("non_trackable_kwarg", lambda: tf.train.Checkpoint(x=1))
    for which in ("data-00000-of-00001", "index"):
        for mode in ("truncated", "flipped", "empty"):
            dd = tempfile.mkdtemp()
            for f in os.listdir(d):
                if f.startswith("ckpt-1."):
                    shutil.copy(os.path.join(d, f), dd)
            t = os.path.join(dd, "ckpt-1." + which)
            b = bytearray(open(t, "rb").read())
            if mode == "truncated":
                b = b[:len(b) // 2]
            elif mode == "flipped":
                b[len(b) // 2] ^= 0xFF
            else:
                b = b""
            open(t, "wb").write(bytes(b))
            case(f"corrupt_{which.split('-')[0]}_{mode}", lambda: tf.train.Checkpoint(
                v=tf.Variable([0., 0.])).restore(os.path.join(dd, "ckpt-1")).assert_consumed() and "restored")
    md = tempfile.mkdtemp()
    m = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), md, max_to_keep=2)
    case("manager_fresh", lambda: [m.latest_checkpoint, m.checkpoints])
    case("manager_three_saves", lambda: [rel(m.save()).replace(md, "DIR") for _ in range(3)])
    case("manager_checkpoints", lambda: [c.replace(md, "DIR") for c in m.checkpoints])
    case("manager_files", lambda: sorted(os.listdir(md)))
    case("manager_numbered", lambda: [m.save(checkpoint_number=10).replace(md, "DIR"), m.save().replace(md, "DIR")])
    case("manager_checkpoints_after_numbered", lambda: [c.replace(md, "DIR") for c in m.checkpoints])
    case("manager_reopened", lambda: [c.replace(md, "DIR") for c in tf.train.CheckpointManager(
        tf.train.Checkpoint(v=v), md, max_to_keep=3).checkpoints])
    case("manager_max_to_keep_0", lambda: tf.train.CheckpointManager(tf.train.Checkpoint(v=v), md, max_to_keep=0))
    case("manager_name", lambda: tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), tempfile.mkdtemp(),
                                                            max_to_keep=1, checkpoint_name="model").save()
         .split(os.sep)[-1])
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    case("save_weights_suffix", lambda: model.save_weights(os.path.join(d, "x.h5")))
    case("save_weights_prefix", lambda: model.save_weights(os.path.join(d, "x")))
    case("load_weights_format", lambda: model.load_weights(os.path.join(d, "x.npz")))
    wp = os.path.join(d, "m.weights.h5")
    model.save_weights(wp)
    case("load_weights_shape", lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(5),
                                                         keras.layers.Dense(2)]).load_weights(wp))
    case("load_weights_fewer_layers", lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
         .load_weights(wp))
    case("load_weights_more_layers", lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                                                               keras.layers.Dense(2), keras.layers.Dense(2)])
         .load_weights(wp))
    case("load_weights_missing", lambda: model.load_weights(os.path.join(d, "zz.weights.h5")))
    case("layer_has_save_weights", lambda: hasattr(keras.layers.Dense(2), "save_weights"))
    import h5py

    def layout(path):
        items = []
        with h5py.File(path) as f:
            f.visititems(lambda n, o: items.append([n, list(getattr(o, "shape", []) or []), dict(
                (k, str(a)) for k, a in o.attrs.items())]))
        return items
    case("weights_h5_layout_sequential", lambda: layout(wp))

    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.d1 = keras.layers.Dense(4)
            self.blocks = [keras.layers.Dense(3), keras.layers.Dense(2)]

        def call(self, x):
            return self.blocks[1](self.blocks[0](self.d1(x)))
    n = Net()
    n(np.ones((1, 3), np.float32))
    n.save_weights(os.path.join(d, "n.weights.h5"))
    case("weights_h5_layout_subclassed", lambda: layout(os.path.join(d, "n.weights.h5")))
    km = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    km.set_weights([np.arange(np.prod(w.shape), dtype=np.float32).reshape(w.shape) / 7 - 0.5
                    for w in km.get_weights()])
    km.save_weights(str(HERE / "ckpt_keras_mlp.weights.h5"))       # a Keras-written file, loaded by gputape
    case("keras_mlp_weights", lambda: [w.tolist() for w in km.get_weights()])
    with open(HERE / "ckpt.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print(f"{len(out)} cases, TF {tf.__version__}, Keras {keras.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
