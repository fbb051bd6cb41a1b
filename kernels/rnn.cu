// Fused pointwise parts of gputape/ops/rnn.py's recurrent steps: one launch per step forward and
// one backward, next to the step's matmuls (which the launchers in ops/rnn.py run with cuBLAS).
//
// Layout: row-major [rows, k*U] gate arrays (LSTM i, f, c, o; GRU z, r, h) and [rows, U] states,
// all contiguous; one thread per (row, unit).  The arithmetic follows the NumPy twins
// (_lstm_fwd, _lstm_grad_fwd, _gru_fwd, gru_grad_math) operation by operation, float16
// rounding after each as NumPy does; sigmoid is 0.5 tanh(x / 2) + 0.5, as the twins.
#include "common.cuh"

#define RNN_LINEAR 0
#define RNN_RELU 1
#define RNN_TANH 2
#define RNN_SIGMOID 3

template <typename C, typename T>
__device__ __forceinline__ C rnn_act(C x, int act) {
  if (act == RNN_TANH) return R(gt::tanh_(x));
  if (act == RNN_SIGMOID) return R(R(R(gt::tanh_(R(x * C(0.5)))) * C(0.5)) + C(0.5));
  if (act == RNN_RELU) return x > C(0) ? x : C(0);
  return x;
}

// the activation's derivative from its output y, times d (linear: d itself, as the twins skip it)
template <typename C, typename T>
__device__ __forceinline__ C rnn_dact(C y, C d, int act) {
  if (act == RNN_TANH) return R(d * R(C(1) - R(y * y)));
  if (act == RNN_SIGMOID) return R(d * R(y * R(C(1) - y)));
  if (act == RNN_RELU) return R(d * (y > C(0) ? C(1) : C(0)));
  return d;
}

// z = h @ rk + xz (by the launcher) -> gates = [ract(z_i), ract(z_f), act(z_c), ract(z_o)],
// c2 = f c + i g, h2 = o act(c2)
template <typename T>
__global__ void lstm_cell(const T* z, const T* c, T* gates, T* c2, T* h2, long long rows, long long units,
                          int act, int ract) {
  typedef typename gt::Acc<T>::type C;
  long long n = rows * units;
  GT_GRID_LOOP(k, n) {
    long long r = k / units, j = k % units, b = r * 4 * units + j;
    C i = rnn_act<C, T>(gt::to_acc(z[b]), ract);
    C f = rnn_act<C, T>(gt::to_acc(z[b + units]), ract);
    C g = rnn_act<C, T>(gt::to_acc(z[b + 2 * units]), act);
    C o = rnn_act<C, T>(gt::to_acc(z[b + 3 * units]), ract);
    gates[b] = gt::from_acc<T>(i);
    gates[b + units] = gt::from_acc<T>(f);
    gates[b + 2 * units] = gt::from_acc<T>(g);
    gates[b + 3 * units] = gt::from_acc<T>(o);
    C cn = R(R(f * gt::to_acc(c[k])) + R(i * g));
    c2[k] = gt::from_acc<T>(cn);
    h2[k] = gt::from_acc<T>(R(o * rnn_act<C, T>(cn, act)));
  }
}

// tc = act(c2); dc = gh o act'(tc) + gc; dz = [dc g, dc c, dc i, gh tc] times the gates'
// derivatives; dcp = dc f.  (dh = dz rk^T and drk = h^T dz: the launcher.)
template <typename T>
__global__ void lstm_cell_grad(const T* gh, const T* gc, const T* gates, const T* c, const T* c2, T* dz,
                               T* dcp, long long rows, long long units, int act, int ract) {
  typedef typename gt::Acc<T>::type C;
  long long n = rows * units;
  GT_GRID_LOOP(k, n) {
    long long r = k / units, j = k % units, b = r * 4 * units + j;
    C i = gt::to_acc(gates[b]), f = gt::to_acc(gates[b + units]);
    C g = gt::to_acc(gates[b + 2 * units]), o = gt::to_acc(gates[b + 3 * units]);
    C h = gt::to_acc(gh[k]);
    C tc = rnn_act<C, T>(gt::to_acc(c2[k]), act);
    C dc = R(rnn_dact<C, T>(tc, R(h * o), act) + gt::to_acc(gc[k]));
    dz[b] = gt::from_acc<T>(rnn_dact<C, T>(i, R(dc * g), ract));
    dz[b + units] = gt::from_acc<T>(rnn_dact<C, T>(f, R(dc * gt::to_acc(c[k])), ract));
    dz[b + 2 * units] = gt::from_acc<T>(rnn_dact<C, T>(g, R(dc * i), act));
    dz[b + 3 * units] = gt::from_acc<T>(rnn_dact<C, T>(o, R(h * tc), ract));
    dcp[k] = gt::from_acc<T>(R(dc * f));
  }
}

// hz = h @ rk + rb (by the launcher) -> z, r = ract(xz + hz) over the first two blocks,
// hh = act(xz_h + r hz_h), h2 = z h + (1 - z) hh (GRU, reset_after=True)
template <typename T>
__global__ void gru_cell(const T* xz, const T* hz, const T* h, T* gates, T* h2, long long rows, long long units,
                         int act, int ract) {
  typedef typename gt::Acc<T>::type C;
  long long n = rows * units;
  GT_GRID_LOOP(k, n) {
    long long r = k / units, j = k % units, b = r * 3 * units + j;
    C z = rnn_act<C, T>(R(gt::to_acc(xz[b]) + gt::to_acc(hz[b])), ract);
    C rr = rnn_act<C, T>(R(gt::to_acc(xz[b + units]) + gt::to_acc(hz[b + units])), ract);
    C hh = rnn_act<C, T>(R(gt::to_acc(xz[b + 2 * units]) + R(rr * gt::to_acc(hz[b + 2 * units]))), act);
    gates[b] = gt::from_acc<T>(z);
    gates[b + units] = gt::from_acc<T>(rr);
    gates[b + 2 * units] = gt::from_acc<T>(hh);
    h2[k] = gt::from_acc<T>(R(R(z * gt::to_acc(h[k])) + R(R(C(1) - z) * hh)));
  }
}

// dz = gh (h - hh), dhh = gh (1 - z), dph = dhh act'(hh), dr = dph hz_h, each through ract';
// dxz = [dz, dr, dph], dhz = [dz, dr, dph r], dhd = gh z.  (dh = dhd + dhz rk^T, drk, drb: the launcher.)
template <typename T>
__global__ void gru_cell_grad(const T* gh, const T* gates, const T* hzh, const T* h, T* dxz, T* dhz, T* dhd,
                              long long rows, long long units, int act, int ract) {
  typedef typename gt::Acc<T>::type C;
  long long n = rows * units;
  GT_GRID_LOOP(k, n) {
    long long r = k / units, j = k % units, b = r * 3 * units + j;
    C z = gt::to_acc(gates[b]), rr = gt::to_acc(gates[b + units]), hh = gt::to_acc(gates[b + 2 * units]);
    C g = gt::to_acc(gh[k]);
    C dph = rnn_dact<C, T>(hh, R(g * R(C(1) - z)), act);
    C dpz = rnn_dact<C, T>(z, R(g * R(gt::to_acc(h[k]) - hh)), ract);
    C dpr = rnn_dact<C, T>(rr, R(dph * gt::to_acc(hzh[k])), ract);
    dxz[b] = dhz[b] = gt::from_acc<T>(dpz);
    dxz[b + units] = dhz[b + units] = gt::from_acc<T>(dpr);
    dxz[b + 2 * units] = gt::from_acc<T>(dph);
    dhz[b + 2 * units] = gt::from_acc<T>(R(dph * rr));
    dhd[k] = gt::from_acc<T>(R(g * z));
  }
}
