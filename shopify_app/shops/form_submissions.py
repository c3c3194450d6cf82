"""How long the admin's used form tokens are kept: past that, a form that old could be sent once more."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.models import FormSubmission

# Far longer than any admin page stays open (a session token lasts a minute; a page, a working day).
FORM_TOKEN_RETENTION = dt.timedelta(days=7)


def forget_old_form_tokens(session: Session, *, now: dt.datetime | None = None) -> int:
    cutoff = (now or utcnow()) - FORM_TOKEN_RETENTION
    statement = delete(FormSubmission).where(FormSubmission.submitted_at < cutoff)
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount
