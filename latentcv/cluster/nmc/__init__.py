"""Neural mode clustering: clusters are the modes of a learned potential on the latent space.

A spectral-norm MLP potential φ is trained by denoising score matching (its gradient is the score of
the data density, smoothed over noise scales); every point climbs φ to a mode; endpoints are
deduplicated; 0-D persistence over a graph of the modes prunes spurious ones; every point belongs
to the surviving mode its climb ended in.
"""

from latentcv.cluster.nmc.model import NeuralModeClustering, NMCConfig

__all__ = ["NMCConfig", "NeuralModeClustering"]
