"""Optimizers with Keras 3's update rules, applied in place on the device (no host syncs).

    opt = gputape.optimizers.SGD(learning_rate=0.1)
    opt.apply_gradients(zip(grads, variables))
"""
import math
import warnings

import numpy as np

from . import backend as _b
from . import flat as _flat
from .tensor import Variable, _Base


class LearningRateSchedule:
    """Base class: ``schedule(step)`` gives the learning rate at an optimizer step."""

    def __call__(self, step):
        raise NotImplementedError


def _lr_value(lr, step):
    if isinstance(lr, LearningRateSchedule):
        return float(lr(step))
    if callable(lr) and not isinstance(lr, _Base):
        return float(lr())
    if isinstance(lr, _Base):
        return float(lr)
    return float(lr)


class Optimizer:
    """Shared machinery: variable binding, None-gradient handling, the step counter.

    ``flat=True``: the variables are moved into flat buffers when the optimizer is built and
    each step updates all of them in one kernel launch per dtype (``gputape.flat``); the
    results are those of the per-variable update.
    """
    _flat_rule = None                 # gputape.flat rule of the subclass

    def __init__(self, learning_rate, name, flat=False):
        self.flat = bool(flat)
        self._flat = None             # gputape.flat.FlatState once built with flat=True
        self._learning_rate = learning_rate
        self.name = name
        self._built = None            # ids of the variables this optimizer was built with
        self._slots = {}
        self.iterations = Variable(np.int64(0), trainable=False, name=f"{name}/iteration", dtype=np.int64)
        self._t = 0                   # host copy of iterations: reading the device one would sync

    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = value

    def _pairs(self, grads_and_vars):
        pairs = list(grads_and_vars)
        for g, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"apply_gradients: expected (gradient, Variable) pairs, got a "
                                f"{type(v).__name__} where a Variable belongs")
        if pairs and all(g is None for g, _ in pairs):
            names = [v.name for _, v in pairs]
            raise ValueError(f"No gradients provided for any variable. Variables: {names}. Typical causes: the "
                             f"loss was computed outside the GradientTape, from .numpy() values, or from "
                             f"tensors that were never watched (gputape.debugging.explain_none tells which).")
        missing = [v.name for g, v in pairs if g is None]
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                          f"`model.compile()`, did you forget to provide a `loss` argument?", UserWarning,
                          stacklevel=3)
        return [(g, v) for g, v in pairs if g is not None]

    def build(self, variables):
        self._built = {id(v): v for v in variables}   # holding them: a dead variable's id cannot come back
        if self.flat and self._flat_rule is not None:
            self._flat = _flat.FlatState(self, variables)
        for v in variables:
            self._init_slots(v)

    def _init_slots(self, v):
        pass

    def _slot(self, v, name, init=0.0):
        key = (id(v), name)
        s = self._slots.get(key)
        if s is None:
            s = _b.get_xp().full(v._v.shape, init, dtype=v._v.dtype)
            self._slots[key] = s
        return s

    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False, **kwargs):
        """One update of each variable that has a gradient; returns ``iterations``."""
        pairs = self._pairs(grads_and_vars)
        if self._built is None:
            self.build([v for _, v in pairs])
        for g, v in pairs:
            if id(v) not in self._built:
                raise ValueError(f"Unknown variable: {v!r}. This optimizer can only be called for the variables "
                                 f"it was originally built with. When working with a new set of variables, you "
                                 f"should recreate a new optimizer instance.")
            gv = g._v if isinstance(g, _Base) else _b.get_xp().asarray(g, dtype=v._v.dtype)
            if tuple(gv.shape) != tuple(v._v.shape):
                from .errors import InvalidArgumentError
                raise InvalidArgumentError(f"Cannot update variable '{v.name}' with shape {list(v._v.shape)} using "
                                           f"a Tensor with shape {list(gv.shape)}, shapes must be equal.")
            if gv.dtype != v._v.dtype:
                raise TypeError(f"apply_gradients: gradient dtype {gv.dtype} does not match variable "
                                f"'{v.name}' dtype {v._v.dtype}")
        step = self._t
        lr = _lr_value(self._learning_rate, step)
        xp = _b.get_xp()
        arrays = [(g._v if isinstance(g, _Base) else xp.asarray(g, dtype=v._v.dtype), v) for g, v in pairs]
        if self._flat is None or not self._flat.step(arrays, lr):
            for gv, v in arrays:
                if v._reads:
                    v._detach_reads()
                self._update(v._v, gv, v, lr, step + 1)
        self._t = step + 1
        self.iterations._v[...] = self._t
        return self.iterations

    def minimize(self, loss, var_list, tape=None):
        """Compute gradients of ``loss`` (a callable, or a tensor with ``tape``) and apply them."""
        from .tape import GradientTape
        if callable(loss):
            with GradientTape() as tape:
                value = loss()
        else:
            if tape is None:
                raise ValueError("`tape` is required when a `Tensor` loss is passed.")
            value = loss
        var_list = list(var_list() if callable(var_list) else var_list)
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def variables(self):
        return [self.iterations]


def _c(x, dtype):
    return dtype.type(x)


class SGD(Optimizer):
    """Plain, momentum or Nesterov gradient descent."""
    _flat_rule = _flat.SGD_RULE

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name, flat=kwargs.get("flat", False))
        if not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1], got {momentum}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _update(self, w, g, var, lr, t):
        d = w.dtype
        lr = _c(lr, d)
        if self.momentum == 0:
            w -= g * lr
            return
        m = self._slot(var, "momentum")
        mom = _c(self.momentum, d)
        m *= mom
        m -= g * lr
        if self.nesterov:
            w += m * mom - g * lr
        else:
            w += m


class Adam(Optimizer):
    """Adam (Kingma & Ba), with Keras's epsilon placement."""
    _flat_rule = _flat.ADAM_RULE

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam",
                 **kwargs):
        super().__init__(learning_rate, name, flat=kwargs.get("flat", False))
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), amsgrad

    def _scalars(self, d, lr, t):
        """Step constants in the variable dtype, as Keras computes them; once per dtype and step."""
        key = (d, lr, t)
        if self._cached is None or self._cached[0] != key:
            xp = _b.get_xp()
            b1p = _c(self.beta_1, d) ** _c(t, d)
            b2p = _c(self.beta_2, d) ** _c(t, d)
            alpha = _c(lr, d) * xp.sqrt(_c(1, d) - b2p) / (_c(1, d) - b1p)
            self._cached = (key, (alpha, _c(1 - self.beta_1, d), _c(1 - self.beta_2, d), _c(self.epsilon, d)))
        return self._cached[1]

    _cached = None

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        alpha, c1, c2, eps = self._scalars(w.dtype, lr, t)
        m = self._slot(var, "m")
        v = self._slot(var, "v")
        tmp = g - m
        tmp *= c1
        m += tmp
        tmp = g * g
        tmp -= v
        tmp *= c2
        v += tmp
        if self.amsgrad:
            vh = self._slot(var, "vhat")
            xp.maximum(vh, v, out=vh)
            v = vh
        den = xp.sqrt(v)
        den += eps
        tmp = m * alpha
        tmp /= den
        w -= tmp


class RMSprop(Optimizer):
    """RMSprop (optionally centered, with momentum)."""
    _flat_rule = _flat.RMSPROP_RULE

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate, name, flat=kwargs.get("flat", False))
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), centered

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        d = w.dtype
        vel = self._slot(var, "velocity")
        rho = _c(self.rho, d)
        vel *= rho
        vel += _c(1 - self.rho, d) * (g * g)          # Keras: (1 - rho) in double, then the dtype
        if self.centered:
            avg = self._slot(var, "average_gradient")
            avg *= rho
            avg += _c(1 - self.rho, d) * g
            den = vel - avg * avg + _c(self.epsilon, d)
        else:
            den = vel + _c(self.epsilon, d)
        inc = _c(lr, d) * g / xp.sqrt(den)
        if self.momentum > 0:
            mo = self._slot(var, "momentum")
            mo *= _c(self.momentum, d)
            mo += inc
            w -= mo
        else:
            w -= inc


class Adagrad(Optimizer):
    """Adagrad."""
    _flat_rule = _flat.ADAGRAD_RULE

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        super().__init__(learning_rate, name, flat=kwargs.get("flat", False))
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        d = w.dtype
        acc = self._slot(var, "accumulator", self.initial_accumulator_value)
        acc += g * g
        w -= _c(lr, d) * g / xp.sqrt(acc + _c(self.epsilon, d))


class ExponentialDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.decay_rate, self.staircase = float(decay_rate), staircase

    def __call__(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p


class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries, values, name=None):
        if len(values) != len(boundaries) + 1:
            raise ValueError("The length of boundaries should be 1 less than the length of values")
        self.boundaries, self.values = list(boundaries), list(values)

    def __call__(self, step):
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]


class CosineDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None, warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate, self.decay_steps, self.alpha = float(initial_learning_rate), decay_steps, alpha

    def __call__(self, step):
        s = min(step, self.decay_steps)
        cos = 0.5 * (1 + math.cos(math.pi * s / self.decay_steps))
        return self.initial_learning_rate * ((1 - self.alpha) * cos + self.alpha)


class schedules:
    LearningRateSchedule = LearningRateSchedule
    ExponentialDecay = ExponentialDecay
    PiecewiseConstantDecay = PiecewiseConstantDecay
    CosineDecay = CosineDecay


def get(identifier):
    if isinstance(identifier, Optimizer):
        return identifier
    table = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}
    try:
        return table[str(identifier).lower()]()
    except KeyError:
        raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}") from None
