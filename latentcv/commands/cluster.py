"""``latentcv cluster``: find the crystal and melt basins in a trained model's latent space and
define the CV heads on them.

The configuration latents z of labelled frames are clustered (k-means, Gaussian mixture or neural
mode clustering; all three are scored side by side); the clusters are named after the phase
labels by Hungarian matching, and their centres define the ``distance`` and ``progress`` heads.
The per-molecule latents h_i are clustered with k-means (k = 2); the cluster holding most
molecules of crystal frames defines the ``crystal_count`` head, whose radius sits midway between
the typical latent distances of crystal and melt molecules to its centre. Each head is evaluated on
every frame; its per-phase statistics and histograms go into ``RUN/heads.json``
(:class:`latentcv.cv.basins.Basins`) and ``cv_hist.png``.

When a potential of mean force estimate is given (``--pmf``: a ``latentcv metad`` run folder or a
CSV, on ``progress``, ``off_axis`` or ``distance``), the ``bias_net`` head is fitted to
−f (F − min F) as a function of z (:mod:`latentcv.cv.bias_fit`) and stored in ``heads.json`` too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from latentcv.cluster.centroids import GaussianMixtureHead, KMeansHead
from latentcv.cluster.compare import compare_heads
from latentcv.cluster.matching import match_to_labels, name_centres
from latentcv.cluster.report import write_report
from latentcv.cv.basins import BIAS_HEAD, HEAD_NAMES, Z_COMPONENTS, Basins
from latentcv.cv.bias_fit import fit_to_pmf
from latentcv.cv.pmf import PMF, read_pmf
from latentcv.cv.stats import ComponentStats
from latentcv.data.dataset import FrameDataset, load_dataset
from latentcv.data.specs import TrajectorySpec
from latentcv.errors import InputError
from latentcv.nn.bundle import load_bundle
from latentcv.nn.encoder import HierarchicalEncoder
from latentcv.nn.latents import encode_frames, plot_latent
from latentcv.report.separation import histogram_overlap

METHODS = ("kmeans", "gmm", "nmc")
#: Molecules sampled for the k-means of per-molecule latents.
H_SAMPLE = 20000


@dataclass
class LabelledLatents:
    """The latents of labelled frames.

    Attributes
    ----------
    z : ndarray[F, latent_dim]
        Configuration latents.
    h : ndarray[F, M, node_dim]
        Per-molecule latents.
    crystallinity : ndarray[F, M]
        Logits of the per-molecule crystallinity p_i (``[F, 0]`` for an encoder without that readout).
    labels : ndarray[F]
        Label index of each frame.
    label_names : list of str
        The labels, in label-index order.
    crystal, melt : int
        Indices of the crystal and the melt label.
    """

    z: np.ndarray
    h: np.ndarray
    crystallinity: np.ndarray
    labels: np.ndarray
    label_names: list[str]
    crystal: int
    melt: int


def find_basins(
    model: str | os.PathLike[str],
    trajectories: Sequence[str | TrajectorySpec],
    topology: str | os.PathLike[str],
    out: str | os.PathLike[str],
    method: str = "kmeans",
    system_xml: str | os.PathLike[str] | None = None,
    crystal_label: str = "crystal",
    melt_label: str = "melt",
    stride: int = 1,
    seed: int = 0,
    pmf: str | os.PathLike[str] | None = None,
    pmf_trajectories: Sequence[str | TrajectorySpec] = (),
    bias_fraction: float = 1.0,
) -> Basins:
    """Cluster the latents of labelled frames, define the CV heads and write them into the run.

    Prints the per-phase statistics of each head (and the bias_net fit) as they are found.

    Parameters
    ----------
    model : path
        Run folder of ``latentcv train`` (``model.pt``); ``heads.json`` is written there.
    trajectories : sequence of str or TrajectorySpec
        Labelled frames (``file:label``), crystal and melt; trajectories without a frame label (a
        coexistence configuration, whose molecules are labelled) are left out.
    topology : path
    out : path
        Folder for the clustering report, plots and metrics.
    method : str
        ``kmeans``, ``gmm`` or ``nmc``: which clustering defines the basin centres.
    crystal_label, melt_label : str
        The labels of the crystal and melt frames.
    pmf : path, optional
        A PMF estimate (``latentcv metad`` run folder or CSV) to fit the ``bias_net`` head to.
    pmf_trajectories : sequence of str or TrajectorySpec
        More frames (same topology) for the bias_net fit, e.g. the trajectory the PMF came from.
    bias_fraction : float
        f of the bias_net target −f (F − min F), in (0, 1].
    """
    if method not in METHODS:
        raise InputError(f"unknown clustering method {method!r}; choose from {', '.join(METHODS)}")
    run, out_dir = Path(model), Path(out)
    estimate = _read_bias_pmf(pmf) if pmf is not None else None
    bundle = load_bundle(run)
    frames = load_dataset(trajectories, topology, system_xml=system_xml, stride=stride, vocabulary=bundle.vocabulary)
    missing = [n for n in (crystal_label, melt_label) if n not in frames.label_names]
    if missing or frames.boxes is None:
        raise InputError(f"label(s) {missing} not among the trajectories' labels {frames.label_names}: give "
                         f"labelled crystal and melt frames (FILE:{crystal_label}, FILE:{melt_label}) or "
                         "--crystal-label/--melt-label")
    out_dir.mkdir(parents=True, exist_ok=True)
    encoder, inputs = bundle.encoder(frames.molecular)
    labelled = frames.labels >= 0  # frames of one phase; a coexistence configuration labels its molecules only
    frames = frames.select(labelled)
    z, h, logits = encode_frames(encoder, frames.positions.index_select(1, inputs.atoms), frames.boxes,
                                 per_molecule=True)
    latents = LabelledLatents(z, h, logits, frames.labels.numpy(), frames.label_names,
                              frames.label_names.index(crystal_label), frames.label_names.index(melt_label))
    crystal, melt = _z_basins(latents, method, seed, out_dir)
    crystallinity = logits.shape[1] > 0
    h_crystal, radius, width = ([], 0.0, 0.0) if crystallinity else _crystal_molecules(latents, seed)
    basins = Basins(method, crystal.tolist(), melt.tolist(), list(h_crystal), radius, width, crystal_label,
                    melt_label, {}, crystallinity=crystallinity)
    if estimate is not None:
        fitted = [z]
        if pmf_trajectories:
            more = load_dataset(pmf_trajectories, topology, system_xml=system_xml, stride=stride,
                                vocabulary=bundle.vocabulary)
            fitted.append(_more_latents(encoder, inputs.atoms, frames, more))
        basins.bias_net = _fit_bias(basins, estimate, np.concatenate(fitted), latents, bias_fraction, seed)
    values = _head_statistics(basins, latents)
    basins.save(run)
    _plots(out_dir, latents, basins, values)
    return basins


def _z_basins(latents: LabelledLatents, method: str, seed: int, out: Path) -> tuple[np.ndarray, np.ndarray]:
    """The crystal and the melt basin's centre in z: every clustering method scored into ``out``,
    the centres of ``method`` named after the labels by Hungarian matching."""
    z, labels, k = latents.z, latents.labels, len(latents.label_names)
    scores, predictions, nmc = compare_heads(z, labels, n_clusters=k, seed=seed)
    write_report(out, scores, predictions, details={"nmc": nmc.summary()})
    if method == "kmeans":
        head = KMeansHead(n_clusters=k, seed=seed).fit(z)
        centres, pred = head.centres, head.predict(z)
    elif method == "gmm":
        head = GaussianMixtureHead(n_clusters=k, seed=seed).fit(z)
        centres, pred = head.centres, head.predict(z)
    else:
        centres = nmc.centres
        pred = np.linalg.norm(z[:, None, :] - centres[None], axis=-1).argmin(1)
    named = name_centres(centres, match_to_labels(pred, labels), dict(enumerate(latents.label_names)))
    crystal, melt = latents.label_names[latents.crystal], latents.label_names[latents.melt]
    if crystal not in named or melt not in named:
        raise InputError(f"{method} did not find separate {crystal} and {melt} basins in the latent space")
    return named[crystal], named[melt]


def _crystal_molecules(latents: LabelledLatents, seed: int) -> tuple[list[float], float, float]:
    """For an encoder without the crystallinity readout, the ``crystal_count`` head's centre of
    crystal-like molecules in h space, radius and width:
    k-means with k = 2 on a sample of the molecules' latents, the crystal cluster by majority, the
    radius midway between the median distances of crystal and melt molecules to its centre."""
    h, labels = latents.h, latents.labels
    mol_labels = np.repeat(labels, h.shape[1])
    flat = h.reshape(-1, h.shape[-1])
    sample = np.random.default_rng(seed).permutation(len(flat))[:H_SAMPLE]
    h_head = KMeansHead(n_clusters=2, seed=seed).fit(flat[sample])
    h_pred = h_head.predict(flat)
    crystal_cluster = np.bincount(h_pred[mol_labels == latents.crystal], minlength=2).argmax()
    h_crystal = h_head.centres[crystal_cluster]
    d = np.linalg.norm(flat - h_crystal, axis=1)
    d_cryst, d_melt = np.median(d[mol_labels == latents.crystal]), np.median(d[mol_labels == latents.melt])
    radius = float(0.5 * (d_cryst + d_melt))
    width = float(max(abs(d_melt - d_cryst) / 8.0, 1e-6))
    return h_crystal.tolist(), radius, width


def _read_bias_pmf(path: str | os.PathLike[str]) -> PMF:
    """The PMF for bias_net, checked to be on CV components that are functions of z."""
    estimate = read_pmf(path)
    wrong = [c for c in estimate.components if c not in Z_COMPONENTS]
    if wrong:
        raise InputError(f"the PMF in {path} is on {', '.join(wrong)}; bias_net is a function of z, so give a PMF on "
                         f"{', '.join(Z_COMPONENTS)}")
    return estimate


def _more_latents(encoder: HierarchicalEncoder, atoms: torch.Tensor, frames: FrameDataset,
                  more: FrameDataset) -> np.ndarray:
    """Configuration latents of the ``--pmf-traj`` frames, which must be of the system of ``frames``."""
    if more.positions.shape[1] != frames.positions.shape[1] or more.boxes is None:
        raise InputError("the --pmf-traj frames must be periodic frames of the --top system")
    return encode_frames(encoder, more.positions.index_select(1, atoms), more.boxes)


def _fit_bias(basins: Basins, estimate: PMF, z: np.ndarray, latents: LabelledLatents, fraction: float,
              seed: int) -> dict:
    """Fit bias_net to the PMF on latents ``z`` and print how well it fits; its weights and fit
    summary for heads.json."""
    z_crystal, z_melt = latents.z[latents.labels == latents.crystal], latents.z[latents.labels == latents.melt]
    fit = fit_to_pmf(estimate, z, lambda q: basins.z_components(estimate.components, q), z_crystal, z_melt,
                     fraction=fraction, seed=seed)
    print(f"bias_net fitted to -{fraction:g} x PMF({', '.join(estimate.components)}) from {estimate.source}: "
          f"RMSE {fit.rmse_train:.3g} kJ/mol (held out {fit.rmse_valid:.3g}) over a span of {fit.target_span:.3g} "
          f"kJ/mol, {fit.samples} samples, {fit.coverage:.0%} inside the PMF grid", flush=True)
    return {"net": fit.net.to_dict(),
            "pmf": {"source": estimate.source, "components": estimate.components, "fraction": fraction,
                    "rmse_kJ_mol": fit.rmse_train, "rmse_held_out_kJ_mol": fit.rmse_valid,
                    "target_span_kJ_mol": fit.target_span, "samples": fit.samples, "coverage": fit.coverage}}


def _head_statistics(basins: Basins, latents: LabelledLatents) -> dict[str, np.ndarray]:
    """Every head's values on every frame, ``[F, n_components]`` per head; their statistics go into
    ``basins.stats``."""
    values = {}
    with torch.no_grad():
        for name in HEAD_NAMES + ((BIAS_HEAD,) if basins.bias_net is not None else ()):
            head = basins.head(name)
            v = np.stack([head(torch.tensor(latents.z[f]), torch.tensor(latents.h[f]),
                               torch.tensor(latents.crystallinity[f])).numpy() for f in range(len(latents.z))])
            basins.stats[name] = [_component_stats(c, basins.meaning(c), v[:, k], latents)
                                  for k, c in enumerate(type(head).names)]
            values[name] = v
    return values


def _component_stats(name: str, meaning: str, values: np.ndarray, latents: LabelledLatents) -> dict:
    labels = latents.labels
    per_mean = {n: float(values[labels == k].mean()) for k, n in enumerate(latents.label_names) if (labels == k).any()}
    per_std = {n: float(values[labels == k].std()) for k, n in enumerate(latents.label_names) if (labels == k).any()}
    return asdict(ComponentStats(name, meaning, float(values.mean()), float(values.std()), float(values.min()),
                                 float(values.max()), per_mean, per_std))


def _plots(out: Path, latents: LabelledLatents, basins: Basins, values: dict[str, np.ndarray]) -> None:
    """``latent.png`` with the basins' centres, and ``cv_hist.png``: the first component of each head
    on crystal and melt frames; prints each one's statistics and histogram overlap."""
    z, labels = latents.z, latents.labels
    plot_latent(out / "latent.png", z, labels, latents.label_names, np.zeros(len(z), dtype=bool),
                centres={"crystal basin": np.array(basins.crystal), "melt basin": np.array(basins.melt)})
    fig = Figure(figsize=(4.2 * len(values), 3.4))
    axes = fig.subplots(1, len(values))
    lines = []
    for ax, (name, v) in zip(np.atleast_1d(axes), values.items()):
        a, b = v[labels == latents.crystal, 0], v[labels == latents.melt, 0]
        overlap = histogram_overlap(a, b)
        edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=50)
        for sample, label in ((a, basins.crystal_label), (b, basins.melt_label)):
            ax.hist(sample, bins=edges, alpha=0.6, density=True, label=label)
        component = basins.stats[name][0]["name"]
        ax.set_title(f"{component} (overlap {overlap:.3f})")
        ax.set_xlabel(component)
        ax.legend(fontsize=8)
        lines.append(f"{component:>14}: crystal {a.mean():.4g} ± {a.std():.2g}, melt {b.mean():.4g} ± "
                     f"{b.std():.2g}, histogram overlap {overlap:.3f}")
    fig.tight_layout()
    fig.savefig(out / "cv_hist.png", dpi=120)
    print("\n".join(lines), flush=True)
