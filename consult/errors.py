"""Domain errors raised by services; views turn them into messages or HTTP statuses."""


class DomainError(Exception):
    """A refused action; `str()` is a message for the person who tried it."""

    status = 400


class NotAllowed(DomainError):
    """The actor may not do this (HTTP 403)."""

    status = 403


class NotFound(DomainError):
    """The subject does not exist or may not be seen (HTTP 404)."""

    status = 404


class Conflict(DomainError):
    """The subject changed state meanwhile (HTTP 409)."""

    status = 409


class Invalid(DomainError):
    """The input was refused; the message says why, `field` names the input at fault."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
