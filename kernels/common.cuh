// Helpers shared by every kernels/*.cu file.
//
// gputape/kernels.py pastes this file in place of `#include "common.cuh"` before handing the
// source to NVRTC: CuPy keys its disk cache on the source text only, so an #include'd file
// that changed would otherwise be served stale.  nvcc (.ci/compile_kernels.sh) includes it as usual.
//
// No standard headers: NVRTC has none.  cuda_fp16.h ships with every CUDA toolkit and CuPy.
#pragma once
#include <cuda_fp16.h>

namespace gt {

// The arithmetic type of a storage type: __half computes in float.
template <typename T> struct Acc { typedef T type; };
template <> struct Acc<__half> { typedef float type; };

__device__ __forceinline__ float to_acc(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_acc(float x) { return x; }
__device__ __forceinline__ double to_acc(double x) { return x; }

template <typename T> __device__ __forceinline__ T from_acc(typename Acc<T>::type x);
template <> __device__ __forceinline__ __half from_acc<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ float from_acc<float>(float x) { return x; }
template <> __device__ __forceinline__ double from_acc<double>(double x) { return x; }

// Round an intermediate to T's precision, as NumPy does after every float16 operation
// (computing in float and rounding once per operation gives NumPy's float16 result exactly).
template <typename T> __device__ __forceinline__ typename Acc<T>::type rnd(typename Acc<T>::type x) { return x; }
template <> __device__ __forceinline__ float rnd<__half>(float x) { return __half2float(__float2half_rn(x)); }

// Overloads NVRTC may not provide as C++ overloads.
__device__ __forceinline__ float exp_(float x) { return expf(x); }
__device__ __forceinline__ double exp_(double x) { return exp(x); }
__device__ __forceinline__ float log_(float x) { return logf(x); }
__device__ __forceinline__ double log_(double x) { return log(x); }
__device__ __forceinline__ float pow_(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double pow_(double x, double y) { return pow(x, y); }
__device__ __forceinline__ float sqrt_(float x) { return sqrtf(x); }
__device__ __forceinline__ double sqrt_(double x) { return sqrt(x); }
__device__ __forceinline__ float tanh_(float x) { return tanhf(x); }
__device__ __forceinline__ double tanh_(double x) { return tanh(x); }
__device__ __forceinline__ float erf_(float x) { return erff(x); }
__device__ __forceinline__ double erf_(double x) { return erf(x); }

template <typename C> __device__ __forceinline__ C neg_inf();
template <> __device__ __forceinline__ float neg_inf<float>() { return __int_as_float((int)0xff800000u); }
template <> __device__ __forceinline__ double neg_inf<double>() { return __longlong_as_double(0xfff0000000000000ULL); }

// max that propagates NaN like numpy.max (fmax would drop it)
template <typename C> __device__ __forceinline__ C nanmax(C a, C b) { return (a > b || a != a) ? a : b; }

// Index of element i of an n-element output in an input broadcast against it.  After
// coalescing, the input's shape is [A present][B broadcast][C present] dims of the output
// with div = B*C and inner = C: same shape (div 1), trailing suffix (i % C), leading rows
// (i / B), scalar (0).  Any other broadcast is materialised by the launcher.
__device__ __forceinline__ long long bidx(long long i, long long div, long long inner) {
  if (div == 1) return i;
  if ((((unsigned long long)i | (unsigned long long)div) >> 32) == 0) {   // 32-bit division is cheaper
    unsigned q = (unsigned)i / (unsigned)div;
    return inner == 1 ? (long long)q : (long long)q * inner + (unsigned)i % (unsigned)inner;
  }
  long long q = i / div;
  return inner == 1 ? q : q * inner + i % inner;
}

// Sum (or NaN-propagating max) over a group of `tpr` consecutive threads, tpr in {32, 64, 128, 256}
// and blockDim.x == 256.  Every thread of the block must call it (it may __syncthreads); every
// thread of a group gets the group's result, reduced in a fixed order (deterministic).
template <typename C, bool MAX>
__device__ __forceinline__ C group_reduce(C v, int tpr, C* smem /* 8 entries */) {
  for (int off = 16; off > 0; off >>= 1) {
    C o = __shfl_xor_sync(0xffffffffu, v, off);
    v = MAX ? nanmax(v, o) : v + o;
  }
  if (tpr <= 32) return v;
  int warp = threadIdx.x >> 5, wpg = tpr >> 5, first = warp - warp % wpg;
  __syncthreads();                       // smem may still be read by a previous call
  if ((threadIdx.x & 31) == 0) smem[warp] = v;
  __syncthreads();
  C r = smem[first];
  for (int w = 1; w < wpg; ++w) r = MAX ? nanmax(r, smem[first + w]) : r + smem[first + w];
  return r;
}

}  // namespace gt

#define GT_GRID_LOOP(i, n) \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * gridDim.x)

// Load input p at the broadcast index of i (p_div / p_in are the kernel's descriptor arguments).
#define GT_LOAD(p) gt::to_acc(p[gt::bidx(i, p##_div, p##_in)])

// Round an intermediate of a kernel templated on T (see gt::rnd).
#define R(...) gt::rnd<T>(__VA_ARGS__)
