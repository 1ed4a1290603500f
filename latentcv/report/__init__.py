"""Scores of a CV before biasing: how well each CV component and Steinhardt Q6 separate crystal from
melt frames. A library of values in, scores and files out; ``latentcv report``
(:mod:`latentcv.commands.report`) computes the values and calls it.

- :mod:`.separation`: threshold accuracy, histogram overlap and Fisher ratio of one quantity;
- :mod:`.q6`: Steinhardt Q6 of molecular centres per frame (freud);
- :mod:`.values`, :mod:`.plots`, :mod:`.markdown`: values.csv, histogram PNGs, report.md.
"""
