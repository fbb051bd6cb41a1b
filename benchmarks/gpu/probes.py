"""Stage 3 of the device proof: issue 11's bugs A-I probed on real CuPy.

Each probe prints PASS/FAIL with what it saw.  Probes that record a behaviour rather than check
one (gather-gradient determinism, reduce_sum against the NumPy TF-order sum) print PASS with the
figure, or FAIL where the README's promise does not hold.
"""
import sys
import warnings

import numpy as np

from common import cupy_or_exit, item, on_numpy, say, summary


def main():
    cp = cupy_or_exit("stage 3 probes")
    import gputape as tf
    tf.set_backend("cupy")
    from gputape import backend, op
    from gputape.ops import nn as N

    with item("A: erf and gelu keep float16"):
        x = tf.constant(np.linspace(-3, 3, 11, dtype=np.float16))
        dts = {f: g(x).dtype.name for f, g in [("erf", tf.math.erf),
                                               ("gelu", lambda t: tf.nn.gelu(t, approximate=False))]}
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.gelu(x, approximate=False)
        dts["gelu-grad"] = tape.gradient(y, x).dtype.name
        ok = all(v == "float16" for v in dts.values())
        ref = np.array([__import__("math").erf(float(v)) for v in np.linspace(-3, 3, 11, dtype=np.float16)])
        err = float(np.max(np.abs(tf.math.erf(x).numpy().astype(np.float64) - ref)))
        say("PASS" if ok and err < 1e-3 else "FAIL", "A: erf and gelu keep float16", f"{dts}, max|erf err| {err:.1e}")

    with item("B: backend helpers dispatch on the array's module"):
        h = np.linspace(-1, 1, 5)
        e = backend.erf(h)
        a = np.zeros(4)
        backend.scatter_add(a, np.array([1, 1, 3]), np.ones(3))
        d = backend.erf(cp.asarray(h))
        ok = isinstance(e, np.ndarray) and a.tolist() == [0, 2, 0, 1] and isinstance(d, cp.ndarray)
        say("PASS" if ok else "FAIL", "B: backend helpers dispatch on the array's module",
            f"erf(np)->{type(e).__module__}, erf(cp)->{type(d).__module__}, scatter_add(np)={a.tolist()}")

    with item("C: constant caches per array module"):
        from gputape.ops import math as M
        h = M.tanh_grad.fwd(np, np.ones(3, np.float32), np.full(3, 0.5, np.float32))
        dv = tf.math.tanh(tf.constant([0.5, 1.0], tf.float32))
        with tf.GradientTape() as tape:
            v = tf.constant([0.5, 1.0])
            tape.watch(v)
            y = tf.math.sigmoid(v) * 2.0 + 1.0
        g = tape.gradient(y, v)
        ok = isinstance(h, np.ndarray) and isinstance(g._v if hasattr(g, "_v") else g, cp.ndarray)
        say("PASS" if ok else "FAIL", "C: constant caches per array module",
            f"twin->{type(h).__module__}, device grad->{type(getattr(g, '_v', g)).__module__}")

    with item("D: random.shuffle on CuPy"):
        s = tf.random.shuffle(tf.range(10), seed=1).numpy()
        say("PASS" if sorted(s.tolist()) == list(range(10)) else "FAIL", "D: random.shuffle on CuPy", str(s.tolist()))

    with item("F: gather with an out-of-range index"):
        try:
            r = tf.gather(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, 5])).numpy()
            say("FAIL", "F: gather with an out-of-range index", f"no error, returned {r.tolist()} (wrapped)")
        except Exception as e:    # noqa: BLE001
            say("PASS", "F: gather with an out-of-range index", f"{type(e).__name__}: {str(e)[:120]}")

    with item("F: tensor indexing with an out-of-range tensor index"):
        try:
            r = tf.constant([1.0, 2.0, 3.0])[tf.constant(7)].numpy()
            say("FAIL", "F: tensor indexing out of range", f"no error, returned {r}")
        except Exception as e:    # noqa: BLE001
            say("PASS", "F: tensor indexing out of range", f"{type(e).__name__}: {str(e)[:120]}")

    with item("F: sparse cross-entropy with an out-of-range label"):
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([0, 7]), logits=tf.constant(np.zeros((2, 3), np.float32))).numpy()
        ok = np.isnan(loss[1]) and abs(loss[0] - np.log(3)) < 1e-6
        say("PASS" if ok else "FAIL", "F: sparse xent out-of-range label gives NaN", str(loss.tolist()))

    with item("G: clip_by_value with lo > hi"):
        try:
            r = tf.clip_by_value(tf.constant([1.0, 5.0]), 3.0, 2.0).numpy()
            say("FAIL", "G: clip_by_value lo > hi", f"no error, returned {r.tolist()}")
        except Exception as e:    # noqa: BLE001
            say("PASS", "G: clip_by_value lo > hi", f"{type(e).__name__}")

    with item("G: float->int casts of inf/NaN/negatives"):
        src = np.array([np.inf, -np.inf, np.nan, -1.5, 3.7, 3e9], np.float32)
        got = {d: tf.cast(tf.constant(src), getattr(tf, d)).numpy().tolist() for d in ("int32", "uint8", "int64")}
        want = on_numpy("import json, numpy as np, gputape as tf\n"
                        "src = np.array([np.inf, -np.inf, np.nan, -1.5, 3.7, 3e9], np.float32)\n"
                        "print(json.dumps({d: tf.cast(tf.constant(src), getattr(tf, d)).numpy().tolist() "
                        "for d in ('int32', 'uint8', 'int64')}))")
        inr = [3, 4]       # -1.5 and 3.7: in range of every target (but uint8: 3.7 only)
        ok = all(got[d][i] == want[d][i] for d in got for i in inr if not (d == "uint8" and i == 3))
        say("PASS" if ok else "FAIL", "G: float->int casts of in-range values as on NumPy (UB values may differ)",
            f"cupy {got}" + ("" if got == want else f" numpy {want}"))

    with item("G: convert_to_tensor(cupy array, dtype_hint=)"):
        t = tf.convert_to_tensor(cp.arange(3, dtype=cp.float64), dtype_hint=tf.float32)
        say("PASS", "G: convert_to_tensor(cupy array, dtype_hint=)", f"{t.dtype}")

    with item("ftz: float32 denormals"):
        d = cp.full(4, 1e-39, cp.float32)
        r = tf.math.tanh(tf.convert_to_tensor(d)).numpy()
        say("PASS", "ftz: tanh(1e-39) on the device", f"{r[0]!r} (0 means flushed)")

    with item("2^31+7 float16 elements through one kernel"):
        n = 2**31 + 7
        from gputape.ops import math as M
        y = cp.empty(n, cp.float16)
        y[:] = 0.5
        y[-3:] = cp.asarray(np.array([0.25, -0.75, 0.125], np.float16))
        g = cp.ones(n, cp.float16)
        out = M.tanh_grad.cuda(cp, y, g)          # (y, g): g * (1 - y*y)
        tail = cp.asnumpy(out[-4:])
        want = M.tanh_grad.fwd(np, np.array([0.5, 0.25, -0.75, 0.125], np.float16), np.ones(4, np.float16))
        head = float(out[0]), float(out[2**31 - 1])
        del y, g, out
        cp.get_default_memory_pool().free_all_blocks()
        ok = np.array_equal(tail, want) and head == (0.75, 0.75)
        say("PASS" if ok else "FAIL", "2^31+7 float16 elements through tanh_grad",
            f"tail {tail.tolist()} want {want.tolist()}, head {head}")

    with item("H: gather gradient determinism"):
        rng = np.random.default_rng(0)
        params = tf.Variable(rng.normal(size=(1000, 64)).astype(np.float32))
        idx = tf.constant(rng.integers(0, 1000, 200000))
        w = tf.constant(rng.normal(size=(200000, 64)).astype(np.float32))
        outs = []
        for _ in range(5):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.gather(params, idx) * w)
            outs.append(tape.gradient(loss, params).numpy())
        same = all(np.array_equal(outs[0], o) for o in outs[1:])
        spread = max(float(np.max(np.abs(outs[0] - o))) for o in outs[1:])
        say("PASS" if same else "FAIL", "H: gather gradient run to run", f"bit-identical over 5 runs: {same}; "
            f"max diff {spread:.2e}")

    with item("H: reduce_sum vs NumPy's TF-order sum"):
        code = ("import json, numpy as np, gputape as tf\n"
                "x = np.random.default_rng(1).normal(size=(1000, 1000)).astype(np.float32)\n"
                "s = np.random.default_rng(2).normal(size=(64, 10)).astype(np.float32)\n"
                "print(json.dumps([float(tf.reduce_sum(tf.constant(x)).numpy()), "
                "tf.reduce_sum(tf.constant(s), axis=-1).numpy().tolist(), float(tf.reduce_mean(tf.constant(s[0])).numpy())]))")
        want = on_numpy(code)
        x = np.random.default_rng(1).normal(size=(1000, 1000)).astype(np.float32)
        s = np.random.default_rng(2).normal(size=(64, 10)).astype(np.float32)
        big = float(tf.reduce_sum(tf.constant(x)).numpy())
        small = tf.reduce_sum(tf.constant(s), axis=-1).numpy().tolist()
        mean = float(tf.reduce_mean(tf.constant(s[0])).numpy())
        exact = float(x.astype(np.float64).sum())
        say("PASS" if small == want[1] and mean == want[2] else "FAIL",
            "H: small reductions (TF's Eigen order) bit-equal to NumPy", f"rows of 10: {small == want[1]}, "
            f"mean of 10: {mean == want[2]}")
        say("PASS", "H: reduce_sum float32 1e6 (CuPy tree order)", f"cupy {big!r}, numpy {want[0]!r}, "
            f"float64 {exact!r}: |cupy-f64| {abs(big - exact):.2e}, |numpy-f64| {abs(want[0] - exact):.2e}")

    say("SKIP", "I: sync counts", "counted under the CuPy stand-in (tests/test_sync_budget.py), not here")

    return summary("stage 3 probes")


if __name__ == "__main__":
    warnings.simplefilter("default")
    sys.exit(main())
