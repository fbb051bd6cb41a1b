"""Flat parameter buffers: the variables of one dtype as views into one buffer, so that an
optimizer updates all of them in one kernel launch.

``FlatState(optimizer, variables)`` (made by ``Optimizer(..., flat=True)`` when it is built):

- one flat buffer per dtype for the parameters, one for the gradients, one per optimizer slot;
  each variable's segment starts at a 256-byte aligned offset and the padding between
  segments holds zeros (every update rule maps zero gradient and zero state to zero change);
- each Variable's ``_v`` is re-pointed at a view of its segment (``assign`` and the other
  in-place writes then land in the flat buffer) and the optimizer's slots are views too, so
  the per-variable update of ``optimizers.py`` runs on the same memory whenever the one-launch
  update cannot (a variable without gradient this step);
- the learning rate lives in a one-element device array per dtype (copied on the device from
  the optimizer's ``learning_rate`` variable) and the step count is the optimizer's
  ``iterations`` variable (device memory), so a captured CUDA graph can replay an update with
  new values;
- clipping, weight decay, loss scaling, gradient accumulation and EMA are done by the optimizer
  around this update (``Optimizer._step``), so the flat path honours them unchanged.

The update rules below are the NumPy twins of ``kernels/optimizers.cu``: statement for
statement the per-variable rules of ``optimizers.py`` over the flat buffers, so on NumPy the
flat path gives bit-identical results (tests/test_kernels.py checks it).

    >>> import gputape as tf
    >>> w = tf.Variable([1.0, 2.0])
    >>> opt = tf.optimizers.Adam(0.1, flat=True)
    >>> _ = opt.apply_gradients([(tf.constant([0.5, -0.5]), w)])
    >>> w.numpy()
    array([0.9000013, 2.0999987], dtype=float32)
"""
import numpy as np

from . import backend as _b
from .kernels import kernel

ALIGN = 256       # bytes


def _aligned(xp, n, dtype, fill):
    """A 1-D array of ``n`` elements filled with ``fill`` whose data starts on an ALIGN boundary."""
    dtype = np.dtype(dtype)
    pad = ALIGN // dtype.itemsize
    raw = xp.full((n + pad,), fill, dtype=dtype)
    ptr = raw.ctypes.data if xp is np else raw.data.ptr
    skip = (-ptr % ALIGN) // dtype.itemsize
    return raw[skip:skip + n]


class _Group:
    """The variables of one dtype and their segments in that dtype's buffers."""

    def __init__(self, dtype, variables):
        self.dtype = np.dtype(dtype)
        self.variables = list(variables)
        step = max(1, ALIGN // self.dtype.itemsize)
        self.offsets, off = [], 0
        for v in self.variables:
            self.offsets.append(off)
            off += -(-max(v._v.size, 1) // step) * step
        self.size = off
        self.params = self.grads = self.lr = None
        self.slots = {}            # slot name -> flat buffer
        self.slot_vars = {}        # slot name -> the optimizer's slot Variable of each variable
        self.slot_views = {}       # slot name -> the view each slot Variable's _v must be
        self.views = []            # the parameter view each variable's _v must be
        self._lr_host = None

    def segment(self, flat, k):
        v = self.variables[k]
        off = self.offsets[k]
        return flat[off:off + v._v.size].reshape(v._v.shape)


class FlatState:
    """An optimizer's parameters, gradients and slots in flat buffers; see the module doc."""

    def __init__(self, opt, variables):
        xp = _b.get_xp()
        self.opt = opt
        self.rule = opt._flat_rule
        by_dtype = {}
        for v in variables:
            by_dtype.setdefault(np.dtype(v._v.dtype), []).append(v)
        self.groups = [_Group(d, vs) for d, vs in by_dtype.items()]
        self.ids = {v._uid for v in variables}
        self._it = xp.zeros((), np.int64)      # the update-step count when it is not ``iterations``
        for grp in self.groups:
            grp.params = _aligned(xp, grp.size, grp.dtype, 0)
            grp.grads = _aligned(xp, grp.size, grp.dtype, 0)
            grp.lr = xp.zeros((1,), grp.dtype)
            for k in range(len(grp.variables)):
                grp.views.append(grp.segment(grp.params, k))
            self._repoint(grp.variables, grp.views)
            for name, init in self.rule.slots(opt):
                flat = _aligned(xp, grp.size, grp.dtype, init)    # padding: a value the rule maps to no change
                grp.slots[name] = flat
                slot_vars = [opt._slot_lists[name][opt._get_variable_index(v)] for v in grp.variables]
                grp.slot_vars[name] = slot_vars
                grp.slot_views[name] = [grp.segment(flat, k) for k in range(len(grp.variables))]
                self._repoint(slot_vars, grp.slot_views[name])   # the slot Variables keep their values

    @staticmethod
    def _repoint(variables, views):
        """Copy each variable's value into its segment and make ``_v`` that segment."""
        for v, view in zip(variables, views):
            if v._v is view:
                continue
            view[...] = v._v
            if v._reads:
                v._detach_reads()
            v._v = view

    def step(self, pairs, lr, t):
        """The update of every parameter, one launch per dtype, at update step ``t + 1`` with
        learning rate ``lr`` (a float32 device scalar or a host number).  False (nothing done)
        unless ``pairs`` gives exactly one gradient to each variable of this state."""
        if len(pairs) != len(self.ids) or {v._uid for _, v in pairs} != self.ids:
            return False
        xp = _b.get_xp()
        grads = {v._uid: g for g, v in pairs}
        it = self.opt._iterations._v
        if t != self.opt._t:
            self._it[...] = t
            it = self._it
        for grp in self.groups:
            if any(v._v is not view for v, view in zip(grp.variables, grp.views)):
                self._repoint(grp.variables, grp.views)    # someone replaced a _v: bring it back
            for name, slot_vars in grp.slot_vars.items():
                if any(s._v is not view for s, view in zip(slot_vars, grp.slot_views[name])):
                    self._repoint(slot_vars, grp.slot_views[name])
                for s in slot_vars:
                    if s._reads:
                        s._detach_reads()
            for k, v in enumerate(grp.variables):
                if v._reads:
                    v._detach_reads()
                _copy_into(xp, grp.segment(grp.grads, k), grads[v._uid])
            if isinstance(lr, (float, int, np.generic)):
                if grp._lr_host != lr:
                    grp.lr[...] = lr
                    grp._lr_host = lr
            else:
                grp.lr[...] = lr                 # device to device: no sync
                grp._lr_host = None
            self.rule.update(xp, self.opt, grp, it)
        return True


def _copy_into(xp, dst, src):
    if xp is np or not (src.flags.c_contiguous and src.dtype == dst.dtype and src.shape == dst.shape):
        dst[...] = src
    elif src.size:
        dst.data.copy_from_device_async(src.data, src.nbytes)   # a memcpy, not a kernel


def _run(ref, twin, xp, arrays, params):
    if xp is not np and ref(xp, *arrays, **params) is not None:
        return
    twin(xp, *arrays, **params)


def _keras_cast(x):
    """A Python float as Keras's ``ops.cast(x, dtype)`` gives it on TensorFlow: through float32 first
    (so a float64 variable sees float32(0.9)); passed as such to the kernel and to its twin alike."""
    return float(np.float32(x))


class FlatRule:
    """How one optimizer class runs over flat buffers: its slots and its update."""

    def __init__(self, slots, update):
        self.slots = slots         # slots(opt) -> [(name, initial value)]
        self.update = update       # update(xp, opt, group, iterations)


# ---------------------------------------------------------------- SGD

def sgd_update(xp, g, lr, w, m, *, momentum, with_momentum, nesterov):
    """Twin of ``sgd_update`` in kernels/optimizers.cu; ``SGD._update`` over flat buffers."""
    d = w.dtype
    lr = lr[0]
    if not with_momentum:
        w -= g * lr
        return
    mom = d.type(momentum)
    m *= mom
    m -= g * lr
    if nesterov:
        w += m * mom - g * lr
    else:
        w += m


_SGD = kernel("optimizers.cu", "sgd_update")


def _sgd(xp, opt, grp, it):
    _run(_SGD, sgd_update, xp, (grp.grads, grp.lr, grp.params, grp.slots.get("momentum")),
         dict(momentum=_keras_cast(opt.momentum), with_momentum=opt.momentum != 0, nesterov=opt.nesterov))


SGD_RULE = FlatRule(lambda opt: [("momentum", 0.0)] if opt.momentum != 0 else [], _sgd)


# ---------------------------------------------------------------- Adam

def adam_update(xp, g, lr, iterations, w, m, v, vhat, *, beta_1, beta_2, one_minus_beta_1,
                one_minus_beta_2, epsilon, amsgrad):
    """Twin of ``adam_update``; ``Adam._update`` over flat buffers, t = iterations + 1."""
    d = w.dtype
    t = (iterations + 1).astype(d)[()]
    b1p = d.type(beta_1) ** t
    b2p = d.type(beta_2) ** t
    alpha = lr[0] * xp.sqrt(d.type(1) - b2p) / (d.type(1) - b1p)
    m += (g - m) * d.type(one_minus_beta_1)
    v += (g * g - v) * d.type(one_minus_beta_2)
    if amsgrad:
        xp.maximum(vhat, v, out=vhat)
        v = vhat
    w -= (m * alpha) / (xp.sqrt(v) + d.type(epsilon))


_ADAM = kernel("optimizers.cu", "adam_update")


def _adam(xp, opt, grp, it):
    s = grp.slots
    _run(_ADAM, adam_update, xp, (grp.grads, grp.lr, it, grp.params, s["momentum"], s["velocity"],
                                  s.get("velocity_hat")),
         dict(beta_1=_keras_cast(opt.beta_1), beta_2=_keras_cast(opt.beta_2), one_minus_beta_1=1 - opt.beta_1,
              one_minus_beta_2=1 - opt.beta_2, epsilon=opt.epsilon, amsgrad=bool(opt.amsgrad)))


ADAM_RULE = FlatRule(lambda opt: [("momentum", 0.0), ("velocity", 0.0)]
                     + ([("velocity_hat", 0.0)] if opt.amsgrad else []), _adam)


# ---------------------------------------------------------------- RMSprop

def rmsprop_update(xp, g, lr, w, vel, avg, mom, *, rho, one_minus_rho, momentum, epsilon, centered,
                   with_momentum):
    """Twin of ``rmsprop_update``; ``RMSprop._update`` over flat buffers.  ``one_minus_rho`` is
    ``T(1 - rho)``: computed in double, then rounded once, as Keras does."""
    d = w.dtype
    rho = d.type(rho)
    omr = d.type(one_minus_rho)
    vel *= rho
    vel += omr * (g * g)
    if centered:
        avg *= rho
        avg += omr * g
        den = vel - avg * avg + d.type(epsilon)
    else:
        den = vel + d.type(epsilon)
    inc = lr[0] * g / xp.sqrt(den)
    if with_momentum:
        mom *= d.type(momentum)
        mom += inc
        w -= mom
    else:
        w -= inc


_RMSPROP = kernel("optimizers.cu", "rmsprop_update")


def _rmsprop(xp, opt, grp, it):
    s, d = grp.slots, grp.dtype
    _run(_RMSPROP, rmsprop_update, xp,
         (grp.grads, grp.lr, grp.params, s["velocity"], s.get("average_gradient"), s.get("momentum")),
         dict(rho=opt.rho, one_minus_rho=d.type(1 - opt.rho), momentum=opt.momentum,
              epsilon=opt.epsilon, centered=bool(opt.centered), with_momentum=opt.momentum > 0))


RMSPROP_RULE = FlatRule(lambda opt: [("velocity", 0.0)] + ([("average_gradient", 0.0)] if opt.centered else [])
                        + ([("momentum", 0.0)] if opt.momentum > 0 else []), _rmsprop)


# ---------------------------------------------------------------- Adagrad

def adagrad_update(xp, g, lr, w, acc, *, epsilon):
    """Twin of ``adagrad_update``; ``Adagrad._update`` over flat buffers."""
    d = w.dtype
    acc += g * g
    w -= lr[0] * g / xp.sqrt(acc + d.type(epsilon))


_ADAGRAD = kernel("optimizers.cu", "adagrad_update")


def _adagrad(xp, opt, grp, it):
    _run(_ADAGRAD, adagrad_update, xp, (grp.grads, grp.lr, grp.params, grp.slots["accumulator"]),
         dict(epsilon=opt.epsilon))


ADAGRAD_RULE = FlatRule(lambda opt: [("accumulator", _keras_cast(opt.initial_accumulator_value))],
                        _adagrad)   # Keras's Constant initializer: ops.cast of a Python float
