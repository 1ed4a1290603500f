"""OpenMM: the exported CV as openmm-torch TorchForces, Systems and Simulations of built structures,
well-tempered metadynamics (``openmm.app.Metadynamics``) and multiple time stepping."""
