"""The neural mode clustering head: potential, climbs, deduplication, pruning, assignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.neighbors import NearestNeighbors

from latentcv.cluster.inputs import check_n_clusters, check_points, check_view
from latentcv.cluster.nmc.dedup import deduplicate
from latentcv.cluster.nmc.modes import Ascent, seek_modes
from latentcv.cluster.nmc.persistence import prune_modes
from latentcv.cluster.nmc.potential import PotentialMLP
from latentcv.cluster.nmc.training import TrainingConfig, train_potential


@dataclass(frozen=True)
class NMCConfig:
    """Settings of :class:`NeuralModeClustering`.

    Lengths are in standardised units: the latent minus its mean, divided by its root-mean-square
    spread per dimension (one scale for all dimensions, so distances keep their shape).

    Parameters
    ----------
    n_clusters : int or None
        Number of clusters wanted (the most persistent modes), or None to let persistence decide
        (by ``tau`` when given, else by ``min_relative``).
    hidden, depth : int
        Width and number of hidden layers of the potential.
    length_scale : float
        Initial feature length scale ℓ of the potential (learnt).
    training : TrainingConfig
        Score matching and invariance.
    ascent_step, ascent_tol : float
        Initial step size and gradient-norm tolerance of mode seeking.
    ascent_max_iter : int
        Largest number of ascent iterations.
    eps_quantile : float
        Quantile of endpoint nearest-neighbour distances used as the DBSCAN radius.
    min_eps : float
        Smallest DBSCAN radius: endpoints closer than this share a mode.
    min_samples : int
        DBSCAN ``min_samples``.
    k_neighbours : int
        Neighbours per mode in the persistence graph.
    tau : float or None
        Percentile (0–100) of mortal persistences that a kept mortal mode must exceed; see
        :func:`~latentcv.cluster.nmc.persistence.prune_modes` for why it is not the default.
    min_relative : float
        Default pruning: a kept mortal mode's persistence must exceed this fraction of the range
        of φ over the mode graph.
    barrier_samples : int
        Interior samples per graph edge to measure the barrier between two modes.
    seed : int
        Seeds the initial weights, the batches and noise, and scikit-learn.
    device : str
        Torch device of the potential.
    """

    n_clusters: int | None = None
    hidden: int = 64
    depth: int = 2
    length_scale: float = 0.25
    training: TrainingConfig = field(default_factory=TrainingConfig)
    ascent_step: float = 0.1
    ascent_tol: float = 1e-4
    ascent_max_iter: int = 500
    eps_quantile: float = 0.9
    min_eps: float = 0.02
    min_samples: int = 3
    k_neighbours: int = 5
    tau: float | None = None
    min_relative: float = 0.1
    barrier_samples: int = 16
    seed: int = 0
    device: str = "cpu"


class NeuralModeClustering:
    """Clusters as the persistent modes of a learned potential on the latent space.

    Parameters
    ----------
    config : NMCConfig

    Attributes
    ----------
    centres : ndarray, shape (k, d)
        The surviving modes, in latent units, most persistent first; available after ``fit``.
    labels_ : ndarray, shape (n_points,)
        Cluster of every training point (row index into ``centres``).
    loss_history : list of float
        Training loss per step.
    ascent : Ascent
        The climbs of the training points (standardised units).
    dedup : Deduplicated
        Candidate modes before pruning (standardised units).
    pruned : Pruned
        Persistence of the candidates and the survivor of each.
    """

    def __init__(self, config: NMCConfig | None = None) -> None:
        self.config = config if config is not None else NMCConfig()

    def fit(self, X: ArrayLike, X_aug: ArrayLike | None = None) -> NeuralModeClustering:
        """Train the potential on ``X`` (n_points, d) and cluster it; returns self.

        Parameters
        ----------
        X : array_like, shape (n_points, d)
        X_aug : array_like, shape (n_points, d), optional
            An augmented view of the same points, same order; enables the invariance term.
        """
        cfg = self.config
        pts = check_points(X)
        aug = None if X_aug is None else check_view(pts, X_aug)
        if cfg.n_clusters is not None:
            check_n_clusters(cfg.n_clusters, pts.shape[0])
        self._loc = pts.mean(axis=0)
        self._scale = float(np.sqrt(pts.var(axis=0).mean())) or 1.0
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            potential = PotentialMLP(pts.shape[1], cfg.hidden, cfg.depth, cfg.length_scale)
        self.potential = potential.to(cfg.device, torch.float64)
        generator = torch.Generator(device=cfg.device).manual_seed(cfg.seed)
        z_aug = None if aug is None else self._standardise(aug)
        z = self._standardise(pts)
        self.loss_history = train_potential(self.potential, z, z_aug, cfg.training, generator)
        self.ascent = self._climb(pts)
        self.dedup = deduplicate(
            self.ascent.endpoints.cpu().numpy(),
            self.ascent.values.cpu().numpy(),
            cfg.n_clusters,
            cfg.eps_quantile,
            cfg.min_eps,
            cfg.min_samples,
            cfg.seed,
        )
        self.pruned = prune_modes(
            self.dedup.modes,
            self.dedup.values,
            self._phi_numpy,
            cfg.k_neighbours,
            cfg.n_clusters,
            cfg.tau,
            cfg.min_relative,
            cfg.barrier_samples,
        )
        rank = np.empty(len(self.dedup.modes), np.int64)
        rank[self.pruned.kept] = np.arange(len(self.pruned.kept))
        self._cluster_of_mode = rank[self.pruned.survivor]
        self.centres: NDArray[np.float64] = self.dedup.modes[self.pruned.kept] * self._scale + self._loc
        self.labels_: NDArray[np.int64] = self._cluster_of_mode[self.dedup.groups]
        self._mode_index = NearestNeighbors(n_neighbors=1).fit(self.dedup.modes)
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.int64]:
        """Cluster of each row of ``X`` (n_points, d): climb φ, take the nearest candidate mode,
        and that mode's survivor. Returns shape (n_points,)."""
        endpoints = self._climb(check_points(X)).endpoints.cpu().numpy()
        nearest = self._mode_index.kneighbors(endpoints)[1][:, 0]
        return self._cluster_of_mode[nearest]

    def potential_values(self, X: ArrayLike) -> NDArray[np.float64]:
        """φ at each row of ``X`` (n_points, d) in latent units; shape (n_points,)."""
        return self._phi_numpy(self._standardise(check_points(X)).cpu().numpy())

    def summary(self) -> dict[str, Any]:
        """What the fit found, as JSON-ready values."""
        return {
            "n_clusters": int(len(self.centres)),
            "n_candidate_modes": int(len(self.dedup.modes)),
            "dedup_method": self.dedup.method,
            "dbscan_eps": self.dedup.eps,
            "persistence": [None if not np.isfinite(p) else float(p) for p in self.pruned.persistence],
            "persistence_threshold": self.pruned.threshold if np.isfinite(self.pruned.threshold) else None,
            "ascent_iterations": self.ascent.n_iter,
            "ascent_converged_fraction": float(self.ascent.converged.double().mean()),
            "final_loss": self.loss_history[-1],
        }

    def _standardise(self, pts: NDArray[np.float64]) -> torch.Tensor:
        z = (pts - self._loc) / self._scale
        return torch.as_tensor(z, dtype=torch.float64, device=self.config.device)

    def _climb(self, pts: NDArray[np.float64]) -> Ascent:
        cfg = self.config
        z = self._standardise(pts)
        return seek_modes(self.potential, z, cfg.ascent_step, cfg.ascent_tol, cfg.ascent_max_iter)

    def _phi_numpy(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        with torch.no_grad():
            values = self.potential(torch.as_tensor(z, dtype=torch.float64, device=self.config.device))
        return values.cpu().numpy()
