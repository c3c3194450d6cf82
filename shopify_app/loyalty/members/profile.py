"""What a merchant edits on a member: their birthday and their anniversary."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from shopify_app.loyalty.ledger.effects import enqueue_customer_sync, record_activity
from shopify_app.models import Customer


def set_birthday(session: Session, customer: Customer, birthday: dt.date | None) -> None:
    """The customer's date of birth (None clears it); the birthday rule reads it once a year. The
    activity row does not repeat the date: customers/redact erases it from the member alone."""
    if customer.date_of_birth == birthday:
        return
    customer.date_of_birth = birthday
    record_activity(session, customer, kind="birthday_changed",
                    message="Birthday cleared" if birthday is None else "Birthday set", data={})
    enqueue_customer_sync(session, customer, reason="birthday_changed")


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
