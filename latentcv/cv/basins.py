"""``latentcv cluster``: find the crystal and melt basins in a trained model's latent space and
define the CV heads on them.

The configuration latents z of labelled frames are clustered (k-means, Gaussian mixture or neural
mode clustering; all three are scored side by side); the clusters are named after the phase
labels by Hungarian matching, and their centres define the ``distance`` and ``progress`` heads.
The per-molecule latents h_i are clustered with k-means (k = 2); the cluster holding most
molecules of crystal frames defines the ``crystal_count`` head, whose radius sits midway between
the typical latent distances of crystal and melt molecules to its centre. Each head is evaluated on
every frame; its per-phase statistics and histograms go into ``RUN/heads.json`` and ``cv_hist.png``.

When a potential of mean force estimate is given (``--pmf``: a ``latentcv metad`` run folder or a
CSV, on ``progress``, ``off_axis`` or ``distance``), the ``bias_net`` head is fitted to
−f (F − min F) as a function of z (:mod:`latentcv.cv.bias_fit`) and stored in ``heads.json`` too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from latentcv.atomic import write_text_atomic  # noqa: E402
from latentcv.cluster.centroids import GaussianMixtureHead, KMeansHead  # noqa: E402
from latentcv.cluster.compare import compare_heads  # noqa: E402
from latentcv.cluster.matching import match_to_labels, name_centres  # noqa: E402
from latentcv.cluster.report import write_report  # noqa: E402
from latentcv.cv.bias_fit import fit_to_pmf  # noqa: E402
from latentcv.cv.heads import BiasNet, CrystalCount, LatentDistance, LatentProgress  # noqa: E402
from latentcv.cv.pmf import PMF, read_pmf  # noqa: E402
from latentcv.cv.stats import ComponentStats  # noqa: E402
from latentcv.data.dataset import load_dataset  # noqa: E402
from latentcv.data.specs import TrajectorySpec  # noqa: E402
from latentcv.errors import InputError  # noqa: E402
from latentcv.nn.bundle import load_bundle  # noqa: E402
from latentcv.nn.latents import encode_frames, plot_latent  # noqa: E402
from latentcv.readers import read_json_object, reading  # noqa: E402
from latentcv.report.separation import histogram_overlap  # noqa: E402

HEADS_FILE = "heads.json"
METHODS = ("kmeans", "gmm", "nmc")
HEAD_NAMES = ("progress", "distance", "crystal_count")
#: The head fitted to a PMF estimate (only when one is given).
BIAS_HEAD = "bias_net"
#: CV components the bias_net's PMF may be given on (functions of z alone): component -> (head, index).
Z_COMPONENTS = {"progress": ("progress", 0), "off_axis": ("progress", 1), "distance": ("distance", 0)}
MEANINGS = {"progress": "0 at the melt basin, 1 at the crystal basin (projection on the melt-crystal axis)",
            "off_axis": "distance of z from the melt-crystal axis, in units of the basins' separation",
            "distance": "latent distance of z to the crystal basin centre",
            "crystal_count": "smooth number of molecules whose latent lies in the crystal basin",
            "bias_energy": "bias energy in kJ/mol, -f (F - min F) of a PMF estimate fitted by a network on z"}
#: Molecules sampled for the k-means of per-molecule latents.
H_SAMPLE = 20000


@dataclass
class Basins:
    """Centres and CV-head parameters found by ``latentcv cluster`` (latent units).

    Attributes
    ----------
    method : str
        Clustering method of z.
    crystal, melt : list of float
        Centres of the crystal and melt basins of z.
    h_crystal : list of float
        Centre of crystal-like molecules in h space.
    count_radius, count_width : float
        r0 and the sigmoid width of ``crystal_count``.
    crystal_label, melt_label : str
        The phase labels the basins were named after.
    stats : dict
        Per head, a list of ComponentStats dictionaries (one per component).
    bias_net : dict, optional
        The fitted ``bias_net`` head (``net``: :meth:`BiasNet.to_dict`; ``pmf``: source, components,
        fraction, fit errors in kJ/mol); None without a PMF.
    """

    method: str
    crystal: list[float]
    melt: list[float]
    h_crystal: list[float]
    count_radius: float
    count_width: float
    crystal_label: str
    melt_label: str
    stats: dict[str, list[dict]]
    bias_net: dict | None = None

    def head(self, name: str) -> torch.nn.Module:
        """The CV head ``progress``, ``distance``, ``crystal_count`` or (when fitted) ``bias_net``."""
        if name == "progress":
            return LatentProgress(torch.tensor(self.melt), torch.tensor(self.crystal))
        if name == "distance":
            return LatentDistance(torch.tensor(self.crystal), float(np.linalg.norm(np.subtract(self.crystal, self.melt))))
        if name == "crystal_count":
            return CrystalCount(torch.tensor(self.h_crystal), self.count_radius, self.count_width)
        if name == BIAS_HEAD:
            if self.bias_net is None:
                raise InputError("the bias_net head is fitted to a PMF estimate: rerun `latentcv cluster` with --pmf")
            return BiasNet.from_dict(self.bias_net["net"])
        raise InputError(f"unknown CV head {name!r}; choose from {', '.join(HEAD_NAMES + (BIAS_HEAD,))}")

    def component_stats(self, name: str) -> list[ComponentStats]:
        """Training-frame statistics of head ``name``'s components."""
        if name not in self.stats:
            raise InputError(f"no statistics for CV head {name!r}; rerun `latentcv cluster`")
        return [ComponentStats(**s) for s in self.stats[name]]

    def save(self, run: Path) -> Path:
        return write_text_atomic(run / HEADS_FILE, json.dumps(asdict(self), indent=1))


def load_basins(run: str | os.PathLike[str]) -> Basins:
    """``RUN/heads.json`` written by ``latentcv cluster``."""
    path = Path(run) / HEADS_FILE
    if not path.is_file():
        raise InputError(f"{Path(run)} has no {HEADS_FILE}: run `latentcv cluster --model {run} ...` first")
    data = read_json_object(path, "heads file of `latentcv cluster`")
    with reading(path, "heads file of `latentcv cluster`"):
        return Basins(**data)


def _z_centres(method: str, z: np.ndarray, labels: np.ndarray, k: int, nmc_centres: np.ndarray,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster centres and the cluster of each frame for the chosen method."""
    if method == "kmeans":
        head = KMeansHead(n_clusters=k, seed=seed).fit(z)
        return head.centres, head.predict(z)
    if method == "gmm":
        head = GaussianMixtureHead(n_clusters=k, seed=seed).fit(z)
        return head.centres, head.predict(z)
    distances = np.linalg.norm(z[:, None, :] - nmc_centres[None], axis=-1)
    return nmc_centres, distances.argmin(1)


def _read_bias_pmf(path: str | os.PathLike[str]) -> PMF:
    """The PMF for bias_net, checked to be on CV components that are functions of z."""
    estimate = read_pmf(path)
    wrong = [c for c in estimate.components if c not in Z_COMPONENTS]
    if wrong:
        raise InputError(f"the PMF in {path} is on {', '.join(wrong)}; bias_net is a function of z, so give a PMF on "
                         f"{', '.join(Z_COMPONENTS)}")
    return estimate


def _z_components(basins: Basins, components: list[str], z: np.ndarray) -> np.ndarray:
    """CV ``components`` (of :data:`Z_COMPONENTS`) at latents ``z[K, latent_dim]``; shape ``[K, len(components)]``."""
    empty = torch.zeros(0, dtype=torch.float64)
    zt = torch.tensor(z, dtype=torch.float64)
    columns = []
    with torch.no_grad():
        for component in components:
            name, index = Z_COMPONENTS[component]
            head = basins.head(name).double()
            columns.append(torch.vmap(lambda row: head(row, empty))(zt)[:, index].numpy())
    return np.stack(columns, axis=1)


def _fit_bias(basins: Basins, estimate: PMF, z: np.ndarray, z_crystal: np.ndarray, z_melt: np.ndarray,
              fraction: float, seed: int) -> dict:
    """Fit bias_net to the PMF; its weights and fit summary for heads.json."""
    fit = fit_to_pmf(estimate, z, lambda q: _z_components(basins, estimate.components, q), z_crystal, z_melt,
                     fraction=fraction, seed=seed)
    print(f"bias_net fitted to -{fraction:g} x PMF({', '.join(estimate.components)}) from {estimate.source}: "
          f"RMSE {fit.rmse_train:.3g} kJ/mol (held out {fit.rmse_valid:.3g}) over a span of {fit.target_span:.3g} "
          f"kJ/mol, {fit.samples} samples, {fit.coverage:.0%} inside the PMF grid", flush=True)
    return {"net": fit.net.to_dict(),
            "pmf": {"source": estimate.source, "components": estimate.components, "fraction": fraction,
                    "rmse_kJ_mol": fit.rmse_train, "rmse_held_out_kJ_mol": fit.rmse_valid,
                    "target_span_kJ_mol": fit.target_span, "samples": fit.samples, "coverage": fit.coverage}}


def _component_stats(name: str, meaning: str, values: np.ndarray, labels: np.ndarray,
                     label_names: list[str]) -> dict:
    per_mean = {n: float(values[labels == k].mean()) for k, n in enumerate(label_names) if (labels == k).any()}
    per_std = {n: float(values[labels == k].std()) for k, n in enumerate(label_names) if (labels == k).any()}
    return asdict(ComponentStats(name, meaning, float(values.mean()), float(values.std()), float(values.min()),
                                 float(values.max()), per_mean, per_std))


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

    Parameters
    ----------
    model : path
        Run folder of ``latentcv train`` (``model.pt``); ``heads.json`` is written there.
    trajectories : sequence of str or TrajectorySpec
        Labelled frames (``file:label``), crystal and melt.
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
    positions = frames.positions.index_select(1, inputs.atoms)
    z, h = encode_frames(encoder, positions, frames.boxes, per_molecule=True)
    labels = frames.labels.numpy()
    names = dict(enumerate(frames.label_names))
    i_cryst, i_melt = frames.label_names.index(crystal_label), frames.label_names.index(melt_label)

    scores, predictions, nmc = compare_heads(z, labels, n_clusters=len(frames.label_names), seed=seed)
    write_report(out_dir, scores, predictions, details={"nmc": nmc.summary()})
    centres, pred = _z_centres(method, z, labels, len(frames.label_names), nmc.centres, seed)
    named = name_centres(centres, match_to_labels(pred, labels), names)
    if crystal_label not in named or melt_label not in named:
        raise InputError(f"{method} did not find separate {crystal_label} and {melt_label} basins in the latent space")

    # per-molecule latents: k-means with k = 2 on a sample, the crystal cluster by majority
    mol_labels = np.repeat(labels, h.shape[1])
    flat = h.reshape(-1, h.shape[-1])
    sample = np.random.default_rng(seed).permutation(len(flat))[:H_SAMPLE]
    h_head = KMeansHead(n_clusters=2, seed=seed).fit(flat[sample])
    h_pred = h_head.predict(flat)
    crystal_cluster = np.bincount(h_pred[mol_labels == i_cryst], minlength=2).argmax()
    h_crystal = h_head.centres[crystal_cluster]
    d = np.linalg.norm(flat - h_crystal, axis=1)
    d_cryst, d_melt = np.median(d[mol_labels == i_cryst]), np.median(d[mol_labels == i_melt])
    radius = float(0.5 * (d_cryst + d_melt))
    width = float(max(abs(d_melt - d_cryst) / 8.0, 1e-6))

    basins = Basins(method, named[crystal_label].tolist(), named[melt_label].tolist(), h_crystal.tolist(),
                    radius, width, crystal_label, melt_label, {})
    if estimate is not None:
        extra = [z]
        if pmf_trajectories:
            more = load_dataset(pmf_trajectories, topology, system_xml=system_xml, stride=stride,
                                vocabulary=bundle.vocabulary)
            if more.positions.shape[1] != frames.positions.shape[1] or more.boxes is None:
                raise InputError("the --pmf-traj frames must be periodic frames of the --top system")
            extra.append(encode_frames(encoder, more.positions.index_select(1, inputs.atoms), more.boxes))
        basins.bias_net = _fit_bias(basins, estimate, np.concatenate(extra), z[labels == i_cryst],
                                    z[labels == i_melt], bias_fraction, seed)
    values = {}
    with torch.no_grad():
        for name in HEAD_NAMES + ((BIAS_HEAD,) if basins.bias_net is not None else ()):
            head = basins.head(name)
            v = np.stack([head(torch.tensor(z[f]), torch.tensor(h[f])).numpy() for f in range(len(z))])
            components = list(type(head).names)
            basins.stats[name] = [_component_stats(c, MEANINGS[c], v[:, k], labels, frames.label_names)
                                  for k, c in enumerate(components)]
            values[name] = v
    basins.save(run)
    _plots(out_dir, z, labels, frames.label_names, basins, values, i_cryst, i_melt)
    return basins


def _plots(out: Path, z: np.ndarray, labels: np.ndarray, label_names: list[str], basins: Basins,
           values: dict[str, np.ndarray], i_cryst: int, i_melt: int) -> None:
    plot_latent(out / "latent.png", z, labels, label_names, np.zeros(len(z), dtype=bool),
                centres={"crystal basin": np.array(basins.crystal), "melt basin": np.array(basins.melt)})
    fig, axes = plt.subplots(1, len(values), figsize=(4.2 * len(values), 3.4))
    lines = []
    for ax, (name, v) in zip(np.atleast_1d(axes), values.items()):
        a, b = v[labels == i_cryst, 0], v[labels == i_melt, 0]
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
    plt.close(fig)
    print("\n".join(lines), flush=True)
