"""Domain exceptions; each carries the one HTTP status it maps to."""

from __future__ import annotations

# An error detail quotes at most this much of what the client sent.
QUOTE_LIMIT = 200


def quote(value: str) -> str:
    """What the client sent, cut to QUOTE_LIMIT characters for an error detail."""
    return value if len(value) <= QUOTE_LIMIT else value[:QUOTE_LIMIT] + "…"


class DomainError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(DomainError):
    status = 400
    title = "Bad Request"


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not Found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported Media Type"


class ServiceUnavailable(DomainError):
    """A service the answer depends on (Shopify) could not be reached or refused: nothing changed."""

    status = 503
    title = "Service Unavailable"


class Unprocessable(DomainError):
    status = 422
    title = "Unprocessable Entity"


class FormErrors(Unprocessable):
    """422 with one message per field, shown inline next to each field."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields

