"""Three steps of each Keras optimizer on a float16/32/64 Variable: one program, run under TensorFlow
2.21 by ``gen_optimizer_dtypes.py`` and under gputape by ``tests/test_optimizer_dtypes.py``."""
import numpy as np

DTYPES = ("float64", "float32", "float16")
OPTIMIZERS = {
    "adam": ("Adam", dict(learning_rate=0.1)),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.1, amsgrad=True)),
    "sgd_momentum": ("SGD", dict(learning_rate=0.1, momentum=0.9)),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "rmsprop_momentum": ("RMSprop", dict(learning_rate=0.1, momentum=0.5)),
    "rmsprop_centered": ("RMSprop", dict(learning_rate=0.1, centered=True)),
}


def run(tf, name, dtype, **extra):
    """The variable after three steps with the constant gradient [1, 0.5], as a list."""
    cls, kw = OPTIMIZERS[name]
    opt = getattr(tf.keras.optimizers, cls)(**kw, **extra)
    v = tf.Variable(np.array([1.0, -2.0], dtype))
    for _ in range(3):
        opt.apply_gradients([(tf.constant(np.array([1.0, 0.5], dtype)), v)])
    return [float(x) for x in np.asarray(v.numpy(), np.float64)]
