"""Periodic geometry shared by training and by exported CVs.

Every public function here compiles with ``torch.jit.script``, works on any device and floating
dtype, and has finite gradients everywhere (also at zero distance); :class:`VerletPairs` keeps
neighbour pairs between the calls of one moving system. Boxes are ``[3, 3]`` tensors
whose rows are the box vectors a, b, c in nm, in OpenMM's reduced form (see :mod:`.box`).
"""

from latentcv.geometry.box import (
    box_is_reduced,
    box_widths,
    half_min_width,
    reduce_box,
    rotate_to_reduced,
)
from latentcv.geometry.centres import centres_of_mass, centres_of_whole, make_whole
from latentcv.geometry.distance import safe_norm
from latentcv.geometry.grouping import group_table
from latentcv.geometry.minimum_image import check_cutoff, minimum_image
from latentcv.geometry.neighbours import (
    DENSE_MAX_POINTS,
    neighbour_pairs,
    neighbour_pairs_cell_list,
    neighbour_pairs_dense,
)
from latentcv.geometry.rows import gather_rows, sum_rows
from latentcv.geometry.switching import switch_cosine, switch_cubic, switch_polynomial
from latentcv.geometry.verlet import VerletPairs

__all__ = [
    "DENSE_MAX_POINTS",
    "VerletPairs",
    "box_is_reduced",
    "box_widths",
    "centres_of_mass",
    "centres_of_whole",
    "check_cutoff",
    "gather_rows",
    "group_table",
    "half_min_width",
    "make_whole",
    "minimum_image",
    "neighbour_pairs",
    "neighbour_pairs_cell_list",
    "neighbour_pairs_dense",
    "reduce_box",
    "rotate_to_reduced",
    "safe_norm",
    "sum_rows",
    "switch_cosine",
    "switch_cubic",
    "switch_polynomial",
]
