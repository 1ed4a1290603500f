"""Keep freed memory inside the process while a CV runs at every MD step on the CPU.

Each evaluation of a latent CV allocates and frees megabytes of temporary tensors (per-edge features
of the molecular graph and their gradients). glibc's malloc hands large freed blocks back to the
kernel (blocks above its mmap threshold, and the top of the heap beyond its trim threshold), so the
next evaluation page-faults the same memory in again, at a sizeable share of the CV's CPU time
(``bench/cv_cost.py`` counts the page faults); with :func:`keep_freed_memory` there are none. The
price is that the process keeps its peak heap instead of returning it to the system.
"""

from __future__ import annotations

import ctypes

#: ``mallopt`` parameter numbers of glibc (malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: The largest mmap threshold glibc accepts on 64-bit systems (32 MiB): smaller blocks come from
#: the heap, and freed ones are reused.
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
#: Free memory at the top of the heap that is kept rather than trimmed (1 GiB).
TRIM_THRESHOLD = 1 << 30


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the kernel.

    Process-wide and lasting; call it in processes that evaluate a CV at every MD step on the CPU
    (``latentcv metad`` does on the CPU and Reference platforms).

    Returns
    -------
    bool
        Whether both settings were accepted; False without glibc (e.g. macOS), where nothing changes.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
