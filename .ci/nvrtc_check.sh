#!/usr/bin/env bash
# CI check: compile every kernels/*.cu through NVRTC exactly as CuPy does at run time, without a GPU,
# and fail on any register spill or stack frame (ptxas -v).  Makes its own virtual environment with
# CuPy and the NVRTC + CUDA-runtime-header wheels (cuda-toolkit[nvrtc,cudart]), apart from the test
# environment.  CUDA 12 always; CUDA 13 too with GPUTAPE_NVRTC_CUDA13=1.
#
#   bash .ci/nvrtc_check.sh [-v]          # -v: registers of every kernel instance
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
run_one() {   # run_one <venv dir> <pip requirements...>
  local venv=$1; shift
  if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" numpy
  fi
  "$venv/bin/python" .ci/nvrtc_check.py "${args[@]}"
}
args=("$@")
run_one .ci/.venv-nvrtc12 "cupy-cuda12x>=14.1" "cuda-toolkit[nvrtc,cudart]==12.*"
if [ "${GPUTAPE_NVRTC_CUDA13:-0}" = 1 ]; then
  run_one .ci/.venv-nvrtc13 "cupy-cuda13x>=14.1" "cuda-toolkit[nvrtc,cudart]==13.*"
fi
