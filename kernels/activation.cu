// Fused activation-gradient kernels of gputape/ops/math.py and gputape/ops/nn.py.
//
// Same layout and rounding as math.cu: inputs, output, n, one broadcast descriptor per
// input, then parameters; float16 rounds after every operation as NumPy does.  Values at
// the kinks are TensorFlow's: relu'(0) = 0, leaky_relu'(0) = alpha, elu'(0) = 1.
#include "common.cuh"

// K(c): a Python float constant meeting a T array (NumPy casts it to T first)
#define K(c) R(C(c))

// g * (1 - y * y)
template <typename T>
__global__ void tanh_grad(const T* y, const T* g, T* out, long long n,
                          long long y_div, long long y_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C b = GT_LOAD(y), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(gv * R(C(1) - R(b * b)));
  }
}

// g * (y * (1 - y))
template <typename T>
__global__ void sigmoid_grad(const T* y, const T* g, T* out, long long n,
                             long long y_div, long long y_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C b = GT_LOAD(y), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(gv * R(b * R(C(1) - b)));
  }
}

// g * sigmoid(x), with sigmoid(x) = 1 / (1 + exp(-x)) (exp overflows harmlessly to give 0)
template <typename T>
__global__ void softplus_grad(const T* x, const T* g, T* out, long long n,
                              long long x_div, long long x_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), gv = GT_LOAD(g);
    C s = R(C(1) / R(C(1) + R(gt::exp_(-a))));
    out[i] = gt::from_acc<T>(gv * s);
  }
}

// g * (y > 0): 0 at y == 0; a product, not a select, so an infinite g times 0 is NaN as in the twin
template <typename T>
__global__ void relu_grad(const T* y, const T* g, T* out, long long n,
                          long long y_div, long long y_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C b = GT_LOAD(y), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(gv * (b > C(0) ? C(1) : C(0)));
  }
}

// g where x > 0 else g * alpha (alpha arrives already rounded to T); alpha at x == 0
template <typename T>
__global__ void leaky_relu_grad(const T* x, const T* g, T* out, long long n,
                                long long x_div, long long x_in, long long g_div, long long g_in,
                                typename gt::Acc<T>::type alpha) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(a > C(0) ? gv : gv * alpha);
  }
}

// g where y > 0 else g * (y + 1), from elu's output y; 1 at y == 0
template <typename T>
__global__ void elu_grad(const T* y, const T* g, T* out, long long n,
                         long long y_div, long long y_in, long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C b = GT_LOAD(y), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(b > C(0) ? gv : gv * R(b + C(1)));
  }
}

// g * gelu'(x).  Exact: cdf(x) + x * pdf(x).  approximate != 0, with t = tanh(c (x + k x^3)):
// 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2), c = sqrt(2 / pi), k = 0.044715.
template <typename T>
__global__ void gelu_grad(const T* x, const T* g, T* out, long long n,
                          long long x_div, long long x_in, long long g_div, long long g_in,
                          int approximate) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C a = GT_LOAD(x), gv = GT_LOAD(g), d;
    if (approximate) {
      C c = K(0.7978845608028654);
      C inner = R(c * R(a + R(K(0.044715) * R(gt::pow_(a, C(3))))));
      C t = R(gt::tanh_(inner));
      C left = R(K(0.5) * R(C(1) + t));
      C right = R(R(R(R(K(0.5) * a) * R(C(1) - R(t * t))) * c) * R(C(1) + R(R(K(0.134145) * a) * a)));
      d = R(left + right);
    } else {
      C cdf = R(K(0.5) * R(C(1) + R(gt::erf_(R(a * K(0.7071067811865475))))));
      C pdf = R(R(gt::exp_(R(R(K(-0.5) * a) * a))) * K(0.3989422804014327));
      d = R(cdf + R(a * pdf));
    }
    out[i] = gt::from_acc<T>(gv * d);
  }
}
