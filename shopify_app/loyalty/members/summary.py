"""A member's summary, the one read model of the storefront, the API, the metafield and vendor sync and the
admin: balances, points waiting for approval, the current and next tier, the next expiry and what expires
then, read in one statement as Core rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from shopify_app.clock import utcnow
from shopify_app.loyalty.members.lookup import BY_EMAIL, BY_SHOPIFY_ID, customer_not_found, parse_identifier
from shopify_app.models import Customer, EarningEntry, EntryStatus, VipTier
from shopify_app.models.customer import loyalty_status, oldest_first
from shopify_app.portable_sql import dialect_name, execute_compiled, first_on_driver


@dataclass(frozen=True)
class TierSummary:
    """A tier as the summary reads it."""

    id: str
    name: str
    points_required: int
    points_multiplier: Decimal
    badge_color: str


@dataclass(frozen=True)
class Member:
    """The customer's own columns that the summary's readers show (its key and shop are the caller's already)."""

    shopify_customer_id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    is_excluded: bool
    current_points: int
    lifetime_points: int
    redeemed_points: int
    date_of_birth: dt.date | None
    sync_version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def loyalty_status(self) -> str:
        return loyalty_status(self.is_excluded)


@dataclass(frozen=True)
class CustomerSummary:
    member: Member
    current_tier: TierSummary | None
    next_tier: TierSummary | None
    pending_points: int
    points_expire_at: dt.datetime | None  # the next time unspent points expire
    points_expiring: int  # how many expire then

    @property
    def points_to_next_tier(self) -> int | None:
        if self.next_tier is None:
            return None
        return max(self.next_tier.points_required - self.member.lifetime_points, 0)


def expiring_lots(now: ColumnElement[Any] | dt.datetime) -> ColumnElement[bool]:
    """Lots that still hold points and have not expired yet: the only ones a next expiry is read from."""
    return and_(EarningEntry.points_remaining > 0, EarningEntry.points_expiry_at > now)


_MEMBER_COLUMNS = [Customer.__table__.c[name] for name in Member.__dataclass_fields__]
_TIER_COLUMNS = list(TierSummary.__dataclass_fields__)
# Where each part of the summary's row begins: the member's columns, each tier's, then the ledger's figures.
_CURRENT_TIER = len(_MEMBER_COLUMNS)
_NEXT_TIER = _CURRENT_TIER + len(_TIER_COLUMNS)
_FIGURES = _NEXT_TIER + len(_TIER_COLUMNS)


def _statement() -> Select[Any]:
    """The summary of the customers the caller's WHERE names: their row, both tiers joined, and the
    ledger's figures as correlated scalar subqueries (no LATERAL, so SQLite runs it as PostgreSQL does)."""
    current, following = aliased(VipTier, name="current_tier"), aliased(VipTier, name="next_tier")
    mine = and_(EarningEntry.shop_id == Customer.shop_id, EarningEntry.customer_id == Customer.id)
    expiring = expiring_lots(bindparam("now", type_=EarningEntry.points_expiry_at.type))
    # Each correlated to the customer alone: the next expiry nests in the sum of what expires then.
    pending = (select(func.coalesce(func.sum(EarningEntry.points), 0))
               .where(mine, EarningEntry.status == EntryStatus.PENDING.value).correlate(Customer).scalar_subquery())
    next_expiry = (select(func.min(EarningEntry.points_expiry_at)).where(mine, expiring)
                   .correlate(Customer).scalar_subquery())
    expiring_then = (select(func.coalesce(func.sum(EarningEntry.points_remaining), 0))
                     .where(mine, expiring, EarningEntry.points_expiry_at == next_expiry)
                     .correlate(Customer).scalar_subquery())
    # The lowest tier of the shop that the customer's lifetime points do not reach yet.
    next_tier_id = (select(VipTier.id)
                    .where(VipTier.shop_id == Customer.shop_id, VipTier.points_required > Customer.lifetime_points)
                    .order_by(VipTier.points_required).limit(1).scalar_subquery())
    return (
        select(*_MEMBER_COLUMNS,
               *(getattr(current, name).label(f"current_{name}") for name in _TIER_COLUMNS),
               *(getattr(following, name).label(f"next_{name}") for name in _TIER_COLUMNS),
               pending.label("pending_points"), next_expiry.label("points_expire_at"),
               expiring_then.label("points_expiring"))
        .select_from(Customer)
        .outerjoin(current, and_(current.shop_id == Customer.shop_id, current.id == Customer.vip_tier_id))
        .outerjoin(following, and_(following.shop_id == Customer.shop_id, following.id == next_tier_id))
        .where(Customer.shop_id == bindparam("shop"))
    )


# Built once, at import (docs/architecture.md, "Hot-path statements"): one per way of naming a customer.
SUMMARIES = {
    "id": _statement().where(Customer.id == bindparam("value")),
    BY_SHOPIFY_ID: _statement().where(Customer.shopify_customer_id == bindparam("value")).limit(1),
    BY_EMAIL: _statement().where(Customer.email_normalized == bindparam("value"))
    .order_by(*oldest_first(Customer.__table__)).limit(1),
}


def member_summary(on: Session | Connection, shop_id: str, identifier: str, *,
                   now: dt.datetime | None = None) -> CustomerSummary:
    """The summary of the shop's customer named by a Shopify customer id (plain or GID) or an email, in one
    statement, on a session or a connection (``db.lone_statement_connection``); NotFound as
    ``lookup.find_customer`` says it."""
    kind, value = parse_identifier(identifier)
    summary = _read(on, kind, shop_id, value, now)
    if summary is None:
        raise customer_not_found(identifier)
    return summary


def summarize(session: Session, customer: Customer, *, now: dt.datetime | None = None) -> CustomerSummary:
    """The summary of a customer the caller holds, read afresh (what the session has flushed) in one statement."""
    summary = _read(session, "id", customer.shop_id, customer.id, now)
    assert summary is not None, "a customer the session holds has a row"
    return summary


def _read(on: Session | Connection, kind: str, shop_id: str, value: str,
          now: dt.datetime | None) -> CustomerSummary | None:
    if isinstance(on, Session):
        on.flush()  # what the session holds is read, as the ORM's execution would have flushed it
    parameters = {"shop": shop_id, "value": value, "now": now or utcnow()}
    row = (first_on_driver(on, SUMMARIES[kind], parameters) if dialect_name(on) == "postgresql"
           else execute_compiled(on, SUMMARIES[kind], parameters).first())
    if row is None:
        return None
    # By position, as the statement selects them: the row's mapping and a dict per tier cost more than the read.
    pending_points, points_expire_at, points_expiring = row[_FIGURES:]
    return CustomerSummary(
        member=Member(*row[:_CURRENT_TIER]),
        current_tier=_tier(row[_CURRENT_TIER:_NEXT_TIER]),
        next_tier=_tier(row[_NEXT_TIER:_FIGURES]),
        pending_points=int(pending_points),
        points_expire_at=points_expire_at,
        points_expiring=int(points_expiring),
    )


def _tier(values: Sequence[Any]) -> TierSummary | None:
    """A joined tier's columns, all NULL when the outer join found none."""
    return None if values[0] is None else TierSummary(*values)


def next_expiries(session: Session, customers: list[Customer], *,
                  now: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """The summaries' next expiry of a page of customers in one statement, by customer id (a customer
    without expiring points is absent)."""
    if not customers:
        return {}
    rows = session.execute(
        select(EarningEntry.customer_id, func.min(EarningEntry.points_expiry_at))
        .where(EarningEntry.customer_id.in_([c.id for c in customers]), expiring_lots(now or utcnow()))
        .group_by(EarningEntry.customer_id)
    )
    return {customer_id: expire_at for customer_id, expire_at in rows}
