"""Every kernels/*.cu built for the host by g++ and launched through gputape.kernels' real launchers.

Used by tests/test_kernels.py (the kernels against their NumPy twins) and by the CuPy stand-in test
mode (``pytest --backend cupy-standin``: tests/conftest.py), where the stand-in's ``RawModule``
launches are these host builds.  NOT A GPU.
"""
import ctypes
import shutil
import subprocess

import numpy as np

from gputape import kernels

# Each kernels/*.cu file is compiled by g++ with the CUDA built-ins replaced by host code:
# every CUDA thread a std::thread (so __syncthreads and warp shuffles are real barriers), the
# blocks of a launch one after the other, __half as _Float16.  The launchers of
# gputape.kernels run unchanged with NumPy arrays as the device arrays, and every launch's
# arguments are checked against the kernel's C++ signature (count, pointer/scalar, type).


_SHIM = r"""
#pragma once
#include <math.h>
#include <string.h>
#include <atomic>
#include <barrier>
#include <thread>
#include <vector>
#include <utility>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct gt_dim3 { unsigned x, y, z; };
extern thread_local gt_dim3 threadIdx, blockIdx;
extern gt_dim3 blockDim, gridDim;

typedef _Float16 __half;
inline float __half2float(__half h) { return (float)h; }
inline __half __float2half_rn(float f) { return (__half)f; }
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline double __longlong_as_double(long long i) { double d; memcpy(&d, &i, 8); return d; }

struct gt_block { std::barrier<>* bar; double xchg[1024]; };
extern gt_block* gt_ctx;
inline void __syncthreads() { gt_ctx->bar->arrive_and_wait(); }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
template <typename V> V __shfl_xor_sync(unsigned, V v, int lane_mask) {
  unsigned t = threadIdx.x + threadIdx.y * blockDim.x;
  gt_ctx->xchg[t] = (double)v;
  __syncthreads();
  V r = (V)gt_ctx->xchg[t ^ lane_mask];
  __syncthreads();
  return r;
}
"""

_RUNNER = r"""
thread_local gt_dim3 threadIdx, blockIdx;
gt_dim3 blockDim, gridDim;
gt_block* gt_ctx;

template <typename X> static const char* gt_code() {
  typedef std::remove_cv_t<X> U;
  if constexpr (std::is_pointer_v<U>) {
    typedef std::remove_cv_t<std::remove_pointer_t<U>> P;
    if constexpr (std::is_same_v<P, __half>) return "p:f2";
    else if constexpr (std::is_same_v<P, float>) return "p:f4";
    else if constexpr (std::is_same_v<P, double>) return "p:f8";
    else if constexpr (std::is_same_v<P, bool>) return "p:b1";
    else if constexpr (std::is_same_v<P, int>) return "p:i4";
    else if constexpr (std::is_same_v<P, long long>) return "p:i8";
    else return "p:?";
  } else if constexpr (std::is_same_v<U, float>) return "f4";
  else if constexpr (std::is_same_v<U, double>) return "f8";
  else if constexpr (std::is_same_v<U, int>) return "i4";
  else if constexpr (std::is_same_v<U, long long>) return "i8";
  else return "?";
}

template <typename... A> static void gt_sig(void (*)(A...), char* out) {
  out[0] = 0;
  ((strcat(out, gt_code<A>()), strcat(out, ",")), ...);
}

template <typename... A, std::size_t... I>
static void gt_call(void (*k)(A...), void** args, std::index_sequence<I...>) {
  k(*static_cast<std::remove_reference_t<A>*>(args[I])...);
}

template <typename... A>
static void gt_launch(void (*k)(A...), void** args, unsigned gx, unsigned gy, unsigned bx, unsigned by) {
  gridDim = {gx, gy, 1};
  blockDim = {bx, by, 1};
  for (unsigned j = 0; j < gy; ++j)
    for (unsigned i = 0; i < gx; ++i) {
      std::barrier<> bar(bx * by);
      gt_block ctx{&bar, {}};
      gt_ctx = &ctx;
      std::vector<std::thread> ts;
      for (unsigned ty = 0; ty < by; ++ty)
        for (unsigned tx = 0; tx < bx; ++tx)
          ts.emplace_back([=] {
            blockIdx = {i, j, 0};
            threadIdx = {tx, ty, 0};
            gt_call(k, args, std::index_sequence_for<A...>{});
          });
      for (auto& t : ts) t.join();
    }
}
"""

_TAGS = {"float": "f", "double": "d", "__half": "h"}


class HostBuildUnavailable(Exception):
    pass


def build_host_kernels(root):
    """Build every kernels/*.cu for the host under ``root``: {file: ctypes.CDLL}."""
    gxx = shutil.which("g++")
    if gxx is None:
        raise HostBuildUnavailable("g++ not found")
    (root / "cuda_fp16.h").write_text(_SHIM)
    kdir = kernels.source_path("math.cu").parent
    procs = {}
    for f in _cu_files():
        lines = [f'#include "{kdir / f}"', _RUNNER]
        for n in kernels.kernel_names(f):
            for t, tag in _TAGS.items():
                lines.append(f'extern "C" void gt_launch_{n}_{tag}(void** a, unsigned gx, unsigned gy, unsigned bx, '
                             f'unsigned by) {{ gt_launch(&{n}<{t}>, a, gx, gy, bx, by); }}')
                lines.append(f'extern "C" void gt_sig_{n}_{tag}(char* out) {{ gt_sig(&{n}<{t}>, out); }}')
        src = root / f"{f}.cpp"
        src.write_text("\n".join(lines) + "\n")
        lib = root / f"{f}.so"
        cmd = [gxx, "-std=c++20", "-O1", "-ffp-contract=off", "-fPIC", "-shared", "-pthread", "-w",
               f"-I{root}", f"-I{kdir}", str(src), "-o", str(lib)]
        procs[f] = (subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), lib)
    libs = {}
    for f, (p, lib) in procs.items():
        out, _ = p.communicate()
        if p.returncode != 0:
            if "_Float16" in out or "barrier" in out:
                raise HostBuildUnavailable(f"this g++ cannot build the host stand-ins: {out[:300]}")
            raise AssertionError(f"kernels/{f} does not build for the host:\n{out}")
        libs[f] = ctypes.CDLL(str(lib))
    return libs




def _code(a):
    if isinstance(a, np.ndarray):
        return "p:" + {"f": "f", "b": "b", "i": "i"}[a.dtype.kind] + str(a.dtype.itemsize)
    return {np.float32: "f4", np.float64: "f8", np.int32: "i4", np.int64: "i8"}[type(a)]


def _cvalue(a):
    if isinstance(a, np.ndarray):
        return ctypes.c_void_p(a.ctypes.data)
    return {np.float32: ctypes.c_float, np.float64: ctypes.c_double, np.int32: ctypes.c_int32,
            np.int64: ctypes.c_int64}[type(a)](a.item())


class HostFunction:
    def __init__(self, lib, name, ctype):
        tag = _TAGS[ctype]
        self.run = getattr(lib, f"gt_launch_{name}_{tag}")
        buf = ctypes.create_string_buffer(512)
        getattr(lib, f"gt_sig_{name}_{tag}")(buf)
        self.sig = buf.value.decode().rstrip(",").split(",")
        self.label = f"{name}<{ctype}>"

    def __call__(self, grid, block, args, shared_mem=0):
        got = [_code(a) for a in args]
        assert got == self.sig, f"{self.label}: launcher passes {got}, kernel takes {self.sig}"
        grid, block = tuple(grid) + (1,) * (2 - len(grid)), tuple(block) + (1,) * (2 - len(block))
        assert all(0 < d for d in grid + block) and block[0] * block[1] <= 1024
        vals = [_cvalue(a) for a in args]
        ptrs = (ctypes.c_void_p * len(vals))(*[ctypes.addressof(v) for v in vals])
        self.run(ptrs, ctypes.c_uint(grid[0]), ctypes.c_uint(grid[1]), ctypes.c_uint(block[0]),
                 ctypes.c_uint(block[1]))




def _cu_files():
    d = kernels.source_path("math.cu").parent
    return sorted(p.name for p in d.glob("*.cu"))
