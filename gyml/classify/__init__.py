"""Exercise recognition: features, estimators, datasets, the shipped default model."""
