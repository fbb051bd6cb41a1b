"""A stand-in for CuPy's ``cupy.cuda.nccl`` over the CuPy stand-in's arrays (tests/cupy_standin.py).
NOT NCCL and NOT A GPU.

``NcclCommunicator`` takes the same arguments as CuPy's (device pointers as ints, element counts,
NCCL datatype and op constants, a stream pointer), records every call in ``calls`` as
(method, count, datatype, op or root), reads and writes the memory at those pointers, and carries
the data over MPI (mpi4py) between the ranks: with one rank the collective is a copy.  So a test checks
which collectives gputape's NCCL path issues, with what counts and types, and that the results are
right, without a GPU.
"""
import ctypes

import numpy as np

available = True
NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32, NCCL_INT64, NCCL_UINT64 = 0, 1, 2, 3, 4, 5
NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 6, 7, 9
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN = 0, 1, 2, 3
_NP = {NCCL_INT8: np.int8, NCCL_UINT8: np.uint8, NCCL_INT32: np.int32, NCCL_UINT32: np.uint32,
       NCCL_INT64: np.int64, NCCL_UINT64: np.uint64, NCCL_FLOAT16: np.float16, NCCL_FLOAT32: np.float32,
       NCCL_FLOAT64: np.float64}

calls = []
unique_ids = []


def get_unique_id():
    uid = tuple(int(b) for b in np.random.default_rng().integers(0, 256, 128))
    unique_ids.append(uid)
    return uid


def get_version():
    return 0


def _view(ptr, count, datatype):
    dt = np.dtype(_NP[datatype])
    buf = (ctypes.c_char * (count * dt.itemsize)).from_address(ptr)
    return np.frombuffer(buf, dt, count)


class NcclCommunicator:
    def __init__(self, ndev, commId, rank):
        assert isinstance(commId, tuple) and len(commId) == 128, "unique id as CuPy's get_unique_id gives it"
        self.ndev, self.rank = ndev, rank
        self.mpi = None
        if ndev > 1:
            from mpi4py import MPI
            self.mpi = MPI
            ids = MPI.COMM_WORLD.allgather(commId)
            assert all(i == commId for i in ids), "every rank must pass rank 0's unique id"
        calls.append(("init", ndev, rank, None))

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        calls.append(("allReduce", count, datatype, op))
        send, recv = _view(sendbuf, count, datatype), _view(recvbuf, count, datatype)
        if self.mpi is None:
            recv[...] = send
            return
        m = self.mpi
        mop = {NCCL_SUM: m.SUM, NCCL_PROD: m.PROD, NCCL_MAX: m.MAX, NCCL_MIN: m.MIN}[op]
        if sendbuf == recvbuf:
            m.COMM_WORLD.Allreduce(m.IN_PLACE, recv, mop)
        else:
            m.COMM_WORLD.Allreduce(send, recv, mop)

    def bcast(self, buff, count, datatype, root, stream):
        calls.append(("bcast", count, datatype, root))
        if self.mpi is not None:
            self.mpi.COMM_WORLD.Bcast(_view(buff, count, datatype), root)

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):
        calls.append(("allGather", count, datatype, None))
        send, recv = _view(sendbuf, count, datatype), _view(recvbuf, count * self.ndev, datatype)
        if self.mpi is None:
            recv[...] = send
        else:
            self.mpi.COMM_WORLD.Allgather(send.copy(), recv)

    def destroy(self):
        calls.append(("destroy", None, None, None))
