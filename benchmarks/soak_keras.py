"""Memory soak of the Keras side (issue 7, kinds 9 and 10): resident memory per step over 10,000
steps of an eager MLP (Dense, SparseCategoricalCrossentropy, Adam with clipnorm) and of a seeded
Dropout layer called with training=True.

    python benchmarks/soak_keras.py [--steps 10000] [--warmup 1000]

Prints bytes/step of RSS growth after warm-up for each scenario (the goal is under 50).
"""
import argparse
import gc
import os

import numpy as np

import gputape as tf


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def mlp():
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.layers.Dense(32, activation="relu"), tf.keras.layers.Dense(10)])
    opt = tf.keras.optimizers.Adam(0.001, clipnorm=1.0)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x = tf.random.normal((16, 20))
    y = tf.constant(np.arange(16) % 10)

    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return step


def dropout():
    layer = tf.keras.layers.Dropout(0.5, seed=1)
    x = tf.ones((16, 32))
    return lambda: layer(x, training=True)


def soak(make, steps, warmup):
    step = make()
    for _ in range(warmup):
        step()
    gc.collect()
    before = rss()
    for _ in range(steps):
        step()
    gc.collect()
    return (rss() - before) / steps


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--warmup", type=int, default=1000)
    a = p.parse_args()
    for name, make in (("eager MLP + Adam", mlp), ("seeded Dropout", dropout)):
        print(f"{name:>18}: {soak(make, a.steps, a.warmup):8.1f} bytes/step RSS growth over {a.steps} steps "
              f"(backend {tf.backend_name()})")


if __name__ == "__main__":
    main()
