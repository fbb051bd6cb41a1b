"""Compile every kernels/*.cu exactly as CuPy compiles it at run time, without a GPU.

CuPy's ``RawModule`` path (CuPy 14) compiles with NVRTC using: the options gputape gives
(``gputape.kernels.OPTIONS``) assembled with CuPy's include paths (``cupy._core.core.
assemble_cupy_compiler_options``: CCCL, CuPy's own headers, the CUDA runtime wheel's headers),
then ``-ftz=true`` (``_compile_with_cache_cuda``), then ``-arch=sm_XX`` and
``--device-as-default-execution-space`` (``compile_using_nvrtc``), with every
``kernel<float|double|__half>`` added as a name expression.  ``RawModule.compile()`` asks for a
device; CuPy's NVRTC program object (``cupy.cuda.compiler._NVRTCProgram``) does not, so this
script builds one per file with that option list (plus ``--ptxas-options=-v``) and then:

- fails on any compile error or warning-as-error, and on a name expression NVRTC did not lower;
- reads ptxas' report from the program log and fails on any spill store/load or stack frame
  (a kernel using local memory), printing registers per instance.

Run inside a virtual environment holding ``cupy-cuda12x`` (or ``cupy-cuda13x``) and the NVRTC and
CUDA-runtime wheels (``.ci/nvrtc_check.sh`` makes one).  Private CuPy names are used on purpose:
the point is to compile exactly as CuPy does; a CuPy that renames them fails this check loudly.
"""
import argparse
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_ENTRY = re.compile(r"Compiling entry function '([^']+)'")
_PROPS = re.compile(r"Function properties for (\S+)\s*\n\s*ptxas\s+\.\s+(\d+) bytes stack frame, (\d+) bytes spill stores, "
                    r"(\d+) bytes spill loads")
_REGS = re.compile(r"Used (\d+) registers")


def ptxas_report(log):
    """[(function, stack, spill stores, spill loads, registers or None)] from ptxas -v's log: every
    entry function, and every non-entry function (e.g. libdevice's __internal_accurate_pow) too."""
    out = []
    parts = _ENTRY.split(log)             # [before, name1, body1, name2, body2, ...]
    for name, body in zip(parts[1::2], parts[2::2]):
        regs = _REGS.search(body)
        for fn, stack, st, ld in _PROPS.findall(body):
            out.append((fn, int(stack), int(st), int(ld), int(regs.group(1)) if fn == name and regs else None))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="90", help="compute capability to compile for (default 90: H100/H200)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print registers of every kernel instance")
    args = ap.parse_args(argv)
    import cupy
    import cupy._core.core as core
    from cupy.cuda import compiler, nvrtc
    from gputape import kernels

    ver = nvrtc.getVersion()
    opts = core.assemble_cupy_compiler_options(tuple(kernels.OPTIONS))
    opts += ("-ftz=true", f"-arch=sm_{args.arch}", "--device-as-default-execution-space", "--ptxas-options=-v")
    print(f"nvrtc_check: CuPy {cupy.__version__}, NVRTC {ver[0]}.{ver[1]}, options: "
          f"{' '.join(o for o in opts if not o.startswith('-I'))} (+{sum(o.startswith('-I') for o in opts)} -I)")
    failed = 0
    files = sorted(p.name for p in (ROOT / "kernels").glob("*.cu"))
    for f in files:
        src = kernels.source(f)
        names = kernels.kernel_names(f)
        exprs = [f"{n}<{t}>" for n in names for t in kernels.CTYPES]
        prog = compiler._NVRTCProgram(src, f, name_expressions=exprs, method="cubin")
        log = io.StringIO()
        try:
            cubin, mapping = prog.compile(opts, log)
        except Exception as e:          # noqa: BLE001 - CompileException carries NVRTC's log
            print(f"{f}: FAILED to compile\n{e}")
            failed = 1
            continue
        missing = [e for e in exprs if not mapping.get(e)]
        lowered = {v: k for k, v in mapping.items()}
        report = ptxas_report(log.getvalue())
        bad = []
        for mangled, stack, st, ld, regs in report:
            name = lowered.get(mangled, mangled)
            if args.verbose and regs is not None:
                print(f"    {name:32s} {regs:3d} registers, stack {stack} B, spills {st}/{ld} B")
            if stack or st or ld:
                bad.append(f"{name}: stack frame {stack} B, spill stores {st} B, spill loads {ld} B")
        seen = {lowered.get(m) for m, *_, r in report if r is not None}
        unreported = [e for e in exprs if e not in seen]
        if missing or bad or unreported:
            failed = 1
            print(f"{f}: FAILED" + "".join(f"\n    {b}" for b in bad)
                  + (f"\n    not lowered: {missing}" if missing else "")
                  + (f"\n    no ptxas report for: {unreported}" if unreported else ""))
        else:
            regs = [r for *_, r in report if r is not None]
            print(f"{f}: ok, {len(exprs)} instances ({len(names)} kernels x float/double/__half), "
                  f"{len(cubin)} B cubin for sm_{args.arch}, registers {min(regs)}-{max(regs)}, no spills, no stack")
    return failed


if __name__ == "__main__":
    sys.exit(main())
