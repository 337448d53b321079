"""Errors the domain raises. The API maps each to one HTTP status (api/http.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a rule of the city's process was not met."""


class InvalidInput(DomainError):
    """Input fails validation; ``problems`` is a list of ``(field, message)``
    pairs, field in dotted form. Answered with 422 and one detail per field."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


class InvalidReport(InvalidInput):
    """A report's content breaks a rule (unknown category, unreadable photo...)."""


class OutsideServiceArea(InvalidReport):
    """The report's place is outside DKI Jakarta and the buffer around it
    (``AreaIndex.serves``). Answered 422 ``outside_service_area`` where the
    channel can answer (Open311: its own 400); messaging senders get a notice."""

    def __init__(self, lat: float, lng: float):
        self.lat, self.lng = lat, lng
        super().__init__([("location", f"{lat}, {lng} is outside DKI Jakarta, the area this service covers")])


class IllegalTransition(DomainError):
    """The lifecycle has no such edge from the case's current state."""


class ConcurrentUpdate(DomainError):
    """Someone else changed the case first; carries the version now stored."""

    def __init__(self, current_version: int | None):
        self.current_version = current_version
        super().__init__(f"the case was changed by someone else (now at version {current_version})")


class RuleViolation(DomainError):
    """The request breaks a rule of the process (no reason given, a date in the
    past, delegation up the tree...). The client can fix it: 422."""


class Forbidden(DomainError):
    """This person may not do this to this case (role or agency scope): 403."""
