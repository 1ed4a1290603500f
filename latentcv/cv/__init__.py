"""CV heads on top of the encoder: latent distance, progress, crystal count, bias network."""
