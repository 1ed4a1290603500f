"""One torch thread while OpenMM's CPU platforms run MD with a TorchForce.

On the CPU platform OpenMM keeps every core busy with its own threads; torch's default intra-op
thread pool then competes with them at every force evaluation, and a TorchForce step becomes many
times slower than with one torch thread (``bench/torchforce_overhead.py`` measures it). GPU
platforms do not run OpenMM's force threads on the CPU, so torch keeps its default there.
"""

from __future__ import annotations

import torch

#: OpenMM platforms that compute forces with CPU threads.
CPU_PLATFORMS = ("CPU", "Reference")


def limit_torch_threads_for_platform(platform_name: str) -> int:
    """Use one torch intra-op thread when MD runs on an OpenMM CPU platform.

    Parameters
    ----------
    platform_name : str
        The OpenMM platform the MD runs on (``Context.getPlatform().getName()``).

    Returns
    -------
    int
        torch's intra-op thread count afterwards.
    """
    if platform_name in CPU_PLATFORMS:
        torch.set_num_threads(1)
    return torch.get_num_threads()
