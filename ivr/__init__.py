"""ivr: a self-hosted outbound voice robot for neighbourhood committees."""

import os as _os

# Before numpy loads: its OpenBLAS would start a helper thread per core that spins between
# matrix products. Our parallelism is explicit (recognition workers, one event loop), and on
# a 2-core machine that spinning thread took a third of a core away from recognition under
# load. A user's own setting wins.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
