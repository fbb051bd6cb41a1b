"""The "Done means" probe of issue 10: how many of the TensorFlow names everyday GradientTape programs use
resolve under ``gputape``.

``EVERYDAY`` lists 207 names (after ``import tensorflow as tf``), taken from the programs of TensorFlow's
own guides: "Introduction to Tensors" and "to Variables", "Introduction to gradients and automatic
differentiation", "Advanced automatic differentiation", "Custom training: walkthrough", Keras's "Writing a
training loop from scratch", "Making new layers and models via subclassing" and "Customizing what happens
in fit()", plus the ops such programs reach for next (``einsum``, ``gather_nd``, ``linalg.inv``,
``math.top_k``, ``cond``, ``print``, ...).  ``tests/tf_fixtures/everyday_names.json`` (written by
``gen_everyday_names.py``) records that TensorFlow 2.21 has every one of them.

``FLOOR`` is the number gputape must have: raise it (the one constant below) whenever names land; the
probe fails if the count drops below it, and says by how much it can be raised when it is exceeded.
"""
import json
import pathlib

import gputape

FLOOR = 202

EVERYDAY = {
    "tensors": """constant Variable Tensor TensorShape TensorSpec convert_to_tensor is_tensor cast identity shape size
        rank float16 float32 float64 int32 int64 bool string as_dtype zeros ones zeros_like ones_like eye range
        one_hot reshape transpose expand_dims squeeze concat stack unstack split tile broadcast_to pad reverse gather
        gather_nd boolean_mask slice where""",
    "autodiff": """GradientTape autodiff.ForwardAccumulator UnconnectedGradients stop_gradient custom_gradient
        recompute_grad function IndexedSlices Module name_scope keras.layers.Layer""",
    "math": """add subtract multiply divide pow square sqrt exp abs maximum minimum sin cos tanh sigmoid
        clip_by_value equal not_equal less less_equal greater greater_equal logical_and add_n matmul tensordot
        einsum math.log math.log1p math.expm1 math.squared_difference math.is_nan math.log_sigmoid math.softplus
        math.top_k math.cumprod math.segment_sum math.unsorted_segment_sum math.bincount math.reduce_std
        math.reduce_variance""",
    "reductions": """reduce_sum reduce_mean reduce_max reduce_min reduce_prod reduce_logsumexp reduce_all reduce_any
        argmax argmin norm cumsum clip_by_global_norm sort scatter_nd tensor_scatter_nd_update""",
    "linalg": """linalg.matmul linalg.inv linalg.det linalg.solve linalg.cholesky linalg.eigh linalg.svd linalg.norm
        linalg.matvec linalg.global_norm""",
    "nn": """nn.relu nn.leaky_relu nn.gelu nn.silu nn.softmax nn.log_softmax nn.sigmoid_cross_entropy_with_logits
        nn.softmax_cross_entropy_with_logits nn.sparse_softmax_cross_entropy_with_logits nn.l2_loss
        nn.l2_normalize nn.dropout nn.conv2d nn.max_pool2d nn.moments nn.embedding_lookup""",
    "random": """random.set_seed random.normal random.uniform random.truncated_normal random.categorical
        random.Generator random.stateless_normal""",
    "control": """cond case switch_case while_loop TensorArray map_fn scan vectorized_map group no_op print""",
    "debugging": """debugging.check_numerics debugging.assert_equal debugging.assert_near debugging.assert_rank
        debugging.assert_shapes debugging.enable_check_numerics""",
    "devices": """config.list_physical_devices config.run_functions_eagerly config.experimental.set_memory_growth
        device""",
    "keras": """keras.Model keras.Sequential keras.Input keras.layers.Dense keras.layers.Conv2D keras.layers.Flatten
        keras.layers.Dropout keras.layers.BatchNormalization keras.layers.LayerNormalization keras.layers.Embedding
        keras.layers.LSTM keras.layers.MaxPooling2D keras.layers.GlobalAveragePooling2D keras.layers.Activation
        keras.losses.SparseCategoricalCrossentropy keras.losses.CategoricalCrossentropy
        keras.losses.BinaryCrossentropy keras.losses.MeanSquaredError keras.losses.Loss keras.optimizers.SGD
        keras.optimizers.Adam keras.optimizers.RMSprop keras.optimizers.AdamW
        keras.optimizers.schedules.ExponentialDecay keras.metrics.Mean keras.metrics.SparseCategoricalAccuracy
        keras.metrics.CategoricalAccuracy keras.metrics.BinaryAccuracy keras.metrics.Accuracy
        keras.initializers.GlorotUniform keras.initializers.RandomNormal keras.activations.relu
        keras.activations.softmax keras.regularizers.L2 keras.backend.clear_session keras.utils.to_categorical""",
    "data and saving": """data.Dataset data.experimental.make_csv_dataset train.Checkpoint train.CheckpointManager
        saved_model.save""",
}
NAMES = [n for group in EVERYDAY.values() for n in group.split()]


def resolves(dotted, root=gputape):
    o = root
    for part in dotted.split("."):
        try:
            o = getattr(o, part)
        except AttributeError:
            return False
    return True


def present():
    return [n for n in NAMES if resolves(n)]


def test_the_list_is_207_distinct_tensorflow_names():
    assert len(NAMES) == 207 and len(set(NAMES)) == 207
    rec = json.loads((pathlib.Path(__file__).parent / "tf_fixtures" / "everyday_names.json").read_text())
    assert rec["tensorflow"].startswith("2.21")
    assert sorted(rec["has"]) == sorted(NAMES), "regenerate tests/tf_fixtures/everyday_names.json"
    assert all(rec["has"].values()), [n for n, ok in rec["has"].items() if not ok]


def test_gputape_has_at_least_the_floor():
    have = present()
    missing = [n for n in NAMES if n not in have]
    assert len(have) >= FLOOR, (f"gputape has {len(have)} of the {len(NAMES)} everyday names, below the floor of "
                                f"{FLOOR}; missing: {missing}")


def test_floor_is_current():
    """The floor is the present count, so a regression by even one name is caught (raise FLOOR as names land)."""
    have = len(present())
    assert have <= FLOOR, f"gputape now has {have} of the everyday names: raise FLOOR from {FLOOR} to {have}"
