"""conductor: simulate and compare how an IT organisation sources its service components."""

__version__ = "0.1.0"
