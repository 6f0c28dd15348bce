"""`thompson`: Thompson sampling on total cost per call (see `bandit`)."""

from conductor.strategies.bandit import Thompson

__all__ = ["Thompson"]
