"""Trajectories to molecular graphs: loading, molecules, atom features, frames, augmentation.

The entry point is :func:`latentcv.data.dataset.load_dataset`; the modules underneath read
``file:label`` arguments (:mod:`.specs`), topologies and OpenMM System XML files (:mod:`.topology`,
:mod:`.system_xml`), find molecules (:mod:`.molecules`) and their features (:mod:`.features`),
stream frames (:mod:`.reading`), check them (:mod:`.checks`), cache them (:mod:`.cache`) and
augment them (:mod:`.augment`).
"""
