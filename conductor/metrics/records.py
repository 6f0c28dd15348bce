"""What one replication leaves behind: compact per-request arrays and per-option counters."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Records:
    """Raw outcome of one replication of one strategy; statistics are computed from it."""

    strategy: str
    replication: int
    low: float
    high: float
    # One entry per measured request (arrived in [low, high)), in order of arrival.
    flow: np.ndarray
    arrival: np.ndarray
    latency: np.ndarray
    ok: np.ndarray
    # One entry per component.
    calls: np.ndarray
    failed_calls: np.ndarray
    # One row per flow, one column per option.
    flow_attempts: np.ndarray
    flow_variable_cost: np.ndarray
    # One entry per option.
    rejections: np.ndarray
    errors: np.ndarray
    outage_failures: np.ndarray
    timeouts: np.ndarray
    busy: np.ndarray
    wait: np.ndarray
    waits: np.ndarray
    fixed_cost: np.ndarray
    switching_cost: np.ndarray
    # One entry per provider.
    availability: np.ndarray
    relationship_cost: np.ndarray
    switches: int = 0
    change_lead_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    engagements: list[tuple[float, int, bool]] = field(default_factory=list)
    # Per option: when each billed attempt of a measured request was sent.
    attempt_times: list[np.ndarray] = field(default_factory=list)
    # Per option: how long each successful attempt of a measured request took (only when
    # the run was asked to keep records; empty otherwise).
    attempt_latencies: list[np.ndarray] = field(default_factory=list)

    @property
    def attempts(self) -> np.ndarray:
        """Measured attempts per option."""
        return self.flow_attempts.sum(axis=0)

    @property
    def variable_cost(self) -> np.ndarray:
        """Per-call spend per option."""
        return self.flow_variable_cost.sum(axis=0)

    @property
    def window(self) -> float:
        """Length of the measured window in seconds."""
        return self.high - self.low


def in_arrival_order(*columns: np.ndarray, arrival: int = 1) -> tuple[np.ndarray, ...]:
    """Per-request columns sorted by the arrival column (stable), or as they are (no copy)
    when they already are in order, as a one-step or single-server run leaves them."""
    times = columns[arrival]
    if times.size < 2 or bool(np.all(times[1:] >= times[:-1])):
        return columns
    order = np.argsort(times, kind="stable")
    return tuple(column[order] for column in columns)
