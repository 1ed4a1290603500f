"""latentcv: learned latent collective variables for crystallization and melting.

Importing latentcv imports torch first. That order matters: the openmmtorch wheel and its OpenMM
plugin link the ``libnvrtc.so.12`` that the torch wheel brings, and find it only when torch is
already loaded in the process (DESIGN.md, "Engine contracts"). After ``import latentcv``,
``import openmmtorch`` works, and if ``openmm`` was imported before latentcv (so its TorchForce
plugin failed to load), the plugin is loaded again now that torch is there.

Before that first ``import torch``, latentcv sets ``OMP_WAIT_POLICY=PASSIVE`` unless the user set it.
torch's OpenMP threads (GNU libgomp) otherwise spin after every parallel region, and when other work
shares the cores (OpenMM's CPU threads, other processes) the spinning threads take the CPU from the
threads they wait for: on this project's busy 2-core machine a training epoch ran 10 to 25 times
slower with torch's default two threads than with one, and a TorchForce MD step about 12 times
slower (``bench/train_throughput.py``, ``bench/torchforce_overhead.py``); with PASSIVE, two threads
ran as fast as one. libgomp reads the variable once, when torch loads it.
"""

import logging
import os
import re
import sys

if "torch" not in sys.modules:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see the module docstring

import torch  # noqa: E402  (must precede openmmtorch and the loading of OpenMM's plugins)

__version__ = "0.1.0"


def train(trajectories, topology, out, settings=None, **options):  # type: ignore[no-untyped-def]
    """Train the hierarchical autoencoder: the Python form of ``latentcv train``.

    See :func:`latentcv.commands.train.train_model` for the parameters (``system_xml``, ``resume``,
    ``start``, ``stop``, ``stride``, ``verbose``) and :class:`latentcv.nn.settings.Settings` for
    ``settings``. Returns a :class:`latentcv.commands.train.TrainSummary`.
    """
    from latentcv.commands.train import train_model

    return train_model(trajectories, topology, out, settings, **options)


def _drop_simtk_warning(record: logging.LogRecord) -> bool:
    """openmmtorch 1.5 imports the deprecated ``simtk.openmm``, which logs a warning on the root
    logger at every import; that warning is about openmmtorch's code, not the user's."""
    return "importing 'simtk.openmm' is deprecated" not in record.getMessage()


logging.getLogger().addFilter(_drop_simtk_warning)


def _reload_openmm_torch_plugins() -> None:
    """Load the openmm-torch plugins that failed because ``openmm`` was imported before torch."""
    import openmm

    for failure in openmm.Platform.getPluginLoadFailures():
        match = re.match(r"Error loading library (\S+): .*(nvrtc|torch|c10)", failure)
        if match and "OpenMMTorch" in match.group(1) and "OpenCL" not in match.group(1):
            try:
                openmm.Platform.loadPluginLibrary(match.group(1))
            except openmm.OpenMMException:
                pass  # e.g. a CUDA plugin on a machine without a driver: that platform stays absent


if "openmm" in sys.modules:
    _reload_openmm_torch_plugins()
