"""One rank of a tests/test_distribute.py scenario: ``mpiexec -n 2 python tests/dist_worker.py SCENARIO``.

Each rank writes its result to ``$DIST_OUT/rank<R>.json`` (printed as a ``RESULT`` line without
$DIST_OUT), which the test reads; an exception here aborts both ranks (gputape.distribute's excepthook)
and fails the test.
"""
import json
import os
import sys

import numpy as np

import gputape as tf
import gputape.distribute as dist


def emit(**kw):
    """Write this rank's result to $DIST_OUT/rank<R>.json (stdout of the ranks interleaves)."""
    out = os.environ.get("DIST_OUT")
    if out is None:
        print("RESULT " + json.dumps(kw), flush=True)
        return
    with open(os.path.join(out, f"rank{dist.rank()}.json"), "w") as f:
        json.dump(kw, f)


def digits_batches(steps, batch):
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x = ((x - x.mean()) / x.std()).astype(np.float32)
    y = y.astype(np.int32)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        idx = rng.choice(len(y), batch, replace=False)
        yield x[idx], y[idx]


def mlp():
    L = tf.keras.layers
    net = tf.keras.Sequential([L.Dense(128, activation="relu"), L.Dense(128, activation="relu"), L.Dense(10)])
    net.build((None, 64))
    return net


def train(net, opt, batches, distributed):
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for xb, yb in batches:
        if distributed:      # this rank's contiguous half of the global batch
            n = len(yb) // dist.size()
            xb, yb = xb[dist.rank() * n:(dist.rank() + 1) * n], yb[dist.rank() * n:(dist.rank() + 1) * n]
        with tf.GradientTape() as tape:
            loss = loss_fn(tf.constant(yb), net(tf.constant(xb), training=True))
        if distributed:
            tape = dist.DistributedGradientTape(tape)
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))


def weights(net):
    return [v.numpy() for v in net.trainable_variables]


def scenario_mlp():
    """20 Adam steps on 128-example digits batches, split 64/64 over the ranks, vs one process on the
    whole batch (computed on every rank after the distributed run)."""
    tf.random.set_seed(0)
    net = mlp()
    opt = tf.optimizers.Adam(1e-3)
    dist.broadcast_variables(net.variables)
    train(net, opt, digits_batches(20, 128), distributed=True)
    mine = weights(net)
    counts = dict(dist._group.counts)
    blobs = dist.allgather_object(b"".join(a.tobytes() for a in mine))
    out = dict(rank=dist.rank(), bit_equal=all(b == blobs[0] for b in blobs), counts=counts)
    if dist.rank() == 0:      # the single process on the whole batch, same seed
        tf.random.set_seed(0)
        ref = mlp()
        train(ref, tf.optimizers.Adam(1e-3), digits_batches(20, 128), distributed=False)
        out["max_abs_diff"] = max(float(np.max(np.abs(a - b))) for a, b in zip(mine, weights(ref)))
        out["max_abs_weight"] = max(float(np.max(np.abs(b))) for b in weights(ref))
    emit(**out)


def scenario_broadcast():
    tf.random.set_seed(100 + dist.rank())          # different initial weights on each rank
    net = mlp()
    opt = tf.optimizers.Adam(1e-3)
    x = tf.constant(np.ones((4, 64), np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(net(x))
    opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
    before = dist.allgather_object([w.tobytes() for w in weights(net)])
    dist.broadcast_variables(net.variables + opt.variables, root_rank=1)
    after = dist.allgather_object([v.numpy().tobytes() for v in net.variables + opt.variables])
    root = [v.numpy().tobytes() for v in net.variables + opt.variables]
    emit(rank=dist.rank(), differed_before=before[0] != before[1], equal_after=after[0] == after[1],
         n=len(root))


def scenario_none():
    a = tf.Variable([1.0, 2.0])
    b = tf.Variable([[3.0]], dtype=tf.float64)
    c = tf.Variable([5.0])          # unused: None on every rank
    r = float(dist.rank() + 1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(a * r) + tf.reduce_sum(tf.cast(b, tf.float32) * r)
    g = dist.DistributedGradientTape(tape, op=dist.Sum).gradient(loss, {"a": a, "b": b, "c": c})
    emit(rank=dist.rank(), a=g["a"].numpy().tolist(), b=g["b"].numpy().tolist(), b_dtype=g["b"].dtype.name,
         c_is_none=g["c"] is None, counts=dict(dist._group.counts))


def scenario_mismatch():
    a, b = tf.Variable([1.0, 2.0]), tf.Variable([3.0])
    with tf.GradientTape() as tape:       # rank 1 does not use b: its gradient is None there only
        loss = tf.reduce_sum(a) + (tf.reduce_sum(b) if dist.rank() == 0 else 0.0)
    try:
        dist.DistributedGradientTape(tape).gradient(loss, [a, b])
    except ValueError as e:
        emit(rank=dist.rank(), error=str(e))
        return
    emit(rank=dist.rank(), error=None)


def scenario_raise():
    dist.barrier()
    if dist.rank() == 1:
        raise RuntimeError("boom on purpose")
    dist.barrier()                         # rank 0 waits here until the abort
    emit(rank=0, error="rank 0 passed the barrier")


def scenario_timeout():
    dist.init(timeout=1.5)
    if dist.rank() == 0:
        dist.barrier()
    else:
        import time
        time.sleep(30)


def scenario_ops():
    r = dist.rank()
    x = tf.constant([1.0, 2.0, 3.0]) * (r + 1)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s = dist.allreduce(x, dist.Sum)
        m = dist.allreduce(x)                  # Average
        gath = dist.allgather(tf.reshape(x[: r + 1], (r + 1, 1)))
        b = dist.broadcast(x, root_rank=1)
        loss_s = tf.reduce_sum(s * s)
    out = dict(rank=r, sum=s.numpy().tolist(), avg=m.numpy().tolist(), gathered=gath.numpy().ravel().tolist(),
               bcast=b.numpy().tolist(), maxed=dist.allreduce(x, dist.Max).numpy().tolist(),
               grad_sum=tape.gradient(loss_s, x).numpy().tolist(),
               grad_gather=tape.gradient(gath, x).numpy().tolist(),
               grad_bcast=tape.gradient(b, x).numpy().tolist(),
               obj=dist.broadcast_object({"from": r}, root_rank=1), objs=dist.allgather_object(r * 10),
               shard=dist.shard(np.arange(5)).tolist())
    v = tf.Variable(np.full(5, 1.0 + 1e-4 * r, np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(v * v)
    out["fp16"] = dist.DistributedGradientTape(tape, compression=dist.Compression.fp16).gradient(loss, v).numpy().tolist()
    try:
        dist.allreduce(tf.constant(np.zeros(r + 1, np.float32)))
    except ValueError as e:
        out["shape_error"] = str(e)
    emit(**out)


def scenario_checkpoint():
    """Both ranks save through one CheckpointManager directory with different values: only rank 0 writes,
    and after a barrier every rank restores rank 0's values."""
    d = os.environ["DIST_OUT"]
    v = tf.Variable([1.0, 2.0]) if dist.rank() == 0 else tf.Variable([-5.0, -6.0])
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), os.path.join(d, "ckpt"), max_to_keep=2)
    paths = [manager.save() for _ in range(3)]
    dist.barrier()
    v.assign([0.0, 0.0])
    tf.train.Checkpoint(v=v).restore(tf.train.latest_checkpoint(os.path.join(d, "ckpt")))
    emit(rank=dist.rank(), paths=[os.path.basename(p) for p in paths], restored=v.numpy().tolist(),
         files=sorted(f for f in os.listdir(os.path.join(d, "ckpt"))))


def scenario_nccl():
    """5 steps of the digits MLP over MPI on NumPy, then the same 5 over the NCCL path with the CuPy
    stand-in as backend and tests/nccl_standin.py as cupy.cuda.nccl (NOT A GPU, NOT NCCL)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cupy_standin
    import nccl_standin
    from gputape import backend, kernels, op
    from gputape.ops import creation

    def run():
        tf.random.set_seed(0)
        net = mlp()
        dist.broadcast_variables(net.variables)
        train(net, tf.optimizers.Adam(1e-3), digits_batches(5, 128), distributed=True)
        return [np.asarray(v._v) for v in net.trainable_variables]

    dist.init(backend="mpi", timeout=60)
    ref = run()
    dist.shutdown()
    backend.set_backend("numpy")
    backend.xp, backend.name = cupy_standin.cupy, "cupy"
    backend._cupy, backend._cupyx = cupy_standin.cupy, cupy_standin.cupyx
    creation.random._gen, creation.random._op_gens = None, {}
    cupy_standin.full_api()
    kernels.KernelRef.__call__ = lambda self, xp, *arrays, **params: None    # every op on its NumPy twin
    op._replan_all()
    dist._nccl_module = lambda: nccl_standin
    dist.init(timeout=60)
    mine = run()
    allreduces = sum(1 for c in nccl_standin.calls if c[0] == "allReduce")
    blobs = dist.allgather_object(b"".join(a.tobytes() for a in mine))
    emit(rank=dist.rank(), backend=dist.backend(), allreduces=allreduces,
         array_class=type(mlp().trainable_variables[0]._v).__name__,
         same_as_mpi=all(np.allclose(a, b, rtol=0, atol=1e-6) for a, b in zip(mine, ref)),
         bit_equal=all(b == blobs[0] for b in blobs))


if __name__ == "__main__":
    name = sys.argv[1]
    if name not in ("timeout", "nccl"):
        dist.init(timeout=float(sys.argv[2]) if len(sys.argv) > 2 else 60)
    globals()["scenario_" + name]()
    dist.shutdown()
