"""Stage 8 of the device proof (issue 12): ``gputape.function``'s CUDA-graph replay on real CuPy.

1. **Equality with eager.**  For each optimizer below, the 784-512-512-10 relu MLP (batch 128) takes
   ``--steps`` training steps eagerly and, from the same initial weights, the same number of steps
   under ``gputape.function`` (trace, then replays whose op runs are captured as CUDA graphs).  The
   weights and every returned loss must be bit-equal (the same kernels run on the same buffers'
   values; a captured launch differs from eager only in who launches).  The returned loss tensors
   are read at the end, after later launches: a result that aliases a graph's static buffer would
   show the last step's value instead.  A capture fallback (RuntimeWarning) is a FAIL.
2. **Memory.**  Device memory held by CuPy's pool and by the runners' private pools after the steps.
3. **cuBLAS inside a graph or a project GEMM** (the decision issue 12 leaves to the device): the
   MLP's forward matmuls (128x784 @ 784x512, 128x512 @ 512x512, 128x512 @ 512x10) captured once
   with ``cupy.matmul`` (cuBLAS; CUDA >= 12.2 allocates its workspace stream-ordered, so capture needs
   no preset) and once with a plain shared-memory tiled SGEMM (32x32 tiles, defined here for the
   measurement only).  Device time per graph launch (CUDA events, median of 200), and both graphs
   relaunched with new input values to show the static buffers are read at launch time.

``--standin``: on gputape's NumPy backend (no GPU), parts 1 only, to check this script.
"""
import argparse
import sys
import time
import warnings

import numpy as np

from common import cupy_or_exit, item, say, summary

SIZES = (784, 512, 512, 10)


def mlp_setup(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(128, SIZES[0])).astype(np.float32)
    y = rng.integers(0, 10, 128).astype(np.int32)
    ws = []
    for fi, fo in zip(SIZES[:-1], SIZES[1:]):
        lim = np.sqrt(6 / (fi + fo))
        ws += [rng.uniform(-lim, lim, (fi, fo)).astype(np.float32), rng.uniform(-.1, .1, fo).astype(np.float32)]
    return x, y, ws


def make_opt(tf, name):
    k = tf.keras.optimizers
    return {
        "adam": lambda: k.Adam(1e-3),
        "adam-flat": lambda: k.Adam(1e-3, flat=True),
        "sgd-momentum": lambda: k.SGD(1e-2, momentum=0.9),
        "rmsprop-centered": lambda: k.RMSprop(1e-3, centered=True),
        "adam-schedule": lambda: k.Adam(k.schedules.ExponentialDecay(1e-3, 10, 0.9)),
        "adam-dropout": lambda: k.Adam(1e-3),
    }[name]()


def make_step(tf, vs, opt, drop=None, labels=None):
    """The relu MLP's training step over Variables ``vs`` (W0, b0, W1, b1, W2, b2): forward, sparse
    softmax cross-entropy, tape gradient, ``opt.apply_gradients``; returns the loss.  With ``labels``
    the step takes the input batch alone."""
    def step(xb, yb=None):
        yb = labels if yb is None else yb
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(xb, vs[0]) + vs[1])
            if drop is not None:
                h = drop(h, training=True)
            h = tf.nn.relu(tf.matmul(h, vs[2]) + vs[3])
            logits = tf.matmul(h, vs[4]) + vs[5]
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits))
        grads = tape.gradient(loss, vs)
        opt.apply_gradients(zip(grads, vs))
        return loss
    return step


def run(tf, name, steps, use_function):
    x, y, ws = mlp_setup()
    xs, ys = tf.constant(x), tf.constant(y)
    vs = [tf.Variable(w) for w in ws]
    opt = make_opt(tf, name)
    drop = tf.keras.layers.Dropout(0.2, seed=7) if name == "adam-dropout" else None
    step = make_step(tf, vs, opt, drop)
    f = tf.function(step) if use_function else step
    losses = []
    for i in range(steps):
        xb = xs * np.float32(1 + (i % 3) * 0.01)     # a new input array each call (the graph's static copy)
        losses.append(f(xb, ys))
    return [l.numpy() for l in losses], [v.numpy() for v in vs], f


def equality(tf, steps, names, backend_name):
    for name in names:
        with item(f"function replay == eager: {name}"):
            le, we, _ = run(tf, name, steps, False)
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                lf, wf, fn = run(tf, name, steps, True)
            prog = next(iter(fn._programs.values()))
            runner = getattr(prog, "graph", None)
            graphs = "" if backend_name != "cupy" else (
                f"; {runner.n_graphs} graph(s), {runner.captures} captures, {runner.launches} launches"
                if runner is not None and runner.failed is None else f"; NO GRAPH ({getattr(runner, 'failed', None)})")
            same_l = all(np.array_equal(a, b) for a, b in zip(le, lf))
            same_w = all(np.array_equal(a, b) for a, b in zip(we, wf))
            dw = max(float(np.max(np.abs(a.astype(np.float64) - b))) for a, b in zip(we, wf))
            dl = max(abs(float(a) - float(b)) for a, b in zip(le, lf))
            ok = same_l and same_w and (backend_name != "cupy" or (runner is not None and runner.failed is None
                                                                   and runner.n_graphs > 0))
            if runner is not None and backend_name == "cupy" and name == "adam":
                nodes(runner)
            say("PASS" if ok else "FAIL", f"{steps} steps, function replay vs eager: {name}",
                f"losses bit-equal {same_l} (max diff {dl:.2e}), weights bit-equal {same_w} (max diff {dw:.2e}); "
                f"{prog.describe()}{graphs}; last loss {float(lf[-1]):.6f}")


def nodes(runner):
    """What the captured graphs hold (CUDA's DOT dump): kernel, memcpy (by kind), memset, alloc nodes."""
    import re
    for i, seg in enumerate(runner.segs):
        g = seg.get("graph")
        if g is None:
            continue
        with item(f"graph {i} nodes"):
            dot = g.debug_dot_str(1)
            kinds = {}
            for m in re.finditer(r'label="\{?\s*([A-Z_]+)', dot):
                kinds[m.group(1)] = kinds.get(m.group(1), 0) + 1
            cp_kinds = sorted(set(re.findall(r"(HtoD|DtoH|DtoD|HostToDevice|DeviceToHost|DeviceToDevice|Default)", dot)))
            say("PASS" if not any(k in ("HtoD", "HostToDevice") for k in cp_kinds) else "FAIL",
                f"captured graph {i}: node kinds", f"{kinds}; memcpy kinds {cp_kinds}; dot {len(dot)} chars")
            if i == 0:
                print("\n".join(dot.splitlines()[:40]))


def profile(tf, cp, name, calls=200):
    """Where a replayed step's host time goes: cProfile over ``calls`` replays (top 18 by own time)."""
    import cProfile
    import io
    import pstats
    with item(f"profile of a replayed step: {name}"):
        x, y, ws = mlp_setup()
        xs, ys = tf.constant(x), tf.constant(y)
        vs = [tf.Variable(w) for w in ws]
        opt = make_opt(tf, name)

        step = tf.function(make_step(tf, vs, opt))
        for _ in range(10):
            step(xs, ys)
        cp.cuda.get_current_stream().synchronize()
        t0 = time.perf_counter()
        for _ in range(calls):
            step(xs, ys)
        host = (time.perf_counter() - t0) / calls * 1e6
        cp.cuda.get_current_stream().synchronize()
        wall = (time.perf_counter() - t0) / calls * 1e6
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(calls):
            step(xs, ys)
        pr.disable()
        cp.cuda.get_current_stream().synchronize()
        buf = io.StringIO()
        pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(18)
        print(buf.getvalue())
        say("PASS", f"replayed step host time: {name}", f"{host:.1f} us issued per call, {wall:.1f} us per call "
                                                         f"with the device drained at the end")


def memory(cp):
    with item("memory"):
        pool = cp.get_default_memory_pool()
        say("PASS", "device memory", f"default pool used {pool.used_bytes() / 2**20:.1f} MiB, "
                                     f"held {pool.total_bytes() / 2**20:.1f} MiB; "
                                     f"device free {cp.cuda.runtime.memGetInfo()[0] / 2**30:.1f} GiB")


GEMM_SRC = r"""
extern "C" __global__ void sgemm_tiled(const float* A, const float* B, float* C, int M, int N, int K) {
    __shared__ float As[32][33];
    __shared__ float Bs[32][33];
    int row = blockIdx.y * 32 + threadIdx.y, col = blockIdx.x * 32 + threadIdx.x;
    float acc = 0.f;
    for (int k0 = 0; k0 < K; k0 += 32) {
        int ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
        As[threadIdx.y][threadIdx.x] = (row < M && ka < K) ? A[(size_t)row * K + ka] : 0.f;
        Bs[threadIdx.y][threadIdx.x] = (kb < K && col < N) ? B[(size_t)kb * N + col] : 0.f;
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < 32; ++k) acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];
        __syncthreads();
    }
    if (row < M && col < N) C[(size_t)row * N + col] = acc;
}
"""


def gemm_decision(cp):
    rng = np.random.default_rng(1)
    a0 = cp.asarray(rng.normal(size=(128, 784)).astype(np.float32))
    Ws = [cp.asarray(rng.normal(size=s).astype(np.float32) * 0.05) for s in ((784, 512), (512, 512), (512, 10))]
    kern = cp.RawKernel(GEMM_SRC, "sgemm_tiled")

    def tiled(a, b):
        m, k = a.shape
        n = b.shape[1]
        c = cp.empty((m, n), np.float32)
        kern(((n + 31) // 32, (m + 31) // 32), (32, 32), (a, b, c, np.int32(m), np.int32(n), np.int32(k)))
        return c

    results = {}
    with item("cuBLAS outside a graph (CuPy refuses it inside one)"):
        stream = cp.cuda.Stream(non_blocking=True)
        with stream:
            refused = "captured"
            stream.begin_capture()
            try:
                cp.matmul(a0, Ws[0])
            except NotImplementedError as e:
                refused = f"refused: {e}"
            finally:
                try:
                    stream.end_capture()
                except Exception:        # noqa: BLE001
                    pass
            for _ in range(3):
                h = a0
                for W in Ws:
                    h = cp.matmul(h, W)
            stream.synchronize()
            e0, e1 = cp.cuda.Event(), cp.cuda.Event()
            ts = []
            for _ in range(200):
                e0.record(stream)
                h = a0
                for W in Ws:
                    h = cp.matmul(h, W)
                e1.record(stream)
                e1.synchronize()
                ts.append(cp.cuda.get_elapsed_time(e0, e1) * 1e3)
            t_host = time.perf_counter()
            for _ in range(200):
                h = a0
                for W in Ws:
                    h = cp.matmul(h, W)
            stream.synchronize()
            host_us = (time.perf_counter() - t_host) / 200 * 1e6
        results["cuBLAS (cupy.matmul, between graphs)"] = float(np.median(ts))
        say("PASS", "3 MLP matmuls by cuBLAS, not captured",
            f"{np.median(ts):.1f} us device (events around the 3 calls, median of 200), {host_us:.1f} us per 3 calls "
            f"back to back; capture inside a graph: {refused}")
    with item("host cost of the ways CuPy reaches cuBLAS"):
        # a replayed step is host-bound and its 8 matmuls were its largest part (profile above): which
        # CuPy entry point costs least on the host, and which give cupy.matmul's bits (the eager op's)
        x, W = a0, Ws[0]
        gT = cp.asarray(rng.normal(size=(128, 512)).astype(np.float32))
        cases = {"matmul": lambda: cp.matmul(x, W), "ndarray.dot": lambda: x.dot(W),
                 "matmul x^T g": lambda: cp.matmul(x.T, gT), "dot x^T g": lambda: x.T.dot(gT)}
        try:
            from cupy import cublas as _cb
            cases["cupy.cublas.gemm"] = lambda: _cb.gemm("N", "N", x, W)
            cases["cupy.cublas.gemm x^T g"] = lambda: _cb.gemm("T", "N", x, gT)
        except Exception:       # noqa: BLE001
            pass
        ref = {"": cp.matmul(x, W).get(), "T": cp.matmul(x.T, gT).get()}
        for label, fn in cases.items():
            out = fn().get()
            same = np.array_equal(out, ref["T" if "^T" in label else ""])
            cp.cuda.get_current_stream().synchronize()
            t0 = time.perf_counter()
            for _ in range(300):
                fn()
            host = (time.perf_counter() - t0) / 300 * 1e6
            cp.cuda.get_current_stream().synchronize()
            say("PASS", f"cuBLAS entry {label}", f"{host:.1f} us host per call; bits equal to cupy.matmul's: {same}")
    for label, mm in (("tiled SGEMM kernel", tiled),):
        with item(f"GEMM in a graph: {label}"):
            stream = cp.cuda.Stream(non_blocking=True)
            static = cp.empty_like(a0)
            static[...] = a0
            with stream:
                h = static
                for W in Ws:                 # warm-up outside capture (cuBLAS picks its kernels)
                    h = mm(h, W)
                stream.synchronize()
                stream.begin_capture()
                h = static
                outs = []
                for W in Ws:
                    h = mm(h, W)
                    outs.append(h)
                g = stream.end_capture()
                g.launch(stream)
                stream.synchronize()
                ref = a0.get()
                for W in Ws:
                    ref = ref @ W.get()
                err0 = float(np.max(np.abs(outs[-1].get() - ref)))
                a1 = cp.asarray(rng.normal(size=(128, 784)).astype(np.float32))
                static[...] = a1
                g.launch(stream)
                stream.synchronize()
                ref1 = a1.get()
                for W in Ws:
                    ref1 = ref1 @ W.get()
                err1 = float(np.max(np.abs(outs[-1].get() - ref1)))
                e0, e1 = cp.cuda.Event(), cp.cuda.Event()
                ts = []
                for _ in range(200):
                    e0.record(stream)
                    g.launch(stream)
                    e1.record(stream)
                    e1.synchronize()
                    ts.append(cp.cuda.get_elapsed_time(e0, e1) * 1e3)
                t_host = time.perf_counter()
                for _ in range(200):
                    g.launch(stream)
                stream.synchronize()
                host_us = (time.perf_counter() - t_host) / 200 * 1e6
            us = float(np.median(ts))
            results[label] = us
            ok = err0 < 1e-3 * max(1.0, float(np.abs(ref).max())) and err1 < 1e-3 * max(1.0, float(np.abs(ref1).max()))
            say("PASS" if ok else "FAIL", f"3 MLP matmuls captured, {label}",
                f"{us:.1f} us device per launch (median of 200), {host_us:.1f} us per launch back to back; "
                f"max err vs NumPy {err0:.1e}, after new inputs {err1:.1e}")
    if len(results) == 2:
        best = min(results, key=results.get)
        say("PASS", "GEMM decision", f"{best} is faster inside a graph: "
            + ", ".join(f"{k} {v:.1f} us" for k, v in results.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100, help="training steps per run (default 100)")
    ap.add_argument("--standin", action="store_true", help="no GPU: part 1 on gputape's NumPy backend")
    ap.add_argument("--only", default="", help="comma-separated optimizer names (default: all)")
    args = ap.parse_args()
    names = ["adam", "adam-flat", "sgd-momentum", "rmsprop-centered", "adam-schedule", "adam-dropout"]
    if args.only:
        names = args.only.split(",")
    if args.standin:
        import gputape as tf
        tf.set_backend("numpy")
        equality(tf, args.steps, names, "numpy")
        return summary("stage 8 graph probe (NumPy, NOT A GPU)")
    cp = cupy_or_exit("stage 8 graph probe")
    import gputape as tf
    tf.set_backend("cupy")
    equality(tf, args.steps, names, "cupy")
    for name in ("adam-flat", "adam"):
        profile(tf, cp, name)
    memory(cp)
    gemm_decision(cp)
    return summary("stage 8 graph probe")


if __name__ == "__main__":
    sys.exit(main())
