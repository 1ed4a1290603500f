"""latentcv: learned latent collective variables for crystallization and melting.

The pipeline as Python functions, each the Python form of a ``latentcv`` command
(:mod:`latentcv.commands`)::

    import latentcv

    for phase, system, temperature in (("crystal", "ice", 250.0), ("melt", "water", 300.0)):
        latentcv.simulate(latentcv.RunConfig(system, 288, temperature, 1.0, 100.0), f"md/{phase}")
    trajectories = ["md/crystal/trajectory.dcd:crystal", "md/melt/trajectory.dcd:melt"]
    latentcv.train(trajectories, "md/crystal/topology.pdb", "run")
    latentcv.find_basins("run", trajectories, "md/crystal/topology.pdb", "run/cluster")
    latentcv.export("run", "md/crystal/topology.pdb", "cv")
    latentcv.run_metad(latentcv.MetadConfig("md/crystal/system.xml", "md/crystal/topology.pdb", "cv", "metad",
                                            temperature=270.0, ns=1.0))

:data:`__all__` lists the names: the commands (``train``, ``find_basins``, ``export``,
``evaluate``, ``run_report``, ``run_metad``, ``run_pin``, ``simulate``), their settings
(``Settings``, ``MetadConfig``, ``PinConfig``, ``RunConfig``, ``ReportConfig``), and an exported
CV for OpenMM (``load_cv``, ``torch_force``, ``bias_variable``). They are imported on first
use, so ``import latentcv`` loads torch and nothing else of weight. ``latentcv.cluster`` is the
clustering library; the cluster command is ``find_basins``.

Importing latentcv imports torch first. That order matters: the openmmtorch wheel and its OpenMM
plugin link the ``libnvrtc.so.12`` that the torch wheel brings, and find it only when torch is
already loaded in the process (docs/design.md, "Import order: torch before openmmtorch"). After
``import latentcv``, ``import openmmtorch`` works, and if ``openmm`` was imported before latentcv
(so its TorchForce plugin failed to load), the plugin is loaded again now that torch is there.

Before that first ``import torch``, latentcv sets ``OMP_WAIT_POLICY=PASSIVE`` unless the user set it.
torch's OpenMP threads (GNU libgomp) otherwise spin after every parallel region, and when other work
shares the cores (OpenMM's CPU threads, other processes) the spinning threads take the CPU from the
threads they wait for, which makes training and MD with a TorchForce many times slower with torch's
default threads than with one (``bench/train_throughput.py``, ``bench/torchforce_overhead.py``
measure it); with PASSIVE, more threads cost nothing. libgomp reads the variable once, when torch
loads it.
"""

import importlib
import logging
import os
import re
import sys

if "torch" not in sys.modules:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see the module docstring

import torch  # noqa: E402, F401  (must precede openmmtorch and the loading of OpenMM's plugins)

__version__ = "0.1.0"

#: The public names: name -> (module, attribute), imported on first use (:func:`__getattr__`).
_API = {
    "train": ("latentcv.commands.train", "train_model"),
    "find_basins": ("latentcv.commands.cluster", "find_basins"),
    "export": ("latentcv.commands.export", "export_run"),
    "evaluate": ("latentcv.commands.evaluate", "evaluate_cv"),
    "run_report": ("latentcv.commands.report", "run_report"),
    "run_metad": ("latentcv.commands.metad", "run_metad"),
    "run_pin": ("latentcv.commands.pin", "run_pin"),
    "simulate": ("latentcv.commands.simulate", "simulate"),
    "load_cv": ("latentcv.engines.exported", "load"),
    "torch_force": ("latentcv.engines.openmm.cv_force", "torch_force"),
    "bias_variable": ("latentcv.engines.openmm.cv_force", "bias_variable"),
    "Settings": ("latentcv.nn.settings", "Settings"),
    "MetadConfig": ("latentcv.commands.metad_config", "MetadConfig"),
    "PinConfig": ("latentcv.commands.pin", "PinConfig"),
    "RunConfig": ("latentcv.commands.simulate", "RunConfig"),
    "ReportConfig": ("latentcv.commands.report", "ReportConfig"),
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> object:
    """The public name ``name`` of :data:`_API`, imported now and kept."""
    try:
        module, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module 'latentcv' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})


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
