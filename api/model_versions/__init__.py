"""model versions."""
