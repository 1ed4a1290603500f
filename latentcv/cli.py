"""The ``latentcv`` command: argument parsing and dispatch only; the work lives in the package.

Every problem a user can fix (a :class:`latentcv.errors.LatentCVError`) becomes one line on stderr
and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from latentcv import __version__
from latentcv.errors import LatentCVError

Handler = Callable[[argparse.Namespace], int]


def _doctor(args: argparse.Namespace) -> int:
    from latentcv.doctor import run_doctor

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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``latentcv`` command."""
    parser = argparse.ArgumentParser(
        prog="latentcv",
        description="Learn a latent collective variable for crystallization and melting from MD "
        "trajectories and bias it with metadynamics in OpenMM or PLUMED.",
    )
    parser.add_argument("--version", action="version", version=f"latentcv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_doctor,):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``latentcv`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except LatentCVError as err:
        print(f"latentcv {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"latentcv {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
