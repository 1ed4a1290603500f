"""Example systems: TIP4P/Ice ice Ih and liquid water, urea form I crystal and melt.

Builders return a :class:`latentcv.systems.structure.Structure` (OpenMM topology, positions in nm,
orthorhombic box); :mod:`latentcv.systems.registry` names them for the command line.
"""
