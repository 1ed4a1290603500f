"""``latentcv report``: CV quality on held-out crystal and melt frames, against Steinhardt Q6.

- :mod:`.separation`: threshold accuracy, histogram overlap and Fisher ratio of one quantity;
- :mod:`.q6`: Steinhardt Q6 of molecular centres per frame (freud);
- :mod:`.cv_source`: the exported CV per topology (an exported folder, or a model exported on the fly);
- :mod:`.values`, :mod:`.plots`, :mod:`.markdown`: values.csv, histogram PNGs, report.md;
- :mod:`.run`: :func:`run_report`, the command.
"""
