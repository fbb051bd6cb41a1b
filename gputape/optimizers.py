"""Optimizers with Keras 3's update rules, applied in place on the device (no host syncs).

    opt = gputape.optimizers.SGD(learning_rate=0.1)
    opt.apply_gradients(zip(grads, variables))

Every constructor takes Keras 3.15's arguments (``keras/src/optimizers/base_optimizer.py``):
``weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name``, all implemented
with Keras's order of work in one step:

    unscale (loss_scale_factor) -> accumulate (gradient_accumulation_steps) -> clip in the
    gradient's dtype (clipnorm | global_clipnorm | clipvalue) -> cast to the variable's dtype ->
    weight decay (w -= w * weight_decay * lr) -> update rule -> moving average (use_ema) ->
    iterations += 1

No step reads a device value back: the learning rate is the float32 ``learning_rate`` Variable's
buffer, used on the device; the step count has a host copy.

An unknown keyword raises ``ValueError("Argument(s) not recognized: {...}")`` as Keras does;
``decay`` warns and is ignored, as in Keras 3.  ``flat=True`` (gputape only) runs the update
rule of all variables of one dtype in one kernel launch (``gputape.flat``); the other options
work on it unchanged.
"""
import math
import re
import warnings

import numpy as np

from . import backend as _b
from . import flat as _flat
from . import module as _module
from .tensor import Tensor, Variable, _Base

_LR_MESSAGE = ("Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a callable "
               "(that takes in the current iteration value and returns the corresponding learning rate value). "
               "Received instead: learning_rate={}")


class LearningRateSchedule:
    """Base class: ``schedule(step)`` gives the learning rate at an optimizer step."""

    def __call__(self, step):
        """The learning rate at ``step`` as a float32 scalar tensor (as Keras's schedules return).
        Built-in schedules compute it on the host in float32 (``_value``), which the optimizer reads
        directly; a subclass overrides ``__call__`` itself, as in Keras."""
        value = getattr(self, "_value", None)
        if value is None:
            raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override "
                                      f"`__call__(self, step)`.")
        from .tensor import constant
        return constant(np.float32(value(step)))


def _auto_name(cls_name):
    from .keras.naming import auto_name
    return auto_name(cls_name)


def _check_name(name):
    if not isinstance(name, str) or "/" in name:
        raise ValueError(f"Argument `name` must be a string and cannot contain character `/`. Received: "
                         f"name={name}")
    return name


class Optimizer:
    """Shared machinery of Keras 3's ``BaseOptimizer``: building, None gradients, clipping, weight
    decay, EMA, gradient accumulation, the step counter and the learning-rate variable.

    State: ``variables`` lists ``iterations``, the ``learning_rate`` variable (a float rate only),
    then the slot variables in Keras's order; slots are found by the variable itself
    (``_get_variable_index``), so an optimizer pickles, deep-copies and lists like Keras's.

    ``flat=True``: the variables are moved into flat buffers when the optimizer is built and
    each step updates all of them in one kernel launch per dtype (``gputape.flat``); the
    results are those of the per-variable update.
    """
    _flat_rule = None                 # gputape.flat rule of the subclass

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, *, flat=False, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", UserWarning, stacklevel=3)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self.name = _check_name(_auto_name(type(self).__name__) if name is None else name)
        self.weight_decay, self.clipnorm, self.clipvalue = weight_decay, clipnorm, clipvalue
        self.global_clipnorm, self.use_ema, self.loss_scale_factor = global_clipnorm, use_ema, loss_scale_factor
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(f"`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError(f"`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                                 f"ema_overwrite_frequency={ema_overwrite_frequency}")
        self.ema_momentum, self.ema_overwrite_frequency = ema_momentum, ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.flat = bool(flat)
        self._flat = None             # gputape.flat.FlatState once built with flat=True
        self.built = False
        self._variables = []          # Keras order: iterations, learning_rate, slots
        self._trainable_variables = []
        self._index = {}              # variable._uid -> position in _trainable_variables
        self._slot_lists = {}         # slot name -> [Variable per trainable variable]
        self._iterations = Variable(np.int64(0), trainable=False, name=f"{self.name}/iteration", dtype=np.int64)
        self._variables.append(self._iterations)
        self._t = 0                   # host copy of iterations: reading the device one would sync
        self._learning_rate = self._make_lr(learning_rate)

    # ---------------------------------------------------------------- learning rate, iterations
    def _make_lr(self, lr):
        if isinstance(lr, LearningRateSchedule) or callable(lr) and not isinstance(lr, _Base):
            return lr
        if not isinstance(lr, float):
            raise ValueError(_LR_MESSAGE.format(lr))
        v = Variable(np.float32(lr), trainable=False, name=f"{self.name}/learning_rate")
        self._variables.insert(1, v)
        return v

    @property
    def learning_rate(self):
        """The rate of the next step: the ``learning_rate`` Variable, or the schedule's value at
        ``iterations`` / the callable's value, as Keras 3 returns it."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        from .tensor import constant
        value = self._lr_now()
        return value if isinstance(value, _Base) else constant(value)

    @learning_rate.setter
    def learning_rate(self, value):
        old = self._learning_rate
        if isinstance(value, LearningRateSchedule) or callable(value) and not isinstance(value, _Base):
            self._learning_rate = value
            if isinstance(old, Variable):
                self._variables.remove(old)
        elif isinstance(old, LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its "
                            "`learning_rate` constructor argument, hence its learning rate is not settable. If you "
                            "need the learning rate to be settable, you should instantiate the optimizer with a "
                            "float `learning_rate` argument.")
        elif isinstance(old, Variable):
            old.assign(np.float32(value) if not isinstance(value, _Base) else value)
        else:
            self._learning_rate = self._make_lr(float(value) if isinstance(value, (int, float)) else value)

    def _lr_now(self):
        """The rate for this step: a float32 device scalar (a Variable's buffer, read without a
        sync), a host float32 (schedules compute in float32 as Keras's do), or a callable's value."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr._v
        if isinstance(lr, LearningRateSchedule):
            host = getattr(lr, "_value", None)      # built-ins: a host float32, no tensor per step
            value = host(self._t) if host is not None and type(lr).__call__ is LearningRateSchedule.__call__ \
                else lr(self._t)
        else:
            value = lr()
        if isinstance(value, _Base):
            return value._v
        return np.float32(value) if isinstance(lr, LearningRateSchedule) else value

    @property
    def iterations(self):
        """Steps taken (update steps when accumulating gradients, as Keras's property)."""
        if self.gradient_accumulation_steps:
            from .tensor import constant
            return constant(np.int64(self._t // self.gradient_accumulation_steps))
        return self._iterations

    @property
    def variables(self):
        """``[iterations, learning_rate, *slots]`` in Keras 3's order (a copy of the list)."""
        return self._variables[:]

    # ---------------------------------------------------------------- building
    def build(self, variables):
        """Create the slots of ``variables`` (Keras's ``build``); the optimizer then accepts only them."""
        if self.built:
            return
        variables = list(variables)
        for v in variables:
            if not isinstance(v, Variable):
                raise TypeError(f"{type(self).__name__}.build: expected Variables, got a {type(v).__name__}")
        self._trainable_variables = variables[:]
        self._index = {v._uid: i for i, v in enumerate(variables)}
        if self.use_ema:
            self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self.add_optimizer_variables(variables, "gradient_accumulator")
        self._build_slots(variables)
        self.built = True
        if self.flat and self._flat_rule is not None:
            self._flat = _flat.FlatState(self, variables)
        if _module._pending_restores:
            _module.state_created(self)         # a checkpoint restore may be waiting for the slots

    def _build_slots(self, variables):
        pass

    def add_optimizer_variables(self, variables, names, initializer=0.0):
        """One slot Variable per variable and name, named ``<var name>_<slot>`` as Keras names them
        (``'w:0'`` -> ``'w_0_momentum'``), interleaved per variable when several names are given;
        ``initializer`` is one fill value or one per name (Keras's list form)."""
        names = [names] if isinstance(names, str) else list(names)
        inits = list(initializer) if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        xp = _b.get_xp()
        for n in names:
            self._slot_lists[n] = []
        for v in variables:
            base = v.name.replace("/", "_").replace(":", "_")
            for n, init in zip(names, inits):
                s = Variable(xp.full(v._v.shape, init, dtype=v._v.dtype), trainable=False,
                             name=f"{self.name}/{base}_{n}")
                self._slot_lists[n].append(s)
                self._variables.append(s)

    def _get_variable_index(self, variable):
        return self._index[variable._uid]

    def _slot(self, v, name):
        s = self._slot_lists[name][self._index[v._uid]]
        if s._reads:
            s._detach_reads()
        return s._v

    def _slot_pair(self, v, a, b):
        """``(_slot(v, a), _slot(v, b))`` with one index lookup."""
        i = self._index[v._uid]
        sa, sb = self._slot_lists[a][i], self._slot_lists[b][i]
        if sa._reads:
            sa._detach_reads()
        if sb._reads:
            sb._detach_reads()
        return sa._v, sb._v

    # ---------------------------------------------------------------- one step
    def _pairs(self, grads_and_vars):
        pairs = list(grads_and_vars)
        if not pairs:
            raise ValueError("apply_gradients: got no (gradient, variable) pairs")
        for p in pairs:
            if not (isinstance(p, (tuple, list)) and len(p) == 2):
                raise ValueError(f"apply_gradients: expected (gradient, variable) pairs, got {p!r}")
            if not isinstance(p[1], Variable):
                raise TypeError(f"apply_gradients: expected (gradient, Variable) pairs, got a "
                                f"{type(p[1]).__name__} where a Variable belongs")
        return pairs

    def _check_known(self, variables):
        for v in variables:
            if v._uid not in self._index:
                raise ValueError(f"Unknown variable: {v!r}. This optimizer can only be called for the variables "
                                 f"it was originally built with. When working with a new set of variables, you "
                                 f"should recreate a new optimizer instance.")

    @staticmethod
    def _filter_empty(pairs):
        kept = [(g, v) for g, v in pairs if g is not None]
        if not kept:
            names = [v.name for _, v in pairs]
            raise ValueError(f"No gradients provided for any variable. Variables: {names}. Typical causes: the "
                             f"loss was computed outside the GradientTape, from .numpy() values, or from "
                             f"tensors that were never watched (gputape.debugging.explain_none tells which).")
        missing = [v.name for g, v in pairs if g is None]
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                          f"`model.compile()`, did you forget to provide a `loss` argument?", UserWarning,
                          stacklevel=4)
        return kept

    def _dense_gradient(self, g, v):
        """An IndexedSlices gradient as its dense tensor (rows at a repeated index summed).  Keras 3 on TF
        squares an IndexedSlices slice by slice, so at a repeated index its second moments (Adam, RMSprop,
        Adagrad) and its clipping norms are sums of squares, not the square of the sum: only SGD without
        clipping is linear in the gradient, and for any other optimizer a repeated index is
        NotImplementedError (one host read of the indices per IndexedSlices gradient)."""
        if not hasattr(type(g), "__tf_tensor__"):
            if isinstance(g, _Base) and not self._linear_in_gradient():
                self._refuse_repeated_gather(g, v)
            return g
        if not self._linear_in_gradient():
            idx = np.asarray(_b.to_host(g.indices._v)).reshape(-1)
            if len(np.unique(idx)) != idx.size:
                raise NotImplementedError(
                    f"apply_gradients: an IndexedSlices gradient for variable '{v.name}' repeats an index; "
                    f"Keras squares each slice before summing them ({type(self).__name__}'s second moments or "
                    f"clipping), gputape sums first. Sum the repeated rows first (unique indices) or pass the "
                    f"dense gradient (convert_to_tensor)")
        return g.__tf_tensor__()

    _CONFIG_BASE = ("weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema", "ema_momentum",
                    "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps")

    def get_config(self):
        """Keras 3's optimizer config: ``name``, ``learning_rate`` (a float rate as the float32 value Keras
        returns, e.g. 0.0010000000474974513), the base options, then the optimizer's own arguments in its
        signature's order; ``flat`` only where it is True (gputape's own argument).  A schedule or callable
        learning rate raises NotImplementedError (gputape's schedules have no config yet)."""
        import inspect
        lr = self._learning_rate
        if isinstance(lr, Variable):
            lr = float(np.asarray(_b.to_host(lr._v)))          # a config is read on the host, not per step
        else:
            raise NotImplementedError(f"{type(self).__name__}.get_config with a learning-rate schedule or callable "
                                      f"({lr!r}) is not implemented in gputape")
        cfg = {"name": self.name, "learning_rate": lr}
        cfg.update((k, getattr(self, k)) for k in self._CONFIG_BASE)
        base = set(inspect.signature(Optimizer.__init__).parameters)
        for p in inspect.signature(type(self).__init__).parameters.values():
            if p.name in base or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            if not hasattr(self, p.name):
                raise NotImplementedError(f"{type(self).__name__}.get_config: argument {p.name!r} is not kept "
                                          f"by gputape's optimizer")
            cfg[p.name] = getattr(self, p.name)
        if self.flat:
            cfg["flat"] = True
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The optimizer ``get_config`` describes (Keras 3's ``from_config``)."""
        if custom_objects:
            raise NotImplementedError("from_config(custom_objects=...) is not implemented in gputape")
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            raise NotImplementedError(f"{cls.__name__}.from_config with a serialized learning-rate schedule is not "
                                      f"implemented in gputape")
        return cls(**config)

    def _linear_in_gradient(self):
        """Plain SGD without clipping: the only update for which a sum of slices equals the slices."""
        return type(self) is SGD and not (self.clipnorm or self.global_clipnorm or self.clipvalue)

    def _refuse_repeated_gather(self, g, v):
        """A dense gradient that a gather along axis 0 made (``Embedding``, ``tf.gather(v, ids)``) is, in
        TensorFlow, an IndexedSlices that Keras squares slice by slice: with a repeated id Adam/RMSprop/
        Adagrad/clipping give other numbers than on the summed rows.  Refuse rather than differ silently
        (one host read of the ids on CuPy, only for such gradients)."""
        e = _gathered().get(id(g))
        ids = e[1] if e is not None and e[0]() is g else None      # ops.shape.gathered_rows
        if ids is None:
            return
        idx = np.asarray(_b.to_host(ids._v)).reshape(-1)
        if len(np.unique(idx)) != idx.size:
            raise NotImplementedError(
                f"apply_gradients: the gradient of variable '{v.name}' comes from a gather (e.g. Embedding) with a "
                f"repeated index; TensorFlow passes it as IndexedSlices and Keras squares each slice before "
                f"summing ({type(self).__name__}'s second moments or clipping), gputape's gradient is the summed "
                f"dense one. Use unique ids per batch or SGD, or pass tf.identity(gradient) to apply the dense "
                f"gradient's numbers")

    def _grad_arrays(self, pairs):
        """``(array, variable)`` for each ``(gradient, variable)``: ``_grad_array(_dense_gradient(g, v), v)``,
        with the usual gradient -- a dense float tensor of the variable's shape -- passed straight through
        (the same checks, in the same order, without the calls)."""
        out = []
        gathered = _gathered()
        lin = None
        for g, v in pairs:
            if type(g) is Tensor:
                if gathered:
                    if lin is None:
                        lin = self._linear_in_gradient()
                    if not lin:
                        self._refuse_repeated_gather(g, v)
                gv = g._v
                if gv.dtype.kind == "f" and gv.shape == v._v.shape:
                    out.append((gv, v))
                    continue
                out.append((self._grad_array(g, v), v))
                continue
            out.append((self._grad_array(self._dense_gradient(g, v), v), v))
        return out

    @staticmethod
    def _grad_array(g, v):
        xp = _b.get_xp()
        gv = g._v if isinstance(g, _Base) else xp.asarray(g)
        if gv.dtype.kind not in "biuf":
            raise TypeError(f"apply_gradients: the gradient of variable '{v.name}' has dtype {gv.dtype}; a "
                            f"numeric gradient is needed")
        if gv.dtype.kind != "f":
            gv = gv.astype(v._v.dtype)
        if tuple(gv.shape) != tuple(v._v.shape):
            from .errors import InvalidArgumentError
            raise InvalidArgumentError(f"Cannot update variable '{v.name}' with shape {list(v._v.shape)} using "
                                       f"a Tensor with shape {list(gv.shape)}, shapes must be equal.")
        return gv

    def apply_gradients(self, grads_and_vars):
        """One update of each variable that has a gradient (Keras 3's ``apply_gradients``);
        returns the ``iterations`` variable.

        Builds the optimizer on the first call with every variable passed (a None gradient
        included); later calls accept only those variables (ValueError "Unknown variable").
        A gradient of another float dtype (or an int, list or NumPy gradient) is cast to the
        variable's dtype, as Keras's ``update_step`` does."""
        pairs = self._pairs(grads_and_vars)
        variables = [v for _, v in pairs]
        if not self.built:
            self.build(variables)
        self._check_known(variables)
        pairs = self._grad_arrays(self._filter_empty(pairs))
        if self.loss_scale_factor is not None:
            pairs = [(g / g.dtype.type(self.loss_scale_factor) if g.dtype.kind == "f" else g / self.loss_scale_factor,
                      v) for g, v in pairs]
        steps = self.gradient_accumulation_steps
        if steps and (self._t + 1) % steps != 0:
            for g, v in pairs:
                acc = self._slot(v, "gradient_accumulator")
                acc += g.astype(acc.dtype, copy=False)
        else:
            if steps:
                pairs = [(self._slot(v, "gradient_accumulator") + g.astype(v._v.dtype, copy=False), v)
                         for g, v in pairs]
                pairs = [(g / g.dtype.type(steps), v) for g, v in pairs]
            self._step([g for g, _ in pairs], [v for _, v in pairs])
            if steps:
                for acc in self._slot_lists["gradient_accumulator"]:
                    acc._v[...] = 0
        if self.use_ema:
            self._update_moving_average()
        for _, v in pairs:            # Keras 3: constraints after the update (and EMA), every step
            if v.constraint is not None:
                v.assign(v.constraint(v))
        self._t += 1
        # on the device, in place (issue 11 K): no host value written per step, so a captured step
        # (CUDA graph) advances it on every replay; ``_t`` is the host mirror schedules read
        self._iterations._v += 1
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Keras 3's ``apply``: ``grads`` in the order of ``trainable_variables``, or of the
        variables the optimizer was built with; an empty ``grads`` is a no-op."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built on "
                                 "a list of variables. Call `optimizer.build(trainable_variables)` first. ")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(f"When passing `grads` as a list of gradient tensors, the gradients must match "
                                 f"`optimizer.variables` one-to-on. Received a list of {len(grads)} gradients, but "
                                 f"the optimizer is tracking {len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        self.apply_gradients(zip(grads, list(trainable_variables)))

    def _step(self, grads, variables):
        """Clip, decay and update: Keras's ``_backend_apply_gradients`` without accumulation."""
        grads = self._clip_gradients(grads)
        grads = [g if g.dtype == v._v.dtype else g.astype(v._v.dtype) for g, v in zip(grads, variables)]
        lr = self._lr_now()
        if self.weight_decay is not None:
            self._apply_weight_decay(variables, lr)
        t = self._t // self.gradient_accumulation_steps if self.gradient_accumulation_steps else self._t
        pairs = list(zip(grads, variables))
        if self._flat is None or not self._flat.step(pairs, lr, t):
            by_dtype = {}
            for g, v in pairs:
                if v._reads:
                    v._detach_reads()
                d = v._v.dtype
                lr_d = by_dtype.get(d)
                if lr_d is None:
                    lr_d = by_dtype[d] = _in_dtype(lr, d)
                self._update(v._v, g, v, lr_d, t + 1)

    # ---------------------------------------------------------------- clipping, decay, EMA
    def _clip_gradients(self, grads):
        if not (self.clipnorm or self.global_clipnorm or self.clipvalue):
            return grads                  # the usual step: no clipping, no errstate to enter
        xp = _b.get_xp()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.clipnorm and self.clipnorm > 0:
                out = []
                for g in grads:       # Keras's _clip_by_norm: g * c / max(||g||, c), in g's dtype
                    l2sum = (g * g).sum(keepdims=True)
                    pos = l2sum > 0
                    l2norm = xp.where(pos, xp.sqrt(xp.where(pos, l2sum, xp.ones_like(l2sum))), l2sum)
                    out.append((g * g.dtype.type(self.clipnorm)) / xp.maximum(l2norm, g.dtype.type(self.clipnorm)))
                return out
            if self.global_clipnorm and self.global_clipnorm > 0:
                dt = np.result_type(*[g.dtype for g in grads])
                norm = xp.sqrt(xp.stack([(g * g).sum().astype(dt) for g in grads]).sum())
                c = dt.type(self.global_clipnorm)
                scale = c * xp.minimum(dt.type(1.0) / norm, dt.type(1.0 / self.global_clipnorm))
                scale = scale + (norm - norm)          # NaN for a non-finite norm, as Keras
                return [g * scale.astype(g.dtype) for g in grads]
            if self.clipvalue and self.clipvalue > 0:
                return [xp.clip(g, -self.clipvalue, self.clipvalue).astype(g.dtype, copy=False) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Variables (or names containing any of ``var_names``) that weight decay skips."""
        self._exclude_vars = list(var_list or [])
        self._exclude_ids = {v._uid for v in self._exclude_vars}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    _exclude_ids = frozenset()
    _exclude_pattern = None

    def _use_weight_decay(self, v):
        if v._uid in self._exclude_ids:
            return False
        return self._exclude_pattern is None or self._exclude_pattern.search(v.name) is None

    def _apply_weight_decay(self, variables, lr):
        """w -= w * weight_decay * lr (in the variable's dtype), before the update rule as Keras."""
        for v in variables:
            if self._use_weight_decay(v):
                d = v._v.dtype
                if v._reads:
                    v._detach_reads()
                v._v -= (v._v * _keras_cast(self.weight_decay, d)) * _in_dtype(lr, d)   # tf.cast: via float32

    def _update_moving_average(self):
        t = self._t // self.gradient_accumulation_steps if self.gradient_accumulation_steps else self._t
        for v, avg in zip(self._trainable_variables, self._slot_lists["average"]):
            d = v._v.dtype
            m = d.type(self.ema_momentum if t != 0 else 0.0)
            if avg._reads:
                avg._detach_reads()
            avg._v[...] = m * avg._v + (d.type(1) - m) * v._v
        if self.ema_overwrite_frequency and (t + 1) % self.ema_overwrite_frequency == 0:
            self._overwrite_with_average()

    def _overwrite_with_average(self):
        for v, avg in zip(self._trainable_variables, self._slot_lists["average"]):
            if v._reads:
                v._detach_reads()
            v._v[...] = avg._v

    def finalize_variable_values(self, var_list):
        """With ``use_ema``: set the variables to their moving averages (Keras's end of training)."""
        if self.use_ema:
            self._overwrite_with_average()

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` when one is set (gradients are divided back in each step)."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # ---------------------------------------------------------------- the rest of the API
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

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_flat"] = None         # views into flat buffers do not survive a copy: rebuilt on use
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        # unpickled/copied Variables have new uids: re-key what is keyed by them
        self._index = {v._uid: i for i, v in enumerate(self._trainable_variables)}
        if "_exclude_vars" in state:
            self._exclude_ids = {v._uid for v in self._exclude_vars}
        if self.flat and self.built and self._flat_rule is not None:
            self._flat = _flat.FlatState(self, self._trainable_variables)


_GATHERED = []


def _gathered():
    """``ops.shape``'s registry of gather gradients (id -> (weakref, indices)), bound on first use."""
    if not _GATHERED:
        from .ops.shape import _GATHERED as registry
        _GATHERED.append(registry)
    return _GATHERED[0]


def _in_dtype(lr, d):
    """The learning rate in the variable dtype ``d``, as Keras's ``ops.cast(learning_rate, dtype)``."""
    if isinstance(lr, (float, int, np.generic)):
        return d.type(lr)
    return lr.astype(d)


def _c(x, dtype):
    return dtype.type(x)


def _keras_cast(x, dtype):
    """A Python float as Keras's ``ops.cast(x, dtype)`` gives it on TensorFlow (``flat._keras_cast``:
    through float32 first, so a float64 variable sees float32(0.9)), in ``dtype``."""
    return dtype.type(_flat._keras_cast(x))


_BASE_DOC = """
    The Keras 3 base arguments (``weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
    ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name``)
    are those of ``Optimizer``; ``flat=True`` is gputape's one-launch update.  Unknown keywords
    raise ValueError as in Keras 3."""


class SGD(Optimizer):
    """Plain, momentum or Nesterov gradient descent (Keras 3's ``SGD``).""" + _BASE_DOC
    _flat_rule = _flat.SGD_RULE

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, *, flat=False, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat=flat,
                         **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def _build_slots(self, variables):
        if self.momentum != 0:
            self.add_optimizer_variables(variables, "momentum")

    def _update(self, w, g, var, lr, t):
        d = w.dtype
        if self.momentum == 0:
            w -= g * lr
            return
        m = self._slot(var, "momentum")
        mom = _keras_cast(self.momentum, d)                  # Keras: ops.cast(self.momentum, dtype)
        m *= mom
        m -= g * lr
        if self.nesterov:
            w += m * mom - g * lr
        else:
            w += m


class Adam(Optimizer):
    """Adam (Kingma & Ba), with Keras's epsilon placement (Keras 3's ``Adam``).""" + _BASE_DOC
    _flat_rule = _flat.ADAM_RULE

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, *, flat=False, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat=flat,
                         **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = float(beta_1), float(beta_2), float(epsilon), amsgrad

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, ["momentum", "velocity"])
        if self.amsgrad:
            self.add_optimizer_variables(variables, "velocity_hat")

    def _scalars(self, d, t):
        """Step constants in the variable dtype, as Keras computes them; once per dtype and step:
        (sqrt(1 - beta_2^t), 1 - beta_1^t, 1 - beta_1, 1 - beta_2, epsilon)."""
        key = (d, t)
        if self._cached is None or self._cached[0] != key:
            b1p = _keras_cast(self.beta_1, d) ** _c(t, d)      # Keras: ops.cast(self.beta_1, dtype)
            b2p = _keras_cast(self.beta_2, d) ** _c(t, d)
            self._cached = (key, (np.sqrt(_c(1, d) - b2p), _c(1, d) - b1p, _c(1 - self.beta_1, d),
                                  _c(1 - self.beta_2, d), _c(self.epsilon, d)))
        return self._cached[1]

    _cached = None
    _step_consts = None

    def _update(self, w, g, var, lr, t):
        xp = _b.xp
        k = self._step_consts
        if k is None or k[0] is not lr or k[1] != t or k[2] != w.dtype:
            # once per step and dtype (``lr`` is the step's learning rate in that dtype, one object)
            s2, q1, c1, c2, eps = self._scalars(w.dtype, t)
            k = self._step_consts = (lr, t, w.dtype, c1, c2, eps, lr * s2 / q1)   # Keras: lr * sqrt(1 - b2^t) / (1 - b1^t)
        c1, c2, eps, alpha = k[3:]
        m, v = self._slot_pair(var, "momentum", "velocity")
        tmp = g - m
        tmp *= c1
        m += tmp
        tmp = g * g
        tmp -= v
        tmp *= c2
        v += tmp
        if self.amsgrad:
            vh = self._slot(var, "velocity_hat")
            xp.maximum(vh, v, out=vh)
            v = vh
        den = xp.sqrt(v)
        den += eps
        tmp = m * alpha
        tmp /= den
        w -= tmp


class RMSprop(Optimizer):
    """RMSprop, optionally centered, with momentum (Keras 3's ``RMSprop``).""" + _BASE_DOC
    _flat_rule = _flat.RMSPROP_RULE

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, *, flat=False, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat=flat,
                         **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = float(rho), float(momentum), float(epsilon), centered

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, "velocity")
        if self.momentum > 0:
            self.add_optimizer_variables(variables, "momentum")
        if self.centered:
            self.add_optimizer_variables(variables, "average_gradient")

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
        inc = lr * g / xp.sqrt(den)
        if self.momentum > 0:
            mo = self._slot(var, "momentum")
            mo *= _c(self.momentum, d)
            mo += inc
            w -= mo
        else:
            w -= inc


class Adagrad(Optimizer):
    """Adagrad (Keras 3's ``Adagrad``).""" + _BASE_DOC
    _flat_rule = _flat.ADAGRAD_RULE

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, *, flat=False, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat=flat,
                         **kwargs)
        self.initial_accumulator_value, self.epsilon = float(initial_accumulator_value), float(epsilon)

    def _build_slots(self, variables):
        # Keras fills it with initializers.Constant, i.e. ops.cast of a Python float (via float32)
        self.add_optimizer_variables(variables, "accumulator", _flat._keras_cast(self.initial_accumulator_value))

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        d = w.dtype
        acc = self._slot(var, "accumulator")
        acc += g * g
        w -= lr * g / xp.sqrt(acc + _c(self.epsilon, d))



def _base_args(self, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
               ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat, kwargs):
    Optimizer.__init__(self, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                       ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name,
                       flat=flat, **kwargs)


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras 3's ``AdamW``: ``Adam`` whose ``weight_decay``
    defaults to 0.004 and must be a float; the decay ``w -= w * weight_decay * lr`` runs before the
    Adam update, as every Keras 3 optimizer's ``weight_decay``).""" + _BASE_DOC

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, *, flat=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm, clipvalue,
                         global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
                         gradient_accumulation_steps, name, flat=flat, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm (Keras 3's ``Adamax``): ``m += (g - m)(1 - beta_1)``,
    ``u = max(beta_2 u, |g|)``, ``w -= lr m / ((1 - beta_1^t)(u + epsilon))``.""" + _BASE_DOC

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, *, flat=False, **kwargs):
        _base_args(self, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                   ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat, kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, ["momentum", "norm"])

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        d = w.dtype
        b1p = _keras_cast(self.beta_1, d) ** _c(t, d)
        m = self._slot(var, "momentum")
        u = self._slot(var, "norm")
        m += (g - m) * _c(1 - self.beta_1, d)
        xp.maximum(_c(self.beta_2, d) * u, xp.abs(g), out=u)
        w -= (lr * m) / ((_c(1, d) - b1p) * (u + _c(self.epsilon, d)))


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Keras's momentum schedule ``u_t = beta_1 (1 - 0.5 * 0.96^t)``
    (Keras 3's ``Nadam``); the running product of the ``u_t`` is a scalar Variable in the first
    variable's dtype, listed last in ``variables`` as Keras lists it.""" + _BASE_DOC

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, *, flat=False, **kwargs):
        _base_args(self, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                   ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat, kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, ["momentum", "velocity"])
        dtype = variables[0]._v.dtype if variables else np.dtype(np.float32)
        self._u_product = Variable(np.array(1.0, dtype), trainable=False,
                                   name=f"{self.name}/{_auto_name('Variable').lower()}")
        self._variables.append(self._u_product)

    def _step(self, grads, variables):
        u = self._u_product
        d = u._v.dtype
        t = (self._t // self.gradient_accumulation_steps if self.gradient_accumulation_steps else self._t) + 1
        if u._reads:
            u._detach_reads()
        # Keras: u_product * beta_1 * (1.0 - 0.5 * 0.96 ** (iterations + 1)), Python floats direct in d
        u._v[...] = (u._v * _c(self.beta_1, d)) * (_c(1.0, d) - _c(0.5, d) * _c(0.96, d) ** _c(t, d))
        super()._step(grads, variables)

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        d = w.dtype
        one, half = _c(1, d), _c(0.5, d)
        decay, b1, b2 = _keras_cast(0.96, d), _keras_cast(self.beta_1, d), _keras_cast(self.beta_2, d)
        u_t = b1 * (one - half * decay ** _c(t, d))
        u_t_1 = b1 * (one - half * decay ** _c(t + 1, d))
        up_t = self._u_product._v.astype(d, copy=False)
        up_t_1 = up_t * u_t_1
        b2p = b2 ** _c(t, d)
        m = self._slot(var, "momentum")
        v = self._slot(var, "velocity")
        m += (g - m) * (one - b1)
        v += (g * g - v) * (one - b2)
        m_hat = (u_t_1 * m) / (one - up_t_1) + ((one - u_t) * g) / (one - up_t)
        v_hat = v / (one - b2p)
        w -= (m_hat * lr) / (xp.sqrt(v_hat) + _c(self.epsilon, d))


class Adadelta(Optimizer):
    """Adadelta (Keras 3's ``Adadelta``): running averages of squared gradients and squared updates
    with decay ``rho``; ``w += lr * delta`` with ``delta = -sqrt(E[dx^2] + eps) g / sqrt(E[g^2] + eps)``.""" \
        + _BASE_DOC

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, *, flat=False, **kwargs):
        _base_args(self, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                   ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat, kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, ["accumulated_grad", "accumulated_delta_var"])

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        d = w.dtype
        rho, one_minus_rho, eps = _c(self.rho, d), _c(1 - self.rho, d), _c(self.epsilon, d)
        ag = self._slot(var, "accumulated_grad")
        adv = self._slot(var, "accumulated_delta_var")
        ag[...] = rho * ag + one_minus_rho * (g * g)
        delta = -((xp.sqrt(adv + eps) * g) / xp.sqrt(ag + eps))
        adv[...] = rho * adv + one_minus_rho * (delta * delta)
        w += lr * delta


class Ftrl(Optimizer):
    """Follow-the-regularized-leader (Keras 3's ``Ftrl``: ``learning_rate_power``,
    ``initial_accumulator_value``, ``l1_regularization_strength``, ``l2_regularization_strength``,
    ``l2_shrinkage_regularization_strength``, ``beta``; ValueError for the negative values Keras
    rejects).

    Numbers: ``accumulator ** -learning_rate_power`` is correctly rounded here (sqrt for the default
    -0.5; NumPy's pow otherwise), where TensorFlow's CPU pow (Eigen's) is not: results can differ from
    TensorFlow's in the last bits (measured on 2000 random float32 elements after 4 steps: 44% differ, by
    cancellation in ``(clip(linear) - linear) / quadratic`` up to 8e-5 relative; the recorded TF cases
    are bit-equal).  On CuPy the default power gives NumPy's bits; another power uses CUDA's pow, a few
    ulps from NumPy's.""" + _BASE_DOC

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, *, flat=False, **kwargs):
        _base_args(self, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                   ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat, kwargs)
        for arg, value, word in (("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
                                 ("learning_rate_power", learning_rate_power, "negative or zero"),
                                 ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
                                 ("l2_regularization_strength", l2_regularization_strength, "positive or zero")):
            if (value > 0.0) if word == "negative or zero" else (value < 0.0):
                raise ValueError(f"`{arg}` needs to be {word}. Received: {arg}={value}.")
        if l2_shrinkage_regularization_strength < 0.0:
            raise ValueError(f"`l2_shrinkage_regularization_strength` needs to be positive or zero. Received: "
                             f"l2_shrinkage_regularization_strength={l2_shrinkage_regularization_strength}.")
        self.learning_rate_power, self.initial_accumulator_value = learning_rate_power, initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _build_slots(self, variables):
        # accumulator: Keras's initializers.Constant, i.e. ops.cast of a Python float (via float32)
        self.add_optimizer_variables(variables, ["accumulator", "linear"],
                                     [_flat._keras_cast(self.initial_accumulator_value), 0.0])

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        d = w.dtype
        acc = self._slot(var, "accumulator")
        lin = self._slot(var, "linear")
        p = _c(-self.learning_rate_power, d)
        # x ** 0.5 (the default power) as sqrt: the same bits on NumPy (glibc's pow is correctly rounded),
        # and on CuPy IEEE-exact sqrt instead of CUDA's pow, which is a few ulps off (H200 run)
        power = (lambda x: xp.sqrt(x)) if p == 0.5 else (lambda x: x ** p)
        l2 = _c(self.l2_regularization_strength, d) + _c(self.beta, d) / (_c(2.0, d) * lr)
        grad_to_use = g + _c(2 * self.l2_shrinkage_regularization_strength, d) * w
        new_acc = acc + g * g
        new_acc_p = power(new_acc)
        lin += grad_to_use - ((new_acc_p - power(acc)) / lr) * w
        quadratic = new_acc_p / lr + _c(2, d) * l2
        l1 = _c(self.l1_regularization_strength, d)
        w[...] = (xp.clip(lin, -l1, l1) - lin) / quadratic
        acc[...] = new_acc


class Lion(Optimizer):
    """Lion (Keras 3's ``Lion``): ``w -= lr * sign(beta_1 m + (1 - beta_1) g)``, then
    ``m = beta_2 m + (1 - beta_2) g``; ``beta_1`` outside (0, 1] is ValueError as Keras.""" + _BASE_DOC

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, *, flat=False, **kwargs):
        _base_args(self, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                   ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name, flat, kwargs)
        self.beta_1, self.beta_2 = beta_1, beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates "
                             f"to SignSGD. Received: beta_1={beta_1}.")

    def _build_slots(self, variables):
        self.add_optimizer_variables(variables, "momentum")

    def _update(self, w, g, var, lr, t):
        xp = _b.get_xp()
        d = w.dtype
        one = _c(1.0, d)
        b1, b2 = _keras_cast(self.beta_1, d), _keras_cast(self.beta_2, d)
        m = self._slot(var, "momentum")
        w -= lr * xp.sign(m * b1 + g * (one - b1))
        m[...] = m * b2 + g * (one - b2)

# ---------------------------------------------------------------- schedules (float32 arithmetic, as Keras)
class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def _value(self, step):
        f = np.float32
        p = f(step) / f(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return f(self.initial_learning_rate) * f(self.decay_rate) ** p


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"The length of boundaries should be 1 less than the length of values. Received: "
                             f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of "
                             f"length {len(values)}.")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def _value(self, step):
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]


class CosineDecay(LearningRateSchedule):
    """Cosine decay to ``alpha * rate`` over ``decay_steps``, after an optional linear warm-up from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps`` (Keras 3's formula)."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate, self.decay_steps, self.alpha = initial_learning_rate, decay_steps, alpha
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decay(self, step, decay_from):
        f = np.float32
        cosine = f(0.5) * (f(1.0) + np.cos(f(math.pi) * (step / f(self.decay_steps))))
        return decay_from * ((f(1) - f(self.alpha)) * cosine + f(self.alpha))

    def _value(self, step):
        f = np.float32
        lr0, step = f(self.initial_learning_rate), f(step)
        if self.warmup_target is None:
            return self._decay(min(step, f(self.decay_steps)), lr0)
        target, warm = f(self.warmup_target), f(self.warmup_steps)
        step = min(step, f(self.decay_steps) + warm)
        if step < warm:
            return (target - lr0) * (step / warm) + lr0
        return self._decay(step - warm, target)


class schedules:
    LearningRateSchedule = LearningRateSchedule
    ExponentialDecay = ExponentialDecay
    PiecewiseConstantDecay = PiecewiseConstantDecay
    CosineDecay = CosineDecay


def get(identifier):
    """An optimizer from an instance or a name ('sgd', 'adam', 'rmsprop', 'adagrad', 'adamw', 'adamax',
    'nadam', 'adadelta', 'ftrl', 'lion')."""
    if isinstance(identifier, Optimizer):
        return identifier
    table = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad, "adamw": AdamW, "adamax": Adamax,
             "nadam": Nadam, "adadelta": Adadelta, "ftrl": Ftrl, "lion": Lion}
    try:
        return table[str(identifier).lower()]()
    except KeyError:
        raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}") from None
