"""Issue 12, the speed half: what ``gputape.replay`` simplifies when it compiles a recorded program, each
checked bit for bit against eager calls (NumPy), and the value checks eager makes outside ops that a
replay must make too.
"""
import warnings

import numpy as np
import pytest

import gputape as tf
from gputape import replay as _replay


def _mlp(opt, seed=0, constraint=None):
    rng = np.random.default_rng(seed)
    w1 = tf.Variable(rng.standard_normal((8, 16)).astype(np.float32) * 0.3, constraint=constraint)
    b1 = tf.Variable(np.zeros(16, np.float32))
    w2 = tf.Variable(rng.standard_normal((16, 3)).astype(np.float32) * 0.3)
    vs = [w1, b1, w2]

    def step(x, y):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(x @ w1 + b1)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, h @ w2))
        opt.apply_gradients(zip(tape.gradient(loss, vs), vs))
        return loss
    return step, vs, opt


def _data(n, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 32, 8)).astype(np.float32), rng.integers(0, 3, (n, 32)))


def _program(f):
    prog, = f._programs.values()
    assert isinstance(prog, _replay.Program), prog
    return prog


def _same_state(v1, o1, v2, o2):
    assert all(np.array_equal(p.numpy(), q.numpy()) for p, q in zip(v1, v2))
    assert all(np.array_equal(p.numpy(), q.numpy()) for p, q in zip(o1.variables, o2.variables))


OPTS = {"sgd": lambda: tf.optimizers.SGD(0.1), "sgd_nesterov": lambda: tf.optimizers.SGD(0.1, 0.9, True),
        "adam": lambda: tf.optimizers.Adam(0.01), "adam_amsgrad": lambda: tf.optimizers.Adam(0.01, amsgrad=True),
        "rmsprop_centered": lambda: tf.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
        "adagrad": lambda: tf.optimizers.Adagrad(0.1), "adamw": lambda: tf.optimizers.AdamW(0.01)}


@pytest.mark.parametrize("name", sorted(OPTS))
def test_optimizer_step_replayed_without_its_wrapper_bit_equal(name):
    xs, ys = _data(30)
    eager, v1, o1 = _mlp(OPTS[name]())
    step, v2, o2 = _mlp(OPTS[name]())
    f = tf.function(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for i in range(30):
            a = eager(tf.constant(xs[i]), tf.constant(ys[i]))
            b = f(tf.constant(xs[i]), tf.constant(ys[i]))
            assert np.array_equal(a.numpy(), b.numpy()), i
    _same_state(v1, o1, v2, o2)
    assert int(o2.iterations.numpy()) == 30
    prog = _program(f)
    # AdamW has a weight decay: its step runs the whole apply_gradients
    assert prog.n_fast_calls == (0 if name == "adamw" else 1), (
        "the optimizer step is no longer replayed without its wrapper: if gputape/optimizers.py's "
        "apply_gradients flow changed, check replay._OptimizerStep against it and update _OPT_FLOW_SHA1 "
        "(gputape.replay_twins.pins() gives the new one)")
    if name in ("sgd", "adam") and tf.backend_name() == "numpy":       # (the twins write NumPy scratch buffers)
        step, = [s for s in prog.steps if isinstance(s, _replay._OptimizerStep)]
        assert step.twin is not None, (
            f"{name}'s update no longer has its scratch-buffer twin: if gputape/optimizers.py's {name} _update "
            f"changed, check replay._{'Adam' if name == 'adam' else 'SGD'}Twin against it and update its SHA1 "
            f"(gputape.replay_twins.pins() gives the new one)")


def test_optimizer_settings_changed_after_the_trace_are_honoured():
    """Clipping, a constraint and a new learning rate set between replays: the shortcut steps aside."""
    xs, ys = _data(12)
    eager, v1, o1 = _mlp(tf.optimizers.Adam(0.01))
    step, v2, o2 = _mlp(tf.optimizers.Adam(0.01))
    f = tf.function(step)
    for i in range(12):
        if i == 3:
            o1.clipnorm = o2.clipnorm = 0.01
        if i == 6:
            o1.clipnorm = o2.clipnorm = None
            v1[0].constraint = v2[0].constraint = lambda w: tf.clip_by_value(w, -0.1, 0.1)
        if i == 9:
            v1[0].constraint = v2[0].constraint = None
            o1.learning_rate = o2.learning_rate = 0.5
        a = eager(tf.constant(xs[i]), tf.constant(ys[i]))
        b = f(tf.constant(xs[i]), tf.constant(ys[i]))
        assert np.array_equal(a.numpy(), b.numpy()), i
        _same_state(v1, o1, v2, o2)
    assert f.experimental_get_tracing_count() == 2     # TF 2.21: the first call creates Adam's slots


def test_a_gathered_gradient_with_a_repeated_id_is_refused_on_replay_as_eagerly():
    emb = tf.keras.layers.Embedding(5, 2)
    opt = tf.keras.optimizers.Adam(0.1)
    emb(tf.constant([0]))

    @tf.function
    def step(ids):
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(emb(ids))
        opt.apply_gradients(zip(t.gradient(loss, emb.trainable_variables), emb.trainable_variables))
        return loss
    step(tf.constant([0, 1]))
    step(tf.constant([0, 2]))
    assert isinstance(_program(step), _replay.Program)
    with pytest.raises(NotImplementedError, match="repeated index"):
        step(tf.constant([1, 1]))


def test_ops_on_constants_fold_but_results_stay_fresh_arrays():
    w = tf.Variable(np.arange(6.0, dtype=np.float32).reshape(2, 3))

    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            y = tf.reduce_mean(tf.tanh(tf.matmul(x, w)))
        return t.gradient(y, w), tf.ones([3]) * 2.0
    x = tf.constant(np.ones((4, 2), np.float32))
    g1, c1 = f(x)
    g2, c2 = f(x)
    prog = _program(f)
    assert prog.n_folded >= 2                     # the gradient's seed broadcast and its division by the count
    assert g2._v is not g1._v and c2._v is not c1._v            # results: new arrays on every call
    with tf.GradientTape() as t:
        y = tf.reduce_mean(tf.tanh(tf.matmul(x, w)))
    assert np.array_equal(t.gradient(y, w).numpy(), g2.numpy())
    assert c2.numpy().tolist() == [2.0, 2.0, 2.0]


def test_a_variable_buffer_of_another_shape_turns_the_checks_back_on():
    """Ops whose shape checks passed at the trace skip them on replay; a Variable whose buffer no longer
    has the traced shape (only reachable through internals) makes the rest of the call check again."""
    v = tf.Variable(np.ones((2, 2), np.float32))
    f = tf.function(lambda x: tf.matmul(x, v))
    x = tf.constant(np.ones((1, 2), np.float32))
    f(x)
    assert f(x).numpy().tolist() == [[2.0, 2.0]]
    from gputape import backend
    xp = backend.get_xp()                  # the backend's arrays (a CuPy run swaps in CuPy buffers)
    v._v = xp.ones((3, 3), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Matrix size-incompatible"):
        f(x)
    v._v = xp.ones((2, 3), np.float32)
    assert f(x).numpy().tolist() == [[2.0, 2.0, 2.0]]


def _eager_and_replayed(fn, good, bad):
    """``fn`` under gputape.function: traced and replayed on ``good`` arguments, then ``bad`` ones raise on
    replay what they raise eagerly (the check the op's wrapper makes on the host)."""
    f = tf.function(fn)
    for g in good:
        assert np.array_equal(f(*g).numpy(), fn(*g).numpy())
    assert isinstance(_program(f), _replay.Program)
    def outcome(g):
        try:          # (on CuPy an index check raises at the next read, and a bad label gives NaN, as TF's GPU)
            return g(*bad).numpy()
        except Exception as e:          # noqa: BLE001
            return e
    eager, replayed = outcome(fn), outcome(f)
    if isinstance(eager, Exception):
        assert type(replayed) is type(eager) and str(replayed) == str(eager)
    else:
        assert tf.backend_name() == "cupy" and np.array_equal(replayed, eager, equal_nan=True)
    assert f.experimental_get_tracing_count() == 1


def test_sparse_xent_label_range_is_checked_on_replay():
    logits = tf.constant(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    fn = lambda y: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)  # noqa: E731
    _eager_and_replayed(fn, [(tf.constant([0, 1, 2, 1]),), (tf.constant([2, 2, 0, 1]),)],
                        (tf.constant([0, 1, 2, -1]),))
    _eager_and_replayed(fn, [(tf.constant([0, 1, 2, 1]),), (tf.constant([1, 1, 2, 1]),)], (tf.constant([0, 3, 2, 1]),))


@pytest.mark.parametrize("bad", [-1, 5])
def test_gather_index_range_is_checked_on_replay(bad):
    x = tf.constant(np.arange(10.0, dtype=np.float32).reshape(5, 2))
    _eager_and_replayed(lambda i: tf.gather(x, i), [(tf.constant([0, 1]),), (tf.constant([4, 2]),)],
                        (tf.constant([0, bad]),))
    _eager_and_replayed(lambda i: tf.gather(x, i, axis=0, batch_dims=0) * 2.0, [(tf.constant([[0], [1]]),), (tf.constant([[3], [1]]),)],
                        (tf.constant([[0], [bad]]),))
    _eager_and_replayed(lambda i: tf.gather_nd(x, i), [(tf.constant([[0, 1], [4, 0]]),), (tf.constant([[1, 1], [2, 0]]),)],
                        (tf.constant([[0, 1], [bad, 0]]),))


def test_unsorted_segment_ids_are_checked_on_replay():
    data = tf.constant(np.arange(4.0, dtype=np.float32))
    _eager_and_replayed(lambda ids: tf.math.unsorted_segment_sum(data, ids, 3),
                        [(tf.constant([0, 1, 2, 0]),), (tf.constant([2, -1, 2, 0]),)], (tf.constant([0, 1, 3, 0]),))


def _twin_cases(rng):
    import sys
    L, N = sys.modules["gputape.ops.linalg"], sys.modules["gputape.ops.nn"]
    f = lambda *s, dt=np.float32: rng.standard_normal(s).astype(dt)  # noqa: E731
    odd = np.array([0.0, -0.0, 1e-38, -3.0, np.inf, -np.inf, np.nan, 88.0], np.float32)
    for dt in (np.float32, np.float64):
        for ta in (False, True):
            for tb in (False, True):
                a = f(5, 7, dt=dt) if not ta else f(7, 5, dt=dt)
                b = f(7, 3, dt=dt) if not tb else f(3, 7, dt=dt)
                yield "matmul", L._matmul, [a, b], {"ta": ta, "tb": tb}
        for act in ("relu", "tanh", "linear"):
            x = f(6, 8, dt=dt)
            x[0] = odd.astype(dt)
            yield "bias_act", N.bias_act, [x, f(8, dt=dt)], {"activation": act}
        for act in ("relu", "tanh", "sigmoid", "linear"):
            y = f(6, 8, dt=dt)
            y[0] = odd.astype(dt)
            yield "act_bias_grad", N.act_bias_grad, [y, f(6, 8, dt=dt)], {"activation": act}
            yield "act_bias_grad", N.act_bias_grad, [y, f(2, 6, 8, dt=dt)], {"activation": act}   # batch axis
        logits = f(9, 4, dt=dt)
        logits[0] = [3.0, 3.0, -np.inf, 1.0]
        logits[1] = [np.inf, 0.0, 0.0, 0.0]
        labels = rng.integers(0, 4, 9)
        for li in (labels, labels.astype(np.int32)):
            yield "sparse_softmax_cross_entropy_with_logits", N.sparse_xent, [li, logits], {}
        yield "sparse_xent_grad", N.sparse_xent_grad, [np.abs(f(9, 4, dt=dt)), labels, f(9, dt=dt)], {}
        R = sys.modules["gputape.ops.reduce"]
        for shape, axes in (((128,), (0,)), ((7,), (0,)), ((3, 100), (1,)), ((100, 3), (0,)), ((4, 5, 70), (0, 2)),
                            ((6,), ()), ((0, 3), (0,))):
            for kd in (False, True):
                x = f(*shape, dt=dt)
                if x.size:
                    x.reshape(-1)[0] = 1e30
                yield "reduce_mean", R._mean, [x], {"axes": axes, "keepdims": kd}


def test_op_twins_are_pinned_and_bit_equal_to_the_forwards():
    from gputape import replay_twins
    seen = set()
    for name, op, arrays, params in _twin_cases(np.random.default_rng(3)):
        assert replay_twins.pinned(name), (
            f"the forward that replay_twins' {name} twin mirrors changed: check the twin against it and "
            f"update its sha1 in replay_twins._TWINS (replay_twins.pins() gives the new one)")
        n = len(arrays)
        outs = tuple(range(n, n + op.nout)) if op.nout > 1 else n
        step = replay_twins.compile_op(op, tuple(range(n)), outs, params, arrays)
        if step is None and name == "reduce_mean":
            continue                    # (a shape for which the sum takes its Eigen-order path: no twin)
        assert step is not None, (name, params)
        r = list(arrays) + [None] * op.nout
        with np.errstate(all="ignore"):
            step(r, None)
            want = op.fwd(np, *arrays, **params)
        got = tuple(r[n:]) if op.nout > 1 else r[n]
        for w, g in zip(want if op.nout > 1 else (want,), got if op.nout > 1 else (got,)):
            assert w.dtype == g.dtype and w.shape == g.shape, (name, params)
            assert np.array_equal(w, g, equal_nan=True) and np.array_equal(np.signbit(w), np.signbit(g)), \
                (name, params)
        seen.add(name)
    assert seen == set(replay_twins._TWINS)


def test_constants_over_user_memory_do_not_fold():
    """A NumPy array the function converts (or a tensor captured from outside) shares the user's memory:
    an eager call sees it written between calls, so an op on it is not folded into a constant."""
    a = np.ones(3, np.float32)
    b = np.ones(3, np.float32)
    captured = tf.constant(b)
    f = tf.function(lambda x: x * tf.exp(tf.constant(a)) + tf.sqrt(captured))
    x = tf.constant(np.ones(3, np.float32))
    for k in range(4):
        a[:] = k
        b[:] = k + 1.0
        assert np.array_equal(f(x).numpy(), (x * tf.exp(tf.constant(a)) + tf.sqrt(captured)).numpy()), k
    assert isinstance(_program(f), _replay.Program) and _program(f).n_folded == 0


def test_numpy_warnings_turned_into_errors_replay_as_eagerly():
    """With RuntimeWarning made an error, the dispatch computes an op's inf/nan quietly; a replayed (or
    twin) op does the same."""
    w = tf.Variable(np.ones((3, 2), np.float32))

    def fn(x, y):
        h = tf.nn.relu(tf.matmul(x, w))
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(y, h * 1e38)
        return tf.reduce_mean(loss) + tf.reduce_sum(tf.math.log(x))
    f = tf.function(fn)
    x = tf.constant(np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 1.0]], np.float32))
    y = tf.constant([0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for _ in range(3):
            assert np.array_equal(f(x, y).numpy(), fn(x, y).numpy(), equal_nan=True)
    assert isinstance(_program(f), _replay.Program)


def test_every_pin_matches():
    from gputape import replay_twins
    stale = {k: v for k, v in replay_twins.pins().items() if v[1] not in v[0]}
    assert not stale, f"code mirrored by the replay changed since it was pinned (pinned, now): {stale}"
