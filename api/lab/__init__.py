"""Flow: the data scientist's bench: comparison, the gated promotion, retraining sets, experiments, benchmarks."""
