"""gputape.distribute on this machine's CPU cores (NumPy backend, MPI through mpi4py).

    mpiexec -n 2 python benchmarks/distribute_bench.py [--repeats 15] [--json FILE]

Measures, on every rank at once (rank 0 prints):

1. the allreduce of a 10M-float32 buffer (40 MB): ``gputape.distribute.allreduce(t, Sum)`` and
   ``DistributedGradientTape``'s reduction of one 10M gradient (``reduce_gradients``) against mpi4py's
   own ``comm.Allreduce(send, recv, MPI.SUM)`` on the same buffer (median of --repeats, after a warm-up);
2. the digits MLP (64-128-128-10, Adam) train step at 128 examples per rank: the step with
   ``DistributedGradientTape`` against the same step with the plain tape (no communication), and the
   gradient reduction alone (ranks lined up first), and the plain step followed by an MPI barrier (the
   cost of lining the ranks up every step, which any synchronous data-parallel step pays).

Medians of wall time; the ranks are lined up with a barrier before each timed call.  Run with 1 rank
too (``python benchmarks/distribute_bench.py``) for the single-process step time.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gputape as tf  # noqa: E402
import gputape.distribute as dist  # noqa: E402


def median_time(fn, repeats, comm):
    fn()
    ts = []
    for _ in range(repeats):
        comm.Barrier()
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    # the slowest rank's time for each call, then the median over calls
    ts = np.max(np.array(comm.allgather(ts)), axis=0)
    return float(np.median(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--steps", type=int, default=30, help="train steps timed per variant")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    dist.init()
    from mpi4py import MPI
    comm = dist._group.comm
    r, n = dist.rank(), dist.size()
    res = {"ranks": n, "mpi": dist.mpi_version(), "numpy": np.__version__,
           "threads": os.environ.get("OMP_NUM_THREADS", "default")}

    # 1. 10M floats
    host = np.random.default_rng(r).standard_normal(10_000_000).astype(np.float32)
    t = tf.constant(host)
    recv = np.empty_like(host)
    res["allreduce_10M_mpi4py_s"] = median_time(lambda: comm.Allreduce(host, recv, MPI.SUM), a.repeats, comm)
    res["allreduce_10M_gputape_s"] = median_time(lambda: dist.allreduce(t, dist.Sum), a.repeats, comm)
    res["reduce_gradients_10M_s"] = median_time(lambda: dist.reduce_gradients([t], dist.Average), a.repeats, comm)
    two = [tf.constant(host[:5_000_000]), tf.constant(host[5_000_000:])]
    res["reduce_gradients_2x5M_packed_s"] = median_time(lambda: dist.reduce_gradients(two, dist.Average),
                                                        a.repeats, comm)
    res["ratio_allreduce_vs_mpi4py"] = res["allreduce_10M_gputape_s"] / res["allreduce_10M_mpi4py_s"]
    res["ratio_reduce_gradients_vs_mpi4py"] = res["reduce_gradients_10M_s"] / res["allreduce_10M_mpi4py_s"]

    # 2. the digits MLP step, 128 examples per rank
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x = ((x - x.mean()) / x.std()).astype(np.float32)
    rng = np.random.default_rng(r)
    idx = rng.choice(len(y), 128, replace=False)
    xb, yb = tf.constant(x[idx]), tf.constant(y[idx].astype(np.int32))
    tf.random.set_seed(0)
    L = tf.keras.layers
    net = tf.keras.Sequential([L.Dense(128, activation="relu"), L.Dense(128, activation="relu"), L.Dense(10)])
    net.build((None, 64))
    opt = tf.optimizers.Adam(1e-3)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    dist.broadcast_variables(net.variables)

    def step(distributed):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, net(xb, training=True))
        if distributed:
            tape = dist.DistributedGradientTape(tape)
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))

    def steps(distributed, barrier=False):
        def run():
            for _ in range(a.steps):
                step(distributed)
                if barrier:
                    comm.Barrier()
        return run

    grads = [tf.constant(v.numpy()) for v in net.trainable_variables]
    res["mlp_params"] = int(sum(v.numpy().size for v in net.trainable_variables))
    res["mlp_step_local_s"] = median_time(steps(False), 5, comm) / a.steps
    res["mlp_step_distributed_s"] = median_time(steps(True), 5, comm) / a.steps
    res["mlp_step_local_plus_barrier_s"] = median_time(steps(False, barrier=True), 5, comm) / a.steps
    res["mlp_gradient_reduction_s"] = median_time(lambda: dist.reduce_gradients(grads), a.repeats * 4, comm)
    res["mlp_allreduce_share_of_step"] = res["mlp_gradient_reduction_s"] / res["mlp_step_distributed_s"]
    res["mlp_step_overhead"] = res["mlp_step_distributed_s"] / res["mlp_step_local_s"] - 1
    if r == 0:
        print(json.dumps(res, indent=2))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=2)
    dist.shutdown()


if __name__ == "__main__":
    main()
