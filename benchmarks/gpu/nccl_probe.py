"""Device proof of gputape.distribute's NCCL path (benchmarks/gpu/prove.sh stage 7).

    python benchmarks/gpu/nccl_probe.py            # 1 rank: CuPy's NCCL communicator on device 0
    mpiexec -n 2 python benchmarks/gpu/nccl_probe.py   # one GPU per rank (prove.sh does it with 2+ GPUs)

Prints PASS/FAIL/SKIP lines:
  A  a 1-rank (or N-rank) ``cupy.cuda.nccl.NcclCommunicator`` allReduce of 10M float32 on the device:
     right values, time;
  B  gputape.distribute.init(backend="nccl") (needs mpi4py: SKIP without) and a DistributedGradientTape
     step of a small MLP on CuPy: gradients equal the local ones x size (Sum) / the same (Average), one
     NCCL allReduce per dtype buffer, arrays stay CuPy arrays.
Without a CUDA device or without NCCL in CuPy every check prints SKIP and the exit status is 0.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def main():
    try:
        import cupy as cp
        n_dev = cp.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001
        print(f"SKIP A nccl allreduce: no CUDA device through CuPy ({type(e).__name__}: {e})")
        print("SKIP B distribute nccl: no CUDA device")
        return 0
    try:
        from cupy.cuda import nccl
        version = nccl.get_version()
    except Exception as e:  # noqa: BLE001
        print(f"SKIP A nccl allreduce: cupy.cuda.nccl unavailable ({type(e).__name__}: {e})")
        print("SKIP B distribute nccl: no NCCL")
        return 0
    rank, size, comm_mpi = 0, 1, None
    try:
        from mpi4py import MPI
        comm_mpi = MPI.COMM_WORLD
        rank, size = comm_mpi.Get_rank(), comm_mpi.Get_size()
    except ImportError:
        pass
    if size > n_dev:
        print(f"SKIP A nccl allreduce: {size} ranks but {n_dev} devices")
        return 0
    cp.cuda.Device(rank).use()
    tag = f"[rank {rank} of {size}, NCCL {version}, {n_dev} device(s)]"

    # A: the communicator itself
    try:
        uid = nccl.get_unique_id() if rank == 0 else None
        if comm_mpi is not None:
            uid = comm_mpi.bcast(uid, root=0)
        comm = nccl.NcclCommunicator(size, uid, rank)
        x = cp.full(10_000_000, float(rank + 1), cp.float32)
        y = cp.empty_like(x)
        stream = cp.cuda.get_current_stream()
        comm.allReduce(x.data.ptr, y.data.ptr, x.size, nccl.NCCL_FLOAT32, nccl.NCCL_SUM, stream.ptr)
        stream.synchronize()
        ts = []
        for _ in range(10):
            t0 = time.perf_counter()
            comm.allReduce(x.data.ptr, y.data.ptr, x.size, nccl.NCCL_FLOAT32, nccl.NCCL_SUM, stream.ptr)
            stream.synchronize()
            ts.append(time.perf_counter() - t0)
        want = size * (size + 1) / 2
        ok = bool(cp.all(y == want))
        ts.sort()
        print(f"{'PASS' if ok else 'FAIL'} A nccl allreduce 10M float32 {tag}: values {'right' if ok else 'WRONG'}, "
              f"median {ts[len(ts) // 2] * 1e3:.3f} ms")
        comm.destroy()
    except Exception as e:  # noqa: BLE001
        print(f"FAIL A nccl allreduce {tag}: {type(e).__name__}: {e}")

    # B: gputape.distribute over NCCL
    if comm_mpi is None:
        print("SKIP B distribute nccl: mpi4py not installed (the unique id goes over MPI)")
        return 0
    try:
        os.environ.setdefault("GPUTAPE_BACKEND", "cupy")
        import numpy as np
        import gputape as tf
        import gputape.distribute as dist
        dist.init(timeout=60)
        assert dist.backend() == "nccl", dist.backend()
        w1 = tf.Variable(np.linspace(-1, 1, 64 * 32, dtype=np.float32).reshape(64, 32))
        w2 = tf.Variable(np.linspace(-1, 1, 32 * 10, dtype=np.float32).reshape(32, 10))
        w3 = tf.Variable(np.ones(10, np.float64))
        x = tf.constant(np.linspace(0, 1, 8 * 64, dtype=np.float32).reshape(8, 64))

        def loss_of():
            return tf.reduce_sum(tf.nn.relu(x @ w1) @ w2) + tf.cast(tf.reduce_sum(w3 * w3), tf.float32)
        with tf.GradientTape() as tape:
            loss = loss_of()
        local = tape.gradient(loss, [w1, w2, w3])
        calls = []

        class Counting:              # the real communicator, its allReduce calls counted
            def __init__(self, real):
                self.real = real

            def allReduce(self, *a):
                calls.append(a[2])
                return self.real.allReduce(*a)

            def __getattr__(self, name):
                return getattr(self.real, name)
        dist._group.nccl.comm = Counting(dist._group.nccl.comm)
        with tf.GradientTape() as tape:
            loss = loss_of()
        summed = dist.DistributedGradientTape(tape, op=dist.Sum).gradient(loss, [w1, w2, w3])
        cp.cuda.get_current_stream().synchronize()
        ok = all(isinstance(g._v, cp.ndarray) for g in summed) and all(
            bool(cp.allclose(s._v, l._v * size, rtol=1e-6)) for s, l in zip(summed, local))
        ok = ok and len(calls) == 2
        print(f"{'PASS' if ok else 'FAIL'} B distribute nccl DistributedGradientTape {tag}: "
              f"{len(calls)} allReduce calls (want 2: float32 packed {calls[:1]}, float64), "
              f"values {'right' if ok else 'WRONG'}")
        dist.shutdown()
    except Exception as e:  # noqa: BLE001
        print(f"FAIL B distribute nccl {tag}: {type(e).__name__}: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
