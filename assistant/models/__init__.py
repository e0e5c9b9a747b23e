"""Embedding and language-model backends, and provisioning of the bundled model files."""
