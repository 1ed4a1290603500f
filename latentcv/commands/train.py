"""``latentcv train``: trajectories in, a trained hierarchical autoencoder out.

Two stages through the model-agnostic trainer (:mod:`latentcv.training`): the molecule
autoencoder (stage 1 and pooling, reconstructing bond lengths) in ``RUN/molecule/``, then the
configuration autoencoder on top (stage 1 frozen or fine-tuned) in ``RUN/``. Afterwards the seed
count of the pooling is fixed, and the run gets ``model.pt`` (size-independent), ``latents.npz``,
``latent.png`` (z coloured by phase label) and ``metrics.json`` (held-out separation of the
labelled phases by nearest latent centroid). Each stage resumes from its ``latest.pt``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from latentcv.data.dataset import FrameDataset, load_dataset
from latentcv.data.specs import TrajectorySpec
from latentcv.errors import InputError
from latentcv.nn.autoencoder import HierarchicalAutoencoder
from latentcv.nn.bundle import MODEL_FILE, save_bundle
from latentcv.nn.encoder import HierarchicalEncoder
from latentcv.nn.inputs import encoder_inputs, feature_dim
from latentcv.nn.latents import encode_frames, plot_latent, separation_accuracy
from latentcv.nn.settings import Settings
from latentcv.training import fit, load_weights, seed_everything
from latentcv.training.distributed import DistributedContext

log = logging.getLogger(__name__)

STAGE_DONE = "stage.done"
#: Frames used to fix the seed pooling's count for export.
FIX_POOLING_FRAMES = 64


class FrameTensors(torch.utils.data.Dataset):
    """Frames as ``(positions[n, 3], box[3, 3], label, crystalline[M])`` for the encoder's n atoms
    (nm); ``crystalline`` is 1 for crystal molecules, 0 for melt ones, -1 where unknown."""

    def __init__(self, positions: torch.Tensor, boxes: torch.Tensor, labels: torch.Tensor,
                 crystalline: torch.Tensor) -> None:
        self.positions, self.boxes, self.labels, self.crystalline = positions, boxes, labels, crystalline

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.positions[i], self.boxes[i], self.labels[i], self.crystalline[i]


def crystalline_targets(frames: FrameDataset, crystal_label: str, melt_label: str) -> torch.Tensor:
    """``[B, M]`` float: 1 for molecules labelled ``crystal_label``, 0 for ``melt_label``, -1 otherwise."""
    targets = torch.full(frames.molecule_labels.shape, -1.0)
    for value, name in ((1.0, crystal_label), (0.0, melt_label)):
        if name in frames.label_names:
            targets[frames.molecule_labels == frames.label_names.index(name)] = value
    return targets


@dataclass
class TrainSummary:
    """What a training run produced.

    Attributes
    ----------
    run_dir : Path
    model_file : Path
    metrics : dict
        Held-out accuracy (when labels exist), frame counts, best validation loss.
    """

    run_dir: Path
    model_file: Path
    metrics: dict


def split_frames(labels: torch.Tensor, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Training and held-out frame indices, stratified by ``labels`` (any grouping of the frames:
    every group in both when it can)."""
    generator = torch.Generator().manual_seed(seed)
    train, valid = [], []
    for value in labels.unique():
        members = torch.nonzero(labels == value).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        n_valid = int(round(fraction * len(members))) if len(members) > 1 else 0
        n_valid = min(max(n_valid, 1 if len(members) > 1 else 0), len(members) - 1)
        valid.append(members[:n_valid])
        train.append(members[n_valid:])
    return torch.sort(torch.cat(train)).values, torch.sort(torch.cat(valid)).values


def _stage(model: HierarchicalAutoencoder, name: str, run_dir: Path, data: tuple[FrameTensors, FrameTensors],
           settings: Settings, epochs: int, resume: bool, verbose: bool) -> Path:
    """Run one training stage in ``run_dir`` (skipped when already done) and load its best weights."""
    model.set_stage(name, freeze_stage_one=settings.stages.freeze_stage_one and settings.stages.molecule_epochs > 0,
                    fine_tune=settings.stages.crystallinity_fine_tune)
    done = run_dir / STAGE_DONE
    if not done.is_file():
        log.info("stage '%s': %d epochs in %s", name, epochs, run_dir)
        config = settings.train.replace(epochs=epochs, valid_fraction=0.0)
        result = fit(model, data[0], data[1], config, run_dir, resume=resume and (run_dir / "latest.pt").is_file(),
                     verbose=verbose)
        if result.interrupted:
            raise KeyboardInterrupt
        if DistributedContext.from_env().is_main:
            done.write_text(json.dumps({"epochs": result.epochs, "best_epoch": result.best_epoch}))
    load_weights(run_dir / "best.pt", model, ema=True)
    return run_dir


def train_model(
    trajectories: Sequence[str | TrajectorySpec],
    topology: str | os.PathLike[str],
    out: str | os.PathLike[str],
    settings: Settings | None = None,
    system_xml: str | os.PathLike[str] | None = None,
    resume: bool = False,
    start: int = 0,
    stop: int | None = None,
    stride: int = 1,
    verbose: bool = True,
) -> TrainSummary:
    """Train the hierarchical autoencoder on labelled trajectories (see the module docstring).

    Parameters
    ----------
    trajectories : sequence of str or TrajectorySpec
        ``"file"`` or ``"file:label"`` (e.g. ``melt.dcd:melt``), any MDTraj format.
    topology : path
        Topology file (PDB, GRO, PRMTOP, PSF, H5, or an OpenMM System XML beside a PDB).
    out : path
        Run folder.
    settings : Settings, optional
        Model, loss, stage and trainer options; defaults otherwise.
    system_xml : path, optional
        OpenMM System XML (masses, charges, virtual sites).
    resume : bool
        Continue an interrupted run in ``out``.
    start : int
        First frame of each trajectory.
    stop : int or None
        Frame to stop before (None: to the end).
    stride : int
        Use every ``stride``-th frame from ``start``.
    verbose : bool
        Show the trainer's progress bars and epoch table, and print the model's path and held-out
        accuracy at the end. Progress messages (frames, stages) go to the ``latentcv`` logger.
    """
    settings = settings or Settings()
    run = Path(out)
    main = DistributedContext.from_env().is_main  # under torchrun, rank 0 owns the run folder
    if main and run.exists() and any(run.iterdir()) and not resume:
        raise InputError(f"{run} already holds a run: pass --resume to continue it or choose another --out")
    frames = load_dataset(trajectories, topology, system_xml=system_xml, start=start, stop=stop, stride=stride)
    if frames.boxes is None:
        raise InputError("training needs periodic frames (a unit cell in every frame)")
    if main:
        run.mkdir(parents=True, exist_ok=True)
        (run / "settings.json").write_text(json.dumps(settings.to_dict(), indent=1))
    use_charges = settings.stages.use_charges
    inputs = encoder_inputs(frames.molecular, use_charges)
    positions = frames.positions.index_select(1, inputs.atoms)
    # stratified by trajectory (each has one frame label), so that every phase and temperature is held out
    train_idx, valid_idx = split_frames(frames.source_index, settings.stages.valid_fraction, settings.train.seed)
    crystalline = crystalline_targets(frames, settings.stages.crystal_label, settings.stages.melt_label)
    data = tuple(FrameTensors(positions[k], frames.boxes[k], frames.labels[k], crystalline[k])
                 for k in (train_idx, valid_idx))
    log.info("%d frames of %d molecules (%d training, %d held out); labels: %s", len(frames),
             frames.molecular.n_molecules, len(train_idx), len(valid_idx), frames.label_names or "none")

    seed_everything(settings.train.seed)
    encoder = HierarchicalEncoder(feature_dim(frames.molecular.vocabulary), settings.model)
    encoder.set_topology(*inputs.topology())
    model = HierarchicalAutoencoder(encoder, settings.loss, variational=settings.stages.variational,
                                    views=settings.stages.views)
    if settings.stages.molecule_epochs > 0:
        _stage(model, "molecule", run / "molecule", data, settings, settings.stages.molecule_epochs, resume, verbose)
    _stage(model, "configuration", run, data, settings, settings.train.epochs, resume, verbose)
    if settings.stages.crystallinity_epochs > 0:
        if not bool((crystalline >= 0).any()):
            raise InputError(f"the crystallinity stage needs molecules labelled {settings.stages.crystal_label!r} or "
                             f"{settings.stages.melt_label!r} (FILE:LABEL, or a labels file beside a trajectory)")
        _stage(model, "crystallinity", run / "crystallinity", data, settings, settings.stages.crystallinity_epochs,
               resume, verbose)
    if not DistributedContext.from_env().is_main:
        return TrainSummary(run, run / MODEL_FILE, {})
    return _finish(model.encoder.cpu(), frames, positions, train_idx, valid_idx, use_charges, run, verbose)


def _finish(encoder: HierarchicalEncoder, frames: FrameDataset, positions: torch.Tensor,
            train_idx: torch.Tensor, valid_idx: torch.Tensor, use_charges: bool, run: Path,
            verbose: bool) -> TrainSummary:
    """Fix the pooling, write model.pt, latents, the latent map and the metrics."""
    assert frames.boxes is not None
    encoder.eval()
    fix = train_idx[: FIX_POOLING_FRAMES]
    encoder.fix_pooling(positions[fix], frames.boxes[fix])
    z = encode_frames(encoder, positions, frames.boxes)
    labels = frames.labels.numpy()
    held_out = np.zeros(len(labels), dtype=bool)
    held_out[valid_idx.numpy()] = True
    np.savez(run / "latents.npz", z=z, labels=labels, held_out=held_out,
             label_names=np.array(frames.label_names, dtype=str))
    plot_latent(run / "latent.png", z, labels, frames.label_names, held_out)
    metrics: dict = {"frames": len(labels), "training_frames": int((~held_out).sum()),
                     "held_out_frames": int(held_out.sum()), "molecules": frames.molecular.n_molecules,
                     "label_names": frames.label_names}
    if len(set(labels[labels >= 0].tolist())) >= 2:
        metrics["held_out_accuracy"] = separation_accuracy(z, labels, held_out)
    (run / "metrics.json").write_text(json.dumps(metrics, indent=1))
    model_file = save_bundle(run / MODEL_FILE, encoder, frames.molecular.vocabulary, use_charges,
                             frames.label_names, metrics)
    if verbose:
        accuracy = metrics.get("held_out_accuracy")
        shown = f"; held-out phase accuracy {accuracy:.3f} (nearest latent centroid)" if accuracy is not None else ""
        print(f"model: {model_file}; latent map: {run / 'latent.png'}{shown}", flush=True)
    return TrainSummary(run, model_file, metrics)
