// Fused kernels of gputape/ops/nn.py: softmax and cross-entropy over the last axis,
// bias + activation forward, activation-gradient + bias-gradient backward.
//
// Row kernels (softmax_grad, softmax_xent) give each row of `cols` elements a group of `tpr`
// consecutive threads (tpr in {32, 64, 128, 256}, 256 threads a block) and reduce within the
// group; reductions accumulate in float for __half and float, double for double.
#include "common.cuh"

#define ACT_LINEAR 0
#define ACT_RELU 1
#define ACT_TANH 2
#define ACT_SIGMOID 3

// (g - sum(g * y, last axis)) * y.  g has `rows` rows; y has y_rows, the trailing rows of the
// same batch (y_rows divides rows: g may carry extra leading batch axes).
template <typename T>
__global__ void softmax_grad(const T* y, const T* g, T* out, long long rows, long long cols,
                             long long y_rows, int tpr) {
  typedef typename gt::Acc<T>::type C;
  __shared__ C smem[8];
  int lane = threadIdx.x % tpr;
  long long rpb = blockDim.x / tpr;
  // block-uniform trip count, so group_reduce may __syncthreads; rows past the end idle along
  for (long long base = (long long)blockIdx.x * rpb; base < rows; base += (long long)gridDim.x * rpb) {
    long long row = base + threadIdx.x / tpr;
    bool active = row < rows;
    const T* yr = y + (active ? row % y_rows : 0) * cols;
    const T* gr = g + (active ? row : 0) * cols;
    C dot = C(0);
    if (active)
      for (long long j = lane; j < cols; j += tpr) dot += R(gt::to_acc(gr[j]) * gt::to_acc(yr[j]));
    dot = R(gt::group_reduce<C, false>(dot, tpr, smem));
    if (active)
      for (long long j = lane; j < cols; j += tpr) {
        C yv = gt::to_acc(yr[j]);
        out[row * cols + j] = gt::from_acc<T>(R(gt::to_acc(gr[j]) - dot) * yv);
      }
  }
}

// Per row: m = max(x), s = x - m, z = sum(exp(s)); loss = -sum(labels * (s - log z));
// probs = exp(s) / z.  NaN in a row propagates as in the twin.
template <typename T>
__global__ void softmax_xent(const T* labels, const T* logits, T* loss, T* probs, long long rows,
                             long long cols, int tpr) {
  typedef typename gt::Acc<T>::type C;
  __shared__ C smem[8];
  int lane = threadIdx.x % tpr;
  long long rpb = blockDim.x / tpr;
  for (long long base = (long long)blockIdx.x * rpb; base < rows; base += (long long)gridDim.x * rpb) {
    long long row = base + threadIdx.x / tpr;
    bool active = row < rows;
    const T* xr = logits + (active ? row : 0) * cols;
    const T* lr = labels + (active ? row : 0) * cols;
    C m = gt::neg_inf<C>();
    if (active)
      for (long long j = lane; j < cols; j += tpr) m = gt::nanmax(m, gt::to_acc(xr[j]));
    m = gt::group_reduce<C, true>(m, tpr, smem);
    C z = C(0);
    if (active)
      for (long long j = lane; j < cols; j += tpr) z += R(gt::exp_(R(gt::to_acc(xr[j]) - m)));
    z = R(gt::group_reduce<C, false>(z, tpr, smem));
    C logz = R(gt::log_(z));
    C acc = C(0);
    if (active)
      for (long long j = lane; j < cols; j += tpr) {
        C s = R(gt::to_acc(xr[j]) - m);
        acc += R(gt::to_acc(lr[j]) * R(s - logz));
        probs[row * cols + j] = gt::from_acc<T>(R(gt::exp_(s)) / z);
      }
    acc = gt::group_reduce<C, false>(acc, tpr, smem);
    if (active && lane == 0) loss[row] = gt::from_acc<T>(-R(acc));
  }
}

// g * (p - labels); g is usually the loss gradient with a trailing axis of 1 (broadcast over rows)
template <typename T>
__global__ void xent_grad(const T* p, const T* labels, const T* g, T* out, long long n,
                          long long p_div, long long p_in, long long labels_div, long long labels_in,
                          long long g_div, long long g_in) {
  typedef typename gt::Acc<T>::type C;
  GT_GRID_LOOP(i, n) {
    C pv = GT_LOAD(p), lv = GT_LOAD(labels), gv = GT_LOAD(g);
    out[i] = gt::from_acc<T>(gv * R(pv - lv));
  }
}

template <typename C, typename T>
__device__ __forceinline__ C activate(C z, int act) {
  if (act == ACT_RELU) return (z > C(0) || z != z) ? z : C(0);   // numpy.maximum(z, 0): NaN kept, -0 -> 0
  if (act == ACT_TANH) return R(gt::tanh_(z));
  if (act == ACT_SIGMOID) return R(C(1) / R(C(1) + R(gt::exp_(-z))));
  return z;
}

// act(x + b), b broadcast along the last axis of x (cols elements); x contiguous
template <typename T>
__global__ void bias_act(const T* x, const T* b, T* out, long long n, long long cols, int act) {
  typedef typename gt::Acc<T>::type C;
  bool narrow = (((unsigned long long)n | (unsigned long long)cols) >> 32) == 0;
  GT_GRID_LOOP(i, n) {
    // the column of element i: one modulo (32-bit where the sizes allow, cheaper than 64-bit)
    long long j = narrow ? (long long)((unsigned)i % (unsigned)cols) : i % cols;
    C z = R(gt::to_acc(x[i]) + gt::to_acc(b[j]));
    out[i] = gt::from_acc<T>(activate<C, T>(z, act));
  }
}

template <typename C, typename T>
__device__ __forceinline__ C act_grad(C y, C g, int act) {
  if (act == ACT_RELU) return g * (y > C(0) ? C(1) : C(0));
  if (act == ACT_TANH) return g * R(C(1) - R(y * y));
  if (act == ACT_SIGMOID) return g * R(y * R(C(1) - y));
  return g;
}

// dz = act'(y) * g and db = column sums of dz, y and g of shape (rows, cols), in one launch.
// Block (32, 8): blockIdx.x picks 32 columns, blockIdx.y a strip of rows.  With one strip
// the block writes db itself; otherwise each block leaves its column sums in `part`
// (strips x cols) and the last block of a column tile to finish (counted in `count`, which
// starts at 0 and is reset) adds the strips in order: deterministic, no float atomics.
// write_dz == 0 (linear) skips dz, which is g itself.
template <typename T>
__global__ void act_bias_grad(const T* y, const T* g, T* dz, T* db,
                              typename gt::Acc<T>::type* part, int* count,
                              long long rows, long long cols, int act, int write_dz) {
  typedef typename gt::Acc<T>::type C;
  __shared__ C sums[8][33];
  __shared__ bool last;
  long long col = (long long)blockIdx.x * 32 + threadIdx.x;
  long long strips = gridDim.y;
  long long per = (rows + strips - 1) / strips;
  long long r0 = (long long)blockIdx.y * per;
  long long r1 = r0 + per < rows ? r0 + per : rows;
  C acc = C(0);
  if (col < cols)
    for (long long r = r0 + threadIdx.y; r < r1; r += 8) {
      long long i = r * cols + col;
      C d = R(act_grad<C, T>(gt::to_acc(y[i]), gt::to_acc(g[i]), act));
      if (write_dz) dz[i] = gt::from_acc<T>(d);
      acc += d;
    }
  sums[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0) {
    C s = sums[0][threadIdx.x];
    for (int k = 1; k < 8; ++k) s += sums[k][threadIdx.x];
    if (strips == 1) {
      if (col < cols) db[col] = gt::from_acc<T>(s);
    } else if (col < cols) {
      part[blockIdx.y * cols + col] = s;
    }
  }
  if (strips == 1) return;
  __threadfence();                       // this block's partial sums are visible device-wide
  __syncthreads();
  if (threadIdx.x == 0 && threadIdx.y == 0) last = atomicAdd(&count[blockIdx.x], 1) == (int)strips - 1;
  __syncthreads();
  if (!last) return;
  if (threadIdx.y == 0 && col < cols) {
    const volatile C* vp = part;
    C s = vp[col];
    for (long long k = 1; k < strips; ++k) s += vp[k * cols + col];
    db[col] = gt::from_acc<T>(s);
  }
  if (threadIdx.x == 0 && threadIdx.y == 0) count[blockIdx.x] = 0;
}

// The gather gradient without atomics: out[sidx[i]] += g[order[i]] for i in 0..n-1, where
// sidx = idx[order] and order is the stable sort of idx (launcher).  The thread of column c at
// the first position i of a run of equal indices adds the run's rows in order, one rounding per
// addition in T: the order and roundings of np.add.at, so the result equals the NumPy twin's bit
// for bit and is the same on every run (cupyx.scatter_add's atomics are not).  `out` holds the
// running value (zeros for the gradient); `cols` is the size of one gathered slice.  An index
// outside [0, rows) is skipped: on CuPy the index check is deferred to the next host read
// (gputape/checks.py), and this kernel must not write outside `out` before it raises.
template <typename T>
__global__ void rows_add_sorted(const T* g, const long long* order, const long long* sidx, T* out,
                                long long n, long long cols, long long rows) {
  GT_GRID_LOOP(t, n * cols) {
    long long i = t / cols, c = t - i * cols;
    long long r = sidx[i];
    if ((i > 0 && sidx[i - 1] == r) || r < 0 || r >= rows) continue;
    typedef typename gt::Acc<T>::type C;
    C acc = gt::to_acc(out[r * cols + c]);
    for (long long j = i; j < n && sidx[j] == r; ++j) acc = R(acc + gt::to_acc(g[order[j] * cols + c]));
    out[r * cols + c] = gt::from_acc<T>(acc);
  }
}
