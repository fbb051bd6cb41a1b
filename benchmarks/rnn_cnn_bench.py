"""One training step of the digits CNN and of a 1-layer LSTM(64), gputape against its peers.

    python benchmarks/rnn_cnn_bench.py                       # both workloads, every peer that runs here
    python benchmarks/rnn_cnn_bench.py --workloads lstm --peers numpy,gputape,torch --repeats 30
    python benchmarks/rnn_cnn_bench.py --torch-python /path/to/venv/bin/python

Workloads (batch 64, Adam(1e-3), sparse softmax cross-entropy from logits, the same initial weights
and data for every peer):

- ``cnn``: ``gputape train --model cnn``'s network on 8x8x1 images: Conv2D(16, 3, same, relu),
  MaxPooling2D(2), Conv2D(32, 3, same, relu), MaxPooling2D(2), Flatten, Dense(64, relu), Dense(10);
- ``lstm``: LSTM(64) over sequences of length 32 with 8 features, then Dense(10).

Peers: ``numpy`` (the floor: forward, backward and Adam written by hand with NumPy, in place),
``gputape`` (eager) and ``gputape_fn`` (``gputape.function``), ``tf`` (TF 2.21 eager) and
``tf_function`` (``tf.function``) run by ``--tf-python`` (default /opt/tfenv/bin/python), ``torch``
(PyTorch eager, ``nn.LSTM`` / ``nn.Conv2d``) run by ``--torch-python`` (default: this Python).  Each
peer runs in its own process, with ``--threads`` threads for BLAS and the frameworks (default 1,
so a loaded machine does not punish one peer's thread pool); a peer that cannot start is reported
and skipped.  Each worker checks its first step's loss against the NumPy floor (same weights, same
data); then it warms up, and ``--repeats`` rounds follow in which every peer takes one sample of at
least ``--min-sample-ms`` in an order rotated round by round (machine noise falls on all alike).  The
table gives the median time per step and the medians of the per-round ratios to the floor and to
PyTorch eager.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKLOADS = ("cnn", "lstm")
PEERS = ("numpy", "gputape", "gputape_fn", "tf", "tf_function", "torch")
BATCH, T, FEAT, UNITS, CLASSES = 64, 32, 8, 64, 10
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7          # Keras 3's Adam defaults (epsilon 1e-7)
F32 = np.float32


# ---------------------------------------------------------------- shared data and initial weights
def data(workload):
    rng = np.random.default_rng(11)
    if workload == "cnn":
        x = rng.standard_normal((BATCH, 8, 8, 1)).astype(F32)
        shapes = [(3, 3, 1, 16), (16,), (3, 3, 16, 32), (32,), (128, 64), (64,), (64, CLASSES), (CLASSES,)]
    else:
        x = rng.standard_normal((BATCH, T, FEAT)).astype(F32)
        shapes = [(FEAT, 4 * UNITS), (UNITS, 4 * UNITS), (4 * UNITS,), (UNITS, CLASSES), (CLASSES,)]
    y = rng.integers(0, CLASSES, BATCH).astype(np.int32)
    weights = [(rng.uniform(-1, 1, s) * (0.3 if len(s) > 1 else 0.05)).astype(F32) for s in shapes]
    return x, y, weights


# ---------------------------------------------------------------- the NumPy floor
class Adam:
    def __init__(self, params):
        self.p = params
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def update(self, grads):
        self.t += 1
        alpha = F32(LR * np.sqrt(1 - B2 ** self.t) / (1 - B1 ** self.t))
        for p, g, m, v in zip(self.p, grads, self.m, self.v):
            m *= F32(B1)
            m += F32(1 - B1) * g
            v *= F32(B2)
            v += F32(1 - B2) * (g * g)
            den = np.sqrt(v)
            den += F32(EPS)                                 # Keras 3: eps added to sqrt(v)
            p -= alpha * m / den


def _xent(z, y):
    """mean sparse softmax cross-entropy and its gradient w.r.t. the logits"""
    n = z.shape[0]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    loss = float((np.log(s[:, 0]) - z[np.arange(n), y]).mean())
    d = e / s
    d[np.arange(n), y] -= 1
    return loss, d * F32(1.0 / n)


def _sigmoid(a):
    return F32(1) / (F32(1) + np.exp(-a))


class LSTMFloor:
    def __init__(self, x, y, weights):
        self.x, self.y = x, y
        self.w = [w.copy() for w in weights]
        self.opt = Adam(self.w)

    def step(self):
        k, rk, b, wd, bd = self.w
        U = UNITS
        xz = (self.x.reshape(-1, FEAT) @ k).reshape(BATCH, T, 4 * U) + b
        h = np.zeros((BATCH, U), F32)
        c = np.zeros((BATCH, U), F32)
        cache = []
        for t in range(T):
            z = xz[:, t] + h @ rk
            g = _sigmoid(z)
            g[:, 2 * U:3 * U] = np.tanh(z[:, 2 * U:3 * U])
            c2 = g[:, U:2 * U] * c + g[:, :U] * g[:, 2 * U:3 * U]
            tc = np.tanh(c2)
            cache.append((h, c, g, tc))
            h, c = g[:, 3 * U:] * tc, c2
        loss, dz = _xent(h @ wd + bd, self.y)
        gwd, gbd = h.T @ dz, dz.sum(axis=0)
        dh = dz @ wd.T
        dc = np.zeros_like(c)
        dxz = np.empty_like(xz)
        grk = np.zeros_like(rk)
        for t in range(T - 1, -1, -1):
            hp, cp, g, tc = cache[t]
            i, f, gg, o = g[:, :U], g[:, U:2 * U], g[:, 2 * U:3 * U], g[:, 3 * U:]
            dc = dc + dh * o * (1 - tc * tc)
            d = np.empty_like(g)
            d[:, :U] = dc * gg * i * (1 - i)
            d[:, U:2 * U] = dc * cp * f * (1 - f)
            d[:, 2 * U:3 * U] = dc * i * (1 - gg * gg)
            d[:, 3 * U:] = dh * tc * o * (1 - o)
            dxz[:, t] = d
            grk += hp.T @ d
            dh = d @ rk.T
            dc = dc * f
        d2 = dxz.reshape(-1, 4 * U)
        self.opt.update([self.x.reshape(-1, FEAT).T @ d2, grk, d2.sum(axis=0), gwd, gbd])
        return loss


def _im2col(x):
    """[n, h, w, c] -> [n*h*w, 9*c], 3x3 'same' patches in (kh, kw, c) order (Keras's kernel layout)."""
    n, hh, ww, c = x.shape
    p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cols = np.empty((n, hh, ww, 3, 3, c), F32)
    for i in range(3):
        for j in range(3):
            cols[:, :, :, i, j, :] = p[:, i:i + hh, j:j + ww, :]
    return cols.reshape(n * hh * ww, 9 * c)


def _col2im(d, shape):
    n, hh, ww, c = shape
    d = d.reshape(n, hh, ww, 3, 3, c)
    p = np.zeros((n, hh + 2, ww + 2, c), F32)
    for i in range(3):
        for j in range(3):
            p[:, i:i + hh, j:j + ww, :] += d[:, :, :, i, j, :]
    return p[:, 1:-1, 1:-1, :]


def _pool(a):
    n, hh, ww, c = a.shape
    r = a.reshape(n, hh // 2, 2, ww // 2, 2, c)
    m = r.max(axis=(2, 4))
    return m, (r == m[:, :, None, :, None, :])


def _unpool(d, mask):
    # ties route the gradient to every maximum here; random float data has none
    return (mask * d[:, :, None, :, None, :]).reshape(mask.shape[0], mask.shape[1] * 2, mask.shape[3] * 2, -1)


class CNNFloor:
    def __init__(self, x, y, weights):
        self.x, self.y = x, y
        self.w = [w.copy() for w in weights]
        self.opt = Adam(self.w)

    def step(self):
        k1, b1, k2, b2, w3, b3, w4, b4 = self.w
        n = BATCH
        c1 = _im2col(self.x)
        a1 = np.maximum(c1 @ k1.reshape(-1, 16) + b1, 0).reshape(n, 8, 8, 16)
        p1, m1 = _pool(a1)
        c2 = _im2col(p1)
        a2 = np.maximum(c2 @ k2.reshape(-1, 32) + b2, 0).reshape(n, 4, 4, 32)
        p2, m2 = _pool(a2)
        f = p2.reshape(n, -1)
        a3 = np.maximum(f @ w3 + b3, 0)
        loss, dz = _xent(a3 @ w4 + b4, self.y)
        g4, gb4 = a3.T @ dz, dz.sum(axis=0)
        d3 = (dz @ w4.T) * (a3 > 0)
        g3, gb3 = f.T @ d3, d3.sum(axis=0)
        dp2 = (d3 @ w3.T).reshape(p2.shape)
        da2 = (_unpool(dp2, m2) * (a2 > 0)).reshape(-1, 32)
        g2, gb2 = (c2.T @ da2).reshape(k2.shape), da2.sum(axis=0)
        dp1 = _col2im(da2 @ k2.reshape(-1, 32).T, p1.shape)
        da1 = (_unpool(dp1, m1) * (a1 > 0)).reshape(-1, 16)
        g1, gb1 = (c1.T @ da1).reshape(k1.shape), da1.sum(axis=0)
        self.opt.update([g1, gb1, g2, gb2, g3, gb3, g4, gb4])
        return loss


# ---------------------------------------------------------------- Keras-style peers (gputape, TF)
def keras_step(tf, workload, x, y, weights, function):
    L = tf.keras.layers
    if workload == "cnn":
        net = tf.keras.Sequential([L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                                   L.Conv2D(32, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                                   L.Flatten(), L.Dense(64, activation="relu"), L.Dense(CLASSES)])
    else:
        net = tf.keras.Sequential([L.LSTM(UNITS), L.Dense(CLASSES)])
    xt, yt = tf.constant(x), tf.constant(y)
    net(xt)
    net.set_weights(weights)
    opt = tf.keras.optimizers.Adam(learning_rate=LR)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, net(x, training=True))
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
        return loss
    if function:
        train_step = tf.function(train_step)
    return lambda: float(train_step(xt, yt).numpy())


def torch_step(workload, x, y, weights):
    import torch
    nn = torch.nn
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    W = [torch.tensor(w) for w in weights]
    if workload == "cnn":
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.c1, self.c2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
                self.d1, self.d2 = nn.Linear(128, 64), nn.Linear(64, CLASSES)

            def forward(self, x):
                x = torch.max_pool2d(torch.relu(self.c1(x)), 2)
                x = torch.max_pool2d(torch.relu(self.c2(x)), 2)
                x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)      # Keras's NHWC flatten order
                return self.d2(torch.relu(self.d1(x)))
        net = Net()
        with torch.no_grad():
            net.c1.weight.copy_(W[0].permute(3, 2, 0, 1)); net.c1.bias.copy_(W[1])
            net.c2.weight.copy_(W[2].permute(3, 2, 0, 1)); net.c2.bias.copy_(W[3])
            net.d1.weight.copy_(W[4].T); net.d1.bias.copy_(W[5])
            net.d2.weight.copy_(W[6].T); net.d2.bias.copy_(W[7])
        xt = torch.tensor(x).permute(0, 3, 1, 2).contiguous()
    else:
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm, self.d = nn.LSTM(FEAT, UNITS, batch_first=True), nn.Linear(UNITS, CLASSES)

            def forward(self, x):
                return self.d(self.lstm(x)[0][:, -1])
        net = Net()
        with torch.no_grad():                                          # gate order i, f, g, o as Keras
            net.lstm.weight_ih_l0.copy_(W[0].T); net.lstm.weight_hh_l0.copy_(W[1].T)
            net.lstm.bias_ih_l0.copy_(W[2]); net.lstm.bias_hh_l0.zero_()
            net.d.weight.copy_(W[3].T); net.d.bias.copy_(W[4])
        xt = torch.tensor(x)
    yt = torch.tensor(y.astype(np.int64))
    opt = torch.optim.Adam(net.parameters(), lr=LR, eps=EPS)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xt), yt)
        loss.backward()
        opt.step()
        return float(loss.detach())
    return step


# ---------------------------------------------------------------- one peer in one process
def _build(peer, workload):
    x, y, weights = data(workload)
    if peer == "numpy":
        return (CNNFloor if workload == "cnn" else LSTMFloor)(x, y, weights).step
    if peer in ("gputape", "gputape_fn"):
        sys.path.insert(0, str(REPO))
        import gputape
        return keras_step(gputape, workload, x, y, weights, peer == "gputape_fn")
    if peer in ("tf", "tf_function"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        n = int(os.environ.get("OMP_NUM_THREADS", "1"))
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
        return keras_step(tf, workload, x, y, weights, peer == "tf_function")
    return torch_step(workload, x, y, weights)


def serve(peer, workload, warmup, min_sample_ms):
    """Build, take the first step (its loss is checked against the floor), warm up, choose the calls
    per sample; then answer "sample" lines on stdin with the seconds per call, until EOF."""
    step = _build(peer, workload)
    loss0 = step()
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    step()
    calls = max(1, int(np.ceil(min_sample_ms / 1e3 / max(time.perf_counter() - t0, 1e-6))))
    print(json.dumps({"ready": True, "loss0": loss0, "calls_per_sample": calls}), flush=True)
    for line in sys.stdin:
        if line.strip() != "sample":
            break
        t0 = time.perf_counter()
        for _ in range(calls):
            step()
        print(json.dumps({"t": (time.perf_counter() - t0) / calls}), flush=True)


# ---------------------------------------------------------------- the runner: interleaved rounds
def _python_for(peer, args):
    if peer in ("tf", "tf_function"):
        return args.tf_python
    if peer == "torch":
        return args.torch_python
    return sys.executable


def _start(peer, workload, args):
    py = _python_for(peer, args)
    if not py or not Path(py).exists():
        return None, f"no Python for {peer} ({py!r})"
    n = str(args.threads)
    env = dict(os.environ, OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n,
               TF_NUM_INTRAOP_THREADS=n, TF_NUM_INTEROP_THREADS=n, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [py, str(Path(__file__).resolve()), "--worker", peer, "--workloads", workload, "--warmup",
           str(args.warmup), "--min-sample-ms", str(args.min_sample_ms)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    return proc, None


def _read(proc):
    for line in proc.stdout:
        if line.startswith("{"):
            return json.loads(line)
    err = (proc.stderr.read().strip().splitlines() or ["(no output)"])[-1]
    return {"error": err[:200]}


def run_workload(workload, peers, args, bar):
    """Start every peer (each in its own process, warm), then ``--repeats`` rounds; in each round every
    peer takes one sample, in an order rotated round by round, so machine noise falls on all alike."""
    procs, results = {}, {}
    for peer in peers:
        proc, err = _start(peer, workload, args)
        if proc is None:
            results[peer] = {"peer": peer, "workload": workload, "error": err}
        else:
            procs[peer] = proc
    for peer, proc in list(procs.items()):
        ready = _read(proc)
        if "error" in ready:
            results[peer] = {"peer": peer, "workload": workload, "error": ready["error"]}
            proc.kill()
            del procs[peer]
        else:
            results[peer] = {"peer": peer, "workload": workload, "loss0": ready["loss0"],
                             "calls_per_sample": ready["calls_per_sample"], "times": []}
    live = list(procs)
    for k in range(args.repeats):
        order = live[k % len(live):] + live[:k % len(live)] if live else []
        for peer in order:
            procs[peer].stdin.write("sample\n")
            procs[peer].stdin.flush()
            results[peer]["times"].append(_read(procs[peer])["t"])
        bar.update(1)
    for proc in procs.values():
        proc.stdin.close()
        proc.wait(timeout=60)
    return [results[p] for p in peers]


def _paired(num, den):
    return float(np.median(np.asarray(num) / np.asarray(den)))


def _table(results, workloads, peers):
    lines = []
    for w in workloads:
        rows = {r["peer"]: r for r in results if r["workload"] == w}
        ok = {p: r for p, r in rows.items() if "times" in r and r["times"]}
        floor, torch_r = ok.get("numpy"), ok.get("torch")
        ref = floor["loss0"] if floor else None
        lines.append(f"\n{w} (batch {BATCH}" + (f", length {T}, LSTM({UNITS}) -> Dense" if w == "lstm"
                                                 else ", 8x8x1 digits CNN") + ")")
        lines.append(f"{'peer':<12} {'median/step':>12} {'min/step':>10} {'x floor':>8} {'x torch':>8}  first loss")
        for p in peers:
            r = rows.get(p)
            if r is None:
                continue
            if p not in ok:
                lines.append(f"{p:<12} skipped: {r.get('error', 'no samples')}")
                continue
            t = r["times"]
            same = "" if ref is None or abs(r["loss0"] - ref) <= 1e-4 * max(1.0, abs(ref)) else "  MISMATCH vs floor"
            xf = _paired(t, floor["times"]) if floor else float("nan")
            xt = _paired(t, torch_r["times"]) if torch_r else float("nan")
            lines.append(f"{p:<12} {np.median(t) * 1e3:>10.3f}ms {min(t) * 1e3:>8.3f}ms {xf:>8.2f} {xt:>8.2f}  "
                         f"{r['loss0']:.6f}{same}")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] + " (see the module docstring for details)",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated: cnn,lstm (default both)")
    p.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated, from {','.join(PEERS)} (default all)")
    p.add_argument("--repeats", type=int, default=15, help="rounds of samples (default 15)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps after the first (default 3)")
    p.add_argument("--min-sample-ms", type=float, default=50.0, help="least duration of one sample (default 50)")
    p.add_argument("--threads", type=int, default=1, help="threads for BLAS and each framework (default 1)")
    p.add_argument("--tf-python", default="/opt/tfenv/bin/python", help="Python with TensorFlow 2.21")
    p.add_argument("--torch-python", default=sys.executable, help="Python with PyTorch (default: this one)")
    p.add_argument("--json", default=None, help="also write the raw results to this file")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    workloads = [w for w in args.workloads.split(",") if w]
    peers = [q for q in args.peers.split(",") if q]
    for w in workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r} (choose from {', '.join(WORKLOADS)})")
    for q in peers:
        if q not in PEERS:
            p.error(f"unknown peer {q!r} (choose from {', '.join(PEERS)})")
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    if args.worker:
        serve(args.worker, workloads[0], args.warmup, args.min_sample_ms)
        return 0
    from tqdm import tqdm
    results = []
    with tqdm(total=len(workloads) * args.repeats, unit="round", file=sys.stderr) as bar:
        for w in workloads:
            bar.set_description(w)
            results += run_workload(w, peers, args, bar)
    print(f"threads per peer: {args.threads}; {args.repeats} interleaved rounds, samples of >= "
          f"{args.min_sample_ms:g} ms; ratios: medians of per-round ratios")
    print(_table(results, workloads, peers))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
