"""Input pipeline cost (issue 9 "Speed"): the digits MLP trained for 20 epochs fed by
``gputape.data.Dataset.from_tensor_slices((x, y)).shuffle(1024).batch(128).prefetch(2)`` against the same
loop slicing NumPy arrays by hand (a permutation per epoch, ``x[perm[i:i + 128]]``, ``gputape.constant``).

    python benchmarks/data_pipeline.py                    # 5 runs of each, interleaved
    python benchmarks/data_pipeline.py --runs 3 --epochs 5 --backend cupy
    python benchmarks/data_pipeline.py --json out.json

Both loops run the same eager train step (GradientTape, SparseCategoricalCrossentropy, Adam(2e-3), the
model of ``gputape train``: Dense 128 relu, Dense 128 relu, Dense 10) on the same 1437 training images, from
the same initial weights; runs of the two alternate (hand, dataset, hand, ...) so that drift in the
machine's speed falls on both.  Each run ends with a host read of the last loss (a device sync on CuPy).
Reported: the median wall-clock and CPU (``time.process_time``: all of the process's threads) seconds per
run of each, and dataset/hand - 1 of both (the goal: at most +5% on our CPUs).  On a shared machine the
CPU figure is the steadier one: other processes' load stretches wall time, not this process's CPU time.
Needs scikit-learn (the digits) and tqdm (the progress bar).
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np


def _loops(tf, xtr, ytr, args):
    from gputape import cli
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def fresh():
        tf.random.set_seed(args.seed)
        net = cli._model(tf, "mlp")
        net(tf.constant(xtr[:1]))                   # build the weights before timing
        opt = tf.keras.optimizers.Adam(learning_rate=2e-3)

        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, net(x, training=True))
            grads = tape.gradient(loss, net.trainable_variables)
            opt.apply_gradients(zip(grads, net.trainable_variables))
            return loss
        return step

    def by_hand(bar):
        step, rng, n, loss = fresh(), np.random.default_rng(args.seed), len(ytr), None
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.epochs):
            perm = rng.permutation(n)
            for i in range(0, n, args.batch_size):
                idx = perm[i:i + args.batch_size]
                loss = step(tf.constant(xtr[idx]), tf.constant(ytr[idx]))
            bar.update(1)
        float(loss)
        return time.perf_counter() - t0, time.process_time() - c0

    def by_dataset(bar):
        step, loss = fresh(), None
        t0, c0 = time.perf_counter(), time.process_time()
        ds = (tf.data.Dataset.from_tensor_slices((xtr, ytr)).shuffle(args.shuffle_buffer, seed=args.seed)
              .batch(args.batch_size).prefetch(args.prefetch))
        for _ in range(args.epochs):
            for x, y in ds:
                loss = step(x, y)
            bar.update(1)
        float(loss)
        return time.perf_counter() - t0, time.process_time() - c0

    return {"hand": by_hand, "dataset": by_dataset}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each loop (default 5); the median is reported")
    ap.add_argument("--epochs", type=int, default=20, help="epochs per run (default 20)")
    ap.add_argument("--batch-size", type=int, default=128, help="default 128")
    ap.add_argument("--shuffle-buffer", type=int, default=1024, help="the Dataset's shuffle buffer (default 1024)")
    ap.add_argument("--prefetch", type=int, default=2, help="the Dataset's prefetch depth (default 2)")
    ap.add_argument("--backend", default=None, choices=("numpy", "cupy", "auto"),
                    help="gputape backend (default: GPUTAPE_BACKEND, else auto)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    ap.add_argument("--no-progress", dest="progress", action="store_false", help="no tqdm progress bar")
    args = ap.parse_args(argv)
    if min(args.runs, args.epochs, args.batch_size, args.shuffle_buffer) <= 0 or args.prefetch < 0:
        ap.error("--runs, --epochs, --batch-size and --shuffle-buffer must be positive, --prefetch >= 0")

    import gputape as tf
    from gputape import cli
    from tqdm import tqdm
    if args.backend:
        tf.set_backend(args.backend)
    xtr, ytr, _, _ = cli._digits(args.seed, image=False)
    loops = _loops(tf, xtr, ytr, args)
    times = {k: [] for k in loops}
    cpu = {k: [] for k in loops}
    with tqdm(total=2 * (args.runs + 1) * args.epochs, desc="hand/dataset runs", unit="epoch", file=sys.stderr,
              disable=not args.progress) as bar:
        for r in range(args.runs + 1):                   # the first pair warms up (imports, allocator)
            for name, loop in loops.items():
                t, c = loop(bar)
                if r:
                    times[name].append(t)
                    cpu[name].append(c)
    med = {k: statistics.median(v) for k, v in times.items()}
    cmed = {k: statistics.median(v) for k, v in cpu.items()}
    overhead = med["dataset"] / med["hand"] - 1
    cpu_overhead = cmed["dataset"] / cmed["hand"] - 1
    out = {"backend": tf.backend_name(), "epochs": args.epochs, "batch_size": args.batch_size,
           "shuffle_buffer": args.shuffle_buffer, "prefetch": args.prefetch, "runs": args.runs,
           "hand_s": times["hand"], "dataset_s": times["dataset"],
           "hand_median_s": med["hand"], "dataset_median_s": med["dataset"], "dataset_overhead": overhead,
           "hand_cpu_s": cpu["hand"], "dataset_cpu_s": cpu["dataset"], "hand_cpu_median_s": cmed["hand"],
           "dataset_cpu_median_s": cmed["dataset"], "dataset_cpu_overhead": cpu_overhead}
    print(f"backend {out['backend']}, {args.epochs} epochs, batch {args.batch_size}, median of {args.runs} runs:")
    print(f"  slicing NumPy by hand   {med['hand']:.3f} s wall   {cmed['hand']:.3f} s CPU")
    print(f"  Dataset pipeline        {med['dataset']:.3f} s wall   {cmed['dataset']:.3f} s CPU   "
          f"({overhead:+.1%} wall, {cpu_overhead:+.1%} CPU)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
