"""Recurrent and attention layer cases (issue 8), run with ``keras``/``tf`` bound to Keras 3.15 / TF 2.21
(by gen_rnn.py, which records the results in rnn.json) and to ``gputape.keras`` / ``gputape`` (by
tests/test_rnn_layers.py): the same program, so the numbers must agree.

``run_layer(case, keras, tf)``: builds the layer, gives it fixed random weights (numpy's PCG64 stream,
seeded from the case name), calls it on fixed inputs under a GradientTape and returns the outputs,
the gradients of ``sum(output_k * R_k)`` (fixed random ``R_k``) with respect to the inputs, the
initial states and every trainable weight, the weights' paths and shapes and ``count_params()``.
``run_training(keras, tf)``: 20 Adam steps of LSTM(8) -> Dense(3) on fixed data; the losses.
"""
import numpy as np

B, T, F = 3, 5, 4
MASK = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 1], [1, 0, 1, 0, 1]]

# (name, layer code, options): options "init": sizes of the initial states passed; "mask": MASK;
# "mha": query/value shapes for attention cases; "call": extra call keywords (code strings)
LAYER_CASES = [
    ("lstm_default", "keras.layers.LSTM(4, name='L')", {}),
    ("lstm_seq", "keras.layers.LSTM(4, return_sequences=True, name='L')", {}),
    ("lstm_state_seq", "keras.layers.LSTM(4, return_state=True, return_sequences=True, name='L')", {}),
    ("lstm_back", "keras.layers.LSTM(4, go_backwards=True, return_sequences=True, name='L')", {}),
    ("lstm_init", "keras.layers.LSTM(4, return_state=True, name='L')", {"init": [4, 4]}),
    ("lstm_mask_init", "keras.layers.LSTM(3, return_sequences=True, return_state=True, name='L')",
     {"mask": True, "init": [3, 3]}),
    ("lstm_acts", "keras.layers.LSTM(3, activation='relu', recurrent_activation='tanh', name='L')", {}),
    ("lstm_linear", "keras.layers.LSTM(3, activation=None, recurrent_activation='sigmoid', return_sequences=True, "
                    "name='L')", {}),
    ("lstm_unfused", "keras.layers.LSTM(3, activation='softplus', return_sequences=True, name='L')", {}),
    ("lstm_nobias", "keras.layers.LSTM(3, use_bias=False, name='L')", {}),
    ("gru_seq", "keras.layers.GRU(4, return_sequences=True, name='G')", {}),
    ("gru_state_back", "keras.layers.GRU(4, return_state=True, go_backwards=True, name='G')", {}),
    ("gru_reset_before", "keras.layers.GRU(4, reset_after=False, return_sequences=True, name='G')", {}),
    ("gru_nobias", "keras.layers.GRU(3, use_bias=False, return_sequences=True, name='G')", {}),
    ("gru_mask_init", "keras.layers.GRU(3, return_sequences=True, name='G')", {"mask": True, "init": [3]}),
    ("gru_unfused", "keras.layers.GRU(3, recurrent_activation='softplus', name='G')", {}),
    ("srnn_default", "keras.layers.SimpleRNN(4, name='S')", {}),
    ("srnn_relu_state", "keras.layers.SimpleRNN(4, activation='relu', return_sequences=True, return_state=True, "
                        "name='S')", {}),
    ("srnn_back_mask", "keras.layers.SimpleRNN(3, go_backwards=True, return_sequences=True, name='S')",
     {"mask": True}),
    ("rnn_lstmcell", "keras.layers.RNN(keras.layers.LSTMCell(3), return_sequences=True, name='R')", {}),
    ("rnn_grucell_back", "keras.layers.RNN(keras.layers.GRUCell(3), go_backwards=True, return_state=True, "
                         "name='R')", {}),
    ("rnn_zero_mask", "keras.layers.RNN(keras.layers.SimpleRNNCell(3), return_sequences=True, "
                      "zero_output_for_mask=True, name='R')", {"mask": True}),
    ("bidi_concat", "keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True, name='L'), name='B')", {}),
    ("bidi_sum_state", "keras.layers.Bidirectional(keras.layers.GRU(3, return_state=True, name='G'), "
                       "merge_mode='sum', name='B')", {}),
    ("bidi_none", "keras.layers.Bidirectional(keras.layers.SimpleRNN(3, return_sequences=True, name='S'), "
                  "merge_mode=None, name='B')", {}),
    ("bidi_ave_mask", "keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True, name='L'), "
                      "merge_mode='ave', name='B')", {"mask": True}),
    ("bidi_mul", "keras.layers.Bidirectional(keras.layers.LSTM(3, name='L'), merge_mode='mul', name='B')", {}),
    ("bidi_init", "keras.layers.Bidirectional(keras.layers.LSTM(3, return_state=True, name='L'), name='B')",
     {"init": [3, 3, 3, 3]}),
    ("time_distributed", "keras.layers.TimeDistributed(keras.layers.Dense(3, name='D'), name='T')", {}),
]

# attention: (name, layer code, options); "q"/"v" shapes, "call": keyword code (uses Tq, Tv)
MHA_CASES = [
    ("mha_self", "keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, name='M')", {"q": (2, 4, 5), "v": None}),
    ("mha_cross_scores", "keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, name='M')",
     {"q": (2, 4, 5), "v": (2, 3, 6), "call": "dict(return_attention_scores=True)"}),
    ("mha_key", "keras.layers.MultiHeadAttention(num_heads=3, key_dim=2, output_shape=4, name='M')",
     {"q": (2, 4, 5), "v": (2, 3, 6), "k": (2, 3, 2)}),
    ("mha_causal", "keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, name='M')",
     {"q": (2, 4, 5), "v": None, "call": "dict(use_causal_mask=True)"}),
    ("mha_causal_scores", "keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, name='M')",
     {"q": (2, 4, 5), "v": None, "call": "dict(use_causal_mask=True, return_attention_scores=True)"}),
    ("mha_mask", "keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False, name='M')",
     {"q": (2, 4, 5), "v": (2, 3, 5), "call": "dict(attention_mask=tf.constant(AMASK))"}),
    ("mha_mask_causal_scores", "keras.layers.MultiHeadAttention(num_heads=1, key_dim=4, name='M')",
     {"q": (2, 3, 5), "v": None,
      "call": "dict(attention_mask=tf.constant(AMASK_SQ), use_causal_mask=True, return_attention_scores=True)"}),
]
AMASK = [[[1, 0, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1]], [[1, 1, 1], [0, 0, 1], [1, 0, 0], [0, 1, 0]]]
AMASK_SQ = [[[1, 1, 0], [1, 1, 1], [0, 1, 1]], [[1, 0, 1], [1, 1, 0], [1, 1, 1]]]


def _seed(name):
    return sum(ord(c) * (i + 1) for i, c in enumerate(name))


def _flat(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _weights_and_grads(layer, tape, loss, sources, outs):
    grads = tape.gradient(loss, sources + list(layer.trainable_weights))
    return {"outputs": [o.numpy().tolist() for o in outs],
            "grads": [None if g is None else np.asarray(g.numpy()).tolist() for g in grads],
            "weights": [[w.path if hasattr(w, "path") else w.name.split(":")[0], list(w.shape)]
                        for w in layer.weights],
            "count": int(layer.count_params())}


def run_layer(case, keras, tf):
    name, code, opts = case
    rng = np.random.default_rng(_seed(name))
    layer = eval(code, {"keras": keras})
    x = rng.uniform(-1, 1, (B, T, F)).astype(np.float32)
    kw = {}
    if opts.get("mask"):
        kw["mask"] = tf.constant(np.array(MASK, dtype=bool))
    inits = [rng.uniform(-1, 1, (B, s)).astype(np.float32) for s in opts.get("init", [])]
    layer(tf.constant(x), **kw, **({"initial_state": [tf.constant(s) for s in inits]} if inits else {}))
    layer.set_weights([rng.uniform(-0.6, 0.6, tuple(w.shape)).astype(np.float32) for w in layer.weights])
    xt = tf.constant(x)
    st = [tf.constant(s) for s in inits]
    if st:
        kw["initial_state"] = st
    with tf.GradientTape() as tape:
        tape.watch(xt)
        for s in st:
            tape.watch(s)
        outs = _flat(layer(xt, **kw))
        loss = tf.add_n([tf.reduce_sum(o * tf.constant(rng.uniform(-1, 1, tuple(o.shape)).astype(np.float32)))
                         for o in outs])
    return _weights_and_grads(layer, tape, loss, [xt] + st, outs)


def run_mha(case, keras, tf):
    name, code, opts = case
    rng = np.random.default_rng(_seed(name))
    layer = eval(code, {"keras": keras})
    q = rng.uniform(-1, 1, opts["q"]).astype(np.float32)
    v = q if opts["v"] is None else rng.uniform(-1, 1, opts["v"]).astype(np.float32)
    k = rng.uniform(-1, 1, opts["k"]).astype(np.float32) if opts.get("k") else None
    kw = eval(opts.get("call", "dict()"), {"tf": tf, "AMASK": np.array(AMASK, bool),
                                          "AMASK_SQ": np.array(AMASK_SQ, bool)})
    args = (tf.constant(q), tf.constant(v)) + ((tf.constant(k),) if k is not None else ())
    layer(*args, **kw)
    layer.set_weights([rng.uniform(-0.6, 0.6, tuple(w.shape)).astype(np.float32) for w in layer.weights])
    ts = [tf.constant(a) for a in ([q] if opts["v"] is None else [q, v]) + ([k] if k is not None else [])]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        call = (ts[0], ts[0]) if opts["v"] is None else tuple(ts)
        outs = _flat(layer(*call, **kw))
        loss = tf.add_n([tf.reduce_sum(o * tf.constant(rng.uniform(-1, 1, tuple(o.shape)).astype(np.float32)))
                         for o in outs])
    return _weights_and_grads(layer, tape, loss, ts, outs)


def run_training(keras, tf):
    """20 Adam(0.01) steps of LSTM(8) -> Dense(3) (sparse softmax cross-entropy from logits) on fixed data."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (16, 6, 5)).astype(np.float32)
    y = rng.integers(0, 3, (16,)).astype(np.int32)
    lstm = keras.layers.LSTM(8, name="lstm")
    dense = keras.layers.Dense(3, name="dense")
    dense(lstm(tf.constant(x)))
    for lay in (lstm, dense):
        lay.set_weights([rng.uniform(-0.5, 0.5, tuple(w.shape)).astype(np.float32) for w in lay.weights])
    opt = keras.optimizers.Adam(learning_rate=0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    variables = list(lstm.trainable_weights) + list(dense.trainable_weights)
    losses = []
    xt, yt = tf.constant(x), tf.constant(y)
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = loss_fn(yt, dense(lstm(xt)))
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))
        losses.append(float(loss.numpy()))
    return losses


def run_stateful(keras, tf):
    """A stateful LSTM: a call, a second call under a tape (starting from the first call's states), then
    ``reset_states()`` and the first input again (must repeat the first outputs)."""
    rng = np.random.default_rng(99)
    lay = keras.layers.LSTM(3, stateful=True, return_sequences=True, name="L")
    x1, x2 = (rng.uniform(-1, 1, (B, T, F)).astype(np.float32) for _ in range(2))
    lay(tf.constant(x1))
    lay.set_weights([rng.uniform(-0.6, 0.6, tuple(w.shape)).astype(np.float32) for w in lay.weights])
    lay.reset_states()
    y1 = lay(tf.constant(x1))
    xt = tf.constant(x2)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y2 = lay(xt)
        loss = tf.reduce_sum(y2 * tf.constant(rng.uniform(-1, 1, tuple(y2.shape)).astype(np.float32)))
    out = _weights_and_grads(lay, tape, loss, [xt], [y1, y2])
    lay.reset_states()
    out["outputs"].append(lay(tf.constant(x1)).numpy().tolist())
    return out
