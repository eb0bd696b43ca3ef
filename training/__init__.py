"""Datasets, training, calibration and evaluation of model versions."""
