"""The ``latentcv`` commands, one module per command: what each command does, callable from Python.

:mod:`latentcv.cli` parses the command line and calls them. Each module holds the command's
settings, its work and its result:

- :mod:`.doctor`: ``latentcv doctor``, the engine stack checked by running it;
- :mod:`.simulate`, :mod:`.build`: NPT MD of an example system, its starting structure;
- :mod:`.train`: the hierarchical autoencoder trained on trajectories;
- :mod:`.cluster`: the crystal and melt basins in latent space, and the CV heads on them;
- :mod:`.export`, :mod:`.evaluate`: the CV exported for a system, and evaluated through its files;
- :mod:`.report`: the CV scored against Steinhardt Q6;
- :mod:`.metad` (settings in :mod:`.metad_config`): well-tempered metadynamics in OpenMM;
- :mod:`.pin`: interface pinning of a crystal–melt slab in OpenMM, and the Δμ it measures
  (what it shares with metad: :mod:`.biased_run`).
"""
