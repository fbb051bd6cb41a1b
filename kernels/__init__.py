"""CUDA C++ sources of gputape's kernels, installed as the package ``gputape.kernels_src``.

Nothing to import: ``gputape/kernels.py`` reads the ``.cu`` files (and pastes in ``common.cuh``).
"""
