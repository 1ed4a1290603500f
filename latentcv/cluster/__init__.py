"""Clustering heads on the latent space: k-means, Gaussian mixtures, neural mode clustering."""
