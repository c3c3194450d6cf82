"""The text stored of a failure (webhook deliveries, outbox rows, bulk jobs): never the values it failed on."""

from __future__ import annotations

MAX_LENGTH = 2000


def error_text(error: BaseException) -> str:
    """``Type: first line of the message``.

    The engine hides SQLAlchemy's ``[parameters: …]`` (``hide_parameters``), but the driver's
    own message goes on with lines that repeat values: PostgreSQL's ``DETAIL:  Key
    (email)=(…) already exists`` for a unique violation, ``Failing row contains (…)`` for a
    check. The first line names the error and the constraint, never a value."""
    lines = str(error).strip().splitlines()
    name = type(error).__name__
    return f"{name}: {lines[0].strip()}"[:MAX_LENGTH] if lines else name
