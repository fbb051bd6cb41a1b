#!/usr/bin/env bash
# Compile every kernels/*.cu to PTX with nvcc, each kernel template instantiated for float,
# double and __half, so that every template body is actually compiled (an uninstantiated
# template is only parsed).  One line per file; exits non-zero on any error or warning.
# Exits 0 with a message where nvcc is absent (the kernels then compile at run time only).
#
#   bash .ci/compile_kernels.sh            # GPUTAPE_NVCC_ARCH=sm_80 to target another GPU
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvcc >/dev/null 2>&1; then
  echo "compile_kernels: nvcc not found; skipping the CUDA compile check"
  exit 0
fi
arch="${GPUTAPE_NVCC_ARCH:-sm_90}"
# the options gputape/kernels.py gives NVRTC (CuPy adds -ftz=true itself)
opts=(--ptx "-arch=$arch" -std=c++17 --fmad=false -ftz=true -Werror all-warnings -I kernels)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shopt -s nullglob
files=(kernels/*.cu)
if [ ${#files[@]} -eq 0 ]; then
  echo "compile_kernels: no kernels/*.cu files" >&2
  exit 1
fi
failed=0
for f in "${files[@]}"; do
  base=$(basename "$f" .cu)
  names=$(grep -oE '__global__[[:space:]]+void[[:space:]]+[A-Za-z_][A-Za-z0-9_]*' "$f" | awk '{print $3}')
  if [ -z "$names" ]; then
    echo "$f: FAILED, no __global__ kernels found"
    failed=1
    continue
  fi
  wrapper="$tmp/$base.inst.cu"
  {
    echo "#include \"$PWD/$f\""
    echo "// taking each instance's address instantiates it for the device"
    echo "void* gputape_instances_$base[] = {"
    for n in $names; do
      for t in float double __half; do
        echo "  (void*)&$n<$t>,"
      done
    done
    echo "};"
  } >"$wrapper"
  if ! log=$(nvcc "${opts[@]}" -o "$tmp/$base.ptx" "$wrapper" 2>&1); then
    echo "$f: FAILED (nvcc ${opts[*]})"
    echo "$log" | sed 's/^/    /'
    failed=1
    continue
  fi
  want=$(( $(echo "$names" | wc -l) * 3 ))
  got=$(grep -c '\.entry ' "$tmp/$base.ptx" || true)
  if [ "$got" -ne "$want" ]; then
    echo "$f: FAILED, $got PTX entries where $want were expected"
    failed=1
    continue
  fi
  echo "$f: ok, $(echo "$names" | wc -l) kernels x float/double/__half -> $got PTX entries ($arch)"
done
exit $failed
