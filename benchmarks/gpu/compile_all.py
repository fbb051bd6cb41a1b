"""Stage 1 of the device proof: compile and load every kernel instance, read its resources back.

For every ``kernels/*.cu`` file: NVRTC compile through ``cupy.RawModule`` (gputape's own path,
``gputape.kernels._module``), every ``kernel<float|double|__half>`` fetched, and per instance the
registers, local memory (spills or a stack: a FAIL), static shared memory and the largest block it
can launch.  Times the first compile of each file (CuPy's disk cache may make it a load).
"""
import sys
import time

from common import cupy_or_exit, item, say, summary

_ATTR = {"num_regs": 4, "local_size_bytes": 3, "shared_size_bytes": 1, "max_threads_per_block": 0}


def attr(cupy, fn, name):
    v = getattr(fn, name, None)
    if v is None:
        v = cupy.cuda.driver.funcGetAttribute(_ATTR[name], fn.ptr)
    return int(v)


def main():
    cupy = cupy_or_exit("stage 1 compile")
    from gputape import kernels
    files = sorted(p.name for p in kernels.source_path("math.cu").parent.glob("*.cu"))
    print(f"{'kernel':34s} {'type':7s} {'regs':>4s} {'local':>5s} {'shared':>6s} {'maxTPB':>6s}")
    for f in files:
        with item(f"compile {f}"):
            t0 = time.perf_counter()
            kernels._module(f)
            dt = time.perf_counter() - t0
            names = kernels.kernel_names(f)
            bad = []
            for name in names:
                fns = {}
                for ctype in kernels.CTYPES:
                    fns[ctype] = kernels._module(f).get_function(f"{name}<{ctype}>")
                for ctype, fn in fns.items():
                    regs, local = attr(cupy, fn, "num_regs"), attr(cupy, fn, "local_size_bytes")
                    shared, tpb = attr(cupy, fn, "shared_size_bytes"), attr(cupy, fn, "max_threads_per_block")
                    print(f"{name:34s} {ctype:7s} {regs:4d} {local:5d} {shared:6d} {tpb:6d}")
                    if local:
                        bad.append(f"{name}<{ctype}> uses {local} B of local memory (spill or stack)")
                    if tpb < kernels.BLOCK:
                        bad.append(f"{name}<{ctype}> launches at most {tpb} threads per block < {kernels.BLOCK}")
            if bad:
                say("FAIL", f"compile {f}", "; ".join(bad))
            else:
                say("PASS", f"compile {f}", f"{len(names)} kernels x {len(kernels.CTYPES)} types in {dt:.2f} s, "
                                            f"no local memory")
    return summary("stage 1 compile")


if __name__ == "__main__":
    sys.exit(main())
