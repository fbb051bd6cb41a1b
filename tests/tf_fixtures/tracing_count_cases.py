"""Programs whose ``experimental_get_tracing_count()`` after each call TF 2.21 recorded (issue 12).

``run(tf)`` runs every case with ``tf`` (TensorFlow or gputape) and returns {case: [count after each
call]}; gen_tracing_count.py records TensorFlow's, tests/test_function.py compares gputape's."""
import numpy as np


def _creates_variable_first_call(tf):
    box = []

    @tf.function
    def f(x):
        if not box:
            box.append(tf.Variable(1.0))
        return x * box[0]
    out = [f.experimental_get_tracing_count()]
    for x in (tf.constant(2.0), tf.constant(3.0), tf.constant([3.0]), tf.constant([4.0, 5.0])):
        f(x)
        out.append(f.experimental_get_tracing_count())
    return out


def _no_variables(tf):
    g = tf.function(lambda x: x + 1)
    out = []
    for x in (tf.constant(1.0), tf.constant(2.0), tf.constant([1.0])):
        g(x)
        out.append(g.experimental_get_tracing_count())
    return out


def _train_step_with_adam(tf):
    rs = np.random.RandomState(0)
    w = tf.Variable(rs.randn(3, 2).astype(np.float32))
    opt = tf.keras.optimizers.Adam(0.1)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.matmul(x, w) ** 2)
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        return loss
    out = []
    for n in (4, 4, 4, 2):
        step(tf.constant(rs.randn(n, 3).astype(np.float32)))
        out.append(step.experimental_get_tracing_count())
    return out


CASES = {"creates_variable_first_call": _creates_variable_first_call, "no_variables": _no_variables,
         "train_step_with_adam": _train_step_with_adam}


def run(tf):
    return {name: fn(tf) for name, fn in CASES.items()}
