"""Named random streams: one per source of randomness, derived from (seed, replication, name).

Deriving each stream from its name, never from creation order, means that adding a
component or changing the strategy leaves every other draw alone, and that every
strategy sees the same arrivals and outages in a replication (common random numbers).
Variates are drawn in numpy blocks and handed out one at a time, which keeps the
per-event cost of randomness to a list pop.
"""

from __future__ import annotations

import hashlib

import numpy as np

from conductor.samplers import Distribution

BLOCK = 2048


def stream_key(name: str) -> tuple[int, int]:
    """A stable pair of 32-bit words naming a stream (independent of Python's hash seed)."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:8], "little")


def generator(seed: int, replication: int, name: str) -> np.random.Generator:
    """The random generator of one named stream in one replication."""
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(replication, *stream_key(name)))
    return np.random.Generator(np.random.PCG64(sequence))


class Draws:
    """Variates of one distribution from one stream, drawn a block at a time."""

    __slots__ = ("_distribution", "_rng", "_scale", "buffer")

    def __init__(self, distribution: Distribution, rng: np.random.Generator, scale: float = 1.0):
        self._distribution = distribution
        self._rng = rng
        self._scale = scale
        # Hot loops may pop from this list directly, calling refill() when it is empty.
        self.buffer: list[float] = []

    def __call__(self) -> float:
        """The next variate."""
        buffer = self.buffer
        return buffer.pop() if buffer else self.refill()

    def refill(self) -> float:
        """Draw the next block and return its first variate."""
        block = self._distribution.sample(self._rng, BLOCK)
        if self._scale != 1.0:
            block = block * self._scale
        # Reversed so that pop() hands the values out in drawn order.
        self.buffer.extend(block[::-1].tolist())
        return self.buffer.pop()


class Uniforms:
    """Uniform [0, 1) variates from one stream, drawn a block at a time."""

    __slots__ = ("_buffer", "_rng")

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._buffer: list[float] = []

    def __call__(self) -> float:
        """The next uniform."""
        buffer = self._buffer
        if not buffer:
            buffer.extend(self._rng.random(BLOCK)[::-1].tolist())
        return buffer.pop()


class Streams:
    """The streams of one replication, created on first use by name."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication

    def generator(self, name: str) -> np.random.Generator:
        """A fresh generator for the named stream."""
        return generator(self.seed, self.replication, name)

    def draws(self, name: str, distribution: Distribution, scale: float = 1.0) -> Draws:
        """Block-drawn variates of a distribution on the named stream."""
        return Draws(distribution, self.generator(name), scale)

    def uniforms(self, name: str) -> Uniforms:
        """Block-drawn uniforms on the named stream."""
        return Uniforms(self.generator(name))
