"""Recurrent layers as Keras 3 (TF 2.21): ``SimpleRNN``, ``LSTM``, ``GRU``, their cells, ``RNN(cell)``,
``Bidirectional`` and ``TimeDistributed``.

Weights, their order, shapes and paths are Keras 3's: ``kernel`` ``[features, k*units]``,
``recurrent_kernel`` ``[units, k*units]``, ``bias`` (LSTM ``[4*units]``, gates i, f, c, o; GRU
gates z, r, h, ``[2, 3*units]`` with ``reset_after=True`` -- row 0 the input bias, row 1 the
recurrent bias -- and ``[3*units]`` without; SimpleRNN ``[units]``), held by a cell sub-layer
named ``lstm_cell`` / ``gru_cell`` / ``simple_rnn_cell`` (paths ``lstm/lstm_cell/kernel``).

How a sequence runs: the input projection ``x @ kernel + bias`` of every step is one matmul, the
steps are split off in one op (``ops.rnn.unstack_steps``) and each step is ONE fused op
(``lstm_cell`` / ``gru_cell`` / ``simple_rnn_cell`` in ``gputape/ops/rnn.py``) with its own fused VJP,
so a tape records one entry per time step plus a constant handful (projection, split, join).  A
cell whose activations are not tanh/sigmoid/relu/linear, a GRU with ``reset_after=False``, or a
user cell given to ``RNN`` runs the same maths with gputape ops (correct, more tape entries).

Arguments as Keras 3.15.  Implemented: ``return_sequences``, ``return_state``, ``go_backwards``
(outputs in processing order, i.e. reversed, as Keras), ``initial_state``, ``mask`` (a ``[batch,
time]`` boolean: a masked step keeps the previous state and repeats the previous output, or zeros
with ``zero_output_for_mask``), ``dropout`` on the inputs (one mask per call, shared by all steps
and gates, as Keras 3's implementation 2; random numbers are gputape's, not TF's), ``unroll``
(accepted; the loop is always a Python loop), ``use_cudnn`` (accepted; there is no cuDNN path).
``stateful=True`` (Keras 3): the final states of a call are kept in non-trainable Variables (not
among the layer's weights, as Keras) and start the next call; ``reset_state()`` zeroes them; a call
with another batch size is ValueError.  ``recurrent_dropout`` for ``SimpleRNN`` (one mask per call on
the previous output, as Keras).  NotImplementedError: ``recurrent_dropout > 0`` for LSTM and GRU
(Keras 3 switches to per-gate masks there), regularizers and constraints.
"""
import numpy as np

from .. import ops as _ops
from ..ops import rnn as _rnn
from ..tensor import _Base, convert_to_tensor
from . import activations as _act, initializers as _init, naming as _naming
from .layers import Layer, _not_implemented


# ---------------------------------------------------------------- Orthogonal (Keras 3's recurrent default)
class _Orthogonal(_init.Initializer):
    """Keras 3 ``Orthogonal(gain=1.0, seed=None)``: the Q of a QR factorisation of a normal matrix,
    sign-corrected by diag(R) (used when ``initializers`` has no ``orthogonal`` of its own)."""
    _config = ("gain", "seed")

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = _ops.random.normal(flat, dtype=np.float32, seed=self.seed).numpy().astype(np.float64)
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return _ops.cast(convert_to_tensor((self.gain * q).reshape(shape).astype(np.float32)), dtype or np.float32)


def _initializer(identifier):
    if identifier == "orthogonal" or (isinstance(identifier, dict) and identifier.get("class_name") == "Orthogonal"):
        try:
            return _init.get(identifier)
        except ValueError:
            cfg = identifier.get("config", {}) if isinstance(identifier, dict) else {}
            return _Orthogonal(**cfg)
    return _init.get(identifier)


def _serialize_init(init, owner):
    if type(init) is _Orthogonal:
        return {"module": "keras.initializers", "class_name": "Orthogonal", "config": init.get_config(),
                "registered_name": None}
    return _init.serialize(init, owner)


def _fused_name(fn):
    n = _act.name_of(fn)
    return n if n in _rnn.FUSED_ACTIVATIONS else None


# ---------------------------------------------------------------- cells
class _Cell(Layer):
    """What the three built-in cells share: arguments, weights, the one-step call and the fused step."""
    _gates = 1
    _recurrent_dropout_ok = False      # SimpleRNN: the previous output enters only the recurrent matmul

    def __init__(self, units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                 bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                 recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, kwargs):
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, got "
                             f"{units}.")
        super().__init__(**kwargs)
        owner = type(self).__name__
        _not_implemented(owner, kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        self.units = int(units)
        self.activation = _act.get(activation)
        self.recurrent_activation = _act.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializer(kernel_initializer)
        self.recurrent_initializer = _initializer(recurrent_initializer)
        self.bias_initializer = _initializer(bias_initializer)
        self.dropout = min(1.0, max(0.0, float(dropout)))            # Keras 3 clips both rates to [0, 1]
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        if self.recurrent_dropout > 0 and not self._recurrent_dropout_ok:
            raise NotImplementedError(f"{owner}: argument `recurrent_dropout` is not implemented in gputape (got "
                                      f"recurrent_dropout={recurrent_dropout!r})")
        self.seed = seed
        self.kernel = self.recurrent_kernel = self.bias = None

    # ------------------------------------------------------------ Keras surface
    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _fused(self):
        """(activation, recurrent_activation) by name when both are fused, else None."""
        a, r = _fused_name(self.activation), _fused_name(self.recurrent_activation)
        return (a, r) if a is not None and r is not None else None

    def get_initial_state(self, batch_size=None):
        n = 2 if isinstance(self, LSTMCell) else 1
        return [_ops.zeros((batch_size, self.units), dtype=self.dtype) for _ in range(n)]

    def _base_config(self):
        return dict(Layer.get_config(self), units=self.units, activation=self._activation_name(self.activation),
                    use_bias=self.use_bias,
                    kernel_initializer=_serialize_init(self.kernel_initializer, type(self).__name__),
                    recurrent_initializer=_serialize_init(self.recurrent_initializer, type(self).__name__),
                    bias_initializer=_serialize_init(self.bias_initializer, type(self).__name__),
                    kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                    kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                    dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)

    def build(self, input_shape):
        k = self._gates * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], k), initializer=self.kernel_initializer, name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, k), initializer=self.recurrent_initializer,
                                                name="recurrent_kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=self._bias_shape(), initializer=self._bias_init(), name="bias")

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    # ------------------------------------------------------------ the maths
    def _input_bias(self):
        return self.bias

    def project(self, x):
        """``x @ kernel + input bias`` over the last axis of ``x`` (any leading axes)."""
        lead = tuple(x.shape[:-1])
        x2 = x if len(lead) == 1 else _ops.reshape(x, (-1, x.shape[-1]))
        z = _ops.matmul(x2, self.kernel)
        b = self._input_bias()
        if b is not None:
            z = _ops.bias_act(z, b, activation="linear")
        return z if len(lead) == 1 else _ops.reshape(z, lead + (z.shape[-1],))

    def _step_begin(self):
        """Per-call constants of ``step``: the recurrent kernel read once (a tape records one read per
        sequence, not one per step) and, for the GRU, its recurrent bias."""
        return (_ops.identity(self.recurrent_kernel), None)

    def call(self, inputs, states, training=False):
        """One step: ``(output, new_states)`` as Keras 3's cell ``call`` (states a list)."""
        if not isinstance(states, (list, tuple)):
            states = [states]
        inputs = self._drop(inputs, training)
        states = list(states)
        rec = self._recurrent_mask(states, training)
        if rec is not None:
            states[0] = _ops.multiply(states[0], rec)
        out, new = self.step(self.project(inputs), states, self._step_begin())
        return out, new

    def _recurrent_mask(self, states, training):
        if training and 0.0 < self.recurrent_dropout < 1.0:
            return _dropout_mask(tuple(states[0].shape), self.recurrent_dropout, states[0].dtype)
        return None

    def _drop(self, x, training):
        if training and 0.0 < self.dropout < 1.0:
            return _ops.multiply(x, _dropout_mask(tuple(x.shape), self.dropout, x.dtype))
        return x


def _dropout_mask(shape, rate, dtype):
    keep = _ops.random.uniform(shape) >= np.float32(rate)
    return _ops.cast(keep, dtype) * (1.0 / (1.0 - rate))


class SimpleRNNCell(_Cell):
    """Keras 3 ``SimpleRNNCell``: ``h' = activation(x @ kernel + bias + h @ recurrent_kernel)``; one
    fused op per step (``simple_rnn_cell``).  See the module docstring for the arguments."""
    _gates = 1
    _recurrent_dropout_ok = True

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, None, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                         kwargs)

    def _fused(self):
        a = _fused_name(self.activation)
        return (a,) if a is not None else None

    def get_config(self):
        return self._base_config()

    def step(self, xz, states, const):
        h = states[0]
        rk = const[0]
        f = self._fused()
        if f is not None:
            out = _rnn.simple_rnn_cell(xz, h, rk, act=f[0])
        else:
            out = _rnn.simple_rnn_math(_rnn.TM, xz, h, rk, self.activation)
        return out, [out]


class LSTMCell(_Cell):
    """Keras 3 ``LSTMCell`` (gates i, f, c, o; ``unit_forget_bias`` starts the forget bias at 1); one
    fused op per step (``lstm_cell``).  ``implementation`` (1 or 2) is accepted: the maths is the same."""
    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, implementation=2, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = implementation

    @property
    def state_size(self):
        return [self.units, self.units]

    def get_config(self):
        cfg = self._base_config()
        cfg.update(recurrent_activation=self._activation_name(self.recurrent_activation),
                   unit_forget_bias=self.unit_forget_bias)
        return cfg

    def _bias_init(self):
        """Keras 3: with ``unit_forget_bias`` the bias starts as [init(u), ones(u), init(2u)]."""
        if not self.unit_forget_bias:
            return self.bias_initializer
        inner, u = self.bias_initializer, self.units

        def forget_one(shape, dtype=None):
            return _ops.concat([inner((u,), dtype=dtype), _ops.ones((u,), dtype=dtype),
                                inner((2 * u,), dtype=dtype)], axis=0)
        return forget_one

    def step(self, xz, states, const):
        h, c = states
        rk = const[0]
        f = self._fused()
        if f is not None:
            h2, c2, _ = _rnn.lstm_cell(xz, h, c, rk, act=f[0], ract=f[1])
        else:
            h2, c2, _ = _rnn.lstm_math(_rnn.TM, xz, h, c, rk, self.activation,
                                       self.recurrent_activation, self.units)
        return h2, [h2, c2]




class GRUCell(_Cell):
    """Keras 3 ``GRUCell`` (gates z, r, h).  ``reset_after=True`` (Keras 3's default): bias ``[2, 3*units]``
    and one fused op per step (``gru_cell``); ``reset_after=False``: bias ``[3*units]``, the reset gate
    applied before the recurrent matmul, run with gputape ops (more tape entries)."""
    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, implementation=2, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, kwargs)
        self.reset_after = bool(reset_after)
        self.implementation = implementation

    def get_config(self):
        cfg = self._base_config()
        cfg.update(recurrent_activation=self._activation_name(self.recurrent_activation),
                   reset_after=self.reset_after)
        return cfg

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    def _step_begin(self):
        rk = _ops.identity(self.recurrent_kernel)
        if not self.reset_after:
            return (rk, None)
        if self.bias is None:
            return (rk, _ops.zeros((3 * self.units,), dtype=rk.dtype))
        return (rk, self.bias[1])

    def step(self, xz, states, const):
        h = states[0]
        rk, rb = const
        f = self._fused()
        U = self.units
        if self.reset_after and f is not None:
            h2, _, _ = _rnn.gru_cell(xz, h, rk, rb, act=f[0], ract=f[1])
        elif self.reset_after:
            h2, _, _ = _rnn.gru_math(_rnn.TM, xz, h, rk, rb, self.activation, self.recurrent_activation, U)
        else:
            inner = _ops.matmul(h, rk[:, :2 * U])
            z = self.recurrent_activation(xz[:, :U] + inner[:, :U])
            r = self.recurrent_activation(xz[:, U:2 * U] + inner[:, U:])
            hh = self.activation(xz[:, 2 * U:] + _ops.matmul(r * h, rk[:, 2 * U:]))
            h2 = z * h + (1.0 - z) * hh
        return h2, [h2]


_BUILTIN_CELLS = (SimpleRNNCell, LSTMCell, GRUCell)


# ---------------------------------------------------------------- RNN
class RNN(Layer):
    """Keras 3 ``RNN(cell)``: runs ``cell`` over the time axis of ``[batch, time, features]`` inputs.

    ``call(sequences, initial_state=None, mask=None, training=False)`` returns the last output
    ``[batch, units]`` (or all of them, ``[batch, time, units]``, with ``return_sequences``), then
    the final states when ``return_state``.  A built-in cell runs fused (one tape entry per step);
    any other cell needs ``call(inputs, states)`` returning ``(output, new_states)`` and a
    ``state_size`` (ValueError as Keras 3 otherwise).  A list of cells (Keras's StackedRNNCells)
    is NotImplementedError.  ``initial_state``: one tensor per state, each ``[batch, size]``
    (ValueError otherwise).  ``mask``: ``[batch, time]`` booleans.  ``stateful=True``: see the
    module docstring (``states``, ``reset_state()``/``reset_states()``); ``unroll`` is accepted and
    changes nothing.
    """
    _min_ndim = 3

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            raise NotImplementedError("RNN: a list of cells (StackedRNNCells) is not implemented in gputape")
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if getattr(cell, "state_size", None) is None:
            raise ValueError("The RNN cell should have a `state_size` attribute (single integer or list of integers, "
                             f"one integer per RNN state). Received: cell={cell}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        object.__setattr__(self, "states", None)     # stateful: Variables, untracked (not weights), as Keras
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)

    @property
    def state_size(self):
        s = self.cell.state_size
        return list(s) if isinstance(s, (list, tuple)) else [s]

    def get_config(self):
        cfg = dict(Layer.get_config(self), return_sequences=self.return_sequences, return_state=self.return_state,
                   go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
                   zero_output_for_mask=self.zero_output_for_mask)
        if type(self) is RNN:
            if not isinstance(self.cell, _BUILTIN_CELLS):
                raise NotImplementedError("RNN.get_config: a custom cell is not serializable in gputape")
            cfg["cell"] = {"module": "keras.layers", "class_name": type(self.cell).__name__,
                           "config": self.cell.get_config(), "registered_name": None}
        return cfg

    @classmethod
    def from_config(cls, config):
        if cls is RNN and isinstance(config.get("cell"), dict):
            config = dict(config)
            c = config.pop("cell")
            klass = {k.__name__: k for k in _BUILTIN_CELLS}.get(c.get("class_name"))
            if klass is None:
                raise NotImplementedError(f"RNN.from_config: cell {c.get('class_name')!r} is not implemented")
            config["cell"] = klass.from_config(c["config"])
        return super().from_config(config)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        """Keras 3's: ``(batch, time, units)`` or ``(batch, units)``, then ``(batch, size)`` per state
        with ``return_state`` (a tuple)."""
        batch, length = sequences_shape[0], sequences_shape[1]
        units = getattr(self.cell, "output_size", None) or self.state_size[0]
        out = (batch, length, units) if self.return_sequences else (batch, units)
        if self.return_state:
            return (out,) + tuple((batch, s) for s in self.state_size)
        return out

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected ndim=3, "
                             f"found ndim={len(sequences_shape)}. Full shape received: {tuple(sequences_shape)}")
        if isinstance(self.cell, Layer) and not self.cell.built:
            scope = _naming.scope()
            scope.append(self.name)
            try:
                self.cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
            finally:
                scope.pop()
            self.cell.built = True
        if self.stateful:
            if sequences_shape[0] is None:
                raise ValueError(f"When using `stateful=True` in a RNN, the batch size must be static. Found dynamic "
                                 f"batch size: sequence.shape={tuple(sequences_shape)}")
            from ..tensor import Variable
            vs = [Variable(s, trainable=False, name=f"{self.name}/rnn_state")
                  for s in self.get_initial_state(sequences_shape[0])]
            object.__setattr__(self, "states", vs)

    def reset_state(self):
        """Zero the states of a stateful layer (Keras 3)."""
        if self.states is not None:
            for v in self.states:
                v.assign(_ops.zeros_like(v))

    def reset_states(self):
        """Keras's alias of ``reset_state``."""
        self.reset_state()

    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            s = fn(batch_size=batch_size)
            return list(s) if isinstance(s, (list, tuple)) else [s]
        return [_ops.zeros((batch_size, d), dtype=self.dtype) for d in self.state_size]

    def _initial_state(self, initial_state, batch):
        if initial_state is None:
            return self.get_initial_state(batch)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        sizes = self.state_size
        if len(states) != len(sizes):
            raise ValueError(f"Layer {self.name} expects {len(sizes)} initial state tensor(s), but it received "
                             f"{len(states)} initial state tensor(s) (initial_state={initial_state!r})")
        out = []
        for k, (s, d) in enumerate(zip(states, sizes)):
            s = s if isinstance(s, _Base) else convert_to_tensor(s)
            if tuple(s.shape) != (batch, d):
                raise ValueError(f"Layer {self.name}: initial_state[{k}] has shape {tuple(s.shape)}, expected "
                                 f"{(batch, d)}")
            if s.dtype.name != self.dtype:
                s = _ops.cast(s, self.dtype)
            out.append(s)
        return out

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.ndim != 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected ndim=3, "
                             f"found ndim={sequences.ndim}. Full shape received: {tuple(sequences.shape)}")
        B, T = int(sequences.shape[0]), int(sequences.shape[1])
        if T == 0:
            raise ValueError(f"Layer {self.name}: the input sequence has no time steps (shape "
                             f"{tuple(sequences.shape)})")
        if self.stateful:
            expected = int(self.states[0].shape[0])
            if B != expected:
                raise ValueError(f"If an RNN is stateful, the batch size of the input sequences must be the same as "
                                 f"the batch size of the initial state. \n- Expected batch size: {expected}\n- "
                                 f"Received batch size: {B}")
            if initial_state is None:
                initial_state = [_ops.identity(v) for v in self.states]
        states = self._initial_state(initial_state, B)
        masks = self._step_masks(mask, B, T)
        cell = self.cell
        order = range(T - 1, -1, -1) if self.go_backwards else range(T)
        if isinstance(cell, _BUILTIN_CELLS):
            seq = cell._drop(sequences, training)
            # the projection of every step in one matmul, time-major so each step is contiguous
            xz = cell.project(_ops.transpose(seq, (1, 0, 2)))
            steps = _ops_rnn_steps(xz)
            const = cell._step_begin()
            rec = cell._recurrent_mask(states, training)

            def step(t, st):
                if rec is not None:
                    st = [_ops.multiply(st[0], rec)] + st[1:]
                return cell.step(steps[t], st, const)
        else:
            xs = _ops_rnn_steps(_ops.transpose(sequences, (1, 0, 2)))
            kw = {"training": training} if "training" in _call_params(cell) else {}

            def step(t, st):
                out, new = cell(xs[t], st if len(st) > 1 else st[0], **kw)
                return out, list(new) if isinstance(new, (list, tuple)) else [new]
        outputs = []
        prev = None
        for t in order:
            out, new = step(t, states)
            if masks is not None:
                m = masks[t]
                if prev is None:
                    prev = _ops.zeros_like(out)
                keep_out = _ops.zeros_like(out) if self.zero_output_for_mask else prev
                out = _ops.where(_ops.broadcast_to(m, tuple(out.shape)), out, keep_out)
                new = [_ops.where(_ops.broadcast_to(m, tuple(s.shape)), s, s0) for s, s0 in zip(new, states)]
                prev = out
            states = new
            if self.return_sequences or t == order[-1]:
                outputs.append(out)
        if self.return_sequences:
            output = _ops_rnn_stack(outputs)
        else:
            output = outputs[-1]
        if self.stateful:
            for v, s in zip(self.states, states):
                v.assign(s)
        if self.return_state:
            return [output] + list(states)
        return output

    def _step_masks(self, mask, B, T):
        """The mask's T columns as [B, 1] booleans, split on the device (no host read)."""
        if mask is None:
            return None
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        m = mask if isinstance(mask, _Base) else convert_to_tensor(np.asarray(mask))
        if tuple(m.shape) != (B, T):
            raise ValueError(f"Layer {self.name}: mask has shape {tuple(m.shape)}, expected (batch, time) = "
                             f"{(B, T)}")
        if m.dtype.name != "bool":
            m = _ops.not_equal(m, _ops.zeros_like(m))          # Keras casts the mask to bool
        return _ops_rnn_steps(_ops.reshape(_ops.transpose(m, (1, 0)), (T, B, 1)))


def _call_params(cell):
    import inspect
    try:
        return inspect.signature(cell.call).parameters
    except (TypeError, ValueError):
        return {}


def _ops_rnn_steps(x):
    out = _rnn.unstack_steps(x, axis=0)
    return out if isinstance(out, tuple) else (out,)


def _ops_rnn_stack(outs):
    return _rnn.stack_steps(*outs, axis=1)


# ---------------------------------------------------------------- the three layers
def _rnn_layer_args(kwargs):
    """Split the RNN-level keywords off the layer's, as Keras 3's recurrent layers do."""
    return {k: kwargs.pop(k) for k in ("name", "dtype", "trainable", "autocast", "input_shape", "input_dim")
            if k in kwargs}


class SimpleRNN(RNN):
    """Keras 3 ``SimpleRNN``: an ``RNN`` of a ``SimpleRNNCell`` (named ``simple_rnn_cell``).

    >>> layer = SimpleRNN(3, return_sequences=True)
    >>> layer(gputape.ones((2, 5, 4))).shape
    TensorShape([2, 5, 3])
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, **kwargs):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                             dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                             dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                             name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def get_config(self):
        cfg = RNN.get_config(self)
        cell = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            cell.pop(k)
        cfg.update(cell)
        cfg["activity_regularizer"] = None
        return cfg


def _use_cudnn(value):
    """LSTM's and GRU's ``use_cudnn``: 'auto', True or False (Keras 3's ValueError otherwise); gputape has
    no cuDNN path, so the value changes nothing but the config."""
    if value not in ("auto", True, False):
        raise ValueError("Invalid valid received for argument `use_cudnn`. Expected one of {'auto', True, False}. "
                         f"Received: use_cudnn={value}")
    return value


def _cudnn_config(layer):
    """LSTM's and GRU's config: SimpleRNN's (the cell's arguments flattened in) plus ``use_cudnn``."""
    cfg = SimpleRNN.get_config(layer)
    cfg["use_cudnn"] = layer.use_cudnn
    return cfg


class LSTM(RNN):
    """Keras 3 ``LSTM``: an ``RNN`` of an ``LSTMCell`` (named ``lstm_cell``); ``return_state`` gives
    ``[output, h, c]``.  ``use_cudnn`` must be 'auto', True or False (ValueError as Keras 3); gputape
    has no cuDNN path, so it changes nothing.

    >>> out, h, c = LSTM(4, return_state=True)(gputape.ones((2, 7, 3)))
    >>> out.shape, c.shape
    (TensorShape([2, 4]), TensorShape([2, 4]))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        implementation = kwargs.pop("implementation", 2)
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, unit_forget_bias=unit_forget_bias,
                        recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, dtype=kwargs.get("dtype"),
                        trainable=kwargs.get("trainable", True), name="lstm_cell", seed=seed,
                        implementation=implementation)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = _use_cudnn(use_cudnn)

    def get_config(self):
        return _cudnn_config(self)


class GRU(RNN):
    """Keras 3 ``GRU``: an ``RNN`` of a ``GRUCell`` (named ``gru_cell``), ``reset_after=True`` by
    default (bias ``[2, 3*units]``).  ``use_cudnn`` as ``LSTM``."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        implementation = kwargs.pop("implementation", 2)
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                       name="gru_cell", seed=seed, implementation=implementation)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = _use_cudnn(use_cudnn)

    def get_config(self):
        return _cudnn_config(self)


# ---------------------------------------------------------------- Bidirectional
class Bidirectional(Layer):
    """Keras 3 ``Bidirectional(layer, merge_mode='concat', weights=None, backward_layer=None)``.

    The forward layer is a copy of ``layer`` (from its config) named ``forward_<name>``; the
    backward one a copy with ``go_backwards`` flipped, named ``backward_<name>`` (or
    ``backward_layer``, which must match ``return_sequences``/``return_state`` and have the opposite
    ``go_backwards``: ValueError as Keras).  The backward outputs are flipped back in time before
    merging.  ``merge_mode``: 'concat' (last axis), 'sum', 'mul', 'ave' or None (a list of both);
    anything else ValueError.  With ``return_state`` the result is outputs, then the forward states,
    then the backward states.  ``weights`` (initial weights) is NotImplementedError.  Masks force
    zeros at masked steps in both directions (Keras 3).
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `keras.layers.Layer` instance. "
                             f"Received: {backward_layer}")
        if merge_mode not in ["sum", "mul", "ave", "concat", None]:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                             '{"sum", "mul", "ave", "concat", None}')
        _not_implemented("Bidirectional", weights=weights)
        super().__init__(**kwargs)
        if not isinstance(layer, RNN):
            raise NotImplementedError(f"Bidirectional: wrapping a {type(layer).__name__} (not a gputape RNN layer) is "
                                      f"not implemented in gputape")
        cfg = layer.get_config()
        cfg["name"] = "forward_" + layer.name
        self.forward_layer = type(layer).from_config(cfg)
        if backward_layer is None:
            cfg = layer.get_config()
            cfg["go_backwards"] = not cfg["go_backwards"]
            cfg["name"] = "backward_" + layer.name
            self.backward_layer = type(layer).from_config(cfg)
        else:
            self.backward_layer = backward_layer
            for a in ("return_sequences", "return_state"):
                if getattr(backward_layer, a) != getattr(layer, a):
                    raise ValueError(f"Forward layer and backward layer should have the same `{a}`. "
                                     f"forward_layer.{a} = {getattr(layer, a)}, "
                                     f"backward_layer.{a} = {getattr(backward_layer, a)}")
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Forward layer and backward layer are expected to have different `go_backwards` "
                                 f"values. forward_layer.go_backwards = {layer.go_backwards}, "
                                 f"backward_layer.go_backwards = {backward_layer.go_backwards}")
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        for lay in (self.forward_layer, self.backward_layer):
            if lay.return_sequences:
                lay.zero_output_for_mask = True

    def get_config(self):
        inner = self.forward_layer.get_config()
        inner["name"] = inner["name"][len("forward_"):]
        return dict(Layer.get_config(self), merge_mode=self.merge_mode,
                    layer={"module": "keras.layers", "class_name": type(self.forward_layer).__name__,
                           "config": inner, "registered_name": None})

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        lay = config.get("layer")
        if isinstance(lay, dict):
            klass = {k.__name__: k for k in (SimpleRNN, LSTM, GRU, RNN)}.get(lay.get("class_name"))
            if klass is None:
                raise NotImplementedError(f"Bidirectional.from_config: layer {lay.get('class_name')!r} is not "
                                          f"implemented")
            config["layer"] = klass.from_config(lay["config"])
        return Layer.from_config.__func__(cls, config)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        """The forward layer's shapes merged: 'concat' doubles the last axis, None gives both; with
        ``return_state`` the forward then the backward state shapes follow."""
        shapes = self.forward_layer.compute_output_shape(sequences_shape)
        states = ()
        if self.return_state:
            shapes, states = shapes[0], tuple(shapes[1:])
        if self.merge_mode == "concat":
            out = (tuple(shapes[:-1]) + (shapes[-1] * 2,),)
        elif self.merge_mode is None:
            out = (tuple(shapes), tuple(shapes))
        else:
            out = (tuple(shapes),)
        if self.return_state:
            return out + states + states
        return out[0] if len(out) == 1 else out

    def build(self, sequences_shape, initial_state_shape=None):
        scope = _naming.scope()
        scope.append(self.name)
        try:
            for lay in (self.forward_layer, self.backward_layer):
                if not lay.built:
                    lay.build(sequences_shape)
                    lay.built = True
                    lay._lock_state()
        finally:
            scope.pop()

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fs = bs = None
        if initial_state is not None:
            n = len(initial_state)
            if n % 2:
                raise ValueError(f"When passing `initial_state` to a Bidirectional RNN, the state should be a list "
                                 f"containing the states of the underlying RNNs. Received: {initial_state}")
            fs, bs = list(initial_state[:n // 2]), list(initial_state[n // 2:])
        kw = {} if training is None else {"training": training}
        y = self.forward_layer(sequences, initial_state=fs, mask=mask, **kw)
        y_rev = self.backward_layer(sequences, initial_state=bs, mask=mask, **kw)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = _ops.reverse(y_rev, axis=[1])
        if self.merge_mode == "concat":
            out = _ops.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) / 2.0
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            return (list(out) if self.merge_mode is None else [out]) + list(states)
        return out


# ---------------------------------------------------------------- TimeDistributed
class TimeDistributed(Layer):
    """Keras 3 ``TimeDistributed(layer)``: ``layer`` applied to every step of ``[batch, time, ...]``
    inputs (as one call on ``[batch*time, ...]``, which is what Keras 3 does for layers without a
    mask); inputs of rank < 3 are ValueError (Keras's message)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self):
        raise NotImplementedError("TimeDistributed.get_config is not implemented in gputape")

    def compute_output_shape(self, input_shape):
        """``(batch, time) + layer.compute_output_shape((batch,) + step_shape)[1:]``."""
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                             f"received: {tuple(input_shape)}")
        if not self.layer.built:
            scope = _naming.scope()
            scope.append(self.name)
            try:
                self.layer.build((input_shape[0] * input_shape[1],) + tuple(input_shape[2:]))
                self.layer.built = True
                self.layer._lock_state()
            finally:
                scope.pop()

    def call(self, inputs, training=None):
        s = tuple(inputs.shape)
        if len(s) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                             f"received: {s}")
        x = _ops.reshape(inputs, (s[0] * s[1],) + s[2:])
        kw = {"training": training} if training is not None and "training" in _call_params(self.layer) else {}
        y = self.layer(x, **kw)
        return _ops.reshape(y, (s[0], s[1]) + tuple(y.shape[1:]))
