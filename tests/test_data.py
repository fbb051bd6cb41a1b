"""gputape.data.Dataset (issue 9): every transformation against TensorFlow 2.21's recorded output
(tf_fixtures/data.json, from gen_data.py over data_cases.py), plus what TF's output cannot show: the
shuffle buffer, threads (prefetch, parallel map) keeping order and passing exceptions on, the
producer thread stopping, the fast gather path agreeing with the element path, and the CuPy path
(pinned staging, a copy stream, events) under the CuPy stand-in and, marked gpu, on a real device."""
import builtins
import gc
import json
import sys
import threading
import time
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

import cupy_standin as S
import gputape as tf
from gputape import backend, data, errors
from tf_fixture import TF_ERROR_BUILTIN, run_code

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tf_fixtures"))
from data_cases import PRELUDE  # noqa: E402

CASES = json.loads((HERE / "tf_fixtures" / "data.json").read_text())
D = tf.data.Dataset
OURS = {"InvalidArgumentError": errors.InvalidArgumentError, "OutOfRangeError": errors.OutOfRangeError,
        "DataLossError": errors.DataLossError}
# TF messages gputape words differently (the class is still TF's)
OWN_MESSAGE = {"gen_signature_dtype"}      # names TF's own DType class


def _env():
    env = {"tf": tf, "np": np}
    exec(PRELUDE, env)
    return env


def _error_class(name):
    return OURS.get(name) or getattr(errors, name, None) or TF_ERROR_BUILTIN.get(name) or getattr(builtins, name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    case = CASES[name]
    kind, got = run_code(case["code"], _env())
    over = case.get("gputape", {})
    if "error" in over or ("error" in case and "result" not in over):
        want = over.get("error", case.get("error"))
        assert kind == "error", f"expected {want}, got {got!r}"
        assert isinstance(got, _error_class(want)), f"{type(got).__name__}: {got}"
        if "error" in case and "error" not in over and name not in OWN_MESSAGE:
            assert case["message"] in str(got), f"TF: {case['message']!r}\nours: {got}"
        return
    assert kind == "value", f"{type(got).__name__}: {got}"
    want = over.get("result", case["result"])
    if want == "<Dataset>":
        assert isinstance(got, D)
    else:
        assert json.loads(json.dumps(got)) == want


def test_every_fixture_case_is_recorded():
    from data_cases import CASES as cases
    assert sorted(n for n, _, _ in cases) == sorted(CASES)


# ---------------------------------------------------------------- structure

def test_namedtuples_and_dict_order_survive():
    P = namedtuple("P", "x y")
    ds = D.from_tensor_slices(P([1, 2, 3], {"b": [1., 2., 3.], "a": [4, 5, 6]})).batch(2)
    first = next(iter(ds))
    assert type(first) is P and list(first.y) == ["b", "a"]
    assert first.x.numpy().tolist() == [1, 2] and first.y["a"].dtype == tf.int32
    assert type(ds.element_spec) is P
    # a namedtuple is passed whole to map's function (only a plain tuple is unpacked, as TF)
    assert list(D.from_tensor_slices(P([1], [2])).map(lambda p: p.x + p.y).as_numpy_iterator()) == [3]


def test_inputs_are_copied_when_the_dataset_is_made():
    x = np.arange(4.)
    ds = D.from_tensor_slices(x)
    x[:] = -1
    assert list(ds.as_numpy_iterator()) == [0., 1., 2., 3.]
    out = next(ds.batch(4).as_numpy_iterator())
    out[0] = 99                                  # the caller's copy, not the dataset's
    assert next(ds.batch(4).as_numpy_iterator())[0] == 0.


def test_elements_are_tensors_and_iteration_starts_afresh():
    ds = D.from_tensor_slices(([1., 2., 3.], [1, 2, 3])).batch(2)
    a = [(x.numpy().tolist(), y.numpy().tolist()) for x, y in ds]
    b = [(x.numpy().tolist(), y.numpy().tolist()) for x, y in ds]
    assert a == b == [([1., 2.], [1, 2]), ([3.], [3])]
    x, _ = next(iter(ds))
    assert isinstance(x, tf.Tensor) and x.dtype == tf.float32


def test_tensors_from_a_dataset_work_with_the_tape():
    w = tf.Variable([[1.], [2.]])
    for x in D.from_tensor_slices(np.ones((4, 2), np.float32)).batch(2):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.matmul(x, w))
        assert tape.gradient(loss, w).numpy().tolist() == [[2.], [2.]]


def test_unsupported_arguments_are_named():
    with pytest.raises(NotImplementedError, match="filename"):
        D.range(3).cache("f")
    with pytest.raises(TypeError, match="dtype"):
        D.range(3, dtype=tf.float32)          # TF ignores it silently; its argument is output_type
    with pytest.raises(TypeError):
        D.range(3).batch(2, foo=1)


# ---------------------------------------------------------------- shuffle

def test_shuffle_is_a_buffer_not_a_permutation():
    """With a buffer of 2 the first output is one of the first two inputs, and an element can move
    at most buffer-1 places ahead: TF's algorithm, whatever the random numbers."""
    for seed in range(30):
        out = [int(v) for v in D.range(50).shuffle(2, seed=seed).as_numpy_iterator()]
        assert sorted(out) == list(range(50))
        assert out[0] in (0, 1)
        assert all(out.index(v) >= v - 1 for v in range(50))
    full = [int(v) for v in D.range(50).shuffle(50, seed=1).as_numpy_iterator()]
    assert full != list(range(50)) and sorted(full) == list(range(50))


def test_shuffle_seed_and_reshuffle_each_iteration():
    ds = D.range(30).shuffle(30, seed=7)
    a, b = list(ds.as_numpy_iterator()), list(ds.as_numpy_iterator())
    assert a != b                                                     # a new order each pass
    again = D.range(30).shuffle(30, seed=7)
    assert list(again.as_numpy_iterator()) == a                        # reproducible
    fixed = D.range(30).shuffle(30, seed=7, reshuffle_each_iteration=False)
    assert list(fixed.as_numpy_iterator()) == list(fixed.as_numpy_iterator())
    tf.random.set_seed(5)
    c = list(D.range(30).shuffle(30).as_numpy_iterator())
    tf.random.set_seed(5)
    assert list(D.range(30).shuffle(30).as_numpy_iterator()) == c        # the global seed
    unknown = D.range(10).shuffle(tf.data.UNKNOWN_CARDINALITY, seed=1)  # an unbounded buffer
    assert sorted(unknown.as_numpy_iterator()) == list(range(10))


def test_shuffle_then_repeat_reshuffles_each_repetition():
    out = [int(v) for v in D.range(20).shuffle(20, seed=2).repeat(2).as_numpy_iterator()]
    assert sorted(out[:20]) == sorted(out[20:]) == list(range(20)) and out[:20] != out[20:]


@pytest.mark.parametrize("n,size", [(20, 7), (10, 3), (5, 10), (10, None), (30, 1), (1437, 1024), (0, 4)])
def test_shuffle_positions_computed_at_once_equal_the_streaming_buffer(n, size):
    a = data._shuffle_positions(n, size, np.random.default_rng(1)).tolist()
    assert a == list(data._shuffled(range(n), size, np.random.default_rng(1)))


def test_gathered_batches_equal_stacked_batches():
    """from_tensor_slices -> shuffle/skip/take/shard/repeat -> batch gathers whole batches by index;
    the same pipeline through a map (the element path) gives the same batches."""
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20, dtype=np.int32)

    def pipe(ds):
        return ds.shuffle(7, seed=3).skip(1).take(17).shard(2, 1).repeat(2).batch(3)

    fast = pipe(D.from_tensor_slices((x, y)))
    slow = pipe(D.from_tensor_slices((x, y)).map(lambda a, b: (a, b)))
    for (fa, fb), (sa, sb) in zip(fast.as_numpy_iterator(), slow.as_numpy_iterator(), strict=True):
        assert np.array_equal(fa, sa) and np.array_equal(fb, sb)
    assert fast.cardinality().numpy() == slow.cardinality().numpy() == 6


# ---------------------------------------------------------------- threads

def _slow_square(x):
    time.sleep(0.002 * float((7 * int(x)) % 5))       # finishes out of order on a pool
    return x * x


def test_parallel_map_keeps_order():
    got = list(D.range(30).map(_slow_square, num_parallel_calls=4).as_numpy_iterator())
    assert got == [i * i for i in range(30)]


def _fails_at_5(x):
    if int(x) == 5:
        raise KeyError("element five")
    return x


@pytest.mark.parametrize("make", [
    lambda: D.range(10).map(_fails_at_5, num_parallel_calls=3),
    lambda: D.range(10).map(_fails_at_5).prefetch(2),
    lambda: D.range(10).map(_fails_at_5, num_parallel_calls=2).prefetch(3).batch(1).prefetch(1),
])
def test_exceptions_reach_the_consumer_in_order(make):
    seen = []
    with pytest.raises(KeyError, match="element five"):
        for x in make():
            seen.append(int(np.asarray(x).reshape(-1)[0]))
    assert seen == [0, 1, 2, 3, 4]


def test_prefetch_keeps_order_and_runs_ahead():
    made = []

    def produce():
        for i in range(6):
            made.append(i)
            yield i

    ds = D.from_generator(produce, output_signature=tf.TensorSpec([], tf.int32)).prefetch(2)
    it = iter(ds)
    assert int(next(it)) == 0
    deadline = time.time() + 5
    while len(made) < 3 and time.time() < deadline:
        time.sleep(0.01)
    assert len(made) >= 3                        # produced ahead of the consumer
    assert [int(v) for v in it] == [1, 2, 3, 4, 5]


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "gputape.data.prefetch"]


def test_prefetch_thread_stops_when_the_iterator_is_dropped():
    closed = threading.Event()

    def forever():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    before = len(_prefetch_threads())
    it = iter(D.from_generator(forever, output_signature=tf.TensorSpec([], tf.int32)).prefetch(3))
    assert [int(next(it)) for _ in range(3)] == [0, 1, 2]
    assert len(_prefetch_threads()) == before + 1
    del it
    gc.collect()
    assert closed.wait(5)                        # the thread closed the generator on its way out
    deadline = time.time() + 5
    while len(_prefetch_threads()) > before and time.time() < deadline:
        time.sleep(0.01)
    assert len(_prefetch_threads()) == before


def test_break_out_of_a_prefetched_loop_stops_the_thread():
    before = len(_prefetch_threads())
    for i, _ in enumerate(D.range(10 ** 9).prefetch(2)):
        if i == 3:
            break
    gc.collect()
    deadline = time.time() + 5
    while len(_prefetch_threads()) > before and time.time() < deadline:
        time.sleep(0.01)
    assert len(_prefetch_threads()) == before


def test_cache_keeps_only_a_complete_pass():
    calls = []

    def f(x):
        calls.append(int(x))
        return x

    ds = D.range(4).map(f).cache()
    it = iter(ds)
    next(it)
    del it                                       # a partial pass caches nothing
    assert list(ds.as_numpy_iterator()) == [0, 1, 2, 3]
    n = len(calls)
    assert list(ds.as_numpy_iterator()) == [0, 1, 2, 3] and len(calls) == n   # replayed, f not called


def test_map_dtype_must_not_change_between_elements():
    with pytest.raises(TypeError, match="same structure and dtypes"):
        list(D.range(3).map(lambda x: 1 if int(x) == 0 else 1.5).as_numpy_iterator())


# ---------------------------------------------------------------- the CuPy path, on the stand-in

@pytest.fixture
def standin(monkeypatch):
    cp = S.install(monkeypatch)
    S.reset_counts()
    yield cp
    monkeypatch.undo()
    S.restore()


def _host_batches(ds):
    return [tuple(np.asarray(a) for a in e) for e in ds.as_numpy_iterator()]


@pytest.mark.parametrize("prefetch", [None, 0, 2])
def test_standin_batches_go_to_the_device_once_through_pinned_memory(standin, prefetch):
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10, dtype=np.int32)
    ds = D.from_tensor_slices((x, y)).shuffle(4, seed=1, reshuffle_each_iteration=False).batch(4)
    want = _host_batches(ds)
    if prefetch is not None:
        ds = ds.prefetch(prefetch)
    S.reset_counts()
    got = []
    for xb, yb in ds:
        assert type(xb._v) is S.StandinArray and type(yb._v) is S.StandinArray
        got.append((S.asnumpy(xb._v), S.asnumpy(yb._v)))
    assert len(got) == len(want)
    for (gx, gy), (wx, wy) in zip(got, want):
        assert np.array_equal(gx, wx) and np.array_equal(gy, wy)
    sets = [c for c in S.copies if c[0] == "set"]
    assert len(sets) == 2 * len(want)                     # one copy per component per batch
    assert all(c[0] == "set" for c in S.copies)           # and no other host-to-device copy
    assert all(s.pinned for s in S.set_sources)           # every copy came from pinned memory
    assert all(s.stream is not None and not s.stream.is_null for s in S.set_sources)


def test_standin_consumer_waits_for_the_copy(standin, monkeypatch):
    """The stand-in's streams run a copy only when someone waits for it: a batch read without the
    consumer's wait_event would be the sentinel, not the data."""
    ds = D.from_tensor_slices(np.arange(6, dtype=np.float32)).batch(3).prefetch(2)
    it = iter(ds)
    a = next(it)
    assert S.asnumpy(a._v).tolist() == [0., 1., 2.]
    waits = list(S.waited)
    assert waits, "the consumer's stream never waited for a copy event"
    # without the wait the data is not there yet: prove the stand-in would catch a missing wait
    monkeypatch.setattr(backend.DeviceCopier, "finish", lambda self, arrays, event: arrays)
    it2 = iter(D.from_tensor_slices(np.arange(3, dtype=np.float32)).batch(3))
    b = next(it2)
    assert np.isnan(S.asnumpy(b._v)).all()
    del it2                                      # closing the iterator waits for its copies
    assert S.asnumpy(b._v).tolist() == [0., 1., 2.]


def test_standin_reading_ahead_keeps_exceptions_in_place(standin):
    """On CuPy the iterator reads one element ahead to start its copy: an exception met there is
    raised at its own position, after the elements before it."""
    seen = []
    with pytest.raises(KeyError, match="element five"):
        for x in D.range(10).map(_fails_at_5).batch(1).prefetch(2):
            seen.append(int(S.asnumpy(x._v)[0]))
    assert seen == [0, 1, 2, 3, 4]


def test_standin_pinned_buffers_live_until_their_copy_ran(standin):
    ds = D.from_tensor_slices(np.arange(12, dtype=np.int32)).batch(2).prefetch(3)
    got = [S.asnumpy(b._v).tolist() for b in ds]
    assert got == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]


def test_standin_map_before_batch_stacks_on_the_device(standin):
    ds = D.range(5).map(lambda x: tf.cast(x, tf.float32) * 2.0).batch(2)
    got = [b for b in ds]
    assert all(type(b._v) is S.StandinArray for b in got)
    assert [S.asnumpy(b._v).tolist() for b in got] == [[0., 2.], [4., 6.], [8.]]
    assert [a.tolist() for a in ds.as_numpy_iterator()] == [[0., 2.], [4., 6.], [8.]]


def test_benchmark_has_help():
    import subprocess
    r = subprocess.run([sys.executable, str(HERE.parent / "benchmarks" / "data_pipeline.py"), "--help"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--epochs" in r.stdout and "shuffle(1024)" in r.stdout


# ---------------------------------------------------------------- a real GPU

@pytest.mark.gpu
def test_gpu_prefetch_to_device_gives_the_batches_of_plain_iteration():
    cp = backend.get_xp()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 17)).astype(np.float32)
    y = rng.integers(0, 10, 1000).astype(np.int32)
    base = D.from_tensor_slices((x, y)).shuffle(256, seed=4, reshuffle_each_iteration=False).batch(64)
    host = _host_batches(base)
    plain = [(cp.asnumpy(a._v), cp.asnumpy(b._v)) for a, b in base]
    s = cp.cuda.Stream(non_blocking=True)
    with s:            # a consumer on its own stream, with work in flight between batches
        fetched = []
        for a, b in base.prefetch(3):
            fetched.append((cp.asnumpy((a * 1.0)._v), cp.asnumpy(b._v)))
            _ = cp.ones((2048, 2048), cp.float32) @ cp.ones((2048, 2048), cp.float32)
    for (hx, hy), (px, py), (fx, fy) in zip(host, plain, fetched, strict=True):
        assert np.array_equal(hx, px) and np.array_equal(hx, fx)
        assert np.array_equal(hy, py) and np.array_equal(hy, fy)
