"""The ``latentcv`` command: argument parsing and dispatch only; each command's work lives in its
module of :mod:`latentcv.commands`, and a handler here prints the command's one-line result.

latentcv's log messages (INFO and above) go to stderr as ``latentcv: ...`` lines while a command
runs; progress bars go to stderr too, results to stdout.

Every problem a user can fix (a :class:`latentcv.errors.LatentCVError`) becomes one line on stderr
and exit status 2, never a traceback. Anything else is a fault of latentcv's: one line too, exit
status 1, and the traceback when ``LATENTCV_TRACEBACK=1`` is set.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator

from latentcv import __version__
from latentcv.errors import InputError, LatentCVError
from latentcv.readers import reason

Handler = Callable[[argparse.Namespace], int]


def _doctor(args: argparse.Namespace) -> int:
    from latentcv.commands.doctor import run_doctor

    return run_doctor(platforms=args.platform)


def _add_doctor(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor",
        help="check the engine stack: torch, OpenMM + openmm-torch per platform, PLUMED with libtorch",
        description="Report versions and check, by really running them, that a TorchForce evaluates "
        "with autograd forces on each OpenMM platform and that PLUMED's PYTORCH_MODEL loads and runs "
        "a model. Exits non-zero when a required piece fails.",
    )
    p.add_argument(
        "--platform", action="append", default=None,
        help="check only this OpenMM platform (repeatable); default: every platform present",
    )
    p.set_defaults(func=_doctor)


@contextlib.contextmanager
def _progress_messages() -> Iterator[None]:
    """While a command runs, show latentcv's INFO log messages (box sizes, stages, speed) on stderr as
    ``latentcv: ...`` lines. The logger is as it was afterwards, for callers of :func:`main` in a
    process that goes on."""
    logger = logging.getLogger("latentcv")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("latentcv: %(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # genice2 puts a handler on the root logger
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _add_system_options(p: argparse.ArgumentParser) -> None:
    from latentcv.systems.registry import SYSTEMS

    p.add_argument("--system", required=True, help=f"one of: {', '.join(SYSTEMS)}")
    p.add_argument(
        "--molecules", type=int, required=True, metavar="N",
        help="number of molecules; the nearest box that can be built is used (a message says which)",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the builder and of the MD (default 1)")
    p.add_argument("--platform", default="auto", help="OpenMM platform: auto, CPU, CUDA, OpenCL, Reference")
    p.add_argument("--crystal-fraction", type=float, metavar="F",
                   help="coexistence systems (*-slab, *-nucleus): the fraction of molecules kept crystalline while "
                   "the rest is melted around them")
    p.add_argument("--crystal-molecules", type=int, metavar="N",
                   help="coexistence systems: the number of molecules kept crystalline (instead of --crystal-fraction)")
    p.add_argument("--axis", choices=("x", "y", "z"),
                   help="slab systems: the slab normal, the longest box edge (default z)")


def _simulate(args: argparse.Namespace) -> int:
    from latentcv.commands.simulate import RunConfig, simulate

    config = RunConfig(
        system=args.system, molecules=args.molecules, temperature=args.temperature, pressure=args.pressure,
        ps=args.ps, equilibrate_ps=args.equilibrate, frame_ps=args.frame_interval, seed=args.seed,
        platform=args.platform, crystal_fraction=args.crystal_fraction, crystal_molecules=args.crystal_molecules,
        axis=args.axis,
    )
    simulate(config, args.out, resume=args.resume)
    return 0


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="build an example system and run NPT MD: topology, trajectory, log, checkpoint",
        description="Build the system, minimise, equilibrate and run NPT molecular dynamics "
        "(LangevinMiddleIntegrator, 2 fs, PME; anisotropic barostat for crystals, along the normal for slabs). "
        "Writes DIR/config.json, topology.pdb, system.xml, trajectory.dcd, log.csv and state.xml; coexistence "
        "systems (a crystal slab or nucleus melted around, then quenched to --temperature with the crystal "
        "restrained, then released) also trajectory.labels.csv, the crystalline molecules by construction.",
    )
    _add_system_options(p)
    p.add_argument("--temperature", type=float, required=True, metavar="K", help="temperature (K)")
    p.add_argument("--pressure", type=float, default=1.0, metavar="BAR", help="pressure (bar, default 1)")
    p.add_argument("--ps", type=float, required=True, metavar="T", help="production length (ps)")
    p.add_argument("--equilibrate", type=float, default=10.0, metavar="PS", help="NPT equilibration (ps, default 10)")
    p.add_argument(
        "--frame-interval", type=float, default=1.0, metavar="PS", help="ps between saved frames (default 1)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="run folder (created when missing)")
    p.add_argument(
        "--resume", action="store_true",
        help="continue the run in DIR from state.xml until its production reaches --ps (same other options)",
    )
    p.set_defaults(func=_simulate)


def _build(args: argparse.Namespace) -> int:
    from latentcv.commands.build import build

    from latentcv.systems.registry import coexistence_options

    coexistence = coexistence_options(args.system, args.crystal_fraction, args.crystal_molecules, args.axis)
    build(args.system, args.molecules, args.out, seed=args.seed, platform=args.platform, coexistence=coexistence,
          temperature=args.temperature)
    return 0


def _add_build(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="write the starting structure of an example system as a PDB file",
        description="Build an example system (melts are made by heating the crystal; coexistence systems by "
        "melting the rest of a crystal around a kept slab or nucleus and quenching it to --temperature) and write "
        "it as PDB.",
    )
    _add_system_options(p)
    p.add_argument("--temperature", type=float, metavar="K",
                   help="coexistence systems: the temperature the melted part is quenched to (K)")
    p.add_argument("--out", required=True, metavar="FILE.pdb", help="PDB file to write; a coexistence system's "
                   "per-molecule labels go beside it, NAME.labels.csv")
    p.set_defaults(func=_build)


def _train(args: argparse.Namespace) -> int:
    from latentcv.commands.train import train_model
    from latentcv.nn.settings import Settings

    settings = Settings.load(args.config, overrides={
        "model": {"pooling": args.pooling, "latent_dim": args.latent_dim, "cutoff": args.cutoff},
        "stages": {"molecule_epochs": args.molecule_epochs, "variational": args.variational or None,
                   "freeze_stage_one": False if args.fine_tune else None,
                   "use_charges": args.charges or None, "views": args.views},
        "train": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
                  "device": args.device, "threads": args.threads},
    })
    topology = args.top or args.traj[0].split(":")[0]
    train_model(args.traj, topology, args.out, settings, system_xml=args.system_xml, resume=args.resume,
                start=args.start, stop=args.stop, stride=args.stride)
    return 0


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train the hierarchical graph autoencoder on crystal and melt trajectories",
        description="Train the hierarchical graph autoencoder (molecule stage, then configuration stage) "
        "on MD trajectories. Writes OUT/model.pt, settings.json, metrics.csv, loss.png, latent.png, "
        "latents.npz, metrics.json and checkpoints (best.pt, latest.pt); --resume continues a run.",
    )
    p.add_argument("--traj", action="append", required=True, metavar="FILE[:LABEL]",
                   help="trajectory in any MDTraj format, optionally labelled (melt.dcd:melt); repeatable")
    p.add_argument("--top", help="topology (pdb, gro, prmtop, psf, h5, or system XML beside a PDB); "
                   "default: the first --traj, when it carries its topology (PDB, H5, GRO)")
    p.add_argument("--system-xml", help="OpenMM System XML (masses, charges, virtual sites)")
    p.add_argument("--out", required=True, help="run folder, e.g. runs/NAME")
    p.add_argument("--config", help="YAML/JSON with sections model, loss, stages, train")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoints")
    p.add_argument("--epochs", type=int, help="epochs of the configuration stage")
    p.add_argument("--molecule-epochs", type=int, help="epochs of the molecule stage (0 skips it)")
    p.add_argument("--fine-tune", action="store_true", help="fine-tune stage 1 in stage 2 instead of freezing it")
    p.add_argument("--variational", action="store_true", help="train a VAE (KL term on z)")
    p.add_argument("--charges", action="store_true", help="read partial charges (needs --system-xml)")
    p.add_argument("--batch-size", type=int, help="frames per batch")
    p.add_argument("--lr", type=float, help="learning rate (AdamW)")
    p.add_argument("--pooling", help="molecule pooling: seeds, diffpool or mean")
    p.add_argument("--latent-dim", type=int, help="size of the configuration latent z")
    p.add_argument("--cutoff", type=float, help="molecular-graph cutoff D_t (nm)")
    p.add_argument("--views", type=int, metavar="V",
                   help="Wren-style averaging of the configuration stage's latents over V random symmetry-equivalent "
                   "views of each frame (stages.views; default 1, off; each step costs xV)")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--device", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--threads", type=int, help="torch CPU threads while training (default 1, the fastest for "
                   "graphs of a few hundred molecules; 0: torch's default, one per core)")
    p.add_argument("--start", type=int, default=0, help="first frame of each trajectory")
    p.add_argument("--stop", type=int, default=None, help="frame to stop before")
    p.add_argument("--stride", type=int, default=1, help="use every STRIDE-th frame")
    p.set_defaults(func=_train)


def _cluster(args: argparse.Namespace) -> int:
    from latentcv.commands.cluster import find_basins

    basins = find_basins(args.model, args.traj, args.top or args.traj[0].split(":")[0], args.out, args.method,
                         system_xml=args.system_xml, crystal_label=args.crystal_label,
                         melt_label=args.melt_label, stride=args.stride, seed=args.seed, pmf=args.pmf,
                         pmf_trajectories=args.pmf_traj or (), bias_fraction=args.bias_fraction)
    print(f"basins ({basins.method}) and CV heads written to {args.model}/heads.json; report in {args.out}")
    return 0


def _add_cluster(sub: argparse._SubParsersAction) -> None:
    from latentcv.commands.cluster import METHODS

    p = sub.add_parser(
        "cluster",
        help="find the crystal and melt basins in latent space and define the CV heads",
        description="Cluster the latents of labelled crystal and melt frames (k-means, Gaussian mixture or "
        "neural mode clustering, all scored), name the basins after the labels, define the CV heads "
        "(progress, distance, crystal_count; bias_net fitted to a PMF with --pmf) and write them into "
        "MODEL/heads.json. OUT gets results.json, "
        "predictions.npy, comparison.csv/.tex, latent.png and cv_hist.png.",
    )
    p.add_argument("--model", required=True, help="run folder of `latentcv train`")
    p.add_argument("--traj", action="append", required=True, metavar="FILE:LABEL",
                   help="labelled trajectory (crystal.dcd:crystal, melt.dcd:melt); repeatable")
    p.add_argument("--top", help="topology; default: the first --traj when it carries one")
    p.add_argument("--system-xml", help="OpenMM System XML (masses, charges, virtual sites)")
    p.add_argument("--method", default="kmeans", choices=METHODS, help="clustering that defines the centres")
    p.add_argument("--out", required=True, help="folder for the clustering report and plots")
    p.add_argument("--crystal-label", default="crystal", help="label of the crystal frames (default crystal)")
    p.add_argument("--melt-label", default="melt", help="label of the melt frames (default melt)")
    p.add_argument("--stride", type=int, default=1, help="use every STRIDE-th frame")
    p.add_argument("--seed", type=int, default=0, help="random seed of the clustering")
    p.add_argument("--pmf", help="potential of mean force estimate to fit the bias_net head to: a `latentcv metad` "
                   "run folder (fes.npy, grid.npz) or a CSV 'progress,free_energy_kJ_mol' (progress, off_axis or "
                   "distance)")
    p.add_argument("--pmf-traj", action="append", metavar="FILE",
                   help="more frames of the --top system for the bias_net fit, e.g. the metadynamics trajectory the "
                   "PMF came from; repeatable")
    p.add_argument("--bias-fraction", type=float, default=1.0,
                   help="bias_net target -f (F - min F): f = 1 flattens the PMF (default 1)")
    p.set_defaults(func=_cluster)


def _export(args: argparse.Namespace) -> int:
    from latentcv.commands.export import export_run
    from latentcv.commands.export_baseline import export_baseline

    if (args.model is None) == (args.baseline is None):
        raise InputError("give either --model RUN (a learnt CV) or --baseline q6 (the Steinhardt baseline)")
    skin = {} if args.pair_skin is None else {"pair_skin": args.pair_skin}
    if args.baseline is not None:
        folder = export_baseline(args.top, args.out, args.crystal or [], args.melt or [], args.baseline,
                                 args.q6_threshold, args.q6_switch, args.site, args.dtype, args.temperature, **skin)
        print(f"exported the {args.baseline} baseline CV (solid_like, q6) to {folder}: openmm_cv*.pt, plumed_cv.ptc, "
              "plumed.dat, metadata.json")
        return 0
    heads = _names(args.cv)
    folder = export_run(args.model, args.top, args.out, heads, args.dtype, args.system_xml, args.temperature,
                        views=args.views, constrained_bonds=args.constrained_bonds, **skin)
    print(f"exported CV ({', '.join(heads)}) to {folder}: openmm_cv*.pt, plumed_cv.ptc, plumed.dat, metadata.json")
    return 0


def _add_export(sub: argparse._SubParsersAction) -> None:
    from latentcv.engines.metadynamics import TEMPERATURE_K

    p = sub.add_parser(
        "export",
        help="export the CV to TorchScript for OpenMM (TorchForce) and PLUMED (PYTORCH_MODEL)",
        description="Write CV_DIR/openmm_cv<k>.pt (one per CV component, forward(positions[N,3], "
        "boxvectors[3,3]) -> scalar over every particle of the System), plumed_cv.ptc, plumed.dat and "
        "metadata.json for the system of --top: the learnt CV of --model, or with --baseline q6 the Steinhardt "
        "baseline (components solid_like, the smooth count of molecules whose neighbour-averaged q6 exceeds a "
        "threshold fitted on --crystal and --melt runs, and global q6; PLUMED's own Q6/LOCAL_AVERAGE definitions).",
    )
    p.add_argument("--model", help="run folder (model.pt and heads.json from `latentcv cluster`)")
    p.add_argument("--baseline", choices=("q6",), help="export the Steinhardt baseline instead of a learnt CV")
    p.add_argument("--crystal", action="append", metavar="RUN",
                   help="--baseline: a bulk crystal run (latentcv simulate folder); repeatable")
    p.add_argument("--melt", action="append", metavar="RUN", help="--baseline: a bulk melt run; repeatable")
    p.add_argument("--q6-threshold", type=float, metavar="Q",
                   help="--baseline: solid-like threshold on the neighbour-averaged q6 (default: fitted on the runs)")
    p.add_argument("--q6-switch", type=lambda t: _numbers(t, float, "--q6-switch"), metavar="D0,DMAX",
                   help="--baseline: nm, where the pair switch (PLUMED CUBIC) starts and ends (default from the "
                   "residues' first-shell cutoff: water 0.30,0.37)")
    p.add_argument("--site", metavar="NAME",
                   help="--baseline: the site atom of each molecule (default its heaviest atom: water O)")
    p.add_argument("--top", required=True, help="topology of the system to bias (PDB etc.; any size)")
    p.add_argument("--out", required=True, help="CV folder to write")
    p.add_argument("--cv", default="progress", help="CV heads, comma-separated: progress, distance, crystal_count, "
                   "bias_net (after `latentcv cluster --pmf`)")
    p.add_argument("--dtype", default="float32", help="precision of the OpenMM files: float32 or float64")
    p.add_argument("--system-xml", help="OpenMM System XML (needed when the model reads charges)")
    p.add_argument("--temperature", type=float, default=TEMPERATURE_K,
                   help=f"K, for the METAD line of plumed.dat (default {TEMPERATURE_K:g})")
    p.add_argument("--views", type=int, default=1, metavar="V",
                   help="average the latents over V fixed symmetry-equivalent views of each frame (Wren-style: "
                   "box translations and relabellings). The encoder is already invariant, so this removes only "
                   "round-off; the CV's cost grows xV. Default 1 (off)")
    p.add_argument("--pair-skin", type=float, metavar="NM",
                   help="Verlet skin (nm) of the molecular pair list the exported modules keep between MD steps "
                   "(default 0.1; 0 searches the pairs at every step). It changes the cost, not the CV")
    p.add_argument("--constrained-bonds", action="store_true",
                   help="for MD that constrains every bond of the molecules (rigid water: OpenMM's rigidWater, "
                   "SETTLE): the atom stage is computed once, at the constraint lengths of --system-xml (give it: "
                   "exact) or else at the bond lengths of --top's coordinates, and a CV call costs about a third "
                   "less. The dynamics are the same (the constraints cancel the only force it drops); `latentcv "
                   "metad` checks that the System constrains those bonds")
    p.set_defaults(func=_export)


def _evaluate(args: argparse.Namespace) -> int:
    from latentcv.commands.evaluate import evaluate_cv

    values, _ = evaluate_cv(args.cv, args.traj, args.top, args.out, forces=args.forces, stride=args.stride,
                            engine=args.engine)
    print(f"{len(values)} frames: CV written to {args.out}" + (" (forces beside it)" if args.forces else ""))
    return 0


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate an exported CV on a trajectory through the exported file itself",
        description="CV values per frame (and, with --forces, -dCV/dx per component) computed by the exported "
        "files themselves: openmm_cv<k>.pt on every particle, as OpenMM will call them, or plumed_cv.ptc on "
        "the row PLUMED's PYTORCH_MODEL passes (--engine plumed). Check a CV before biasing with it.",
    )
    p.add_argument("--cv", required=True, help="CV folder from `latentcv export`")
    p.add_argument("--traj", required=True, help="trajectory (any MDTraj format)")
    p.add_argument("--top", required=True, help="topology of the trajectory (the exported system's)")
    p.add_argument("--out", required=True, help="CSV to write (frame, one column per CV component)")
    p.add_argument("--forces", action="store_true", help="also write OUT_forces.npy: -dCV/dx, (frames, n_cv, N, 3)")
    p.add_argument("--stride", type=int, default=1, help="use every STRIDE-th frame")
    p.add_argument("--engine", choices=("openmm", "plumed"), default="openmm",
                   help="which exported file computes the CV: openmm_cv<k>.pt (default) or plumed_cv.ptc")
    p.set_defaults(func=_evaluate)
def _report(args: argparse.Namespace) -> int:
    from latentcv.commands.report import ReportConfig, run_report

    config = ReportConfig(
        cv=args.cv, trajectories=args.traj, out=args.out, topologies=args.top or [], cv_out=args.cv_out,
        heads=_names(args.heads), crystal_label=args.crystal_label,
        melt_label=args.melt_label, stride=args.stride, q6_cutoff=args.q6_cutoff, q6_average=args.q6_average,
        bins=args.bins, slabs=args.slab or [], nuclei=args.nucleus or [],
    )
    result = run_report(config)
    partial = ", partial_order.png" if config.slabs or config.nuclei else ""
    print(f"report of {', '.join(result.names)} on {len(result.scores)} system size(s) in {result.folder}: "
          f"report.md, report.json, values.csv, hist_*.png{partial}")
    return 0


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="CV quality before biasing: each CV component against Steinhardt Q6 on crystal and melt frames",
        description="Evaluate the CV (through the exported TorchScript files) and Steinhardt Q6 of the molecular "
        "centres on labelled crystal and melt frames, per system size: mean and spread per phase, accuracy of "
        "the best threshold, histogram overlap and Fisher ratio. With --slab and --nucleus (coexistence runs of "
        "`latentcv simulate`) also the partial order: each quantity against the crystal fraction of slabs, the "
        "bulk phases by temperature, nuclei against their melt, beside global Q6 and the count of solid-like "
        "molecules, and the targets of a crystallization CV. Writes OUT/report.md, report.json, values.csv, "
        "hist_<molecules>.png, partial_order.png and report_config.json.",
    )
    p.add_argument("--cv", required=True, metavar="CV_DIR",
                   help="exported CV folder (`latentcv export`; one system only), or a model folder with model.pt "
                   "and heads.json, exported on the fly for each topology (any size)")
    p.add_argument("--traj", action="append", required=True, metavar="FILE:LABEL",
                   help="labelled trajectory (ice.dcd:crystal, water.dcd:melt); repeatable")
    p.add_argument("--top", action="append", metavar="FILE",
                   help="topology: once for every --traj, or once per --traj in order (to mix system sizes); "
                   "default: each trajectory file, when it carries its topology")
    p.add_argument("--out", required=True, metavar="DIR", help="report folder")
    p.add_argument("--cv-out", metavar="DIR", help="where a model folder is exported per size (default OUT/cv)")
    p.add_argument("--heads", default="progress", help="CV heads exported from a model folder, comma-separated: "
                   "progress, distance, crystal_count (default progress)")
    p.add_argument("--crystal-label", default="crystal", help="label of the crystal frames (default crystal)")
    p.add_argument("--melt-label", default="melt", help="label of the melt frames (default melt)")
    p.add_argument("--stride", type=int, default=1, help="use every STRIDE-th frame")
    p.add_argument("--q6-cutoff", type=float, metavar="NM",
                   help="Q6 neighbour cutoff between molecular centres of mass, the first coordination shell "
                   "(default by residue: 0.35 nm for water, 0.64 nm for urea)")
    p.add_argument("--q6-average", action="store_true", help="use the neighbour-averaged q6 (Lechner-Dellago)")
    p.add_argument("--bins", type=int, default=50, help="histogram bins (default 50)")
    p.add_argument("--slab", action="append", metavar="RUN",
                   help="a slab of known crystal fraction: a `latentcv simulate --system *-slab` folder (or a "
                   "trajectory with topology.pdb and NAME.labels.csv beside it); repeatable, three fractions or more")
    p.add_argument("--nucleus", action="append", metavar="RUN",
                   help="a nucleus in its melt (`latentcv simulate --system *-nucleus`), or the melt itself "
                   "(--crystal-molecules 0, needed once); repeatable")
    p.set_defaults(func=_report)


def _names(text: str) -> list[str]:
    """The non-empty names of a comma-separated list, e.g. ``progress, crystal_count``."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _numbers(text: str, kind: type, option: str) -> tuple:
    """A comma-separated list of numbers, e.g. ``0,1``; argparse turns the ValueError into a usage error."""
    try:
        return tuple(kind(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{option} takes comma-separated numbers, got {text!r}") from None


def _metad(args: argparse.Namespace) -> int:
    from latentcv.commands.metad import run_metad
    from latentcv.commands.metad_config import MetadConfig

    config = MetadConfig(
        system_xml=args.system_xml, pdb=args.pdb, cv=args.cv, out=args.out, temperature=args.temperature,
        ns=args.ns, components=args.components, method=args.method, barrier=args.barrier,
        bias_factor=args.bias_factor, height=args.height,
        sigma=None if args.sigma == "auto" else _numbers(args.sigma, float, "--sigma"), pace=args.pace,
        state=args.state, platform=args.platform, mts=args.mts, barostat_interval=args.barostat_interval,
        walkers_dir=args.walkers_dir,
        walker_id=args.walker_id, report_interval=args.report_interval,
        checkpoint_interval=args.checkpoint_interval, seed=args.seed,
    )
    files = run_metad(config, resume=args.resume)
    print(f"results in {files.folder}: colvar.csv, fes.png, cv_time.png, trajectory.dcd, log.csv")
    return 0


def _add_metad(sub: argparse._SubParsersAction) -> None:
    from latentcv.commands.metad_config import defaults

    d = defaults()  # MetadConfig's, whose hills are latentcv.engines.metadynamics's
    p = sub.add_parser(
        "metad",
        help="well-tempered metadynamics, OPES or OPES-explore on an exported CV in OpenMM",
        description="Well-tempered metadynamics (openmm.app.Metadynamics), or OPES and OPES-explore "
        "(openmm_opes.OPES, --method), with one openmm-torch TorchForce per biased CV component. Step counts "
        "are 2 fs steps. Writes OUT/colvar.csv, log.csv, trajectory.dcd, "
        "bias.npy, fes.npy, grid.npz, fes.png, cv_time.png, config.json, state.xml and checkpoint.pt. "
        "On GPUs install latentcv with `pip install -e '.[cuda]'`.",
    )
    p.add_argument("--system-xml", required=True, metavar="FILE", help="OpenMM System XML (simulate's system.xml)")
    p.add_argument("--pdb", required=True, metavar="FILE",
                   help="PDB of the System's particles (simulate's topology.pdb)")
    p.add_argument("--state", metavar="FILE", help="OpenMM State XML to start from (default: the PDB, minimised)")
    p.add_argument("--cv", required=True, metavar="CV_DIR", help="exported CV folder (latentcv export)")
    p.add_argument(
        "--components", type=lambda t: _numbers(t, int, "--components"), default=d["components"], metavar="K[,K...]",
        help=f"CV components to bias, 1 to 3 (default {','.join(map(str, d['components']))})",
    )
    p.add_argument("--temperature", type=float, required=True, metavar="K", help="temperature (K)")
    p.add_argument("--method", choices=("metad", "opes", "opes-explore"), default=d["method"],
                   help=f"sampler: hills (metad) or the kernels of OPES / OPES-explore (default {d['method']})")
    p.add_argument("--barrier", type=float, metavar="KJ_MOL",
                   help="OPES: the free-energy barrier to cross (kJ/mol; required by opes and opes-explore)")
    p.add_argument("--bias-factor", type=float, default=d["bias_factor"], metavar="G",
                   help=f"well-tempered bias factor, also OPES's (default {d['bias_factor']:g})")
    p.add_argument("--height", type=float, default=d["height"], metavar="KJ_MOL",
                   help=f"initial hill height (kJ/mol, default {d['height']:g}; metad only)")
    p.add_argument(
        "--sigma", default="auto", metavar="auto|S[,S...]",
        help="hill widths per component in CV units (default auto: the CV metadata's suggestion)",
    )
    p.add_argument("--pace", type=int, default=d["pace"], metavar="STEPS",
                   help=f"steps between hills (default {d['pace']})")
    p.add_argument("--ns", type=float, required=True, metavar="N", help="length (ns); with --resume, the total")
    p.add_argument("--out", required=True, metavar="OUT", help="output folder")
    p.add_argument("--platform", default=d["platform"], help="auto (CUDA, OpenCL, CPU), CUDA, OpenCL, CPU or Reference")
    p.add_argument(
        "--mts", type=int, default=d["mts"], metavar="K",
        help="multiple time stepping: the bias as an impulse once per K steps (K <= 4 with the suggested hill "
        f"widths; default {d['mts']} = off)",
    )
    p.add_argument(
        "--barostat-interval", type=int, metavar="STEPS",
        help="steps between Monte Carlo barostat moves (default: the System's, 25 in latentcv's systems); "
        "each move evaluates the CV twice (three times with --mts), so biased runs go faster with larger values",
    )
    p.add_argument("--walkers-dir", metavar="D", help="folder shared by multiple walkers")
    p.add_argument("--walker-id", type=int, metavar="I", help="this walker's id (with --walkers-dir)")
    p.add_argument("--report-interval", type=int, default=d["report_interval"], metavar="STEPS",
                   help=f"steps between rows and frames (default {d['report_interval']})")
    p.add_argument(
        "--checkpoint-interval", type=int, default=d["checkpoint_interval"], metavar="STEPS",
        help=f"steps between checkpoints, a multiple of --report-interval (default {d['checkpoint_interval']})",
    )
    p.add_argument("--seed", type=int, default=d["seed"],
                   help=f"seed of the velocities and the integrator (default {d['seed']})")
    p.add_argument("--resume", action="store_true", help="continue the run in OUT from its checkpoint until --ns")
    p.set_defaults(func=_metad)


def _add_run_options(p: argparse.ArgumentParser, d: dict, seed: str) -> None:
    """--platform, --report-interval, --checkpoint-interval and --seed of an MD command whose
    settings' defaults are ``d``; ``seed`` says what the seed seeds."""
    p.add_argument("--platform", default=d["platform"], help="auto (CUDA, OpenCL, CPU), CUDA, OpenCL, CPU or Reference")
    p.add_argument("--report-interval", type=int, default=d["report_interval"], metavar="STEPS",
                   help=f"steps between rows and frames (default {d['report_interval']})")
    p.add_argument("--checkpoint-interval", type=int, default=d["checkpoint_interval"], metavar="STEPS",
                   help="steps between checkpoints, a multiple of --report-interval "
                   f"(default {d['checkpoint_interval']})")
    p.add_argument("--seed", type=int, default=d["seed"], help=f"{seed} (default {d['seed']})")


def _pin(args: argparse.Namespace) -> int:
    from latentcv.commands.pin import PinConfig, run_pin

    config = PinConfig(
        system_xml=args.system_xml, pdb=args.pdb, cv=args.cv, out=args.out, temperature=args.temperature,
        ps=args.ps, target=args.target, kappa=args.kappa, component=args.component, state=args.state,
        platform=args.platform, equilibrate_ps=args.equilibrate, blocks=args.blocks,
        report_interval=args.report_interval, checkpoint_interval=args.checkpoint_interval, seed=args.seed,
        threads=args.threads,
    )
    files = run_pin(config, resume=args.resume)
    result = json.loads(files.result.read_text())
    print(f"delta mu = {result['delta_mu_kJ_mol']:.4g} +- {result['standard_error_kJ_mol']:.2g} kJ/mol per molecule "
          f"({result['delta_mu_kT']:.3g} kT; <Q> = {result['mean_q']:.5g}); results in {files.folder}: pin.json, "
          "colvar.csv, cv_time.png, trajectory.dcd, log.csv")
    return 0


def _add_pin(sub: argparse._SubParsersAction) -> None:
    from latentcv.commands.pin import PinConfig

    d = {f.name: f.default for f in dataclasses.fields(PinConfig)}
    p = sub.add_parser(
        "pin",
        help="interface pinning of a crystal-melt slab on an exported CV in OpenMM: delta mu",
        description="Interface pinning (Pedersen 2013): the spring 0.5*kappa*(Q - target)^2 on one CV component Q "
        "that counts crystal molecules, in a crystal-melt slab; delta mu = mu_crystal - mu_melt per molecule "
        "= kappa*(target - <Q>), negative below the melting point. Step counts are 2 fs steps. Writes OUT/pin.json, "
        "colvar.csv, log.csv, trajectory.dcd, cv_time.png, config.json, state.xml and checkpoint.pt.",
    )
    p.add_argument("--system-xml", required=True, metavar="FILE", help="OpenMM System XML of the slab")
    p.add_argument("--pdb", required=True, metavar="FILE", help="PDB of the System's particles")
    p.add_argument("--state", metavar="FILE", help="OpenMM State XML to start from (default: the PDB, minimised)")
    p.add_argument("--cv", required=True, metavar="CV_DIR", help="exported CV folder (latentcv export)")
    p.add_argument("--component", default=d["component"], metavar="NAME",
                   help=f"CV component Q to pin (default {d['component']})")
    p.add_argument("--target", type=float, metavar="A",
                   help="centre of the spring, CV units (molecules for crystal_count; default: Q of the start, "
                   "so that the spring does not pull)")
    p.add_argument("--kappa", type=float, required=True, metavar="KJ_MOL",
                   help="spring constant, kJ/mol per CV unit squared")
    p.add_argument("--temperature", type=float, required=True, metavar="K", help="temperature (K)")
    p.add_argument("--ps", type=float, required=True, metavar="PS", help="length (ps); with --resume, the total")
    p.add_argument("--equilibrate", type=float, default=d["equilibrate_ps"], metavar="PS",
                   help=f"ps at the start left out of the estimate (default {d['equilibrate_ps']:g})")
    p.add_argument("--blocks", type=int, default=d["blocks"],
                   help=f"blocks of the standard error's block average (default {d['blocks']})")
    p.add_argument("--out", required=True, metavar="OUT", help="output folder")
    _add_run_options(p, d, "seed of the velocities and the integrator")
    p.add_argument("--threads", type=int, default=d["threads"],
                   help="force threads of OpenMM's CPU platform (default 0: one per core)")
    p.add_argument("--resume", action="store_true", help="continue the run in OUT from its checkpoint until --ps")
    p.set_defaults(func=_pin)


def _melting_point(args: argparse.Namespace) -> int:
    from latentcv.commands.melting_point import MeltingPointConfig, run_melting_point

    config = MeltingPointConfig(
        cv=args.cv, slab=args.slab, out=args.out, temperatures=args.temperatures, ps=args.ps, kappa=args.kappa,
        target=args.target, component=args.component, equilibrate_ps=args.equilibrate, blocks=args.blocks,
        jobs=args.jobs, platform=args.platform, report_interval=args.report_interval,
        checkpoint_interval=args.checkpoint_interval, seed=args.seed,
    )
    path = run_melting_point(config, resume=args.resume)
    result = json.loads(path.read_text())
    for run in result["runs"]:
        print(f"{run['temperature_K']:g} K: delta mu = {run['delta_mu_kJ_mol']:.4g} +- "
              f"{run['standard_error_kJ_mol']:.2g} kJ/mol per molecule")
    fit = result["melting_point"]
    if fit is None:
        print(f"no melting point: {result['no_melting_point']}")
    else:
        outside = " (extrapolated: outside the temperatures run)" if result["extrapolated"] else ""
        print(f"Tm = {fit['tm']:.1f} +- {fit['tm_error']:.1f} K{outside} (slope {fit['slope']:.3g} kJ/mol/K)")
    print(f"{result['wall_s'] / 60:.1f} min; results in {path.parent}: melting_point.json, melting_point.png, "
          "T<K>/ (one pinning run per temperature)")
    return 0


def _add_melting_point(sub: argparse._SubParsersAction) -> None:
    from latentcv.commands.melting_point import MeltingPointConfig

    d = {f.name: f.default for f in dataclasses.fields(MeltingPointConfig)}
    p = sub.add_parser(
        "melting-point",
        help="the melting point from interface pinning of a crystal-melt slab at several temperatures",
        description="Pins the slab (latentcv pin) at each temperature, side by side where cores allow, from the same "
        "start with the same spring, fits delta mu(T) with a weighted line and gives Tm where it crosses zero, with "
        "its standard error. Writes OUT/melting_point.json, melting_point.png, config.json and OUT/T<K>/ (one pinning "
        "folder per temperature).",
    )
    p.add_argument("--cv", required=True, metavar="CV_DIR", help="exported CV folder (latentcv export)")
    p.add_argument("--slab", required=True, metavar="DIR",
                   help="slab run folder with system.xml, topology.pdb and state.xml (latentcv build/simulate)")
    p.add_argument("--temperatures", required=True, metavar="K,K[,K...]",
                   type=lambda t: _numbers(t, float, "--temperatures"), help="temperatures (K), two or more")
    p.add_argument("--ps", type=float, required=True, metavar="PS", help="length of each run (ps)")
    p.add_argument("--out", required=True, metavar="OUT", help="output folder")
    p.add_argument("--kappa", type=float, default=d["kappa"], metavar="KJ_MOL",
                   help=f"spring constant, kJ/mol per CV unit squared (default {d['kappa']:g})")
    p.add_argument("--target", type=float, metavar="A",
                   help="spring centre, CV units (default: Q of the slab's state)")
    p.add_argument("--component", default=d["component"], metavar="NAME",
                   help=f"CV component Q to pin (default {d['component']})")
    p.add_argument("--equilibrate", type=float, metavar="PS",
                   help="ps at the start of each run left out of delta mu (default: a fifth of --ps)")
    p.add_argument("--blocks", type=int, default=d["blocks"],
                   help=f"blocks of each run's block-averaged error (default {d['blocks']})")
    p.add_argument("--jobs", type=int, default=d["jobs"],
                   help="runs side by side (default 0: one per core up to the number of temperatures on the CPU "
                   "platform, one on GPUs)")
    _add_run_options(p, d, "seed of every run's velocities and integrator")
    p.add_argument("--resume", action="store_true", help="continue each run from its checkpoint until --ps")
    p.set_defaults(func=_melting_point)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``latentcv`` command."""
    parser = argparse.ArgumentParser(
        prog="latentcv",
        description="Learn a latent collective variable for crystallization and melting from MD "
        "trajectories and bias it with metadynamics in OpenMM or PLUMED.",
    )
    parser.add_argument("--version", action="version", version=f"latentcv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_doctor, _add_simulate, _add_build, _add_train, _add_cluster, _add_export, _add_evaluate,
                _add_report, _add_metad, _add_pin, _add_melting_point):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``latentcv`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _progress_messages():
            return int(args.func(args))
    except LatentCVError as err:
        print(f"latentcv {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"latentcv {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a fault of latentcv's, not of the input: one line unless asked
        if os.environ.get("LATENTCV_TRACEBACK"):
            raise
        print(f"latentcv {args.command}: internal error ({type(err).__name__}: {reason(err)}); rerun with "
              "LATENTCV_TRACEBACK=1 for the traceback and report it", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
