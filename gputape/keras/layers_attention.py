"""``MultiHeadAttention`` as Keras 3.15 (TF 2.21): weights, names, masks and numbers.

Weights, in Keras 3's order and layout (each projection a sub-layer, as Keras's ``EinsumDense``):
``query/kernel [dim_q, heads, key_dim]``, ``query/bias [heads, key_dim]``, ``key/kernel
[dim_k, heads, key_dim]``, ``key/bias``, ``value/kernel [dim_v, heads, value_dim]``, ``value/bias``,
``attention_output/kernel [heads, value_dim, out]``, ``attention_output/bias [out]`` (no biases
with ``use_bias=False``).

Maths (Keras 3 ``_compute_attention``): ``scores = softmax(where(mask, (q / sqrt(key_dim)) . k, -1e9))``
over the key axis, dropout on the scores in training, ``out = scores . v`` projected by
``attention_output``.  Inputs are ``[batch, time, dim]``.
"""
import math

import numpy as np

from .. import ops as _ops
from ..tensor import _Base, convert_to_tensor
from . import initializers as _init, naming as _naming
from .layers import Layer, _not_implemented


class _Projection(Layer):
    """One of MultiHeadAttention's projections: a kernel (and a bias) under Keras 3's sub-layer name."""

    def __init__(self, kernel_shape, bias_shape, kernel_initializer, bias_initializer, name, dtype):
        super().__init__(name=name, dtype=dtype)
        self._shapes = (kernel_shape, bias_shape)
        self._inits = (kernel_initializer, bias_initializer)
        self.kernel = self.bias = None

    def build(self, input_shape=None):
        self.kernel = self.add_weight(shape=self._shapes[0], initializer=self._inits[0], name="kernel")
        if self._shapes[1] is not None:
            self.bias = self.add_weight(shape=self._shapes[1], initializer=self._inits[1], name="bias")

    def project(self, x):
        """[B, T, dim] . kernel [dim, H, D] -> [B, T, H, D] (+ bias)"""
        y = _ops.tensordot(x, self.kernel, [[2], [0]])
        return y if self.bias is None else y + self.bias

    def merge(self, x):
        """[B, T, H, Dv] . kernel [H, Dv, out] -> [B, T, out] (+ bias)"""
        y = _ops.tensordot(x, self.kernel, [[2, 3], [0, 1]])
        return y if self.bias is None else y + self.bias


class MultiHeadAttention(Layer):
    """Keras 3 ``MultiHeadAttention(num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
    output_shape=None, attention_axes=None, ...)``.

    ``call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)``:
    ``query [B, T, dim]``, ``value [B, S, dim_v]``, ``key`` defaults to ``value``.  Masks:
    ``attention_mask [B, T, S]`` (True attends), ``value_mask``/``key_mask [B, S]``,
    ``use_causal_mask`` (query i sees keys j <= i), all combined with AND as Keras 3.  Returns
    ``[B, T, out]`` (``out`` = ``output_shape`` or ``dim``), and with ``return_attention_scores``
    also the scores ``[B, heads, T, S]`` (before dropout).  A query row with every key masked
    gets uniform weights (softmax of equal -1e9 scores), as Keras 3's explicit-score path.

    NotImplementedError: ``attention_axes`` other than None, ``sliding_window``, ``flash_attention=True``,
    ``use_gate``, regularizers, constraints, ``query_mask`` (Keras 3.15 replaces it by the query's
    Keras mask, which gputape tensors do not carry), inputs not of rank 3.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _not_implemented("MultiHeadAttention", attention_axes=attention_axes, sliding_window=sliding_window,
                         flash_attention=flash_attention or None, use_gate=use_gate or None,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        for arg, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"MultiHeadAttention: `{arg}` must be a positive integer, got {arg}={v!r}")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if output_shape is not None and not isinstance(output_shape, int):
            output_shape = tuple(output_shape)
            if len(output_shape) != 1:
                raise NotImplementedError(f"MultiHeadAttention: output_shape={output_shape} (more than one axis) is "
                                          f"not implemented in gputape")
            output_shape = int(output_shape[0])
        self._output_shape = output_shape
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.seed = seed
        self._query_dense = self._key_dense = self._value_dense = self._output_dense = None

    def get_config(self):
        return dict(Layer.get_config(self), num_heads=self.num_heads, key_dim=self.key_dim,
                    value_dim=self.value_dim, dropout=self.dropout, use_bias=self.use_bias,
                    output_shape=self._output_shape, attention_axes=None,
                    kernel_initializer=_init.serialize(self.kernel_initializer, "MultiHeadAttention"),
                    bias_initializer=_init.serialize(self.bias_initializer, "MultiHeadAttention"),
                    kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                    kernel_constraint=None, bias_constraint=None, seed=self.seed)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        """``query_shape`` with its last axis ``output_shape`` (default: unchanged), as Keras 3."""
        return tuple(query_shape[:-1]) + (self._output_shape or query_shape[-1],)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        H, D, Dv = self.num_heads, self.key_dim, self.value_dim
        out = self._output_shape or query_shape[-1]

        def proj(name, kshape, bshape):
            return _Projection(kshape, bshape if self.use_bias else None, self.kernel_initializer,
                               self.bias_initializer, name, self.dtype)
        self._query_dense = proj("query", (query_shape[-1], H, D), (H, D))
        self._key_dense = proj("key", (key_shape[-1], H, D), (H, D))
        self._value_dense = proj("value", (value_shape[-1], H, Dv), (H, Dv))
        self._output_dense = proj("attention_output", (H, Dv, out), (out,))
        scope = _naming.scope()
        scope.append(self.name)
        try:
            for p in (self._query_dense, self._key_dense, self._value_dense, self._output_dense):
                p.build()
                p.built = True
        finally:
            scope.pop()

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise TypeError("MultiHeadAttention.call() missing 1 required positional argument: 'value'")
        if not self.built:
            shapes = [tuple(convert_to_tensor(a).shape) if not isinstance(a, _Base) else tuple(a.shape)
                      for a in (query, value, key) if a is not None]
            for s in shapes:
                if len(s) != 3:
                    raise NotImplementedError(f"MultiHeadAttention: inputs of rank {len(s)} (shape {s}) are not "
                                              f"implemented in gputape (only [batch, time, dim])")
            self.build(*shapes)
            self.built = True
            self._lock_state()
        return super().__call__(query, value, *(() if key is None else (key,)), **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if query_mask is not None:
            raise NotImplementedError("MultiHeadAttention: argument `query_mask` is not implemented in gputape "
                                      "(Keras 3.15 replaces it by the query's Keras mask); use attention_mask")
        key = value if key is None else key
        for what, t in (("query", query), ("value", value), ("key", key)):
            if t.ndim != 3:
                raise NotImplementedError(f"MultiHeadAttention: {what} of rank {t.ndim} (shape {tuple(t.shape)}) "
                                          f"is not implemented in gputape (only [batch, time, dim])")
        B, T, S = int(query.shape[0]), int(query.shape[1]), int(value.shape[1])
        mask = self._attention_mask(B, T, S, value_mask, key_mask, attention_mask, use_causal_mask)
        q = _ops.transpose(self._query_dense.project(query), (0, 2, 1, 3))      # [B, H, T, D]
        k = _ops.transpose(self._key_dense.project(key), (0, 2, 1, 3))          # [B, H, S, D]
        v = _ops.transpose(self._value_dense.project(value), (0, 2, 1, 3))      # [B, H, S, Dv]
        q = q * (1.0 / math.sqrt(float(self.key_dim)))
        scores = _ops.matmul(q, k, transpose_b=True)                            # [B, H, T, S]
        if mask is not None:
            big = np.float16(-3e4) if scores.dtype.name == "float16" else -1e9
            scores = _ops.where(mask, scores, _ops.fill(tuple(scores.shape), _ops.cast(big, scores.dtype)))
        scores = _ops.softmax(scores, axis=-1)
        weights = scores
        if training and self.dropout > 0:
            keep = _ops.random.uniform(tuple(scores.shape)) >= np.float32(self.dropout)
            weights = _ops.where(keep, scores * (1.0 / (1.0 - self.dropout)), _ops.zeros_like(scores))
        out = _ops.transpose(_ops.matmul(weights, v), (0, 2, 1, 3))            # [B, T, H, Dv]
        out = self._output_dense.merge(out)
        if return_attention_scores:
            return out, scores
        return out

    def _attention_mask(self, B, T, S, value_mask, key_mask, attention_mask, causal):
        """The [B, 1, T, S] boolean mask (broadcast over heads), or None: Keras 3's AND of every mask given,
        each cast to bool (nonzero is True); built on the device, shapes checked first."""
        parts = []

        def as_bool(x, what, shape, lead):
            x = x if isinstance(x, _Base) else convert_to_tensor(np.asarray(x))
            try:
                np.broadcast_shapes(tuple(x.shape), shape)
                ok = len(x.shape) <= len(shape)
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"MultiHeadAttention: `{what}` of shape {tuple(x.shape)} does not broadcast to "
                                 f"{shape}")
            if x.dtype.name != "bool":
                x = _ops.not_equal(x, _ops.zeros_like(x))
            return _ops.reshape(x, lead + tuple(x.shape)) if lead else x
        for what, x in (("value_mask", value_mask), ("key_mask", key_mask)):
            if x is not None:
                x = as_bool(x, what, (B, S), ())
                parts.append(_ops.reshape(_ops.broadcast_to(x, (B, S)), (B, 1, S)))
        if causal:
            parts.append(convert_to_tensor(np.tril(np.ones((T, S), dtype=bool))[None]))
        if attention_mask is not None:
            parts.append(as_bool(attention_mask, "attention_mask", (B, T, S), ()))
        if not parts:
            return None
        m = parts[-1]
        for p in parts[:-1]:
            m = _ops.logical_and(m, p)
        return _ops.reshape(_ops.broadcast_to(m, (B, T, S)), (B, 1, T, S))
