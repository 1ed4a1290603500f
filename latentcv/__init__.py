"""latentcv: learned latent collective variables for crystallization and melting.

Importing latentcv imports torch first. That order matters: the openmmtorch wheel links the
``libnvrtc.so.12`` that the torch wheel brings, and finds it only when torch is already loaded in the
process (DESIGN.md, "Engine contracts"). After ``import latentcv``, ``import openmmtorch`` works.
"""

import torch  # noqa: F401  (must precede any import of openmmtorch)

__version__ = "0.1.0"
