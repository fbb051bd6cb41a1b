"""The ``gputape`` command: ``info``, ``train`` (a digits demo written as a TensorFlow user would) and ``bench``.

    gputape info
    gputape train --model cnn --epochs 5 --out out/
    gputape train --model lstm --epochs 5 --out out/
    gputape bench --quick
"""
import argparse
import importlib.util
import json
import os
import math
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BACKENDS = ("auto", "numpy", "cupy")
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad")
DEFAULT_LR = {"adam": 2e-3, "rmsprop": 5e-4, "adagrad": 0.02, "sgd": 0.1}


# ---------------------------------------------------------------- argument parsing
def _parser():
    p = argparse.ArgumentParser(
        prog="gputape", description="TensorFlow's GradientTape API on CuPy (GPU) or NumPy (CPU).",
        epilog="`gputape COMMAND --help` describes each command.")
    from . import __version__
    p.add_argument("--version", action="version", version=f"gputape {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    info = sub.add_parser("info", help="versions, backend, device and where kernels compile to",
                          description="Print gputape's version, the backend in use, the device (name and memory "
                                      "on CuPy), CuPy/CUDA and NumPy versions, and the kernel cache directory.")
    info.add_argument("--backend", choices=BACKENDS, default=None,
                      help="backend to report on (default: $GPUTAPE_BACKEND, else auto)")
    info.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    info.set_defaults(func=_cmd_info)

    tr = sub.add_parser("train", help="train a small model on scikit-learn's digits (a demo)",
                        description="Train an MLP, a small CNN or an LSTM (each image's 8 rows read as a sequence "
                                    "of 8 steps of 8 pixels) on scikit-learn's 8x8 digits (1,797 images, "
                                    "standardized, a fixed 80/20 train/test split by --seed) with GradientTape and "
                                    "optimizer.apply_gradients; write a loss/accuracy plot (curves.png) and the "
                                    "metrics (metrics.json) to --out.  Same seed and backend give the same numbers.")
    tr.add_argument("--model", choices=("mlp", "cnn", "lstm"), default="mlp",
                    help="mlp: 64-128-128-10 Dense relu (default); cnn: Conv2D/MaxPooling2D x2, Flatten, Dense; "
                         "lstm: LSTM(64) over the 8 rows, Dense(10)")
    tr.add_argument("--backend", choices=BACKENDS, default=None,
                    help="numpy, cupy or auto (default: $GPUTAPE_BACKEND, else auto)")
    tr.add_argument("--epochs", type=_positive_int, default=20, help="passes over the training set (default 20)")
    tr.add_argument("--batch-size", type=_positive_int, default=64, help="examples per step (default 64)")
    tr.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="default adam")
    tr.add_argument("--lr", type=_positive_float, default=None,
                    help="learning rate (default: " + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + ")")
    tr.add_argument("--seed", type=_seed, default=0,
                    help="seeds the split, the shuffling and the initial weights (0 to 2**32 - 1)")
    mode = tr.add_mutually_exclusive_group()
    mode.add_argument("--function", dest="function", action="store_true",
                      help="wrap the train step in gputape.function")
    mode.add_argument("--eager", dest="function", action="store_false", help="run the train step eagerly (default)")
    tr.set_defaults(function=False)
    tr.add_argument("--out", default="out", help="directory for curves.png and metrics.json (default out/)")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.add_argument("--checkpoint-dir", default=None, metavar="DIR",
                    help="save the model, the optimizer and the epoch count there after every epoch "
                         "(gputape.train.CheckpointManager, the last 3 kept)")
    tr.add_argument("--resume", action="store_true",
                    help="continue from the latest checkpoint in --checkpoint-dir up to --epochs in all (the "
                         "same numbers as an uninterrupted run); with no checkpoint there, start afresh")
    tr.add_argument("--ranks", type=_positive_int, default=1,
                    help="data-parallel over N processes on this machine: runs `mpiexec -n N python -m gputape "
                         "train ...` (gputape.distribute; needs gputape[distributed]); --batch-size stays the "
                         "global batch, split over the ranks; one GPU per rank over NCCL on CuPy")
    tr.set_defaults(func=_cmd_train)

    be = sub.add_parser("bench", help="run benchmarks/compare.py (arguments are passed through)",
                        description="Run benchmarks/compare.py from a source checkout with the arguments that "
                                    "follow; `gputape bench -- --help` shows its own options.",
                        usage="gputape bench [-h] [--] [ARGS ...]")
    be.add_argument("args", nargs="*", metavar="ARGS", help="passed to benchmarks/compare.py")
    be.set_defaults(func=_cmd_bench)
    return p


def _int_in(lo, hi, what):
    """An argparse type: an integer in [lo, hi) (hi None: no upper bound), else ``what`` in the error."""
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            v = None
        if v is None or v < lo or (hi is not None and v >= hi):
            raise argparse.ArgumentTypeError(f"must be {what}, got {s!r}" if v is None else f"must be {what}, got {s}")
        return v
    return parse


_positive_int = _int_in(1, None, "a positive integer")
_seed = _int_in(0, 2 ** 32, "an integer from 0 to 2**32 - 1")      # scikit-learn's and NumPy's seed range


def _positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {s!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be a positive, finite number, got {s}")
    return v


class OutputDirError(ValueError):
    """``--out`` cannot hold the results (checked before training)."""


def prepare_out(out):
    """Create ``out`` (and its parents) and check that curves.png and metrics.json can be written there.

    Raises OutputDirError (a ValueError) with a one-line reason; called before any data is loaded."""
    if not str(out).strip():
        raise OutputDirError("--out: an empty path (give a directory, e.g. --out out)")
    d = Path(out)
    if d.exists() and not d.is_dir():
        raise OutputDirError(f"--out {out}: exists and is not a directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputDirError(f"--out {out}: cannot create the directory ({e.strerror or e})") from None
    try:
        with tempfile.TemporaryFile(dir=d):
            pass
    except OSError as e:
        raise OutputDirError(f"--out {out}: cannot write to the directory ({e.strerror or e})") from None
    for name in ("curves.png", "metrics.json"):
        if (d / name).exists() and not (d / name).is_file():
            raise OutputDirError(f"--out {out}: {d / name} exists and is not a file")
    return d


def main(argv=None):
    """Entry point of the ``gputape`` console script and of ``python -m gputape``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "bench" and argv[1:] not in (["-h"], ["--help"]):
        rest = argv[1:]
        return _run_bench(rest[1:] if rest[:1] == ["--"] else rest)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    args.argv = argv
    return args.func(args)


def _choose_backend(which):
    """The backend's name, or None after printing a one-line error (naming --backend or GPUTAPE_BACKEND)."""
    from . import backend as _b
    if which:
        asked = f"--backend {which}"
    else:
        raw = os.environ.get("GPUTAPE_BACKEND", "auto")
        which, asked = raw.strip().lower() or "auto", f"GPUTAPE_BACKEND={raw}"
    try:
        return _b.set_backend(which, asked)
    except (_b.BackendError, ValueError) as e:
        print(f"gputape: {e}", file=sys.stderr)
        return None


# ---------------------------------------------------------------- info
def _info(backend_choice):
    import gputape
    from . import backend as _b
    name = _choose_backend(backend_choice)
    if name is None:
        return None
    d = {"gputape": gputape.__version__, "backend": name,
         "backend_requested": backend_choice or os.environ.get("GPUTAPE_BACKEND", "auto"),
         "python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform()}
    if name == "cupy":
        cp = _b.xp
        dev = cp.cuda.Device()
        free, total = cp.cuda.runtime.memGetInfo()
        d.update(device=_b.device_name(), device_id=dev.id,
                 compute_capability=str(dev.compute_capability),
                 memory_total_gib=round(total / 2 ** 30, 2), memory_free_gib=round(free / 2 ** 30, 2),
                 cupy=cp.__version__, cuda_runtime=_cuda_version(cp.cuda.runtime.runtimeGetVersion()),
                 cuda_driver=_cuda_version(cp.cuda.runtime.driverGetVersion()),
                 kernel_cache=_cupy_cache_dir(cp))
    else:
        d.update(device=f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)",
                 kernel_cache="n/a on numpy")
        cp, why = _b._cupy_with_device()
        d["cupy"] = cp.__version__ + " (installed, not in use)" if cp is not None else f"not in use: {why}"
    from . import distribute
    d["mpi"] = distribute.mpi_version() or 'not installed (pip install "gputape[distributed]")'
    nccl = distribute.nccl_version() if name == "cupy" else None
    if nccl:      # NCCL's version code: major*10000 + minor*100 + patch since 2.9, major*1000 + ... before
        d["nccl"] = (f"{nccl // 10000}.{nccl // 100 % 100}.{nccl % 100}" if nccl >= 10000 else
                     f"{nccl // 1000}.{nccl // 100 % 10}.{nccl % 100}")
    else:
        d["nccl"] = "not available"
    return d


def _cuda_version(v):
    return f"{v // 1000}.{(v % 1000) // 10}"


def _cupy_cache_dir(cp):
    get = getattr(getattr(cp.cuda, "compiler", None), "get_cache_dir", None)
    if get is not None:
        try:
            return str(get())
        except Exception:  # noqa: BLE001 -- any failure means we fall back to CuPy's documented default
            pass
    return os.environ.get("CUPY_CACHE_DIR", os.path.expanduser("~/.cupy/kernel_cache"))


def _cmd_info(args):
    d = _info(args.backend)
    if d is None:
        return 2
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    rows = [("gputape", d["gputape"]), ("backend", f"{d['backend']} (requested: {d['backend_requested']})"),
            ("device", d["device"])]
    if d["backend"] == "cupy":
        rows += [("memory", f"{d['memory_total_gib']} GiB total, {d['memory_free_gib']} GiB free"),
                 ("compute capability", d["compute_capability"]), ("cupy", d["cupy"]),
                 ("cuda", f"runtime {d['cuda_runtime']}, driver {d['cuda_driver']}")]
    else:
        rows.append(("cupy", d["cupy"]))
    rows += [("numpy", d["numpy"]), ("python", d["python"]), ("kernel cache", d["kernel_cache"]),
             ("mpi", d["mpi"]), ("nccl", d["nccl"])]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


# ---------------------------------------------------------------- bench
def _compare_script():
    """The checkout's own benchmarks/compare.py, or None: files from the current directory (or next to an
    installed package in site-packages) are never run."""
    from .kernels import source_checkout
    root = source_checkout()
    if root is None:
        return None
    p = root / "benchmarks" / "compare.py"
    return p if p.is_file() else None


def _cmd_bench(args):
    return _run_bench(args.args)


def _run_bench(rest):
    script = _compare_script()
    if script is None:
        print("gputape bench: benchmarks/compare.py was not found: it is not part of the installed package (the "
              "benchmarks ship with the source checkout only), and files in the current directory are never run. "
              "In a clone of the repository run `python benchmarks/compare.py [ARGS]` (or `gputape bench` with "
              "gputape imported from that clone).", file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, str(script), *rest])


# ---------------------------------------------------------------- train
def _digits(seed, image, sequence=False):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    # one mean and std for all pixels (from the training set): per-pixel scaling would blow up the
    # pixels that are blank in almost every image, and tests about 1% worse
    mean, std = xtr.mean(), xtr.std()
    xtr, xte = ((xtr - mean) / std).astype(np.float32), ((xte - mean) / std).astype(np.float32)
    if image:
        xtr, xte = xtr.reshape(-1, 8, 8, 1), xte.reshape(-1, 8, 8, 1)
    if sequence:                        # [batch, time = row, features = the row's 8 pixels]
        xtr, xte = xtr.reshape(-1, 8, 8), xte.reshape(-1, 8, 8)
    return xtr, ytr.astype(np.int32), xte, yte.astype(np.int32)


def _model(tf, kind):
    L = tf.keras.layers
    if kind == "mlp":
        return tf.keras.Sequential([L.Dense(128, activation="relu"), L.Dense(128, activation="relu"), L.Dense(10)])
    if kind == "lstm":
        return tf.keras.Sequential([L.LSTM(64), L.Dense(10)])
    return tf.keras.Sequential([
        L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(32, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
        L.Flatten(), L.Dense(64, activation="relu"), L.Dense(10)])


def _optimizer(tf, name, lr):
    cls = {"sgd": tf.optimizers.SGD, "adam": tf.optimizers.Adam, "rmsprop": tf.optimizers.RMSprop,
           "adagrad": tf.optimizers.Adagrad}[name]
    return cls(learning_rate=lr)


class CheckpointDirError(ValueError):
    """``--checkpoint-dir``/``--resume`` cannot be used as given (checked before training)."""


def _run_config(model, batch_size, optimizer, lr, seed):
    return {"model": model, "batch_size": batch_size, "optimizer": optimizer, "learning_rate": lr, "seed": seed}


def _prepare_checkpoints(tf, directory, resume, config, net, opt):
    """(manager, epoch Variable, history so far) for --checkpoint-dir; with ``resume``, the latest
    checkpoint restored into ``net``/``opt`` (CheckpointDirError when it was made by another run
    configuration or does not fit the model)."""
    from .train.manager import latest_checkpoint
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise CheckpointDirError(f"--checkpoint-dir {directory}: exists and is not a directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CheckpointDirError(f"--checkpoint-dir {directory}: cannot create the directory "
                                 f"({e.strerror or e})") from None
    epoch = tf.Variable(np.int64(0), trainable=False, name="epoch")
    ckpt = tf.train.Checkpoint(model=net, optimizer=opt, epoch=epoch)
    manager = tf.train.CheckpointManager(ckpt, str(d), max_to_keep=3)
    history = None
    latest = latest_checkpoint(str(d)) if d.is_dir() else None
    if latest is not None and not resume:
        raise CheckpointDirError(f"--checkpoint-dir {directory} already holds checkpoints (latest {latest}): pass "
                                 f"--resume to continue that run, or choose another directory")
    if latest is not None:
        try:
            with open(d / "run.json") as f:
                saved = json.load(f)
        except (OSError, ValueError) as e:
            raise CheckpointDirError(f"--resume: {d / 'run.json'} cannot be read ({e})") from None
        if saved["config"] != config:
            diff = {k: (saved["config"].get(k), v) for k, v in config.items() if saved["config"].get(k) != v}
            raise CheckpointDirError(f"--resume: the checkpoints in {directory} come from another run "
                                     f"configuration (saved vs now: {diff})")
        try:
            status = ckpt.restore(latest)
            net.build((None,) + tuple(saved["input_shape"]))
            opt.build(net.trainable_variables)
            status.assert_consumed()
        except (ValueError, AssertionError) as e:
            raise CheckpointDirError(f"--resume: {latest} does not fit this model and optimizer ({e})") from None
        history = {k: v[:int(epoch.numpy())] for k, v in saved["history"].items()}
    return manager, epoch, history


def _save_checkpoint(manager, epoch, done, config, input_shape, hist):
    """run.json (config and history) first, then the checkpoint: a checkpoint always has its history."""
    from .train.checkpoint import atomic_write
    data = json.dumps({"config": config, "input_shape": list(input_shape), "history": hist}).encode()
    atomic_write(os.path.join(manager.directory, "run.json"), lambda f: f.write(data))
    epoch.assign(np.int64(done))
    manager.save()


def train(model="mlp", backend=None, epochs=20, batch_size=64, optimizer="adam", lr=None, seed=0, function=False,
          out="out", quiet=False, checkpoint_dir=None, resume=False, ranks=1):
    """Train on the digits and return the metrics dict (also written to ``out``/metrics.json).

    ``checkpoint_dir``: save the model, optimizer and epoch count there after every epoch;
    ``resume``: continue from its latest checkpoint up to ``epochs`` in all, with the numbers an
    uninterrupted run gives (the shuffling is replayed to the restored epoch).

    ``ranks`` > 1: this process is one of ``ranks`` started by mpiexec (``--ranks``): each step's batch
    is split over the ranks, gradients are averaged by ``gputape.distribute.DistributedGradientTape``
    (each rank's loss weighted by its share of the batch, so the step is the whole batch's), the
    evaluation is sharded and summed with ``allreduce``, and only rank 0 shows progress and writes
    files and checkpoints."""
    t_start = time.perf_counter()
    out_dir = prepare_out(out)              # before anything slow: a bad --out fails at once
    if resume and checkpoint_dir is None:
        raise CheckpointDirError("--resume needs --checkpoint-dir DIR")
    name = _choose_backend(backend)
    if name is None:
        raise SystemExit(2)
    import gputape as tf
    from tqdm import tqdm
    dist = None
    if ranks > 1:
        import gputape.distribute as dist
        dist.init()
        if dist.size() != ranks:
            raise SystemExit(f"gputape train --ranks {ranks}: started with {dist.size()} MPI ranks")
        quiet = quiet or dist.rank() != 0

    lr = DEFAULT_LR[optimizer] if lr is None else float(lr)
    xtr, ytr, xte, yte = _digits(seed, image=model == "cnn", sequence=model == "lstm")
    tf.random.set_seed(seed)
    net = _model(tf, model)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = _optimizer(tf, optimizer, lr)
    x_train, y_train = tf.constant(xtr), tf.constant(ytr)      # for the end-of-epoch evaluation
    x_test, y_test = tf.constant(xte), tf.constant(yte)
    # the input pipeline, as a TF guide writes it: a full-size shuffle buffer (a new permutation each
    # pass, reproducible from the seed), batches prefetched (on CuPy, copied to the device overlapped)
    dataset = (tf.data.Dataset.from_tensor_slices((xtr, ytr)).shuffle(len(ytr), seed=seed)
               .batch(batch_size).prefetch(tf.data.AUTOTUNE))

    def train_step(x, y, share=1.0):
        with tf.GradientTape() as tape:
            logits = net(x, training=True)
            loss = loss_fn(y, logits)
            scaled = loss * share if dist is not None else loss
        if dist is not None:
            tape = dist.DistributedGradientTape(tape)
            grads = tape.gradient(scaled, net.trainable_variables)
        else:
            grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), y), tf.float32))
        return loss, correct

    def evaluate(x, y):
        logits = net(x, training=False)
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), y), tf.float32))
        return loss_fn(y, logits), correct

    if dist is not None:
        if function:
            raise SystemExit("gputape train: --function with --ranks is not implemented (the allreduce runs "
                             "eagerly); drop one of them")
        local_evaluate = evaluate

        def evaluate(x, y):          # this rank's shard, summed over the ranks: the whole set's numbers
            n_all = y.shape[0]
            xs, ys = x[dist.rank()::ranks], y[dist.rank()::ranks]
            loss, correct = local_evaluate(xs, ys)
            total = dist.allreduce(tf.stack([loss * float(ys.shape[0]), correct]), dist.Sum)
            return total[0] / float(n_all), total[1]

    if function:
        train_step = tf.function(train_step)
        evaluate = tf.function(evaluate)

    n, n_test = len(ytr), len(yte)
    steps = -(-n // batch_size)
    if dist is not None and min(batch_size, n - (steps - 1) * batch_size) < ranks:
        raise SystemExit(f"gputape train: --batch-size {batch_size} over --ranks {ranks} leaves a rank without "
                         f"examples in the last batch ({n - (steps - 1) * batch_size} of {n} training examples); "
                         f"choose another batch size")
    hist = {"train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": [], "train_running_loss": []}
    first = 1
    if checkpoint_dir is not None:
        config = _run_config(model, batch_size, optimizer, lr, seed)
        manager, epoch_var, restored = _prepare_checkpoints(tf, checkpoint_dir, resume, config, net, opt)
        if restored is None and resume:
            print(f"gputape train: no checkpoint in {checkpoint_dir}: starting from epoch 1", file=sys.stderr)
        if restored is not None:
            hist = restored
            first = len(hist["train_loss"]) + 1
            for _ in range(1, first):
                for _ in dataset:           # replay the shuffling of the epochs already done
                    pass
    epoch_s = []
    t_train = time.perf_counter()
    for epoch in range(first, epochs + 1):
        t0 = time.perf_counter()
        loss_sum = correct_sum = None
        bar = tqdm(total=steps, desc=f"epoch {epoch}/{epochs}", unit="step", disable=quiet, leave=True,
                   file=sys.stderr, dynamic_ncols=True)
        seen = 0
        for i, (x, y) in enumerate(dataset):
            size = x.shape[0]
            if dist is None:
                loss, correct = train_step(x, y)
            else:                    # this rank's contiguous part of the batch, weighted by its share
                lo, hi = size * dist.rank() // ranks, size * (dist.rank() + 1) // ranks
                loss, correct = train_step(x[lo:hi], y[lo:hi], share=(hi - lo) * ranks / size)
                size = hi - lo       # the running numbers below are this rank's (summed over ranks at the end)
            seen += size
            loss_sum = loss * size if loss_sum is None else loss_sum + loss * size
            correct_sum = correct if correct_sum is None else correct_sum + correct
            bar.update(1)
            if not quiet and (i % 10 == 9 or i == steps - 1):   # a host read: not every step on a GPU
                bar.set_postfix(loss=f"{float(loss_sum) / seen:.4f}", acc=f"{float(correct_sum) / seen:.4f}")
        # both sets measured the same way, with the weights at the end of the epoch (the running mean
        # over the epoch's batches, shown by the progress bar, is kept as train_running_loss)
        train_loss, train_correct = evaluate(x_train, y_train)
        test_loss, test_correct = evaluate(x_test, y_test)
        if dist is not None:
            loss_sum, correct_sum = tf.unstack(dist.allreduce(tf.stack([loss_sum, correct_sum]), dist.Sum))
        hist["train_running_loss"].append(float(loss_sum) / n)
        hist["train_loss"].append(float(train_loss))
        hist["train_accuracy"].append(float(train_correct) / n)
        hist["test_loss"].append(float(test_loss))
        hist["test_accuracy"].append(float(test_correct) / n_test)
        if not quiet:
            bar.set_postfix(loss=f"{hist['train_loss'][-1]:.4f}", acc=f"{hist['train_accuracy'][-1]:.4f}",
                            test_acc=f"{hist['test_accuracy'][-1]:.4f}")
        bar.close()
        if checkpoint_dir is not None and (dist is None or dist.rank() == 0):
            _save_checkpoint(manager, epoch_var, epoch, config, xtr.shape[1:], hist)
        epoch_s.append(time.perf_counter() - t0)
    train_s = time.perf_counter() - t_train

    from . import backend as _b
    if dist is not None:
        per_rank = dist.allgather_object(round(epochs_done_examples(n, first, epochs, dist.rank(), ranks,
                                                                    batch_size) / train_s, 1))
        if dist.rank() != 0:
            dist.shutdown()
            return None
    metrics = {
        "gputape": tf.__version__, "backend": name, "device": _b.device_name(), "model": model,
        "optimizer": optimizer, "learning_rate": lr, "epochs": epochs, "batch_size": batch_size, "seed": seed,
        "function": bool(function), "n_train": n, "n_test": n_test, "n_params": net.count_params(),
        "checkpoint_dir": checkpoint_dir, "resumed_from_epoch": first - 1 if checkpoint_dir is not None else None,
        "history": hist,
        "final_test_accuracy": hist["test_accuracy"][-1], "final_test_loss": hist["test_loss"][-1],
        "traces": ({"train_step": train_step.experimental_get_tracing_count(),
                    "evaluate": evaluate.experimental_get_tracing_count()} if function else None),
    }
    if function:
        # issue 12: what each signature replays, and one step timed both ways after training (the
        # history above is already final; these extra steps only move the discarded weights)
        metrics["replay"] = {"train_step": train_step._replay_report(), "evaluate": evaluate._replay_report()}
        xb, yb = next(iter(dataset))          # one full batch of the pipeline (the same signature as training)
        metrics["step_ms"] = _step_speed(tf, train_step, xb, yb)
    png = out_dir / "curves.png"
    _plot(hist, png, f"{model} on digits, {optimizer} lr={lr:g}, {name}")
    metrics["timing"] = {"train_s": round(train_s, 3), "per_epoch_s": [round(t, 4) for t in epoch_s],
                         "total_s": round(time.perf_counter() - t_start, 3)}
    metrics["files"] = {"plot": str(png), "metrics": str(out_dir / "metrics.json")}
    if dist is not None:
        metrics["distributed"] = {"ranks": ranks, "backend": dist.backend(), "mpi": dist.mpi_version(),
                                  "examples_per_s_per_rank": per_rank}
        dist.shutdown()
    with open(out_dir / "metrics.json", "w") as f:
        json.dump(metrics, f, indent=2)
    return metrics


def epochs_done_examples(n, first, epochs, rank, ranks, batch_size):
    """The training examples rank ``rank`` of ``ranks`` stepped through in epochs ``first``..``epochs``."""
    per_epoch = 0
    for i in range(-(-n // batch_size)):
        size = min(batch_size, n - i * batch_size)
        per_epoch += size * (rank + 1) // ranks - size * rank // ranks
    return per_epoch * max(0, epochs - first + 1)
def _step_speed(tf, step, x, y, calls=10, rounds=5):
    """Median milliseconds of one train step run eagerly and replayed (``gputape.function``), paired
    round by round; each sample ends with a host read so device work is counted."""
    import statistics
    eager = step.python_function
    out = {"eager": [], "function": []}
    for _ in range(rounds):
        for name, fn in (("eager", eager), ("function", step)):
            t0 = time.perf_counter()
            for _ in range(calls):
                loss, _c = fn(x, y)
            float(loss)
            out[name].append((time.perf_counter() - t0) * 1e3 / calls)
    e, f = statistics.median(out["eager"]), statistics.median(out["function"])
    return {"eager": round(e, 4), "function": round(f, 4), "speedup": round(e / f, 3)}


def _plot(hist, path, title):
    """Write ``_figure(hist, title)`` to ``path`` (PNG)."""
    import matplotlib.pyplot as plt
    fig = _figure(hist, title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _figure(hist, title):
    """Two panels, loss (log scale, so the late epochs and the train/test gap stay visible) and
    accuracy; both sets are measured at the end of each epoch with the same weights, and the
    final values are written next to the last points."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    epochs = list(range(1, len(hist["train_loss"]) + 1))
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, ylabel, fmt in ((a, "loss", "cross-entropy (log scale)", "{:.3g}"),
                                 (b, "accuracy", "accuracy", "{:.2%}")):
        for split, colour in (("train", "C0"), ("test", "C1")):
            ys = hist[f"{split}_{key}"]
            ax.plot(epochs, ys, marker="o", ms=3, color=colour, label=f"{split} (end of epoch)")
            ax.annotate(fmt.format(ys[-1]), (epochs[-1], ys[-1]), textcoords="offset points",
                        xytext=(4, 6 if split == "train" else -12), color=colour, fontsize=9)
        ax.set(xlabel="epoch", ylabel=ylabel, title=key)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
        ax.margins(x=0.15)
        ax.legend()
    a.set_yscale("log")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _cmd_train(args):
    try:
        prepare_out(args.out)
    except OutputDirError as e:
        print(f"gputape train: {e}", file=sys.stderr)
        return 2
    missing = [m for m in ("tqdm", "sklearn", "matplotlib") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"gputape train: needs the demo extras ({', '.join(missing)} not installed): "
              f'pip install "gputape[demo]" (or, in a clone, pip install ".[demo]")', file=sys.stderr)
        return 2
    try:
        from .checks import memory_limit
        memory_limit()
    except ValueError as e:
        print(f"gputape train: {e}", file=sys.stderr)
        return 2
    if args.ranks > 1:
        if args.function:
            print("gputape train: --function with --ranks is not implemented (the allreduce runs eagerly); "
                  "drop one of them", file=sys.stderr)
            return 2
        from . import distribute
        if not distribute._launcher_env():
            return _launch_ranks(args)
    try:
        m = train(model=args.model, backend=args.backend, epochs=args.epochs, batch_size=args.batch_size,
                  optimizer=args.optimizer, lr=args.lr, seed=args.seed, function=args.function, out=args.out,
                  quiet=args.quiet, checkpoint_dir=args.checkpoint_dir, resume=args.resume, ranks=args.ranks)
    except CheckpointDirError as e:
        print(f"gputape train: {e}", file=sys.stderr)
        return 2
    if m is None:                 # a rank other than 0 of --ranks: rank 0 reports
        return 0
    acc = m["final_test_accuracy"]
    print(f"test accuracy: {acc:.4f} ({round(acc * m['n_test'])}/{m['n_test']}) after {m['epochs']} epoch{'' if m['epochs'] == 1 else 's'}; "
          f"training took {m['timing']['train_s']:.1f} s on {m['backend']} ({m['device']})"
          + (f"; traces: {m['traces']['train_step']}" if m["traces"] else ""))
    if m.get("distributed"):
        d = m["distributed"]
        print(f"{d['ranks']} ranks over {d['backend']}: "
              + ", ".join(f"rank {r} {v:g} examples/s" for r, v in enumerate(d["examples_per_s_per_rank"])))
    if m.get("step_ms"):
        sm = m["step_ms"]
        print(f"train step: {sm['function']:.3g} ms under gputape.function vs {sm['eager']:.3g} ms eager "
              f"({sm['speedup']:.2f}x); replay: {'; '.join(m['replay']['train_step']) or 'none'}")
    print(f"wrote {m['files']['plot']} and {m['files']['metrics']}")
    return 0


def _launch_ranks(args):
    """``mpiexec -n N python -m gputape train ...`` (the same arguments), one BLAS thread per core share."""
    mpiexec = Path(sys.executable).parent / "mpiexec"          # the mpich wheel's, beside python
    mpiexec = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec") or shutil.which("mpirun")
    if mpiexec is None or importlib.util.find_spec("mpi4py") is None:
        print(f"gputape train --ranks {args.ranks}: needs mpi4py and an MPI launcher (mpiexec): "
              f'pip install "gputape[distributed]" (or, in a clone, pip install ".[distributed]")', file=sys.stderr)
        return 2
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // args.ranks))
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(k, threads)
    cmd = [mpiexec, "-n", str(args.ranks), sys.executable, "-m", "gputape", *args.argv]
    return subprocess.call(cmd, env=env)
