"""``keras.metrics``: streaming metrics with Keras 3.15's constructors, update rules and results.

    m = keras.metrics.SparseCategoricalAccuracy()
    for x, y in batches:
        m.update_state(y, model(x))
    print(float(m.result()))

Every metric keeps its state in non-trainable ``Variable``s (``metric.variables``, named
``<metric name>/<state>``) on the backend's device.  ``update_state`` computes on the arrays'
own module (NumPy or CuPy) and adds into those buffers in place: no value is read back to the host
and nothing is recorded on a GradientTape (metrics have no gradients).  ``result()`` returns a
Tensor on the device; ``reset_state()`` zeroes the state; ``metric(y_true, y_pred)`` is
``update_state`` then ``result``, as Keras.

Inputs are converted as Keras converts them on TensorFlow (Python floats to float32, then cast to
the metric's dtype, float32 by default); ``sample_weight`` weights each sample (Keras's
``reduce_to_samplewise_values`` for the mean metrics, its confusion-matrix update for
``Precision``/``Recall``/``AUC``).  Shapes that cannot be broadcast raise InvalidArgumentError
(a ValueError) before anything is added.  Keras masks (``_keras_mask``) do not exist in gputape.
"""
import numpy as np

from .. import backend as _b
from ..errors import InvalidArgumentError
from ..tensor import Variable, _Base, _wrap, convert_to_tensor
from . import losses as _losses

NEG_INF = -1e10          # Keras's metrics_utils.NEG_INF: what top_k filtering gives the other classes
_EPSILON = 1e-7          # keras.backend.epsilon()


# ---------------------------------------------------------------- arrays
def _dtype_name(dtype):
    if dtype is None:
        return "float32"
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        raise NotImplementedError(f"Metric: mixed-precision dtype policy {dtype!r} is not implemented in gputape")
    from ..dtypes import np_dtype
    return np.dtype(np_dtype(dtype)).name


def _arr(x, dtype=None):
    """``x`` as an array on the device, converted as Keras's ``ops.convert_to_tensor(x, dtype)`` on
    TensorFlow: a tensor is cast, a Python or NumPy value is converted directly to a float dtype,
    or converted by TF's rules then cast to an integer or bool dtype."""
    if isinstance(x, _Base):
        v = x._v
    elif dtype is None or np.dtype(dtype).kind in "biu":
        v = convert_to_tensor(x)._v
    else:
        v = convert_to_tensor(x, dtype=np.dtype(dtype).name)._v
    if dtype is not None and v.dtype != np.dtype(dtype):
        v = v.astype(dtype)
    return v


def _same_rank(xp, x1, x2, expand_rank_1=True):
    """Keras's ``squeeze_or_expand_to_same_rank`` on arrays."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = xp.expand_dims(x2, -1)
        else:
            x1 = xp.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = xp.expand_dims(x1, -1)
        else:
            x2 = xp.squeeze(x2, -1)
    return x1, x2


def _broadcast(xp, x, shape, what):
    """``broadcast_to`` with TF's error class and a message naming both shapes, checked first."""
    try:
        out = np.broadcast_shapes(tuple(x.shape), tuple(shape))
    except ValueError:
        out = None
    if out != tuple(shape):
        raise InvalidArgumentError(f"{what}: cannot broadcast shape {tuple(x.shape)} to shape {tuple(shape)} "
                                   f"(TensorFlow: Incompatible shapes)")
    return xp.broadcast_to(x, shape)


def _divide_no_nan(xp, a, b):
    zero = b == 0
    return xp.where(zero, xp.zeros_like(a), a / xp.where(zero, xp.ones_like(b), b))


def _add_into(var, value):
    """``var += value`` in place on the device (the optimizer's way: live reads are detached first)."""
    if var._reads:
        var._detach_reads()
    var._v += value


def _result(a):
    return _wrap(a)


# ---------------------------------------------------------------- base classes
class Metric:
    """Base class (Keras 3's ``Metric(dtype=None, name=None)``): subclasses create their state with
    ``add_variable`` in ``__init__`` and define ``update_state`` and ``result``.

    ``variables`` lists the state Variables (non-trainable, in creation order, then those of
    metrics held as attributes); ``reset_state`` sets every one to zero; ``get_config`` gives
    ``{'name', 'dtype'}`` (plus the subclass's arguments) and ``from_config`` is ``cls(**config)``.
    """

    def __init__(self, dtype=None, name=None):
        from . import naming as _naming
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or _naming.auto_name(type(self).__name__)
        self._dtype = _dtype_name(dtype)

    def __setattr__(self, name, value):
        if isinstance(value, Metric) and "_metrics" in self.__dict__ and value not in self._metrics:
            self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` method. Go add it!")

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable state Variable named ``<metric name>/<name>`` (Keras 3's ``add_variable``);
        ``initializer`` is an initializer, its name ('zeros') or a callable ``(shape, dtype)``."""
        self._check_super_called()
        if aggregation not in ("none", None, "mean", "sum", "only_first_replica"):
            raise ValueError(f"Invalid value for argument `aggregation`. Expected one of `None`, `'none'`, `'mean'`, "
                             f"`'sum'`, `'only_first_replica'`. Received: aggregation={aggregation}")
        from . import initializers as _init
        init = _init.get(initializer)
        dtype = _dtype_name(dtype) if dtype is not None else self._dtype
        shape = tuple(int(d) for d in (shape or ()))
        value = init(shape, dtype=dtype)
        scope = self.name.replace("/", ">")
        v = Variable(value, trainable=False, name=f"{scope}/{name if name is not None else 'variable'}",
                     dtype=dtype)
        self._variables.append(v)
        return v

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    def reset_state(self):
        """Set every state variable to zero."""
        for v in self.variables:
            if v._reads:
                v._detach_reads()
            v._v[...] = 0

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


def _samplewise(xp, values, sample_weight, reduce):
    """Keras 3's ``reduce_to_samplewise_values``: ``values`` reduced (``reduce``: sum or mean) over
    the axes past the weights' rank, weighted, then to one value per sample; the weights brought to
    that shape too.  Arrays are in the metric's dtype already."""
    if sample_weight is not None:
        values, sample_weight = _same_rank(xp, values, sample_weight)
        wn, vn = sample_weight.ndim, values.ndim
        if vn > wn:
            values = reduce(values, axis=tuple(range(wn, vn)))
        sample_weight = _broadcast(xp, sample_weight, values.shape, "sample_weight")
        values = values * sample_weight
        if wn > 1:
            sample_weight = reduce(sample_weight, axis=tuple(range(1, wn)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values given (Keras 3's ``Sum``; state ``total``).

    >>> m = Sum(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); float(m.result())
    4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        values = _arr(values, self.dtype)
        xp = _b.array_module(values)
        sw = None if sample_weight is None else _arr(sample_weight, self.dtype)
        values, _ = _samplewise(xp, values, sw, xp.sum)
        _add_into(self.total, xp.sum(values))

    def result(self):
        return _result(self.total._v.astype(self.dtype, copy=True))


class Mean(Metric):
    """The (weighted) mean of the values given (Keras 3's ``Mean``; state ``total``, ``count``):
    ``count`` grows by the summed sample weights, or by the number of samples (the first
    dimension; 1 for a scalar).

    >>> m = Mean(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); float(m.result())
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        values = _arr(values, self.dtype)
        xp = _b.array_module(values)
        sw = None if sample_weight is None else _arr(sample_weight, self.dtype)
        self._add(xp, values, sw)

    def _add(self, xp, values, sw):
        values, sw = _samplewise(xp, values, sw, xp.mean)
        _add_into(self.total, xp.sum(values))
        if sw is not None:
            _add_into(self.count, xp.sum(sw))
        else:
            _add_into(self.count, np.dtype(self.dtype).type(values.shape[0] if values.ndim >= 1 else 1))

    def result(self):
        xp = _b.array_module(self.total._v)
        return _result(_divide_no_nan(xp, self.total._v, self.count._v.astype(self.dtype)))


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen (Keras 3's
    ``MeanMetricWrapper``); ``fn`` returns one value per sample (a Tensor or array)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        values = _arr(values, self.dtype)
        xp = _b.array_module(values)
        sw = None if sample_weight is None else _arr(sample_weight, self.dtype)
        self._add(xp, values, sw)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


# ---------------------------------------------------------------- accuracy functions
def _argmax(xp, x):
    return xp.argmax(x, axis=-1)


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` (after Keras's rank matching), else 0.0 (float32)."""
    y_pred = _arr(y_pred)
    y_true = _arr(y_true, y_pred.dtype)
    xp = _b.array_module(y_pred)
    y_true, y_pred = _same_rank(xp, y_true, y_pred)
    if not _can_broadcast(y_true.shape, y_pred.shape):
        _shape_error("accuracy", y_true.shape, y_pred.shape)
    return _wrap((y_true == y_pred).astype(np.float32))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_true`` equals ``y_pred > threshold`` (cast to y_true's dtype), else 0.0."""
    y_pred = _arr(y_pred)
    y_true = _arr(y_true)
    xp = _b.array_module(y_pred)
    y_true, y_pred = _same_rank(xp, y_true, y_pred)
    if not _can_broadcast(y_true.shape, y_pred.shape):
        _shape_error("binary_accuracy", y_true.shape, y_pred.shape)
    if isinstance(threshold, _Base):
        thr = threshold._v
        rt = xp.result_type(y_pred.dtype, thr.dtype)
        yp = y_pred.astype(rt, copy=False) > thr.astype(rt, copy=False)
    else:
        # Keras converts a Python float threshold to a float32 tensor: compare with float32(threshold)
        # in the wider of the two dtypes, here without a host-to-device copy
        thr = np.float32(threshold) if isinstance(threshold, float) else np.asarray(threshold)
        rt = np.result_type(y_pred.dtype, thr.dtype)
        yp = y_pred.astype(rt, copy=False) > rt.type(thr)
    return _wrap((y_true == yp.astype(y_true.dtype)).astype(np.float32))


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of ``y_true`` (one-hot) equals the argmax of ``y_pred`` (ties: the first)."""
    y_pred = _arr(y_pred)
    y_true = _arr(y_true)
    xp = _b.array_module(y_pred)
    y_true = _argmax(xp, y_true).astype(y_pred.dtype)
    org_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim:
        y_true = xp.squeeze(y_true, -1)
        reshape = True
    yp = _argmax(xp, y_pred).astype(y_true.dtype)
    if not _can_broadcast(y_true.shape, yp.shape):
        _shape_error("categorical_accuracy", org_shape, y_pred.shape)
    matches = (y_true == yp).astype(np.float32)
    return _wrap(matches.reshape(org_shape) if reshape else matches)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label ``y_true`` equals the argmax of ``y_pred`` (ties: the first)."""
    y_pred = _arr(y_pred)
    y_true = _arr(y_true, y_pred.dtype)
    xp = _b.array_module(y_pred)
    org_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, -1)
        reshape = True
    yp = _argmax(xp, y_pred).astype(y_true.dtype)
    if not _can_broadcast(yp.shape, y_true.shape):
        _shape_error("sparse_categorical_accuracy", y_true.shape, y_pred.shape)
    matches = (y_true == yp).astype(np.float32)
    if reshape:
        matches = matches.reshape(org_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = xp.squeeze(matches, -1)
    return _wrap(matches)


def _can_broadcast(a, b):
    try:
        np.broadcast_shapes(tuple(a), tuple(b))
        return True
    except ValueError:
        return False


def _shape_error(owner, true_shape, pred_shape):
    raise InvalidArgumentError(f"{owner}: y_true of shape {tuple(true_shape)} does not match y_pred of shape "
                               f"{tuple(pred_shape)} (TensorFlow: Incompatible shapes)")


def _in_top_k(xp, targets, predictions, k):
    """TF's ``in_top_k``: the target's prediction is finite and fewer than ``k`` classes score
    strictly higher (ties at the boundary count as in); an out-of-range target is False."""
    n = predictions.shape[-1]
    valid = (targets >= 0) & (targets < n)
    idx = xp.where(valid, targets, xp.zeros_like(targets)).astype(np.int64)
    target_pred = xp.take_along_axis(predictions, idx[:, None], axis=1)
    higher = xp.sum(predictions > target_pred, axis=1)
    return valid & (higher < k) & xp.isfinite(target_pred[:, 0])


def _check_k(k, owner):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{owner}: `k` must be an int, got {k!r}")


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the argmax of ``y_true`` is among the ``k`` highest ``y_pred`` scores."""
    _check_k(k, "top_k_categorical_accuracy")
    y_pred = _arr(y_pred)
    y_true = _arr(y_true, y_pred.dtype)
    xp = _b.array_module(y_pred)
    y_true = _argmax(xp, y_true)
    org_shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    reshape = y_true.ndim > 1
    if reshape:
        y_true = y_true.reshape(-1)
    if y_true.shape[0] != y_pred.shape[0]:
        _shape_error("top_k_categorical_accuracy", org_shape, y_pred.shape)
    matches = _in_top_k(xp, y_true.astype(np.int32), y_pred, k).astype(np.float32)
    return _wrap(matches.reshape(org_shape) if reshape else matches)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label ``y_true`` is among the ``k`` highest ``y_pred`` scores (or, with
    ``from_sorted_ids``, among the first ``k`` ids of each row of ``y_pred``)."""
    _check_k(k, "sparse_top_k_categorical_accuracy")
    y_pred = _arr(y_pred)
    y_true = _arr(y_true, y_pred.dtype if from_sorted_ids else np.int32)
    xp = _b.array_module(y_pred)
    org_shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    reshape = y_true.ndim > 1
    if reshape:
        y_true = y_true.reshape(-1)
    if y_true.shape[0] != y_pred.shape[0]:
        _shape_error("sparse_top_k_categorical_accuracy", org_shape, y_pred.shape)
    if from_sorted_ids:
        matches = xp.any(y_true[:, None] == y_pred[:, :k], axis=1)
    else:
        matches = _in_top_k(xp, y_true, y_pred, k)
    matches = matches.astype(np.float32)
    return _wrap(matches.reshape(org_shape) if reshape else matches)


# ---------------------------------------------------------------- accuracy and regression metrics
class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` (Keras 3's ``Accuracy``)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the binary ``y_true`` (Keras 3's ``BinaryAccuracy``)."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of ``y_pred`` matches that of the one-hot ``y_true``."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of ``y_pred`` matches the integer label ``y_true``."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the ``k`` (default 5) highest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the ``k`` (default 5) highest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k, self.from_sorted_ids = k, from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config


class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``keras.losses.mean_squared_error`` per sample."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=_losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``keras.losses.mean_absolute_error`` per sample."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(fn=_losses.mean_absolute_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the (weighted) mean of ``(y_pred - y_true)**2`` over all elements seen (Keras 3's
    ``RootMeanSquaredError``: per sample the squared errors are averaged over the other axes)."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _arr(y_true, self.dtype)
        y_pred = _arr(y_pred, self.dtype)
        xp = _b.array_module(y_pred)
        y_true, y_pred = _same_rank(xp, y_true, y_pred)
        if not _can_broadcast(y_true.shape, y_pred.shape):
            _shape_error("RootMeanSquaredError", y_true.shape, y_pred.shape)
        err = y_pred - y_true
        sw = None if sample_weight is None else _arr(sample_weight, self.dtype)
        self._add(xp, err * err, sw)

    def result(self):
        xp = _b.array_module(self.total._v)
        return _result(xp.sqrt(_divide_no_nan(xp, self.total._v, self.count._v)))


# ---------------------------------------------------------------- confusion-matrix metrics
def _to_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _parse_thresholds(thresholds, default):
    if thresholds is not None:
        bad = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return _to_list(default if thresholds is None else thresholds)


def _evenly_distributed(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(np.asarray(thresholds, np.float64), even, atol=_EPSILON))


def _filter_top_k(xp, x, k):
    """Keras's ``_filter_top_k``: the ``k`` largest entries of each row kept (ties: lower index
    first, as ``top_k``), the rest set to ``NEG_INF``."""
    greater = xp.sum(x[..., None, :] > x[..., :, None], axis=-1)
    n = x.shape[-1]
    j = xp.arange(n)
    before = (j[None, :] < j[:, None])
    equal_before = xp.sum((x[..., None, :] == x[..., :, None]) & before, axis=-1)
    mask = ((greater + equal_before) < k).astype(x.dtype)
    return x * mask + x.dtype.type(NEG_INF) * (x.dtype.type(1) - mask)


def _segment_sum(xp, data, ids, n):
    """``unsorted_segment_sum`` into ``n`` buckets; negative ids are dropped, as TF."""
    keep = ids >= 0
    out = xp.zeros((n,), data.dtype)
    _b.scatter_add(out, xp.where(keep, ids, xp.zeros_like(ids)),
                   xp.where(keep, data, xp.zeros_like(data)))
    return out


def _rev_cumsum(xp, x, axis):
    return xp.flip(xp.cumsum(xp.flip(x, axis), axis=axis), axis)


def _update_confusion(variables, y_true, y_pred, thresholds, dtype, *, evenly, top_k=None, class_id=None,
                      sample_weight=None, multi_label=False, label_weights=None, owner="Metric",
                      thresholds_cache=None):
    """Keras 3's ``update_confusion_matrix_variables``: add the (weighted) counts of true/false
    positives/negatives at each threshold (``y_pred > threshold`` is positive) into ``variables``
    (a dict with keys among 'tp', 'fp', 'tn', 'fn').  ``evenly``: Keras's bucketed path for
    thresholds spread evenly over [0, 1] (predictions clipped to [0, 1])."""
    dtype = np.dtype(dtype)
    y_true = _arr(y_true, dtype)
    y_pred = _arr(y_pred, dtype)
    xp = _b.array_module(y_pred)
    thresholds_with_epsilon = evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    T = len(thresholds)
    key = (xp.__name__, dtype)
    thr = None if thresholds_cache is None else thresholds_cache.get(key)
    if thr is None:               # one host-to-device copy per metric, module and dtype
        thr = xp.asarray(np.asarray(thresholds, np.float64).astype(dtype))
        if thresholds_cache is not None:
            thresholds_cache[key] = thr
    y_pred, y_true = _same_rank(xp, y_pred, y_true)
    if not _can_broadcast(y_true.shape, y_pred.shape) or tuple(y_true.shape) != tuple(y_pred.shape):
        _shape_error(owner, y_true.shape, y_pred.shape)
    sw = None
    if sample_weight is not None:
        sw = xp.expand_dims(_arr(sample_weight, dtype), -1)
        _, sw = _same_rank(xp, y_true, sw, expand_rank_1=False)
        sw = _broadcast(xp, sw, y_pred.shape, f"{owner}: sample_weight")
    if top_k is not None:
        y_pred = _filter_top_k(xp, y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(f"When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                             f"num_classes), found shape: {tuple(y_pred.shape)}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
        if sw is not None:
            sw = sw[..., class_id, None]
    lw = None
    if label_weights is not None:
        lw = _broadcast(xp, xp.expand_dims(_arr(label_weights, dtype), 0), y_pred.shape,
                        f"{owner}: label_weights")
    weights = sw if lw is None else (lw if sw is None else sw * lw)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        weights = None if weights is None else weights.reshape(-1)
    one = dtype.type(1)
    if evenly:
        y_pred = xp.clip(y_pred, dtype.type(0), one)
        labels = (y_true != 0).astype(dtype)
        w = xp.ones_like(labels) if weights is None else weights.astype(dtype)
        true_labels = labels * w
        false_labels = (one - labels) * w
        bucket = xp.ceil(y_pred * (dtype.type(T) - one)) - one
        if thresholds_with_epsilon:
            bucket = xp.maximum(bucket, dtype.type(0))
        bucket = xp.where(xp.isnan(bucket), -xp.ones_like(bucket), bucket).astype(np.int32)
        if multi_label:
            L = y_pred.shape[-1]
            offsets = xp.arange(L, dtype=np.int32)[None, :] * T
            ids = xp.where(bucket >= 0, bucket + offsets, -xp.ones_like(bucket))
            tp = _segment_sum(xp, true_labels.reshape(-1), ids.reshape(-1), T * L).reshape(L, T).T
            fp = _segment_sum(xp, false_labels.reshape(-1), ids.reshape(-1), T * L).reshape(L, T).T
            tp, fp = _rev_cumsum(xp, tp, 0), _rev_cumsum(xp, fp, 0)
            total_true, total_false = xp.sum(true_labels, axis=0), xp.sum(false_labels, axis=0)
        else:
            tp = _rev_cumsum(xp, _segment_sum(xp, true_labels, bucket, T), 0)
            fp = _rev_cumsum(xp, _segment_sum(xp, false_labels, bucket, T), 0)
            total_true, total_false = xp.sum(true_labels), xp.sum(false_labels)
        counts = {"tp": tp, "fp": fp}
        if "tn" in variables:
            counts["tn"] = total_false - fp
        if "fn" in variables:
            counts["fn"] = total_true - tp
    else:
        if multi_label:
            pred_pos = y_pred[None] > thr[:, None, None]          # (T, N, L)
            label_pos = (y_true != 0)[None]
        else:
            pred_pos = y_pred[None, :] > thr[:, None]             # (T, N)
            label_pos = (y_true != 0)[None, :]
        w = None if weights is None else weights[None]

        def count(cond):
            return xp.sum(xp.where(cond, w, xp.zeros_like(w)) if w is not None else cond.astype(dtype), axis=1)
        counts = {}
        if "tp" in variables:
            counts["tp"] = count(label_pos & pred_pos)
        if "fp" in variables:
            counts["fp"] = count(~label_pos & pred_pos)
        if "tn" in variables:
            counts["tn"] = count(~label_pos & ~pred_pos)
        if "fn" in variables:
            counts["fn"] = count(label_pos & ~pred_pos)
    for key, var in variables.items():
        _add_into(var, counts[key].astype(var._v.dtype, copy=False))


class _PrecisionRecall(Metric):
    _other, _other_name = None, None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._thresholds_distributed_evenly = _evenly_distributed(self.thresholds)
        self._thresholds_cache = {}
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros", name="true_positives")
        setattr(self, self._other_name, self.add_variable(shape=(n,), initializer="zeros", name=self._other_name))

    def update_state(self, y_true, y_pred, sample_weight=None):
        _update_confusion({"tp": self.true_positives, self._other: getattr(self, self._other_name)}, y_true, y_pred,
                          self.thresholds, self.dtype, evenly=self._thresholds_distributed_evenly, top_k=self.top_k,
                          class_id=self.class_id, sample_weight=sample_weight, owner=type(self).__name__,
                          thresholds_cache=self._thresholds_cache)

    def result(self):
        xp = _b.array_module(self.true_positives._v)
        tp = self.true_positives._v
        r = _divide_no_nan(xp, tp, tp + getattr(self, self._other_name)._v)
        return _result(r[0] if len(self.thresholds) == 1 else r)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)`` at each threshold (Keras 3's ``Precision(thresholds=None, top_k=None,
    class_id=None)``): ``y_pred > threshold`` is a positive (default threshold 0.5; with
    ``top_k``, the top k predictions of each row are positives); a scalar for one threshold, a
    vector for several; ``class_id`` looks at one column only."""
    _other, _other_name = "fp", "false_positives"


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)`` at each threshold (Keras 3's ``Recall``; arguments as ``Precision``)."""
    _other, _other_name = "fn", "false_negatives"


_CURVES = {"roc": "ROC", "ROC": "ROC", "pr": "PR", "PR": "PR", "prgain": "PRGAIN", "PRGAIN": "PRGAIN"}
_SUMMATIONS = {"interpolation": "interpolation", "Interpolation": "interpolation", "majoring": "majoring",
               "Majoring": "majoring", "minoring": "minoring", "Minoring": "minoring"}


class AUC(Metric):
    """Area under the ROC or PR curve by a Riemann sum over ``num_thresholds`` thresholds (Keras 3's
    ``AUC``): ``curve`` 'ROC' | 'PR' | 'PRGAIN'; ``summation_method`` 'interpolation' (for PR,
    Davis & Goadrich's interpolation, as Keras) | 'majoring' | 'minoring'; ``thresholds`` replaces
    the evenly spread ones (0 - epsilon and 1 + epsilon are added at the ends); ``multi_label``
    keeps one curve per label (``num_labels``, or the last dimension of the first ``y_pred``) and
    averages them, weighted by ``label_weights`` if given; ``from_logits`` applies a sigmoid first.
    State: ``true_positives``, ``false_positives``, ``true_negatives``, ``false_negatives``."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._thresholds_distributed_evenly = _evenly_distributed([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        self._thresholds = np.array([0.0 - _EPSILON] + list(thresholds) + [1.0 + _EPSILON])
        if curve not in _CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        if summation_method not in _SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                             f'["interpolation", "majoring", "minoring"]')
        self.curve, self.summation_method = _CURVES[curve], _SUMMATIONS[summation_method]
        super().__init__(name=name, dtype=dtype)
        self.multi_label, self.num_labels = multi_label, num_labels
        # a Tensor (Keras keeps a tensor too): update_state reads it without a conversion
        self.label_weights = None if label_weights is None else _wrap(_arr(label_weights, self.dtype))
        self._from_logits = from_logits
        self._thresholds_cache = {}
        self._built = False
        if multi_label:
            if num_labels:
                self._build([None, num_labels])
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                                 f"Full shape received for `y_pred`: {tuple(shape)}")
            self._num_labels = shape[1]
            vshape = (self.num_thresholds, self._num_labels)
        else:
            vshape = (self.num_thresholds,)
        for n in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, n, self.add_variable(shape=vshape, initializer="zeros", name=n))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._from_logits:
            y_pred = _arr(y_pred)
            xp = _b.array_module(y_pred)
            y_pred = _sigmoid(xp, y_pred)
        if not self._built:
            self._build(tuple(_arr(y_pred).shape))
        _update_confusion({"tp": self.true_positives, "tn": self.true_negatives, "fp": self.false_positives,
                           "fn": self.false_negatives}, y_true, y_pred, self._thresholds, self.dtype,
                          evenly=self._thresholds_distributed_evenly, sample_weight=sample_weight,
                          multi_label=self.multi_label,
                          label_weights=None if self.multi_label else self.label_weights, owner="AUC",
                          thresholds_cache=self._thresholds_cache)

    def _by_label(self, xp, terms):
        if not self.multi_label:
            return xp.sum(terms)
        by_label = xp.sum(terms, axis=0)
        if self.label_weights is None:
            return xp.mean(by_label)
        lw = self.label_weights._v
        return _divide_no_nan(xp, xp.sum(by_label * lw), xp.sum(lw))

    def _interpolate_pr_auc(self, xp):
        """Davis & Goadrich (2006)'s interpolated PR AUC, as Keras's ``interpolate_pr_auc``."""
        n = self.num_thresholds
        tp, fp, fn = self.true_positives._v, self.false_positives._v, self.false_negatives._v
        zero = tp.dtype.type(0)
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        prec_slope = _divide_no_nan(xp, dtp, xp.maximum(dp, zero))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = xp.where((p[:n - 1] > 0) & (p[1:] > 0),
                                _divide_no_nan(xp, p[:n - 1], xp.maximum(p[1:], zero)), xp.ones_like(p[1:]))
        inc = _divide_no_nan(xp, prec_slope * (dtp + intercept * xp.log(safe_p_ratio)),
                             xp.maximum(tp[1:] + fn[1:], zero))
        return self._by_label(xp, inc)

    def result(self):
        xp = _b.array_module(self.true_positives._v)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _result(self._interpolate_pr_auc(xp))
        tp, fp = self.true_positives._v, self.false_positives._v
        tn, fn = self.true_negatives._v, self.false_negatives._v
        one, zero = tp.dtype.type(1), tp.dtype.type(0)
        recall = _divide_no_nan(xp, tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(xp, fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(xp, tp, tp + fp)
        else:
            scale = _divide_no_nan(xp, tp + fn, tn + fp)
            rg = one - scale * _divide_no_nan(xp, fn, tp)
            pg = one - scale * _divide_no_nan(xp, fp, tp)
            x = xp.maximum(xp.where(tp == 0, xp.zeros_like(rg), rg), zero)
            y = xp.where(tp == 0, xp.ones_like(pg), pg)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / tp.dtype.type(2)
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[:n - 1], y[1:])
        else:
            heights = xp.maximum(y[:n - 1], y[1:])
        return _result(self._by_label(xp, (x[:n - 1] - x[1:]) * heights))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        lw = self.label_weights
        config = {"num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": None if lw is None else lw.numpy().tolist(),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return {**super().get_config(), **config}


def _sigmoid(xp, x):
    one = x.dtype.type(1)
    return one / (one + xp.exp(-x))


# the per-sample loss functions tf.keras also exports under keras.metrics
mean_squared_error = mse = MSE = _losses.mean_squared_error
mean_absolute_error = mae = MAE = _losses.mean_absolute_error
mape = MAPE = _losses.mean_absolute_percentage_error
msle = MSLE = _losses.mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = _losses.kl_divergence
logcosh = _losses.log_cosh
hinge, squared_hinge, categorical_hinge = _losses.hinge, _losses.squared_hinge, _losses.categorical_hinge
poisson, huber = _losses.poisson, _losses.huber
binary_crossentropy, categorical_crossentropy = _losses.binary_crossentropy, _losses.categorical_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
binary_focal_crossentropy = _losses.binary_focal_crossentropy

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "Precision", "Recall", "AUC",
           "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error",
           "mean_absolute_error"]
