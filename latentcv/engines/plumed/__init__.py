"""PLUMED: the ``PYTORCH_MODEL`` input of an exported CV, the libtorch-enabled PLUMED build
(``python -m latentcv.engines.plumed.build``, ``make plumed``) and ``plumed driver``."""
