"""What a merchant edits on a member beside the birthday (members.birthdays): the anniversary."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from shopify_app.loyalty.ledger.effects import record_activity
from shopify_app.models import Customer


def set_anniversary(session: Session, customer: Customer, anniversary: dt.date | None) -> None:
    """The anniversary is the UTC date the Shopify account was created; setting it moves that date
    (to midnight UTC), so the anniversary rule and the API read the one date."""
    created = dt.datetime.combine(anniversary, dt.time(), tzinfo=dt.UTC) if anniversary is not None else None
    current = customer.shopify_created_at
    if (current.astimezone(dt.UTC).date() if current else None) == anniversary:
        return
    customer.shopify_created_at = created
    record_activity(session, customer, kind="anniversary_changed",
                    message="Anniversary cleared" if anniversary is None else "Anniversary set", data={})
