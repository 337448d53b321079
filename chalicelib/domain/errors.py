"""Errors the domain raises. The API maps each to one HTTP status (api/http.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a rule of the city's process was not met."""


class InvalidReport(DomainError):
    """A report's content breaks a rule (unknown category, unreadable photo...).

    ``problems`` is a list of ``(field, message)`` pairs, field in dotted form.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


class IllegalTransition(DomainError):
    """The lifecycle has no such edge from the case's current state."""


class ConcurrentUpdate(DomainError):
    """Someone else changed the case first; carries the version now stored."""

    def __init__(self, current_version: int | None):
        self.current_version = current_version
        super().__init__(f"the case was changed by someone else (now at version {current_version})")
