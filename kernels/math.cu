// Fused gradient kernels of gputape/ops/math.py; each one equals its xp twin there.
//
// Elementwise layout: inputs, the output, the element count n, then for every input its
// broadcast descriptor (name_div, name_in: see gt::bidx), then op parameters.  float16
// (__half) computes in float and rounds once.
#include "common.cuh"

// d(x / y)/dy * g = g * ((-x / y) / y), in TensorFlow's order so that 0/0 at y = 0 stays NaN
template <typename T>
__global__ void div_grad_y(const T* x, const T* y, const T* g, T* out, long long n,
                           long long x_div, long long x_in, long long y_div, long long y_in,
                           long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), b = GT_LOAD(y), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(gv * R(R(-a / b) / b));
  }
}

// g * y * x**(y - 1)
template <typename T>
__global__ void pow_grad_x(const T* x, const T* y, const T* g, T* out, long long n,
                           long long x_div, long long x_in, long long y_div, long long y_in,
                           long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), b = GT_LOAD(y), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(R(gv * b) * R(gt::pow_(a, R(b - C(1)))));
  }
}

// g * out * log(x) where x > 0, else g * out * 0 (so an infinite out still gives NaN, as the twin)
template <typename T>
__global__ void pow_grad_y(const T* x, const T* o, const T* g, T* out, long long n,
                           long long x_div, long long x_in, long long o_div, long long o_in,
                           long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), ov = GT_LOAD(o), gv = GT_LOAD(g);
    C l = a > C(0) ? R(gt::log_(a)) : C(0);
    out[i] = gt::from_acc<T>(R(gv * ov) * l);
  }
}

// TensorFlow's SqrtGrad: 0 where g == 0 (even at y == 0), else 0.5 * g / y
template <typename T>
__global__ void sqrt_grad(const T* y, const T* g, T* out, long long n,
                          long long y_div, long long y_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C b = GT_LOAD(y), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(gv == C(0) ? C(0) : R(C(0.5) * gv) / b);
  }
}

// g * (1 / x)
template <typename T>
__global__ void log_grad(const T* x, const T* g, T* out, long long n,
                         long long x_div, long long x_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(gv * R(C(1) / a));
  }
}

// g * sign(x): sign(0) = 0 (the TensorFlow kink value), sign(NaN) = NaN
template <typename T>
__global__ void abs_grad(const T* x, const T* g, T* out, long long n,
                         long long x_div, long long x_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), gv = GT_LOAD(g);
    C s = a > C(0) ? C(1) : a < C(0) ? C(-1) : a == C(0) ? C(0) : a;
    out[i] = gt::from_acc<T>(gv * s);
  }
}

// g where mask == take, else 0: g is copied bit for bit (NaN, -0 kept)
template <typename T>
__global__ void select_grad(const bool* mask, const T* g, T* out, long long n,
                            long long mask_div, long long mask_in, long long g_div, long long g_in,
                            int take) {
  GT_GRID_LOOP(i, n) {
    bool m = mask[gt::bidx(i, mask_div, mask_in)];
    out[i] = (m == (take != 0)) ? g[gt::bidx(i, g_div, g_in)] : gt::from_acc<T>(0);
  }
}

// g where lo <= x <= hi (both ends inclusive, as in TensorFlow), else 0; NaN x gives 0
template <typename T>
__global__ void clip_grad(const T* x, const T* lo, const T* hi, const T* g, T* out, long long n,
                          long long x_div, long long x_in, long long lo_div, long long lo_in,
                          long long hi_div, long long hi_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), l = GT_LOAD(lo), h = GT_LOAD(hi);
    out[i] = (a >= l && a <= h) ? g[gt::bidx(i, g_div, g_in)] : gt::from_acc<T>(0);
  }
}
