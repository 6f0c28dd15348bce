"""`ucb`: the UCB1 bandit on total cost per call (see `bandit`)."""

from conductor.strategies.bandit import UCB

__all__ = ["UCB"]
