"""Metadynamics on the latent CV from ice Ih (288 TIP4P/Ice molecules) near its melting point (270 K).

    python examples/metad_crystal.py [--ns 0.01] [--platform auto] [--cv CV_DIR | --untrained]

The default length runs in a few minutes on a CPU; use a GPU (`--platform CUDA`, `pip install
.[cuda]`) and `--ns 10` or more to see melting and recrystallisation. Without `--cv` the shipped
models/ice-water-fast is exported for the example's box and its progress biased; `--untrained`
biases a stand-in CV with random weights instead, to try the machinery.
"""

from metad_example import ICE, parse_args, run_example

if __name__ == "__main__":
    run_example(parse_args(__doc__.splitlines()[0], "examples-out/metad-crystal"), ICE, crystal=True)
