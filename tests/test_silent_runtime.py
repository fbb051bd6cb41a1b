"""Issue 7, kinds 10-12: gputape.function's bounded trace cache and TF's retracing warning, per-thread
function and check_numerics state (8 threads), and only the package's own files loaded or run.

TensorFlow's behaviour is recorded in tests/tf_fixtures/runtime.json (tests/tf_fixtures/gen_runtime.py, running
the programs of tests/tf_fixtures/runtime_cases.py, which run here too).
"""
import gc
import logging
import math
import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import gputape as tf
from gputape import kernels
from gputape.errors import NumericsError
from tf_fixture import load

sys.path.insert(0, str(Path(__file__).resolve().parent / "tf_fixtures"))
import runtime_cases  # noqa: E402
from runtime_cases import LogCatcher, warned_calls  # noqa: E402

F = sys.modules["gputape.function"]        # gputape.function is also the decorator's name
TF = load("runtime")
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- kind 10: retracing warning, bounded cache
@pytest.fixture
def retrace_log():
    h = LogCatcher()
    log = logging.getLogger("gputape")
    log.addHandler(h)
    try:
        yield h
    finally:
        log.removeHandler(h)


def test_retracing_warning_new_float_each_call_as_tf():
    f, g, calls = runtime_cases.retrace_new_float(tf)
    case = TF["retrace_new_float"]
    at, texts = warned_calls(calls, "gputape")
    assert at == case["value"] == [5, 6]
    assert texts == [m.replace("{function}", repr(f)) for m in case["messages"]]
    assert g.experimental_get_tracing_count() == case["tracing_count"] == 12
    assert case["constants"] == {"FREQUENT_TRACING_WARNING_MAX_CALL_HISTORY": F.FREQUENT_TRACING_WARNING_MAX_CALL_HISTORY,
                                 "FREQUENT_TRACING_WARNING_THRESHOLD": F.FREQUENT_TRACING_WARNING_THRESHOLD,
                                 "FREQUENT_TRACING_WARNING_MAX_WARNING_PER_DETECTOR":
                                     F.FREQUENT_TRACING_WARNING_MAX_WARNING_PER_DETECTOR}


def test_retracing_warning_window_and_functions_made_in_a_loop():
    fg, calls = runtime_cases.retrace_mixed(tf)
    assert warned_calls(calls, "gputape")[0] == TF["retrace_mixed"]["value"]
    assert fg.experimental_get_tracing_count() == TF["retrace_mixed"]["tracing_count"]
    assert warned_calls(runtime_cases.retrace_in_loop(tf), "gputape")[0] == TF["retrace_in_loop"]["value"]


def test_no_warning_for_a_steady_function(retrace_log):
    f = tf.function(lambda x: x + 1.0)
    for n in range(1, 40):
        f(tf.zeros([n % 3 + 1]))                    # three shapes, then reuse
    assert not [m for m in retrace_log.messages if "retracing" in m]


def test_trace_cache_is_lru_bounded_and_counts_every_trace(monkeypatch):
    monkeypatch.setattr(F, "MAX_TRACES", 4)
    logging.disable(logging.WARNING)
    try:
        calls = []

        @tf.function
        def f(x, k):
            calls.append(k)
            return x * 2.0 + k

        x = tf.constant([1.0])
        for k in range(10):
            assert f(x, float(k)).numpy().tolist() == [2.0 + k]
        assert f.trace_count == 4 and f.experimental_get_tracing_count() == 10
        assert "k: 9.0" in f.pretty_printed_concrete_signatures() and "k: 5.0" not in \
            f.pretty_printed_concrete_signatures()
        f(x, 7.0)                                   # kept: no new trace, and now most recently used
        assert f.experimental_get_tracing_count() == 10
        f(x, 0.0)                                   # dropped: traced again (same result)
        assert f.experimental_get_tracing_count() == 11 and f.trace_count == 4
        assert "k: 7.0" in f.pretty_printed_concrete_signatures()
        assert "k: 6.0" not in f.pretty_printed_concrete_signatures()
    finally:
        logging.disable(logging.NOTSET)


def _growth_per_step(step, warm, steps):
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(warm):
            step(i)
        gc.collect()
        a = tracemalloc.get_traced_memory()[0]
        for i in range(warm, warm + steps):
            step(i)
        gc.collect()
        b = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (b - a) / steps


def test_new_python_float_per_call_does_not_leak(monkeypatch):
    """The soak's ``function_new_float`` scenario in a few hundred steps (benchmarks/soak.py runs 10,000)."""
    monkeypatch.setattr(F, "MAX_TRACES", 16)
    logging.disable(logging.WARNING)
    try:
        x = tf.constant([1.0, 2.0])
        f = tf.function(lambda x, lr: x if lr > 0 else -x)
        per_step = _growth_per_step(lambda i: f(x, 0.5 + i), 200, 600)
        assert f.trace_count == 16 and f.experimental_get_tracing_count() == 800
        assert per_step < 50, f"{per_step:.0f} bytes/step"
        # the same without the bound grows by a trace record a call: the measure does see a leak
        monkeypatch.setattr(F, "MAX_TRACES", 10 ** 9)
        g = tf.function(lambda x, lr: x if lr > 0 else -x)
        assert _growth_per_step(lambda i: g(x, 0.5 + i), 200, 600) > 200
    finally:
        logging.disable(logging.NOTSET)


# ---------------------------------------------------------------- kind 11: threads
N_THREADS = 8


def _in_threads(target, n=N_THREADS):
    errors = []

    def run(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 -- reported by the test
            errors.append((i, e))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_function_variable_check_is_per_thread():
    """Another thread creating Variables never makes a call fail (it did for 5-6 of 8 threads)."""
    import time

    def slow_double(x):
        time.sleep(0.001)                           # other threads make Variables meanwhile
        return x * 2.0

    shared = tf.function(slow_double)
    barrier = threading.Barrier(N_THREADS)

    def work(i):
        own = tf.function(lambda x: (time.sleep(0.001), x + 1.0)[1])
        x = tf.constant([float(i)])
        barrier.wait(30)
        for k in range(30):
            tf.Variable(float(k))                   # this thread makes Variables outside the functions
            assert own(x).numpy()[0] == i + 1.0
            assert shared(x).numpy()[0] == 2.0 * i

    assert _in_threads(work) == []
    assert shared.experimental_get_tracing_count() == 1


def test_function_variable_check_still_catches_this_threads_variables():
    barrier = threading.Barrier(N_THREADS)
    outcomes = []

    def work(i):
        holder = []

        @tf.function
        def f(x):
            holder.append(tf.Variable(1.0))
            return x

        x = tf.constant(1.0)
        f(x)                                        # the first call may create one
        barrier.wait(30)
        try:
            f(x)
            outcomes.append("no error")
        except ValueError as e:
            outcomes.append("singleton" if str(e).startswith(F._SINGLETON) else str(e))

    assert _in_threads(work) == []
    assert outcomes == ["singleton"] * N_THREADS


def test_variable_created_on_a_retrace_raises_tfs_message():
    first, second = runtime_cases.variable_after_first_call(tf)
    first()
    case = TF["variable_after_first_call"]
    with pytest.raises(ValueError) as e:
        second()
    assert case["error"] == "ValueError" and str(e.value).startswith(case["message"])


def test_first_calls_running_together_may_all_create_variables():
    barrier = threading.Barrier(N_THREADS)

    @tf.function
    def f(x):
        v = tf.Variable(x)
        if threading.current_thread() is not threading.main_thread():
            barrier.wait(30)                        # every thread is inside its first call
        return v

    assert _in_threads(lambda i: f(tf.constant(float(i)))) == []
    with pytest.raises(ValueError):
        f(tf.constant(9.0))


def _has_inf():
    return tf.constant([math.inf]) + 1.0            # no NumPy warning: inf + 1


def test_check_numerics_is_per_thread():
    """One thread leaving check_numerics_scope() does not turn checking off (or on) in another."""
    barrier = threading.Barrier(N_THREADS)
    seen = {}

    def work(i):
        checking = i % 2 == 0
        caught = 0
        for k in range(20):
            if checking:
                with tf.debugging.check_numerics_scope():
                    barrier.wait(30)                # every thread is in position: half inside, half outside
                    barrier.wait(30)                # ... and the other half may leave theirs meanwhile
                    try:
                        _has_inf()
                    except NumericsError:
                        caught += 1
            else:
                tf.debugging.enable_check_numerics()
                barrier.wait(30)
                tf.debugging.disable_check_numerics()    # must not switch off the checking threads
                barrier.wait(30)
                _has_inf()                          # unchecked here
        seen[i] = caught

    assert _in_threads(work) == []
    assert seen == {i: (20 if i % 2 == 0 else 0) for i in range(N_THREADS)}
    _has_inf()                                      # the main thread never checked
    from gputape.state import state, hooked_anywhere
    assert not state.check_numerics and hooked_anywhere[0] >= 0


def test_check_numerics_context_restores_this_threads_setting():
    from gputape.state import state
    with tf.debugging.check_numerics_scope():
        with tf.debugging.check_numerics_scope():
            pass
        assert state.check_numerics
        with pytest.raises(NumericsError):
            _has_inf()
    assert not state.check_numerics
    _has_inf()


# ---------------------------------------------------------------- kind 12: only the package's own files
def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("GPUTAPE_KERNEL_DIR",)}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_bench_never_runs_a_file_from_the_current_directory(tmp_path):
    planted = tmp_path / "benchmarks" / "compare.py"
    planted.parent.mkdir()
    marker = tmp_path / "PLANTED_RAN"
    planted.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    # a copy of the package outside any checkout: it has no benchmarks of its own
    import shutil
    pkg = tmp_path / "site"
    shutil.copytree(ROOT / "gputape", pkg / "gputape", ignore=shutil.ignore_patterns("__pycache__"))
    r = subprocess.run([sys.executable, "-m", "gputape", "bench", "--quick"], cwd=tmp_path, capture_output=True,
                       text=True, env=_env(PYTHONPATH=str(pkg)), timeout=120)
    assert not marker.exists(), "a benchmarks/compare.py in the current directory was executed"
    assert r.returncode == 2
    err = r.stderr.strip()
    assert "Traceback" not in err and "not part of the installed package" in err
    assert "python benchmarks/compare.py" in err


def test_bench_script_is_the_checkouts_own():
    from gputape import cli
    p = cli._compare_script()
    assert p is not None and p == ROOT / "benchmarks" / "compare.py"


def test_kernel_sources_only_from_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv("GPUTAPE_KERNEL_DIR", raising=False)
    dirs = kernels.source_dirs()
    assert dirs and all(d.resolve() in ((ROOT / "kernels").resolve(), (ROOT / "gputape" / "kernels_src").resolve())
                        for d in dirs), dirs
    assert kernels.source_path("math.cu").resolve() == (ROOT / "kernels" / "math.cu").resolve()


def test_kernel_dir_outside_a_checkout_is_not_searched(tmp_path):
    """Installed (no pyproject next to the package): <site-packages>/kernels is never a source."""
    import shutil
    site = tmp_path / "site"
    shutil.copytree(ROOT / "gputape", site / "gputape", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "kernels").mkdir()
    (site / "kernels" / "math.cu").write_text("// planted\n")
    probe = ("import gputape.kernels as k\n"
             "print([str(d) for d in k.source_dirs()])\n"
             "try:\n    k.source_path('math.cu'); print('FOUND')\nexcept k.KernelError as e:\n    print('ERR', e)\n")
    r = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                       env=_env(PYTHONPATH=str(site), GPUTAPE_BACKEND="numpy"), timeout=120)
    assert r.returncode == 0, r.stderr
    assert str(site / "kernels") not in r.stdout.splitlines()[0] and "ERR" in r.stdout and "FOUND" not in r.stdout


def test_kernel_dir_override_is_used_and_logged_once(monkeypatch, tmp_path, caplog):
    (tmp_path / "math.cu").write_text("// override\n")
    monkeypatch.setenv("GPUTAPE_KERNEL_DIR", str(tmp_path))
    monkeypatch.setattr(kernels, "_override_logged", set())
    with caplog.at_level(logging.WARNING, logger="gputape"):
        assert kernels.source_dirs()[0] == tmp_path
        assert kernels.source_path("math.cu") == tmp_path / "math.cu"
        kernels.source_dirs()
    notes = [r.getMessage() for r in caplog.records if "GPUTAPE_KERNEL_DIR" in r.getMessage()]
    assert len(notes) == 1 and str(tmp_path) in notes[0]
    monkeypatch.setenv("GPUTAPE_KERNEL_DIR", str(tmp_path / "missing"))
    with pytest.raises(kernels.KernelError, match="GPUTAPE_KERNEL_DIR"):
        kernels.source_dirs()


def test_soak_script_help():
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--help"], capture_output=True,
                       text=True, env=_env(), timeout=120)
    assert r.returncode == 0 and "--steps" in r.stdout and "10000" in r.stdout


def test_soak_script_runs_briefly(tmp_path):
    out = tmp_path / "soak.json"
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--steps", "60", "--warmup", "20",
                        "--scenarios", "function_new_float", "--json", str(out), "--no-progress"],
                       capture_output=True, text=True, env=_env(GPUTAPE_BACKEND="numpy"), timeout=120)
    assert r.returncode == 0, r.stderr
    import json
    d = json.loads(out.read_text())
    assert [s["name"] for s in d["scenarios"]] == ["function_new_float"]
    assert np.isfinite(d["scenarios"][0]["bytes_per_step"])


# ---------------------------------------------------------------- property tests: TF's retracing rule, the LRU bound
from hypothesis import given, settings, strategies as st  # noqa: E402

EXAMPLES = int(os.environ.get("GPUTAPE_HYPOTHESIS_EXAMPLES", "60"))
OUTCOMES = {}                                       # outcome -> count, reported with -s


def _tf_rule(pattern):
    """TF 2.21's warnings for a call pattern (1 = the call traced), restated: at a tracing call, the runs kept
    (a run = one tracing call and the calls after it that did not trace) are the longest suffix whose runs
    after its first hold at most MAX_CALL_HISTORY calls; it warns when that suffix has >= THRESHOLD runs,
    at most MAX_WARNING_PER_DETECTOR times.  Returns [(call number, N, M)] for "N out of the last M"."""
    runs, out = [], []
    for i, traced in enumerate(pattern, 1):
        if not traced:
            if not runs:
                runs.append(0)
            runs[-1] += 1
            continue
        runs.append(1)
        j = len(runs) - 1
        while j > 0 and sum(runs[j:]) <= F.FREQUENT_TRACING_WARNING_MAX_CALL_HISTORY:
            j -= 1
        if sum(runs[j + 1:]) > F.FREQUENT_TRACING_WARNING_MAX_CALL_HISTORY:
            j += 1
        kept = runs[j:]
        if len(out) < F.FREQUENT_TRACING_WARNING_MAX_WARNING_PER_DETECTOR and \
                len(kept) >= F.FREQUENT_TRACING_WARNING_THRESHOLD:
            out.append((i, len(kept), sum(kept)))
    return out


def _ours(pattern, k):
    """Run gputape.function on ``pattern`` (call 1 always traces); [(call number, N, M)] from its warnings."""
    import re
    scope = {}
    exec(f"def body_{k}(x, lr):\n    return x\n", scope)     # a new code object: a fresh detector
    fn = tf.function(scope[f"body_{k}"])
    x = tf.constant([1.0])
    h = LogCatcher()
    log = logging.getLogger("gputape")
    log.addHandler(h)
    out = []
    try:
        for i, new in enumerate(pattern, 1):
            n = len(h.messages)
            fn(x, 1000.0 + i if new and i > 1 else 0.5)    # call 1 traces with 0.5, reused after
            for m in h.messages[n:]:
                a, b = re.match(r"(\d+) out of the last (\d+) calls to ", m).groups()
                out.append((i, int(a), int(b)))
    finally:
        log.removeHandler(h)
    return out, fn


_patterns = [k for k in TF if k.startswith("retrace_pattern_")]


@pytest.mark.parametrize("case", sorted(_patterns))
def test_retracing_warning_matches_tf_on_recorded_patterns(case):
    c = TF[case]
    tf_out = [(i, n, m) for i, (n, m) in zip(c["value"], c["counts"])]
    ours, fn = _ours(c["pattern"], case)
    assert ours == tf_out
    assert _tf_rule([1] + c["pattern"][1:]) == tf_out       # the restated rule agrees with TF as well
    assert fn.experimental_get_tracing_count() == c["tracing_count"]


_RUNS = [0]


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=45))
def test_retracing_warning_follows_tfs_rule(pattern):
    pattern = [True] + pattern                    # the first call always traces
    expected = _tf_rule(pattern)
    _RUNS[0] += 1
    ours, _ = _ours(pattern, f"hyp{_RUNS[0]}")     # a new code object per example: a fresh detector
    _ours_key = "warned" if expected else "silent"
    OUTCOMES[_ours_key] = OUTCOMES.get(_ours_key, 0) + 1
    assert ours == expected


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.integers(1, 6), st.lists(st.integers(0, 9), min_size=1, max_size=60))
def test_trace_cache_is_an_lru_of_max_traces(bound, keys):
    import collections
    old = F.MAX_TRACES
    F.MAX_TRACES = bound
    logging.disable(logging.WARNING)
    try:
        f = tf.function(lambda x, k: x + float(k))
        x = tf.constant([0.0])
        model, traced = collections.OrderedDict(), 0
        for k in keys:
            assert f(x, k).numpy()[0] == float(k)
            if k in model:
                model.move_to_end(k)
            else:
                traced += 1
                model[k] = True
                if len(model) > bound:
                    model.popitem(last=False)
            assert f.trace_count == len(model) <= bound
        assert f.experimental_get_tracing_count() == traced
        OUTCOMES["evicted" if traced > len(set(keys)) else "no eviction"] = \
            OUTCOMES.get("evicted" if traced > len(set(keys)) else "no eviction", 0) + 1
    finally:
        F.MAX_TRACES = old
        logging.disable(logging.NOTSET)


def test_zz_report_outcomes():
    print("\nhypothesis outcomes (runtime):", OUTCOMES)
