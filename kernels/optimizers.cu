// Optimizer updates of gputape/optimizers.py over flat buffers (gputape/flat.py): one launch
// updates every parameter of one dtype, and the padding between them (all zeros, which every
// rule below maps to zeros).
//
// Layout: gradients, then the learning rate (one T in device memory), and for Adam the step
// counter `iterations` (int64 in device memory, the value before this step), then the buffers
// updated in place, then n, then the hyperparameters, already rounded to T by the launcher
// exactly as the per-variable path rounds them.  Reading lr and the step from device memory
// lets a captured CUDA graph replay the update with new values.
//
// Each line mirrors one NumPy statement of the per-variable rule, rounding to T after every
// operation (R), so float16/32/64 results match it; only pow (Adam's beta powers) may differ
// from the host's libm in the last bit.
#include "common.cuh"

// momentum == 0: w -= g * lr.  Else m = m * momentum - g * lr; w += m (or, Nesterov,
// w += m * momentum - g * lr).
template <typename T>
__global__ void sgd_update(const T* g, const T* lr, T* w, T* m, long long n,
                           typename gt::Acc<T>::type momentum, int with_momentum, int nesterov) {
  typedef typename gt::Acc<T>::type C;
  C a = gt::to_acc(lr[0]);
  GT_GRID_LOOP(i, n) {
    C gv = gt::to_acc(g[i]), wv = gt::to_acc(w[i]);
    C step = R(gv * a);
    if (!with_momentum) {
      w[i] = gt::from_acc<T>(wv - step);
      continue;
    }
    C mv = R(R(gt::to_acc(m[i]) * momentum) - step);
    m[i] = gt::from_acc<T>(mv);
    w[i] = gt::from_acc<T>(nesterov ? wv + R(R(mv * momentum) - step) : wv + mv);
  }
}

// t = iterations + 1; alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t);
// m += (g - m) * (1 - beta_1); v += (g^2 - v) * (1 - beta_2); [vhat = max(vhat, v); v = vhat];
// w -= m * alpha / (sqrt(v) + epsilon).   vhat is only touched when amsgrad != 0.
template <typename T>
__global__ void adam_update(const T* g, const T* lr, const long long* iterations, T* w, T* m, T* v,
                            T* vhat, long long n, typename gt::Acc<T>::type beta_1,
                            typename gt::Acc<T>::type beta_2, typename gt::Acc<T>::type one_minus_beta_1,
                            typename gt::Acc<T>::type one_minus_beta_2, typename gt::Acc<T>::type epsilon,
                            int amsgrad) {
  typedef typename gt::Acc<T>::type C;
  C t = R(C(iterations[0] + 1));
  C b1p = R(gt::pow_(beta_1, t)), b2p = R(gt::pow_(beta_2, t));
  C alpha = R(R(gt::to_acc(lr[0]) * R(gt::sqrt_(R(C(1) - b2p)))) / R(C(1) - b1p));
  GT_GRID_LOOP(i, n) {
    C gv = gt::to_acc(g[i]);
    C mv = gt::to_acc(m[i]), vv = gt::to_acc(v[i]);
    mv = R(mv + R(R(gv - mv) * one_minus_beta_1));
    vv = R(vv + R(R(R(gv * gv) - vv) * one_minus_beta_2));
    m[i] = gt::from_acc<T>(mv);
    v[i] = gt::from_acc<T>(vv);
    if (amsgrad) {
      vv = gt::nanmax(gt::to_acc(vhat[i]), vv);
      vhat[i] = gt::from_acc<T>(vv);
    }
    w[i] = gt::from_acc<T>(gt::to_acc(w[i]) - R(R(mv * alpha) / R(gt::sqrt_(vv) + epsilon)));
  }
}

// vel = vel * rho + (1 - rho) * (g * g); centered: avg = avg * rho + (1 - rho) * g and
// den = vel - avg^2 + epsilon, else den = vel + epsilon; inc = lr * g / sqrt(den);
// momentum > 0: mom = mom * momentum + inc, w -= mom; else w -= inc.
// avg / mom are only touched when centered / with_momentum.
template <typename T>
__global__ void rmsprop_update(const T* g, const T* lr, T* w, T* vel, T* avg, T* mom, long long n,
                               typename gt::Acc<T>::type rho, typename gt::Acc<T>::type one_minus_rho,
                               typename gt::Acc<T>::type momentum, typename gt::Acc<T>::type epsilon,
                               int centered, int with_momentum) {
  typedef typename gt::Acc<T>::type C;
  C a = gt::to_acc(lr[0]);
  GT_GRID_LOOP(i, n) {
    C gv = gt::to_acc(g[i]);
    C ve = R(gt::to_acc(vel[i]) * rho);
    ve = R(ve + R(one_minus_rho * R(gv * gv)));
    vel[i] = gt::from_acc<T>(ve);
    C den;
    if (centered) {
      C av = R(gt::to_acc(avg[i]) * rho);
      av = R(av + R(one_minus_rho * gv));
      avg[i] = gt::from_acc<T>(av);
      den = R(R(ve - R(av * av)) + epsilon);
    } else {
      den = R(ve + epsilon);
    }
    C inc = R(R(a * gv) / R(gt::sqrt_(den)));
    if (with_momentum) {
      C mo = R(R(gt::to_acc(mom[i]) * momentum) + inc);
      mom[i] = gt::from_acc<T>(mo);
      inc = mo;
    }
    w[i] = gt::from_acc<T>(gt::to_acc(w[i]) - inc);
  }
}

// acc += g * g; w -= lr * g / sqrt(acc + epsilon)
template <typename T>
__global__ void adagrad_update(const T* g, const T* lr, T* w, T* acc, long long n,
                               typename gt::Acc<T>::type epsilon) {
  typedef typename gt::Acc<T>::type C;
  C a = gt::to_acc(lr[0]);
  GT_GRID_LOOP(i, n) {
    C gv = gt::to_acc(g[i]);
    C ac = R(gt::to_acc(acc[i]) + R(gv * gv));
    acc[i] = gt::from_acc<T>(ac);
    w[i] = gt::from_acc<T>(gt::to_acc(w[i]) - R(R(a * gv) / R(gt::sqrt_(R(ac + epsilon)))));
  }
}
