"""Trajectories to molecular graphs: loading, molecules, atom features, frames, augmentation."""
