"""Engines: OpenMM (openmm-torch TorchForce, Metadynamics) and PLUMED (PYTORCH_MODEL)."""
