"""Stage 0 of the device proof: what the machine is (driver, runtime, NVRTC, device, CuPy, commit)."""
import os
import platform
import subprocess
import sys

from common import ROOT, say, summary


def main():
    print(f"commit: {os.environ.get('GPUTAPE_COMMIT') or _git() or 'unknown'}")
    print(f"python: {sys.version.split()[0]} ({platform.machine()}), platform {platform.platform()}")
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=20).stdout.strip()
        print(f"nvidia-smi: {out}")
    except Exception as e:            # noqa: BLE001
        print(f"nvidia-smi: unavailable ({e})")
    import numpy
    print(f"numpy: {numpy.__version__}")
    try:
        import cupy
        print(f"cupy: {cupy.__version__}")
        rt = cupy.cuda.runtime
        print(f"cuda runtime: {rt.runtimeGetVersion()}, driver: {rt.driverGetVersion()}")
        try:
            print(f"nvrtc: {cupy.cuda.nvrtc.getVersion()}")
        except Exception as e:        # noqa: BLE001
            print(f"nvrtc: unavailable ({e})")
        n = rt.getDeviceCount()
        for d in range(n):
            p = rt.getDeviceProperties(d)
            name = p["name"].decode() if isinstance(p["name"], bytes) else p["name"]
            print(f"device {d}: {name}, sm_{p['major']}{p['minor']}, {p['multiProcessorCount']} SMs, "
                  f"{p['totalGlobalMem'] / 2**30:.1f} GiB, L2 {p['l2CacheSize'] / 2**20:.0f} MiB")
        say("PASS", "environment", f"{n} CUDA device(s)")
    except Exception as e:            # noqa: BLE001
        say("SKIP", "environment", f"no CuPy/CUDA ({type(e).__name__}: {e})")
    for mod in ("torch", "pytest", "xdist", "hypothesis"):
        try:
            m = __import__(mod)
            print(f"{mod}: {getattr(m, '__version__', '?')}")
        except Exception:             # noqa: BLE001
            print(f"{mod}: not importable")
    return summary("stage 0 environment")


def _git():
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except Exception:                 # noqa: BLE001
        return ""


if __name__ == "__main__":
    sys.exit(main())
