"""Four steps of each optimizer issue 8 adds (and Adam's ``amsgrad`` with other options) on a
float16/32/64 Variable: one program, run under TensorFlow 2.21 by ``gen_metrics_optimizers.py`` and
under gputape by ``tests/test_optimizers_more.py`` (bit-equal: the results are compared exactly)."""
import numpy as np

DTYPES = ("float64", "float32", "float16")
OPTIMIZERS = {
    "adamw": ("AdamW", dict(learning_rate=0.1)),
    "adamw_amsgrad": ("AdamW", dict(learning_rate=0.1, weight_decay=0.1, amsgrad=True)),
    "adam_amsgrad_clipnorm": ("Adam", dict(learning_rate=0.1, amsgrad=True, clipnorm=1.0)),
    "adamax": ("Adamax", dict(learning_rate=0.1)),
    "nadam": ("Nadam", dict(learning_rate=0.1)),
    "nadam_b": ("Nadam", dict(learning_rate=0.05, beta_1=0.8, beta_2=0.95, epsilon=1e-3)),
    "adadelta": ("Adadelta", dict(learning_rate=1.0)),
    "adadelta_rho": ("Adadelta", dict(learning_rate=0.5, rho=0.8, epsilon=1e-4)),
    "ftrl": ("Ftrl", dict(learning_rate=0.1)),
    "ftrl_reg": ("Ftrl", dict(learning_rate=0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02,
                              l2_shrinkage_regularization_strength=0.03, beta=0.5, learning_rate_power=-0.6,
                              initial_accumulator_value=0.2)),
    "lion": ("Lion", dict(learning_rate=0.1)),
    "lion_wd": ("Lion", dict(learning_rate=0.1, beta_1=0.5, beta_2=0.9, weight_decay=0.1)),
}
GRADS = ([1.0, 0.5, -0.25], [0.5, -1.5, 0.125], [-2.0, 0.75, 0.0], [0.25, 0.25, -3.0])


def run(tf, name, dtype, **extra):
    """The variable after four steps with the gradients ``GRADS``, as a list of floats."""
    cls, kw = OPTIMIZERS[name]
    opt = getattr(tf.keras.optimizers, cls)(**kw, **extra)
    v = tf.Variable(np.array([1.0, -2.0, 0.5], dtype))
    for g in GRADS:
        opt.apply_gradients([(tf.constant(np.array(g, dtype)), v)])
    return [float(x) for x in np.asarray(v.numpy(), np.float64)]
