"""A member's birthday: set once freely, then changed at most once a year, so it cannot be moved to farm points."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.db import hold_write_lock
from shopify_app.errors import BadRequest, Conflict
from shopify_app.loyalty.ledger.effects import enqueue_customer_sync, record_activity
from shopify_app.loyalty.members.summary import Member
from shopify_app.models import Customer

CHANGE_INTERVAL = dt.timedelta(days=365)
EARLIEST_YEAR = 1900
# A birthday given without its year is stored in this year: a leap year, so 29 February fits,
# and one no real birth year can be (those start at EARLIEST_YEAR).
NO_YEAR = 4


@dataclass(frozen=True)
class Birthday:
    """A day and month, with the year when the member gave it."""

    day: int
    month: int
    year: int | None = None

    @classmethod
    def of(cls, day: int, month: int, year: int | None, *, today: dt.date) -> Birthday:
        """The birthday, or BadRequest when no such date exists or it is not in the past."""
        try:
            date = dt.date(year if year is not None else NO_YEAR, month, day)
        except (ValueError, OverflowError):
            given = f"{day}/{month}" if year is None else f"{day}/{month}/{year}"
            raise BadRequest(f"{given} (day/month/year) is not a date") from None
        if year is not None and not (year >= EARLIEST_YEAR and date <= today):
            raise BadRequest(f"A date of birth must be from {EARLIEST_YEAR} to today")
        return cls(day, month, year)

    @classmethod
    def stored(cls, date: dt.date) -> Birthday:
        return cls(date.day, date.month, None if date.year == NO_YEAR else date.year)

    def as_date(self) -> dt.date:
        """What ``customers.date_of_birth`` holds: the date, in NO_YEAR when the year is unknown."""
        return dt.date(self.year if self.year is not None else NO_YEAR, self.month, self.day)

    def isoformat(self) -> str:
        """ISO 8601: ``1990-05-17``, or ``--05-17`` without the year."""
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}" if self.year is not None else (
            f"--{self.month:02d}-{self.day:02d}")


def birthday_of(customer: Customer | Member) -> Birthday | None:
    return Birthday.stored(customer.date_of_birth) if customer.date_of_birth else None


def set_birthday(session: Session, customer: Customer, birthday: Birthday | None, now: dt.datetime) -> None:
    """Set the member's birthday: free the first time; afterwards a change is refused (Conflict,
    the stored date kept) within CHANGE_INTERVAL of the previous change. The same date again is no change.
    None clears it (the merchant's API may): a change like any other, so clearing cannot reset the interval."""
    # Locked and read afresh: two changes at once would both find no recent change. The shop
    # routes the locking read to one shard on Citus.
    hold_write_lock(session)
    session.execute(select(Customer).where(Customer.id == customer.id, Customer.shop_id == customer.shop_id)
                    .with_for_update()
                    .execution_options(populate_existing=True))
    date = birthday.as_date() if birthday is not None else None
    if customer.date_of_birth == date:
        return
    if customer.date_of_birth is not None:
        changed = customer.date_of_birth_changed_at
        if changed is not None and now - changed < CHANGE_INTERVAL:
            allowed = (changed + CHANGE_INTERVAL).date().isoformat()
            raise Conflict(f"The date of birth was changed on {changed.date().isoformat()}; "
                           f"it can be changed again from {allowed}")
        customer.date_of_birth_changed_at = now
    customer.date_of_birth = date
    session.flush()  # what the next call's locked refresh reads
    # The activity row does not repeat the date: customers/redact erases it from the member alone.
    record_activity(session, customer, kind="birthday_changed",
                    message="Birthday cleared" if date is None else "Birthday set", data={})
    enqueue_customer_sync(session, customer, reason="birthday_changed")
