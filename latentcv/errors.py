"""Exceptions that latentcv raises for problems a user can fix.

The command line turns each of them into one line on stderr and a non-zero exit status; Python
callers can catch them by type.
"""


class LatentCVError(Exception):
    """Base class: a problem with the user's input or environment, described in one line."""


class InputError(LatentCVError, ValueError):
    """Bad input: a missing or unreadable file, an invalid option value, inconsistent data."""


class EngineError(LatentCVError, RuntimeError):
    """An MD engine (OpenMM, openmm-torch, PLUMED) is missing or failed."""
