"""The benchmark workloads, each one written once for every peer framework.

A peer is one way of running a workload:

    gputape      gputape eagerly, written the way a TensorFlow user writes it
    gputape_fn   the same code under ``gputape.function``
    tf, tf_fn    TensorFlow eager, and the same code under ``tf.function``
    torch        PyTorch eager (torch.autograd / torch.optim)
    jax          ``jax.jit`` of the transformed function
    numpy        hand-written forward and backward in NumPy: the floor
    cupy         the same hand-written floor in CuPy (only where a CUDA device is seen)

``build(workload, peer)`` gives a ``Case``: ``step()`` runs one iteration to
completion (it waits for the device) and returns its result, ``fetch(result)``
turns that result into a NumPy array for the cross-peer check.  Every peer
starts from the same NumPy data and weights, so the results can be compared
(``check``).  A peer whose framework does not import raises ``Unavailable``.
"""
import collections
import os

import numpy as np

# Several frameworks share one process (and maybe one GPU): none may grab all device memory.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

F32 = np.float32

PEERS = ("gputape", "gputape_fn", "tf", "tf_fn", "torch", "jax", "numpy", "cupy")
PEER_LABELS = {
    "gputape": "gputape eager",
    "gputape_fn": "gputape function",
    "tf": "TF eager",
    "tf_fn": "TF tf.function",
    "torch": "PyTorch eager",
    "jax": "JAX jit",
    "numpy": "NumPy floor",
    "cupy": "CuPy floor",
}

Case = collections.namedtuple("Case", "step fetch")
Workload = collections.namedtuple("Workload", "key title detail check_calls rtol")

WORKLOADS = collections.OrderedDict((w.key, w) for w in [
    Workload("W1", "100-op elementwise chain + gradient",
             "25 x (sin, *1.01, +0.1, tanh) on a float32[16] vector, reduce_sum, d/dx under a tape", 1, 2e-3),
    Workload("W2", "MLP 64-128-128-10 train step (Adam)",
             "batch 128 of 8x8 digits, relu, sparse softmax cross-entropy from logits, Adam(1e-3) applied", 3, 2e-3),
    Workload("W2S", "MLP 64-128-128-10 train step (plain SGD)",
             "W2 with SGD(1e-3) instead of Adam: the anchors' W2 variant (issue 12 reports both)", 3, 2e-3),
    Workload("W3", "MLP 1024-2048-2048-10 train step (SGD)",
             "batch 512 of random data, relu, sparse softmax cross-entropy from logits, SGD(0.01) applied", 3, 2e-3),
    Workload("W4", "Hessian-vector product",
             "H(x) v for f(x) = sum(tanh(W x)^2), W float32[256,256], by nested tapes (forward-over-reverse)",
             1, 2e-3),
    Workload("W5", "Jacobian of tanh(A x)",
             "full 128x128 jacobian of tanh(A x), A float32[128,128], by tape.jacobian", 1, 2e-3),
])


class Unavailable(Exception):
    """This peer cannot run here (its framework does not import, or no device)."""


def n_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def n_threads():
    """Threads each framework may use: ``GPUTAPE_BENCH_THREADS`` if set, else every usable core."""
    return int(os.environ.get("GPUTAPE_BENCH_THREADS") or n_cores())


def thread_env(n):
    """Environment variables that hold every framework (and NumPy's BLAS) to ``n`` threads.

    They take effect only in a process started with them (BLAS pools are sized at import)."""
    env = {"GPUTAPE_BENCH_THREADS": str(n), "OMP_NUM_THREADS": str(n), "OPENBLAS_NUM_THREADS": str(n),
           "MKL_NUM_THREADS": str(n), "TF_NUM_INTRAOP_THREADS": str(n), "TF_NUM_INTEROP_THREADS": str(n)}
    if n == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        for f in ("--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1"):
            if f not in flags.split():
                flags = f"{flags} {f}".strip()
        env["XLA_FLAGS"] = flags
    return env


# ---------------------------------------------------------------- framework imports (lazy, cached)

_mods = {}


def _import(name):
    if name in _mods:
        m = _mods[name]
        if isinstance(m, Unavailable):
            raise m
        return m
    try:
        if name == "gputape":
            import gputape as m
        elif name == "tf":
            import tensorflow as m
            if os.environ.get("GPUTAPE_BENCH_THREADS"):
                m.config.threading.set_intra_op_parallelism_threads(n_threads())
                m.config.threading.set_inter_op_parallelism_threads(n_threads())
        elif name == "torch":
            import torch as m
            m.set_num_threads(n_threads())
        elif name == "jax":
            import jax as m
        elif name == "cupy":
            gt = _import("gputape")
            from gputape import backend as _b
            cp, why = _b._cupy_with_device()
            if cp is None:
                raise Unavailable(why)
            if gt.backend_name() != "cupy":
                raise Unavailable("the gputape backend is not cupy, so the CuPy floor is left out")
            m = cp
        else:
            raise ValueError(name)
    except Unavailable as e:
        _mods[name] = e
        raise
    except Exception as e:  # ImportError, or a broken install
        err = Unavailable(f"{name} does not import ({type(e).__name__}: {e})")
        _mods[name] = err
        raise err from None
    _mods[name] = m
    return m


def peer_available(peer):
    """(True, '') or (False, why)."""
    fw = {"gputape_fn": "gputape", "tf_fn": "tf", "numpy": None}.get(peer, peer)
    if fw is None:
        return True, ""
    try:
        _import(fw)
    except Unavailable as e:
        return False, str(e)
    return True, ""


def floor_peer():
    """The hand-written floor on gputape's device: 'cupy' when gputape runs on CuPy, else 'numpy'."""
    ok, _ = peer_available("cupy")
    return "cupy" if ok else "numpy"


def gputape_sync():
    """Wait for gputape's device (a no-op on NumPy)."""
    from gputape import backend as _b
    if _b.name == "cupy":
        _b.xp.cuda.runtime.deviceSynchronize()


def _gt_case(step):
    gt = _import("gputape")

    if gt.backend_name() == "cupy":
        def run():
            r = step()
            gputape_sync()
            return r
    else:
        run = step
    return Case(run, lambda r: np.asarray(r.numpy()) if not isinstance(r, (list, tuple))
                else np.stack([np.asarray(t.numpy()) for t in r]))


def _xp_case(xp, step):
    if xp is np:
        return Case(step, np.asarray)
    stream_sync = xp.cuda.runtime.deviceSynchronize

    def run():
        r = step()
        stream_sync()
        return r
    return Case(run, xp.asnumpy)


def _torch_fetch(r):
    return r.detach().cpu().numpy()


def _tf_fetch(r):
    return r.numpy()


def _jax_case(fn, *args):
    def run():
        r = fn(*args)
        r.block_until_ready()
        return r
    return Case(run, np.asarray)


# ---------------------------------------------------------------- data (shared by every peer)

def _glorot(rng, fan_in, fan_out):
    lim = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, size=(fan_in, fan_out)).astype(F32)


def data(key):
    """The NumPy inputs of a workload (deterministic)."""
    rng = np.random.default_rng(1234)
    if key == "W1":
        return {"x": (0.5 * rng.standard_normal(16)).astype(F32)}
    if key in ("W2", "W2S"):
        sizes, batch = (64, 128, 128, 10), 128
        try:
            from sklearn.datasets import load_digits
            d = load_digits()
            x = (d.data[:batch] / 16.0).astype(F32)
            y = d.target[:batch].astype(np.int64)
            source = "sklearn digits"
        except Exception:
            x = rng.random((batch, 64)).astype(F32)
            y = rng.integers(0, 10, size=batch).astype(np.int64)
            source = "random (sklearn not installed)"
        return {"x": x, "y": y, "sizes": sizes, "source": source,
                "weights": [_glorot(rng, a, b) for a, b in zip(sizes[:-1], sizes[1:])],
                "biases": [(0.01 * rng.standard_normal(b)).astype(F32) for b in sizes[1:]]}
    if key == "W3":
        sizes, batch = (1024, 2048, 2048, 10), 512
        return {"x": rng.standard_normal((batch, sizes[0])).astype(F32),
                "y": rng.integers(0, 10, size=batch).astype(np.int64), "sizes": sizes, "source": "random",
                "weights": [_glorot(rng, a, b) for a, b in zip(sizes[:-1], sizes[1:])],
                "biases": [(0.01 * rng.standard_normal(b)).astype(F32) for b in sizes[1:]]}
    if key == "W4":
        n = 256
        return {"W": (rng.standard_normal((n, n)) / np.sqrt(n)).astype(F32),
                "x": rng.standard_normal(n).astype(F32), "v": rng.standard_normal(n).astype(F32)}
    if key == "W5":
        n = 128
        return {"A": (rng.standard_normal((n, n)) / np.sqrt(n)).astype(F32),
                "x": rng.standard_normal(n).astype(F32)}
    raise KeyError(key)


OPTIMIZER = {"W2": ("adam", 1e-3), "W2S": ("sgd", 1e-3), "W3": ("sgd", 1e-2)}
ADAM = dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7)


# ---------------------------------------------------------------- W1: elementwise chain

def w1_floor(xp, x):
    """Forward keeping what the backward needs, then the backward by hand."""
    c1, c2 = F32(1.01), F32(0.1)
    ins, outs = [], []
    y = x
    for _ in range(25):
        ins.append(y)
        y = xp.tanh(xp.sin(y) * c1 + c2)
        outs.append(y)
    y.sum()
    g = xp.ones_like(x)
    for a, t in zip(reversed(ins), reversed(outs)):
        g = g * (1 - t * t) * c1 * xp.cos(a)
    return g


def _w1(peer):
    x0 = data("W1")["x"]
    if peer in ("numpy", "cupy"):
        xp = np if peer == "numpy" else _import("cupy")
        x = xp.asarray(x0)
        return _xp_case(xp, lambda: w1_floor(xp, x))
    if peer in ("gputape", "gputape_fn", "tf", "tf_fn"):
        m = _import("gputape" if peer.startswith("gputape") else "tf")    # the same program for both

        def grad(x):
            with m.GradientTape() as tape:
                tape.watch(x)
                y = x
                for _ in range(25):
                    y = m.sin(y)
                    y = y * 1.01
                    y = y + 0.1
                    y = m.tanh(y)
                s = m.reduce_sum(y)
            return tape.gradient(s, x)
        if peer.endswith("_fn"):
            grad = m.function(grad)
        x = m.constant(x0)
        return _gt_case(lambda: grad(x)) if peer.startswith("gputape") else Case(lambda: grad(x), _tf_fetch)
    if peer == "torch":
        torch = _import("torch")
        x = torch.tensor(x0, requires_grad=True)

        def step():
            y = x
            for _ in range(25):
                y = torch.sin(y)
                y = y * 1.01
                y = y + 0.1
                y = torch.tanh(y)
            s = y.sum()
            return torch.autograd.grad(s, x)[0]
        return Case(step, _torch_fetch)
    if peer == "jax":
        jax = _import("jax")
        jnp = jax.numpy

        def f(x):
            y = x
            for _ in range(25):
                y = jnp.tanh(jnp.sin(y) * 1.01 + 0.1)
            return jnp.sum(y)
        return _jax_case(jax.jit(jax.grad(f)), jnp.asarray(x0))
    raise Unavailable(f"no {peer} version of W1")


# ---------------------------------------------------------------- W2, W3: MLP training steps

class MLPFloor:
    """Forward, backward and optimizer update of a relu MLP, by hand, with in-place updates."""

    def __init__(self, xp, d, opt, lr):
        self.xp = xp
        self.W = [xp.asarray(w).copy() for w in d["weights"]]
        self.b = [xp.asarray(b).copy() for b in d["biases"]]
        self.x = xp.asarray(d["x"])
        self.y = xp.asarray(d["y"])
        self.rows = xp.arange(self.x.shape[0])
        self.opt, self.lr, self.t = opt, F32(lr), 0
        if opt == "adam":
            self.m = [xp.zeros_like(p) for p in self.W + self.b]
            self.v = [xp.zeros_like(p) for p in self.W + self.b]

    def step(self):
        xp, W, b = self.xp, self.W, self.b
        acts = [self.x]
        h = self.x
        for i in range(len(W) - 1):
            h = h @ W[i]
            h += b[i]
            xp.maximum(h, 0, out=h)
            acts.append(h)
        z = h @ W[-1]
        z += b[-1]
        n = z.shape[0]
        z -= z.max(axis=1, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = (xp.log(s[:, 0]) - z[self.rows, self.y]).mean()
        d = e
        d /= s
        d[self.rows, self.y] -= 1
        d *= F32(1.0 / n)
        gW, gb = [None] * len(W), [None] * len(W)
        for i in range(len(W) - 1, -1, -1):
            gW[i] = acts[i].T @ d
            gb[i] = d.sum(axis=0)
            if i:
                d = d @ W[i].T
                d *= acts[i] > 0
        self.update(W + b, gW + gb)
        return loss

    def update(self, params, grads):
        xp = self.xp
        self.t += 1
        if self.opt == "sgd":
            for p, g in zip(params, grads):
                g *= self.lr
                p -= g
            return
        b1, b2, eps = F32(ADAM["beta_1"]), F32(ADAM["beta_2"]), F32(ADAM["epsilon"])
        alpha = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            g *= g
            g *= 1 - b2
            v *= b2
            v += g
            den = xp.sqrt(v)
            den += eps
            upd = m * F32(alpha)
            upd /= den
            p -= upd


def _mlp(key, peer):
    d = data(key)
    opt_name, lr = OPTIMIZER[key]
    sizes = d["sizes"]
    if peer in ("numpy", "cupy"):
        xp = np if peer == "numpy" else _import("cupy")
        return _xp_case(xp, MLPFloor(xp, d, opt_name, lr).step)
    if peer in ("gputape", "gputape_fn"):
        gt = _import("gputape")
        Dense = gt.keras.layers.Dense
        model = gt.keras.Sequential([Dense(n, activation="relu") for n in sizes[1:-1]] + [Dense(sizes[-1])])
        x, y = gt.constant(d["x"]), gt.constant(d["y"])
        model(x)
        model.set_weights([a for wb in zip(d["weights"], d["biases"]) for a in wb])
        opt = (gt.keras.optimizers.Adam(lr, **ADAM) if opt_name == "adam"
               else gt.keras.optimizers.SGD(lr))

        def train_step(x, y):
            with gt.GradientTape() as tape:
                logits = model(x)
                loss = gt.reduce_mean(gt.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        if peer == "gputape_fn":
            train_step = gt.function(train_step)
        return _gt_case(lambda: train_step(x, y))
    if peer in ("tf", "tf_fn"):
        tf = _import("tf")
        Dense = tf.keras.layers.Dense
        model = tf.keras.Sequential([tf.keras.Input((sizes[0],))] +
                                    [Dense(n, activation="relu") for n in sizes[1:-1]] + [Dense(sizes[-1])])
        model.set_weights([a for wb in zip(d["weights"], d["biases"]) for a in wb])
        opt = (tf.keras.optimizers.Adam(lr, **ADAM) if opt_name == "adam" else tf.keras.optimizers.SGD(lr))
        x, y = tf.constant(d["x"]), tf.constant(d["y"])

        def train_step(x, y):
            with tf.GradientTape() as tape:
                logits = model(x, training=True)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        if peer == "tf_fn":
            train_step = tf.function(train_step)
        return Case(lambda: train_step(x, y), _tf_fetch)
    if peer == "torch":
        torch = _import("torch")
        nn = torch.nn
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            lin = nn.Linear(a, b)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(d["weights"][i].T.copy()))
                lin.bias.copy_(torch.from_numpy(d["biases"][i]))
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        model = nn.Sequential(*layers)
        opt = (torch.optim.Adam(model.parameters(), lr=lr, betas=(ADAM["beta_1"], ADAM["beta_2"]),
                                eps=ADAM["epsilon"]) if opt_name == "adam"
               else torch.optim.SGD(model.parameters(), lr=lr))
        x, y = torch.from_numpy(d["x"]), torch.from_numpy(d["y"])
        xent = nn.functional.cross_entropy

        def step():
            opt.zero_grad(set_to_none=True)
            loss = xent(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return Case(step, _torch_fetch)
    if peer == "jax":
        jax = _import("jax")
        jnp = jax.numpy

        def loss_fn(params, x, y):
            h = x
            for i, (w, b) in enumerate(params):
                h = h @ w + b
                if i < len(params) - 1:
                    h = jax.nn.relu(h)
            logp = jax.nn.log_softmax(h)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        b1, b2, eps = ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]

        @jax.jit
        def train_step(params, m, v, t, x, y):
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            if opt_name == "sgd":
                params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
                return loss, params, m, v, t + 1
            t = t + 1
            alpha = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            m = jax.tree_util.tree_map(lambda m, g: m + (g - m) * (1 - b1), m, grads)
            v = jax.tree_util.tree_map(lambda v, g: v + (g * g - v) * (1 - b2), v, grads)
            params = jax.tree_util.tree_map(lambda p, m, v: p - m * alpha / (jnp.sqrt(v) + eps), params, m, v)
            return loss, params, m, v, t

        params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in zip(d["weights"], d["biases"])]
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        state = [params, zeros, zeros, jnp.asarray(0.0, jnp.float32)]
        x, y = jnp.asarray(d["x"]), jnp.asarray(d["y"].astype(np.int32))

        def step():
            loss, *new_state = train_step(*state, x, y)
            state[:] = new_state
            loss.block_until_ready()
            return loss
        return Case(step, np.asarray)
    raise Unavailable(f"no {peer} version of {key}")


# ---------------------------------------------------------------- W4: Hessian-vector product

def w4_floor(xp, W, x, v):
    """H v for f = sum(tanh(Wx)^2): W^T [(2 - 6 t^2)(1 - t^2) * (W v)], t = tanh(W x)."""
    t = xp.tanh(W @ x)
    t2 = t * t
    return W.T @ ((2 - 6 * t2) * (1 - t2) * (W @ v))


def _w4(peer):
    d = data("W4")
    if peer in ("numpy", "cupy"):
        xp = np if peer == "numpy" else _import("cupy")
        W, x, v = (xp.asarray(d[k]) for k in "Wxv")
        return _xp_case(xp, lambda: w4_floor(xp, W, x, v))
    if peer in ("gputape", "gputape_fn", "tf", "tf_fn"):
        m = _import("gputape" if peer.startswith("gputape") else "tf")

        def hvp(W, x, v):
            with m.GradientTape() as outer:
                outer.watch(x)
                with m.GradientTape() as inner:
                    inner.watch(x)
                    y = m.reduce_sum(m.square(m.tanh(m.linalg.matvec(W, x))))
                g = inner.gradient(y, x)
                gv = m.reduce_sum(g * v)
            return outer.gradient(gv, x)
        if peer.endswith("_fn"):
            hvp = m.function(hvp)
        W, x, v = (m.constant(d[k]) for k in "Wxv")
        run = lambda: hvp(W, x, v)  # noqa: E731
        return _gt_case(run) if peer.startswith("gputape") else Case(run, _tf_fetch)
    if peer == "torch":
        torch = _import("torch")
        W, v = torch.from_numpy(d["W"]), torch.from_numpy(d["v"])
        x = torch.tensor(d["x"], requires_grad=True)

        def step():
            y = torch.tanh(W @ x).square().sum()
            (g,) = torch.autograd.grad(y, x, create_graph=True)
            (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
            return hv
        return Case(step, _torch_fetch)
    if peer == "jax":
        jax = _import("jax")
        jnp = jax.numpy

        def hvp(W, x, v):
            f = lambda x: jnp.sum(jnp.tanh(W @ x) ** 2)  # noqa: E731
            return jax.jvp(jax.grad(f), (x,), (v,))[1]
        return _jax_case(jax.jit(hvp), *(jnp.asarray(d[k]) for k in "Wxv"))
    raise Unavailable(f"no {peer} version of W4")


# ---------------------------------------------------------------- W5: Jacobian

def w5_floor(xp, A, x):
    t = xp.tanh(A @ x)
    return (1 - t * t)[:, None] * A


def _w5(peer):
    d = data("W5")
    if peer in ("numpy", "cupy"):
        xp = np if peer == "numpy" else _import("cupy")
        A, x = xp.asarray(d["A"]), xp.asarray(d["x"])
        return _xp_case(xp, lambda: w5_floor(xp, A, x))
    if peer in ("gputape", "gputape_fn", "tf", "tf_fn"):
        m = _import("gputape" if peer.startswith("gputape") else "tf")

        def jac(A, x):
            with m.GradientTape() as tape:
                tape.watch(x)
                y = m.tanh(m.linalg.matvec(A, x))
            return tape.jacobian(y, x)
        if peer.endswith("_fn"):
            jac = m.function(jac)
        A, x = m.constant(d["A"]), m.constant(d["x"])
        run = lambda: jac(A, x)  # noqa: E731
        return _gt_case(run) if peer.startswith("gputape") else Case(run, _tf_fetch)
    if peer == "torch":
        torch = _import("torch")
        A, x = torch.from_numpy(d["A"]), torch.from_numpy(d["x"])
        f = lambda x: torch.tanh(A @ x)  # noqa: E731
        return Case(lambda: torch.autograd.functional.jacobian(f, x, vectorize=True), _torch_fetch)
    if peer == "jax":
        jax = _import("jax")
        jnp = jax.numpy
        jac = jax.jit(jax.jacrev(lambda A, x: jnp.tanh(A @ x), argnums=1))
        return _jax_case(jac, jnp.asarray(d["A"]), jnp.asarray(d["x"]))
    raise Unavailable(f"no {peer} version of W5")


# ---------------------------------------------------------------- entry points

_BUILDERS = {"W1": _w1, "W2": lambda p: _mlp("W2", p), "W2S": lambda p: _mlp("W2S", p), "W3": lambda p: _mlp("W3", p),
             "W4": _w4, "W5": _w5}


def build(key, peer):
    """A fresh ``Case`` (its own model, optimizer state and data) for one workload and peer."""
    if key not in _BUILDERS:
        raise KeyError(f"unknown workload {key!r}; known: {', '.join(WORKLOADS)}")
    ok, why = peer_available(peer)
    if not ok:
        raise Unavailable(why)
    return _BUILDERS[key](peer)


def run_for_check(key, case):
    """The results of the workload's first ``check_calls`` steps, as one NumPy array."""
    n = WORKLOADS[key].check_calls
    return np.stack([np.asarray(case.fetch(case.step()), dtype=np.float64) for _ in range(n)])


def compare_results(key, got, ref):
    """(ok, error): the largest difference relative to the largest reference value."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    if got.shape != ref.shape:
        return False, float("inf")
    scale = max(float(np.max(np.abs(ref))), 1e-30)
    err = float(np.max(np.abs(got - ref))) / scale if ref.size else 0.0
    return bool(np.isfinite(err) and err <= WORKLOADS[key].rtol), err
