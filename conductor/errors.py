"""Errors a user can act on: bad scenario input, bad command-line values."""

from __future__ import annotations


class ConductorError(Exception):
    """Base of every error conductor raises on purpose."""


class ScenarioError(ConductorError):
    """A scenario (or override) that cannot be accepted, located by file and key path.

    `more` holds further mistakes found in the same file (each a ScenarioError), so that
    one pass reports them all; `hidden` counts those left out past the reporting limit.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        path: str | None = None,
        more: tuple[ScenarioError, ...] = (),
        hidden: int = 0,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.path = path
        self.more = tuple(more)
        self.hidden = hidden

    def located(self, *, file: str | None = None, path: str | None = None) -> ScenarioError:
        """Return a copy with the file and/or key path filled in where unknown."""
        return ScenarioError(
            self.message,
            file=self.file or file,
            path=self.path or path,
            more=tuple(e.located(file=file) for e in self.more),
            hidden=self.hidden,
        )

    def lines(self) -> list[str]:
        """This error and every further one, one line each."""
        lines = [str(self), *(str(e) for e in self.more)]
        if self.hidden:
            where = f"{self.file}: " if self.file else ""
            lines.append(f"{where}{self.hidden} more error{'s' if self.hidden > 1 else ''}")
        return lines

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.path) if p]
        return ": ".join([*parts, self.message])


class TraceError(ScenarioError):
    """A trace or config file that cannot be read, located by file and key path (or line)."""
