# A training loop as the TF guides write it ("Custom training: walkthrough", "Writing a training loop from
# scratch"): a subclassed Keras model with BatchNormalization, a tf.data pipeline, Keras metrics, a
# tf.function train step, and a CheckpointManager; fixed initial weights so the numbers are comparable.
import numpy as np, tempfile, os
import tensorflow as tf

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype(np.float32)
y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)

class Net(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = tf.keras.layers.Dense(16, activation="relu")
        self.bn = tf.keras.layers.BatchNormalization()
        self.d2 = tf.keras.layers.Dense(3)
    def call(self, x, training=False):
        return self.d2(self.bn(self.d1(x), training=training))

net = Net()
net(tf.zeros((1, 8)))
w = [np.random.default_rng(i).normal(size=v.shape).astype(np.float32) * 0.3 for i, v in enumerate(net.get_weights())]
w[3] = np.ones_like(w[3]); w[5] = np.ones_like(w[5]); w[4] = np.zeros_like(w[4])  # bn gamma/beta/mean/var
net.set_weights(w)
print("trainable:", len(net.trainable_variables), "all:", len(net.variables))
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
opt = tf.keras.optimizers.Adam(1e-2)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
acc = tf.keras.metrics.SparseCategoricalAccuracy()
mean_loss = tf.keras.metrics.Mean()
ckdir = tempfile.mkdtemp()  # a fresh directory: the numbering starts at 1
ckpt = tf.train.Checkpoint(model=net, optimizer=opt)
manager = tf.train.CheckpointManager(ckpt, ckdir, max_to_keep=2)

@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        logits = net(xb, training=True)
        loss = loss_fn(yb, logits)
    grads = tape.gradient(loss, net.trainable_variables)
    opt.apply_gradients(zip(grads, net.trainable_variables))
    acc.update_state(yb, logits)
    mean_loss.update_state(loss)
    return loss

for epoch in range(3):
    acc.reset_state(); mean_loss.reset_state()
    for xb, yb in ds:
        train_step(xb, yb)
    path = manager.save()
    print(f"epoch {epoch}: loss {float(mean_loss.result()):.6f} acc {float(acc.result()):.4f} saved {os.path.basename(path)}")
before = net.get_weights()[0].copy()
net.d1.kernel.assign(tf.zeros_like(net.d1.kernel))
ckpt.restore(manager.latest_checkpoint)
print("restored equal:", bool(np.array_equal(net.get_weights()[0], before)), "latest:", os.path.basename(manager.latest_checkpoint), len(manager.checkpoints))
