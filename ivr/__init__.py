"""ivr: a self-hosted outbound voice robot for neighbourhood committees."""

import os as _os

# Before numpy and CTranslate2 load. Our parallelism is explicit (recognition workers with
# `asr_cpu_threads` each, one event loop); left to themselves both libraries start a helper
# thread per core that spins while waiting for work:
# - numpy's OpenBLAS: its `blas_thread_server` took 24-37 % of a core at 50 calls;
# - CTranslate2's OpenMP: a 10 s Whisper encode cost 112 ms of CPU for 56 ms of wall time on
#   one thread, 56 ms with this (and `asr_cpu_threads=2` now runs in 38 ms instead of 60).
# A user's own setting wins.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
_os.environ.setdefault("OMP_NUM_THREADS", "1")

__version__ = "0.1.0"
