"""keras.metrics against Keras 3.15 (TensorFlow 2.21's answers recorded in tf_fixtures/metrics.json by
gen_metrics.py; the programs are metrics_cases.py's ``metric_`` cases), plus what TF cannot record:
the state stays on the device (no host read in ``update_state``), nothing is recorded on a tape, and
Keras's signatures."""
import inspect
import pathlib
import sys

import numpy as np
import pytest

import gputape as tf
from gputape import errors
from tf_fixture import load

sys.path.insert(0, str(pathlib.Path(__file__).parent / "tf_fixtures"))
import metrics_cases as cases  # noqa: E402

keras = tf.keras
RECORDED = load("metrics")
OURS = {"InvalidArgumentError": errors.InvalidArgumentError}


def test_recorded_from_tf_2_21_and_complete():
    assert RECORDED["tensorflow"]["value"].startswith("2.21")
    assert set(cases.CASES) <= set(RECORDED)


@pytest.mark.parametrize("name", [n for n in cases.CASES if n.startswith("metric_")])
def test_metric_matches_keras(name):
    diff = cases.check(name, tf, OURS)
    assert diff is None, diff


GPUTAPE_ONLY = {"flat"}        # the optimizers' keyword-only one-launch switch


def _signature_check(prefixes):
    bad = []
    for dotted in cases.SIGNATURES:
        if not dotted.startswith(prefixes):
            continue
        want = RECORDED["signature:" + dotted]["value"]
        got = [p for p in cases.signature_of(cases.resolve(keras, dotted)) if p[0] not in GPUTAPE_ONLY]
        if [n for n, k, _ in got if k != "VAR_KEYWORD"] != [n for n, k, _ in want if k != "VAR_KEYWORD"]:
            bad.append((dotted, got, want))
            continue
        for (n, _, d), (_, _, wd) in zip(got, want):
            if not (isinstance(wd, str) and wd.startswith("<")) and d != wd:
                bad.append((dotted, n, d, wd))
    return bad


def test_signatures_are_keras():
    """Parameter names, order and plain defaults of every metric class and function as Keras 3.15."""
    assert _signature_check(("metrics.",)) == []


def test_unknown_keyword_is_type_error():
    with pytest.raises(TypeError):
        keras.metrics.Mean(foo=1)
    with pytest.raises(TypeError):
        keras.metrics.AUC(thresholdz=[0.5])


def test_variables_are_non_trainable_device_variables():
    m = keras.metrics.AUC(num_thresholds=5)
    assert len(m.variables) == 4
    assert all(isinstance(v, tf.Variable) and not v.trainable for v in m.variables)
    assert [tuple(v.shape) for v in m.variables] == [(5,)] * 4


def test_update_state_adds_in_place_and_reads_nothing_back(monkeypatch):
    """No host synchronisation in update_state: Tensor.numpy/__float__ and the backend's to_host are
    never called (on CuPy these would be device-to-host copies); the state buffers are updated in place."""
    from gputape import backend as _b
    calls, to_host = [], _b.to_host
    # the real to_host after counting: np.asarray of a CuPy array is TypeError (no implicit conversion)
    monkeypatch.setattr(_b, "to_host", lambda a: calls.append("to_host") or to_host(a))
    ms = [keras.metrics.Mean(), keras.metrics.SparseCategoricalAccuracy(), keras.metrics.AUC(),
          keras.metrics.Precision(top_k=2), keras.metrics.Recall(thresholds=[0.2, 0.7]),
          keras.metrics.RootMeanSquaredError(), keras.metrics.SparseTopKCategoricalAccuracy(k=2)]
    buffers = [[v._v for v in m.variables] for m in ms]
    y = tf.constant([0, 2, 1, 1])
    p = tf.constant([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    yb = tf.constant([[1., 0., 0.], [0., 0., 1.], [0., 1., 0.], [0., 1., 0.]])
    for _ in range(2):
        ms[0].update_state(tf.reduce_sum(p, axis=1), sample_weight=tf.constant([1., 2., 0., 1.]))
        ms[1].update_state(y, p)
        ms[2].update_state(yb, p)
        ms[3].update_state(yb, p)
        ms[4].update_state(yb, p, sample_weight=tf.constant([1., 2., 0., 1.]))
        ms[5].update_state(yb, p)
        ms[6].update_state(y, p)
    assert calls == []
    for m, bufs in zip(ms, buffers):
        assert all(v._v is b for v, b in zip(m.variables, bufs))
    assert float(ms[1].result()) == pytest.approx(0.5)


def test_update_inside_a_tape_records_nothing():
    x = tf.Variable([[0.2, 0.8], [0.9, 0.1]])
    m = keras.metrics.CategoricalAccuracy()
    with tf.GradientTape() as t:
        y = x * 2.0
        before = len(t._entries)
        m.update_state([[0., 1.], [0., 1.]], y)
        after = len(t._entries)
    assert float(m.result()) == 0.5
    assert after == before


def test_result_is_a_snapshot():
    m = keras.metrics.Sum()
    m.update_state([1.0, 2.0])
    r = m.result()
    m.update_state([10.0])
    assert float(r) == 3.0 and float(m.result()) == 13.0


def test_reset_state_zeroes_every_variable():
    m = keras.metrics.Precision(thresholds=[0.3, 0.6])
    m.update_state([1, 0, 1], [0.9, 0.8, 0.1])
    m.reset_state()
    assert all(not v.numpy().any() for v in m.variables)
    assert m.result().numpy().tolist() == [0.0, 0.0]


def test_subclass_without_super_init():
    class Bad(keras.metrics.Metric):
        def __init__(self):
            pass
    with pytest.raises(RuntimeError, match="super"):
        Bad().add_variable((), "zeros", name="x")


def test_custom_metric_subclass():
    class TruePositives(keras.metrics.Metric):
        def __init__(self, name="tp", **kw):
            super().__init__(name=name, **kw)
            self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.tp.assign_add(tf.reduce_sum(tf.cast(tf.logical_and(tf.cast(y_true, tf.bool),
                                                                    tf.cast(y_pred, tf.bool)), tf.float32)))

        def result(self):
            return tf.identity(self.tp)
    m = TruePositives()
    m.update_state([1, 0, 1], [1, 1, 1])
    assert float(m.result()) == 2.0 and m.variables[0].path == "tp/tp"


def test_signature_of_update_state():
    assert list(inspect.signature(keras.metrics.AUC.update_state).parameters) == ["self", "y_true", "y_pred",
                                                                                  "sample_weight"]
    assert list(inspect.signature(keras.metrics.Mean.update_state).parameters) == ["self", "values",
                                                                                   "sample_weight"]


def test_cupy_path_reads_nothing_back(monkeypatch):
    """On the CuPy stand-in (NumPy on the CPU, NOT a GPU): update_state of every metric makes no
    device-to-host read and passes no NumPy array to CuPy; result() equals the NumPy backend's."""
    import cupy_standin as S

    def program():
        y = tf.constant([0, 2, 1, 1])
        p = tf.constant([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
        yb = tf.constant([[1., 0., 0.], [0., 0., 1.], [0., 1., 0.], [0., 1., 0.]])
        w = tf.constant([1., 2., 0., 1.])
        ms = [(keras.metrics.Mean(), lambda m: m.update_state(tf.reduce_sum(p, axis=1), sample_weight=w)),
              (keras.metrics.Sum(), lambda m: m.update_state(p, sample_weight=w)),
              (keras.metrics.Accuracy(), lambda m: m.update_state(y, tf.argmax(p, axis=1))),
              (keras.metrics.BinaryAccuracy(threshold=0.35), lambda m: m.update_state(yb, p, sample_weight=w)),
              (keras.metrics.CategoricalAccuracy(), lambda m: m.update_state(yb, p)),
              (keras.metrics.SparseCategoricalAccuracy(), lambda m: m.update_state(y, p, sample_weight=w)),
              (keras.metrics.TopKCategoricalAccuracy(k=2), lambda m: m.update_state(yb, p)),
              (keras.metrics.SparseTopKCategoricalAccuracy(k=2), lambda m: m.update_state(y, p)),
              (keras.metrics.MeanSquaredError(), lambda m: m.update_state(yb, p, sample_weight=w)),
              (keras.metrics.MeanAbsoluteError(), lambda m: m.update_state(yb, p)),
              (keras.metrics.RootMeanSquaredError(), lambda m: m.update_state(yb, p, sample_weight=w)),
              (keras.metrics.Precision(top_k=2), lambda m: m.update_state(yb, p)),
              (keras.metrics.Recall(thresholds=[0.2, 0.7], class_id=1), lambda m: m.update_state(yb, p)),
              (keras.metrics.AUC(), lambda m: m.update_state(yb, p, sample_weight=w)),
              (keras.metrics.AUC(curve="PR", thresholds=[0.25, 0.6]), lambda m: m.update_state(yb, p)),
              (keras.metrics.AUC(multi_label=True, num_labels=3, label_weights=[1., 2., 3.]),
               lambda m: m.update_state(yb, p))]
        for m, update in ms:
            update(m)                 # first update: caches (thresholds) filled
        return ms

    def results(ms):
        return [m.result().numpy().tolist() for m, _ in ms]

    want = results(program())
    S.install(monkeypatch)
    S.full_api(True)
    try:
        ms = program()
        assert type(ms[0][0].total._v) is S.StandinArray
        S.reset_counts()
        S.numpy_args.clear()
        for m, update in ms:
            update(m)
            m.result()
        syncs, numpy_args = list(S.syncs), list(S.numpy_args)
        got = results(ms)
    finally:
        S.full_api(False)
        monkeypatch.undo()
        S.restore()
    assert syncs == [] and numpy_args == []
    # every metric saw the batch twice: Sum (index 1) doubles, the means and ratios stay
    want[1] = 2 * want[1]
    for i, (g, w_) in enumerate(zip(got, want)):
        assert g == pytest.approx(w_, rel=1e-6), i
