# A functional Keras model over sequences (keras.Input -> LSTM -> Dense), trained with Adam under a
# GradientTape for 10 steps from fixed weights, as the TF "Working with RNNs" and functional-API guides
# build it; then the same weights in a Sequential GRU model and a Bidirectional one, one gradient each.
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(1)
x = rng.normal(size=(16, 5, 3)).astype(np.float32)
y = rng.integers(0, 4, 16)

inputs = tf.keras.Input(shape=(5, 3))
h = tf.keras.layers.LSTM(6, return_sequences=True)(inputs)
h = tf.keras.layers.LSTM(6)(h)
outputs = tf.keras.layers.Dense(4)(h)
model = tf.keras.Model(inputs, outputs)
model.set_weights([np.random.default_rng(10 + i).uniform(-0.4, 0.4, w.shape).astype(np.float32)
                   for i, w in enumerate(model.get_weights())])
print("params:", model.count_params(), [tuple(w.shape) for w in model.get_weights()])
opt = tf.keras.optimizers.Adam(0.01)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
for step in range(10):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    print(f"step {step}: loss {float(loss):.6f}")

for layer in (tf.keras.layers.GRU(5), tf.keras.layers.Bidirectional(tf.keras.layers.SimpleRNN(4))):
    seq = tf.keras.Sequential([tf.keras.Input((5, 3)), layer, tf.keras.layers.Dense(2)])
    seq.set_weights([np.random.default_rng(20 + i).uniform(-0.5, 0.5, w.shape).astype(np.float32)
                     for i, w in enumerate(seq.get_weights())])
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = tf.reduce_sum(seq(xt) ** 2)
    gx = tape.gradient(out, xt)
    print(type(layer).__name__, "out", f"{float(out):.5f}", "|dx|", f"{float(tf.reduce_sum(tf.abs(gx))):.5f}",
          "params", seq.count_params())
