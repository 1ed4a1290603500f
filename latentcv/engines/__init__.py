"""The MD engines: the exported CV folder, and what OpenMM and PLUMED do with it.

- :mod:`.export` writes an exported CV folder (the deployment contract: ``openmm_cv<k>.pt``,
  ``plumed_cv.ptc``, ``plumed.dat``, ``metadata.json``); :mod:`.exported` reads it;
- :mod:`.metadynamics`: the well-tempered metadynamics defaults both engines start from;
- :mod:`.openmm`: openmm-torch TorchForces, the OpenMM System and Simulation, metadynamics, multiple
  time stepping, starting structures;
- :mod:`.plumed`: PLUMED's ``PYTORCH_MODEL`` input, the libtorch PLUMED build and ``plumed driver``;
- :mod:`.probe`: an analytic function that checks that an engine evaluates a model correctly.

The engines know the CV (:mod:`latentcv.cv`); the CV knows no engine.
"""
