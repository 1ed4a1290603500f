"""Metadynamics on the latent CV from liquid TIP4P/Ice water (288 molecules) at 270 K.

    python examples/metad_melt.py [--ns 0.01] [--platform auto] [--cv CV_DIR | --untrained]

The default length runs in a few minutes on a CPU; crystallisation from the melt takes far longer
than melting: use a GPU (`--platform CUDA`, `pip install .[cuda]`) and tens of ns. Without `--cv` the
shipped models/ice-water-fast is exported for the example's box and its progress biased;
`--untrained` biases a stand-in CV with random weights instead, to try the machinery.
"""

from metad_example import WATER, parse_args, run_example

if __name__ == "__main__":
    run_example(parse_args(__doc__.splitlines()[0], "examples-out/metad-melt"), WATER, crystal=False)
