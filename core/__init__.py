"""Loupe's engine: datasets, models, training, inference. Plain Python + torch, never Qt."""

__version__ = "0.1.0"
APP_NAME = "Loupe"
