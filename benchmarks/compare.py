"""Side-by-side timing of gputape against TensorFlow, PyTorch, JAX and a hand-written floor.

    python benchmarks/compare.py                        # every workload, every peer that imports
    python benchmarks/compare.py --quick --workloads W1,W2 --peers gputape,torch,numpy
    python benchmarks/compare.py --profile W1,W2        # cProfile of gputape's step instead of timing

Every peer runs in this one process, so a peer is there only if this interpreter imports it: for the
PyTorch column run the script with an interpreter that has torch as well as numpy (e.g. a venv's
``bin/python benchmarks/compare.py --peers gputape_fn,torch,numpy``); gputape comes from this tree.

How the timing is done: every peer is built (fresh model, optimizer and data), its
first steps are checked against the NumPy floor, it is warmed up (tracing and
compilation happen there), and the number of calls per sample is chosen so one
sample lasts at least --min-sample-ms.  Then come --repeats rounds; in each
round every peer takes one sample, in an order rotated round by round, so that
machine noise falls on all peers alike.  The table gives the median time per
call, and ratios taken round by round (paired) before the median: against the
floor (NumPy, or CuPy when gputape runs on a GPU) and against PyTorch eager.

Results go to --out (default benchmarks/results/) as NAME.json, NAME.md and
NAME.png (the chart needs matplotlib), with a description of the machine.
"""
import argparse
import cProfile
import datetime
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for _p in (str(REPO), str(HERE)):       # this working tree's gputape, and the workloads beside this file
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402

import workloads as W  # noqa: E402

QUICK = dict(repeats=7, warmup=2, min_sample_ms=5.0)
FULL = dict(repeats=31, warmup=5, min_sample_ms=20.0)


# ---------------------------------------------------------------- machine description

def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _git(*args):
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except Exception:
        return ""


def _source_hash():
    """A hash of gputape's sources as they were when measured (others may be editing them)."""
    h = hashlib.sha1()
    for p in sorted((REPO / "gputape").rglob("*.py")) + sorted((REPO / "kernels").glob("*.cu")):
        h.update(str(p.relative_to(REPO)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def _blas():
    try:
        from threadpoolctl import threadpool_info
        return [{k: d.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer")}
                for d in threadpool_info()]
    except Exception:
        pass
    try:
        cfg = np.show_config(mode="dicts")
        b = cfg["Build Dependencies"]["blas"]
        return [{"name": b.get("name"), "version": b.get("version")}]
    except Exception:
        return None


def machine_info():
    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu": _cpu_model(),
        "cores": W.n_cores(),
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "memory_gib": _mem_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty_gputape": bool(_git("status", "--porcelain", "--", "gputape", "kernels")),
        "gputape_source_sha1": _source_hash(),
    }
    for peer, mod in (("gputape", "gputape"), ("torch", "torch"), ("tf", "tf"), ("jax", "jax"),
                      ("cupy", "cupy")):
        ok, why = W.peer_available(peer)
        m = W._mods.get(mod)
        info[f"{peer}_version"] = getattr(m, "__version__", None) if ok else None
        if not ok:
            info[f"{peer}_missing"] = why
    if info["gputape_version"]:
        import gputape
        from gputape import backend
        info["gputape_backend"] = gputape.backend_name()
        info["gputape_device"] = backend.device_name()
        info["gputape_path"] = str(Path(gputape.__file__).parent)
    if info["torch_version"]:
        info["torch_threads"] = W._mods["torch"].get_num_threads()
    if info["tf_version"]:
        th = W._mods["tf"].config.threading
        info["tf_threads"] = {"intra_op": th.get_intra_op_parallelism_threads(),
                              "inter_op": th.get_inter_op_parallelism_threads()}
    return info


# ---------------------------------------------------------------- timing

def _fmt_time(s):
    if s is None or not np.isfinite(s):
        return "-"
    if s >= 1:
        return f"{s:.3g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} us"


def _err_text(e):
    tb = traceback.extract_tb(e.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return f"{type(e).__name__}: {e}{where}"


def run_workload(key, peers, cfg, log):
    """Build, check, warm up and time every available peer of one workload, interleaved."""
    floor = W.floor_peer()
    res = {"title": W.WORKLOADS[key].title, "detail": W.WORKLOADS[key].detail, "floor": floor,
           "peers": {}, "unavailable": {}, "errors": {}}
    cases = {}
    for p in peers:
        try:
            cases[p] = W.build(key, p)
        except W.Unavailable as e:
            res["unavailable"][p] = str(e)
        except Exception as e:
            res["errors"][p] = "build: " + _err_text(e)
            log(f"  {p}: build failed: {res['errors'][p]}")

    ref = None
    if cfg["check"]:
        try:
            ref = W.run_for_check(key, W.build(key, "numpy"))
        except Exception as e:
            log(f"  reference failed: {_err_text(e)}")
    checks, calls = {}, {}
    for p in list(cases):
        c = cases[p]
        try:
            if ref is not None:
                # a fresh instance for the check, so the timed one starts from the same state as the others
                ok, err = W.compare_results(key, W.run_for_check(key, W.build(key, p)), ref)
                checks[p] = {"ok": ok, "max_rel_err": err}
                if not ok:
                    log(f"  {p}: result differs from the NumPy floor (max rel err {err:.3g})")
            ts = []
            for _ in range(max(1, cfg["warmup"])):
                t0 = time.perf_counter()
                c.step()
                ts.append(time.perf_counter() - t0)
            t1 = float(np.median(ts[len(ts) // 2:]))
            calls[p] = int(min(10000, max(1, np.ceil(cfg["min_sample_ms"] * 1e-3 / max(t1, 1e-9)))))
        except Exception as e:
            res["errors"][p] = "run: " + _err_text(e)
            log(f"  {p}: failed: {res['errors'][p]}")
            del cases[p]

    order = list(cases)
    samples = {p: [] for p in order}

    def sample(p):
        step, n = cases[p].step, calls[p]
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        samples[p].append((time.perf_counter() - t0) / n)

    if cfg["order"] == "interleaved":
        for r in range(cfg["repeats"]):
            k = r % max(1, len(order))
            for p in order[k:] + order[:k]:
                sample(p)
    else:
        for p in order:
            for _ in range(cfg["repeats"]):
                sample(p)
    torch_s = samples.get("torch")
    floor_s = samples.get(floor)
    for p in order:
        s = np.asarray(samples[p])
        d = {"median_s": float(np.median(s)), "p25_s": float(np.percentile(s, 25)),
             "p75_s": float(np.percentile(s, 75)), "min_s": float(s.min()), "calls_per_sample": calls[p],
             "samples_s": [float(v) for v in s]}
        for name, refs in (("floor", floor_s), ("torch", torch_s)):
            # paired: the ratio within each round, then the median over rounds
            d[f"ratio_vs_{name}"] = (float(np.median(s / np.asarray(refs))) if refs is not None else None)
        if p in checks:
            d["check"] = checks[p]
        res["peers"][p] = d
    return res


def key_figures(results):
    out = {}

    def get(w, p, field="median_s"):
        return results.get(w, {}).get("peers", {}).get(p, {}).get(field)

    w1 = get("W1", "gputape", "ratio_vs_torch")
    if w1 is not None:
        out["W1 gputape eager / PyTorch eager"] = {"value": w1, "goal": "<= 0.6", "met": w1 <= 0.6}
    w1f = get("W1", "gputape_fn", "ratio_vs_torch")
    if w1f is not None:
        out["W1 gputape function / PyTorch eager"] = {"value": w1f}
    for w in ("W2", "W3"):
        v = get(w, "gputape", "ratio_vs_floor")
        if v is not None:
            out[f"{w} gputape eager / {results[w]['floor']} floor"] = {"value": v}
    # issue 12: the step under gputape.function against the hand-written floor
    for w, goal in (("W1", 1.5), ("W2", 1.1), ("W2S", None)):
        v = get(w, "gputape_fn", "ratio_vs_floor")
        if v is not None:
            out[f"{w} gputape function / {results[w]['floor']} floor"] = (
                {"value": v, "goal": f"<= {goal}", "met": v <= goal} if goal else {"value": v})
    v = get("W3", "gputape", "ratio_vs_floor")
    if v is not None:
        out["matmul overhead: gputape adds over the same NumPy calls (W3), %"] = {"value": (v - 1) * 100}
    return out


# ---------------------------------------------------------------- reports

def markdown(report):
    m, cfg = report["machine"], report["config"]
    lines = [f"# gputape comparison, {m['date']}", ""]
    pinned = (f", process pinned to cpus {m['affinity']}" if m.get("affinity") and
              len(m["affinity"]) < (m.get("cpu_count") or 0) else "")
    lines.append(f"- machine: {m['cpu']}, {m['cores']} cores usable ({m['cpu_count']} online{pinned}), "
                 f"{m['memory_gib']} GiB, {m['platform']}")
    lines.append(f"- gputape {m.get('gputape_version')} on {m.get('gputape_backend')} ({m.get('gputape_device')}), "
                 f"commit {m['git_commit'][:10]}{' + uncommitted gputape changes' if m['git_dirty_gputape'] else ''}"
                 f", gputape source sha1 {m['gputape_source_sha1']}")
    lines.append(f"- python {m['python']}, numpy {m['numpy']}, torch {m.get('torch_version')} "
                 f"({m.get('torch_threads')} threads), tensorflow {m.get('tf_version')}, jax {m.get('jax_version')}, "
                 f"cupy {m.get('cupy_version')}")
    if m.get("blas"):
        lines.append(f"- BLAS: {m['blas']}")
    lines.append(f"- method: {cfg['repeats']} rounds, peers {cfg['order']}, >= {cfg['min_sample_ms']} ms per "
                 f"sample, {cfg['warmup']} warm-up calls; medians per call; ratios are medians of per-round "
                 f"ratios (paired)")
    lines.append(f"- threads per framework: {cfg['threads']}; load average (1, 5, 15 min) at start "
                 f"{m['load_average_at_start']}, at end {m.get('load_average_at_end')}; per workload (1 min, "
                 f"before/after): " + ", ".join(f"{k} {r.get('load_average_1min')}"
                                               for k, r in report["results"].items()))
    if cfg.get("note"):
        lines.append(f"- note: {cfg['note']}")
    lines += ["", "## Key figures", ""]
    for k, v in report["key_figures"].items():
        extra = f" (goal {v['goal']}: {'met' if v['met'] else 'NOT met'})" if "goal" in v else ""
        lines.append(f"- {k}: **{v['value']:.3g}**{extra}")
    for key, r in report["results"].items():
        lines += ["", f"## {key}: {r['title']}", "", r["detail"], "",
                  f"| peer | median | IQR | x {r['floor']} floor | x PyTorch eager | calls/sample | check |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for p, d in r["peers"].items():
            iqr = (d["p75_s"] - d["p25_s"]) / d["median_s"] * 100 if d["median_s"] else float("nan")
            rf = f"{d['ratio_vs_floor']:.3g}" if d["ratio_vs_floor"] is not None else "-"
            rt = f"{d['ratio_vs_torch']:.3g}" if d["ratio_vs_torch"] is not None else "-"
            ck = d.get("check")
            cks = "-" if ck is None else (f"ok ({ck['max_rel_err']:.1e})" if ck["ok"]
                                         else f"**MISMATCH** ({ck['max_rel_err']:.1e})")
            lines.append(f"| {W.PEER_LABELS[p]} | {_fmt_time(d['median_s'])} | {iqr:.0f}% | {rf} | {rt} | "
                         f"{d['calls_per_sample']} | {cks} |")
        for p, why in r["errors"].items():
            lines.append(f"\n- {W.PEER_LABELS[p]}: **error** {why}")
        for p, why in r["unavailable"].items():
            lines.append(f"\n- {W.PEER_LABELS[p]}: not run ({why})")
    return "\n".join(lines) + "\n"


def plot(report, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        return False
    res = report["results"]
    keys = [k for k in res if res[k]["peers"]]
    if not keys:
        return False
    fig, axes = plt.subplots(len(keys), 1, figsize=(8, 1.0 + 0.42 * len(W.PEERS) * len(keys)), squeeze=False)
    colors = {p: c for p, c in zip(W.PEERS, plt.get_cmap("tab10").colors)}
    for ax, k in zip(axes[:, 0], keys):
        r = res[k]
        peers = list(r["peers"])
        vals = [r["peers"][p]["ratio_vs_floor"] or np.nan for p in peers]
        ax.barh(range(len(peers)), vals, color=[colors[p] for p in peers])
        ax.set_yticks(range(len(peers)))
        ax.set_yticklabels([W.PEER_LABELS[p] for p in peers], fontsize=8)
        ax.invert_yaxis()
        finite = [v for v in vals if np.isfinite(v) and v > 0]
        log_scale = bool(finite) and max(finite) / min(finite) > 8
        if log_scale:
            ax.set_xscale("log")
        else:
            ax.set_xlim(0, max(finite + [1.0]) * 1.3)
        ax.axvline(1.0, color="k", lw=0.8)
        for i, p in enumerate(peers):
            ax.text(vals[i], i, " " + _fmt_time(r["peers"][p]["median_s"]), va="center", fontsize=7)
        ax.set_title(f"{k}: {r['title']}  (time / {r['floor']} floor{', log scale' if log_scale else ''})",
                     fontsize=9)
        if log_scale:
            ax.margins(x=0.25)
    m = report["machine"]
    fig.suptitle(f"gputape {m.get('gputape_backend')} on {m['cpu']} ({m['cores']} cores), {m['date'][:10]}",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def print_table(report):
    print()
    hdr = f"{'workload':8} {'peer':18} {'median':>10} {'IQR':>5} {'x floor':>8} {'x torch':>8}  check"
    print(hdr)
    print("-" * len(hdr))
    for key, r in report["results"].items():
        for p, d in r["peers"].items():
            iqr = (d["p75_s"] - d["p25_s"]) / d["median_s"] * 100 if d["median_s"] else float("nan")
            rf = f"{d['ratio_vs_floor']:.3g}" if d["ratio_vs_floor"] is not None else "-"
            rt = f"{d['ratio_vs_torch']:.3g}" if d["ratio_vs_torch"] is not None else "-"
            ck = d.get("check")
            cks = "-" if ck is None else ("ok" if ck["ok"] else f"MISMATCH {ck['max_rel_err']:.2g}")
            print(f"{key:8} {W.PEER_LABELS[p]:18} {_fmt_time(d['median_s']):>10} {iqr:4.0f}% {rf:>8} {rt:>8}  {cks}")
        for p, why in r["errors"].items():
            print(f"{key:8} {W.PEER_LABELS[p]:18} ERROR {why}")
    print()
    for k, v in report["key_figures"].items():
        extra = f"  (goal {v['goal']}: {'met' if v['met'] else 'NOT met'})" if "goal" in v else ""
        print(f"{k}: {v['value']:.3g}{extra}")


# ---------------------------------------------------------------- profiling

def profile(keys, peer, seconds, top, out_dir, log):
    """cProfile of ``peer``'s step on each workload; prints (and saves) the top functions by tottime."""
    for key in keys:
        case = W.build(key, peer)
        for _ in range(3):
            case.step()
        t0 = time.perf_counter()
        case.step()
        n = max(1, int(seconds / max(time.perf_counter() - t0, 1e-9)))
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(n):
            case.step()
        pr.disable()
        buf = io.StringIO()
        st = pstats.Stats(pr, stream=buf)
        st.sort_stats("tottime")
        buf.write(f"# {key} ({W.WORKLOADS[key].title}), peer {peer}, {n} calls; times are totals over all calls\n")
        buf.write("\n## all functions, by tottime\n")
        st.print_stats(top)
        buf.write("\n## gputape functions only, by tottime\n")
        st.print_stats(r"gputape[/\\]", top)
        text = buf.getvalue()
        print(text)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"profile-{peer}-{key}.txt").write_text(text)
            log(f"wrote {out_dir / f'profile-{peer}-{key}.txt'}")


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="compare.py", description=__doc__.split("\n\n")[0],
        epilog="Workloads: " + "; ".join(f"{k}: {w.title}" for k, w in W.WORKLOADS.items())
               + ". Peers: " + ", ".join(f"{p} ({W.PEER_LABELS[p]})" for p in W.PEERS) + ".",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default=",".join(W.WORKLOADS), help="comma-separated (default: all)")
    ap.add_argument("--peers", default=",".join(W.PEERS),
                    help="comma-separated (default: every peer; those that do not import are listed as not run)")
    ap.add_argument("--repeats", type=int, help=f"timed rounds (default {FULL['repeats']}, quick {QUICK['repeats']})")
    ap.add_argument("--warmup", type=int, help=f"warm-up calls per peer (default {FULL['warmup']})")
    ap.add_argument("--min-sample-ms", type=float,
                    help=f"calls per sample are chosen so a sample lasts this long (default {FULL['min_sample_ms']})")
    ap.add_argument("--quick", action="store_true", help="fewer, shorter rounds (a smoke run, noisier)")
    ap.add_argument("--order", choices=("interleaved", "blocked"), default="interleaved",
                    help="interleaved: round-robin rounds (default); blocked: each peer's samples back to back "
                         "(only to see what interleaving changes)")
    ap.add_argument("--threads", type=int,
                    help="threads for every framework and NumPy's BLAS, and the process pinned to that many cores "
                         "(default: every usable core; the process restarts itself with the matching environment)")
    ap.add_argument("--note", help="a line of free text for the report (e.g. what is odd about the machine)")
    ap.add_argument("--wait-idle", type=float, metavar="LOAD",
                    help="before starting, wait (up to --wait-max s) until the 1-minute load average is below LOAD; "
                         "other processes on the machine distort every timing")
    ap.add_argument("--wait-max", type=float, default=1800.0, help="longest wait for --wait-idle, seconds")
    ap.add_argument("--no-check", action="store_true", help="skip the check of each peer against the NumPy floor")
    ap.add_argument("--out", default=str(HERE / "results"), help="output directory (default benchmarks/results/)")
    ap.add_argument("--name", help="base name of the output files (default <cpu|gpu>-<date>)")
    ap.add_argument("--no-save", action="store_true", help="print the table only")
    ap.add_argument("--render", metavar="JSON",
                    help="only rewrite the .md and .png beside a saved .json (with --note: replace its note)")
    ap.add_argument("--profile", metavar="WORKLOADS",
                    help="instead of timing, cProfile one peer's step on these workloads and print the top functions")
    ap.add_argument("--profile-peer", default="gputape", help="peer to profile (default gputape)")
    ap.add_argument("--profile-seconds", type=float, default=3.0, help="how long to profile each workload")
    ap.add_argument("--profile-top", type=int, default=25, help="rows to print")
    a = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    keys = [k.strip().upper() for k in a.workloads.split(",") if k.strip()]
    for k in keys:
        if k not in W.WORKLOADS:
            ap.error(f"unknown workload {k}; known: {', '.join(W.WORKLOADS)}")
    peers = [p.strip() for p in a.peers.split(",") if p.strip()]
    for p in peers:
        if p not in W.PEERS:
            ap.error(f"unknown peer {p}; known: {', '.join(W.PEERS)}")

    if a.render:
        src = Path(a.render)
        report = json.loads(src.read_text())
        if a.note is not None:
            report["config"]["note"] = a.note
            src.write_text(json.dumps(report, indent=1))
        src.with_suffix(".md").write_text(markdown(report))
        plot(report, src.with_suffix(".png"))
        print_table(report)
        return 0

    if a.threads is not None:
        if a.threads < 1:
            ap.error("--threads must be >= 1")
        env = W.thread_env(a.threads)
        if any(os.environ.get(k) != v for k, v in env.items()) and not os.environ.get("GPUTAPE_BENCH_REEXEC"):
            env["GPUTAPE_BENCH_REEXEC"] = "1"
            # some pools ignore every setting (XLA's CPU client): pin the process to that many cores as well
            if hasattr(os, "sched_setaffinity") and a.threads < W.n_cores():
                os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:a.threads])
            os.environ.update(env)
            os.execv(sys.executable, [sys.executable, str(Path(__file__).resolve())]
                     + list(sys.argv[1:] if argv is None else argv))

    out_dir = None if a.no_save else Path(a.out)
    if a.wait_idle is not None:
        t_end = time.time() + a.wait_max
        while os.getloadavg()[0] >= a.wait_idle and time.time() < t_end:
            log(f"load average {os.getloadavg()[0]:.1f} >= {a.wait_idle}; waiting")
            time.sleep(30)

    if a.profile:
        pkeys = [k.strip().upper() for k in a.profile.split(",") if k.strip()]
        profile(pkeys, a.profile_peer, a.profile_seconds, a.profile_top, out_dir, log)
        return 0

    base = QUICK if a.quick else FULL
    cfg = {"repeats": a.repeats or base["repeats"], "warmup": a.warmup or base["warmup"],
           "min_sample_ms": a.min_sample_ms or base["min_sample_ms"], "order": a.order, "check": not a.no_check,
           "quick": a.quick, "workloads": keys, "peers": peers, "threads": W.n_threads(),
           "thread_env": {k: os.environ.get(k) for k in W.thread_env(1)}, "note": a.note}
    machine = machine_info()
    log(f"gputape {machine.get('gputape_backend')} ({machine.get('gputape_device')}); {machine['cpu']}, "
        f"{machine['cores']} cores")
    results = {}
    for k in keys:
        log(f"{k}: {W.WORKLOADS[k].title}")
        t0 = time.perf_counter()
        gc.collect()
        load0 = os.getloadavg()[0]
        results[k] = run_workload(k, peers, cfg, log)
        results[k]["load_average_1min"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        log(f"  done in {time.perf_counter() - t0:.1f} s")
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report = {"machine": machine, "config": cfg, "results": results}
    report["key_figures"] = key_figures(results)
    print_table(report)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        kind = "gpu" if machine.get("gputape_backend") == "cupy" else "cpu"
        name = a.name or f"{kind}-{datetime.date.today().isoformat()}"
        (out_dir / f"{name}.json").write_text(json.dumps(report, indent=1))
        (out_dir / f"{name}.md").write_text(markdown(report))
        wrote = [f"{name}.json", f"{name}.md"]
        if plot(report, out_dir / f"{name}.png"):
            wrote.append(f"{name}.png")
        log(f"wrote {', '.join(str(out_dir / w) for w in wrote)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
