"""Errors a user can act on: bad scenario input, bad command-line values."""

from __future__ import annotations


class ConductorError(Exception):
    """Base of every error conductor raises on purpose."""


class ScenarioError(ConductorError):
    """A scenario (or override) that cannot be accepted, located by file and key path."""

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.path = path

    def located(self, *, file: str | None = None, path: str | None = None) -> ScenarioError:
        """Return a copy with the file and/or key path filled in where unknown."""
        return ScenarioError(self.message, file=self.file or file, path=self.path or path)

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.path) if p]
        return ": ".join([*parts, self.message])


class TraceError(ScenarioError):
    """A trace or config file that cannot be read, located by file and key path (or line)."""
