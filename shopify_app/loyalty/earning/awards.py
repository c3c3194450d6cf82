"""Awarding a social or engagement rule (the API's award, the storefront's claim of a self-reported one);
a shopper's ways to earn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Connection, FromClause, and_, bindparam, literal, not_, or_, select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import Conflict, Forbidden, NotFound, Unprocessable, quote
from shopify_app.loyalty.ledger.postings import earning, earning_candidate, entry_of, expiry_for, post_earning
from shopify_app.loyalty.members.lookup import customer_filter, customer_not_found, read_identifier
from shopify_app.loyalty.program.rules import SELF_REPORTED_ACTIONS, active_rules
from shopify_app.models import Customer, EarningEntry, EarningRule, Shop
from shopify_app.models.earning_rule import AWARDABLE_CATEGORIES


@dataclass(frozen=True)
class WayToEarn:
    rule: EarningRule
    # The status of this customer's entry for the rule; None when not done or anonymous.
    entry_status: str | None


def _awardable(rule: FromClause, member: FromClause) -> ColumnElement[bool]:
    """What the award checks after finding the rule and the customer (``award_rule``)."""
    return and_(
        rule.c.is_active, not_(member.c.is_excluded), rule.c.category.in_(_literals(AWARDABLE_CATEGORIES)),
        or_(not_(bindparam("claimed", type_=Boolean)), rule.c.action.in_(_literals(SELF_REPORTED_ACTIONS))),
    )


def _literals(values: frozenset[str]) -> list[ColumnElement[str]]:
    """An IN list of the statement's own (``compiled_once`` keeps no expanding parameter)."""
    return [literal(value) for value in sorted(values)]


RULE_ID_LENGTH: int = EarningRule.__table__.c.id.type.length  # type: ignore[attr-defined]

# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements"). One per way of naming the customer.
AWARD_STATEMENTS = {
    kind: earning(earning_candidate(picks, allowed=_awardable))
    for kind, picks in (
        ("shopify_id", customer_filter("shopify_id")), ("email", customer_filter("email")),
        ("id", lambda customers: customers.c.id == bindparam("value")),
    )
}


def award_rule(
    on: Session | Connection, shop: Shop, rule_id: str, customer: Customer | str, *, now: dt.datetime | None = None,
    claimed: bool = False,
) -> EarningEntry:
    """``awarded``'s entry, as an object outside any session."""
    return entry_of(awarded(on, shop, rule_id, customer, now=now, claimed=claimed))


def awarded(
    on: Session | Connection, shop: Shop, rule_id: str, customer: Customer | str, *, now: dt.datetime | None = None,
    claimed: bool = False,
) -> Mapping[str, Any]:
    """Award ``rule_id`` once to a customer (object or identifier), on a session or a connection
    (``db.lone_statement_connection``), checking in contract order:
    rule (404), customer (404), exclusion (403), category (422), once only (409). On PostgreSQL the
    checks and every write are one statement; nothing is written when a check fails.

    ``claimed``: the shopper asks from the storefront, which only a self-reported action allows (422);
    the API's award is the merchant's server, which may vouch for a verified one.

    The entry comes as the statement's row (``post_earning``'s), which an answer reads as it would
    the entry: no ORM object to build on the API's hot path."""
    # No rule id holds a NUL (PostgreSQL refuses one in a query parameter) or runs past the id column
    # (the statement's parameters are typed by their columns, and PostgreSQL refuses a longer value).
    if "\x00" in rule_id or len(rule_id) > RULE_ID_LENGTH:
        raise NotFound(f"Earning rule '{quote(rule_id)}' not found")
    if isinstance(customer, str):
        kind, value = read_identifier(customer)
    else:
        kind, value = "id", customer.id
    row = post_earning(on, AWARD_STATEMENTS[kind], award_parameters(shop, rule_id, value, now or utcnow(),
                                                                    claimed=claimed))
    if row["rule"] is None or not row["rule_active"]:
        raise NotFound(f"Earning rule '{quote(rule_id)}' not found")
    if row["customer"] is None:
        raise customer_not_found(customer if isinstance(customer, str) else customer.shopify_customer_id)
    if row["is_excluded"]:
        raise Forbidden(f"Customer '{row['shopify_customer_id']}' is excluded from the loyalty program")
    if row["category"] not in AWARDABLE_CATEGORIES:
        raise Unprocessable(
            f"Earning rule '{rule_id}' is a {row['category']} rule; only social and engagement rules can be awarded"
        )
    if claimed and row["rule_action"] not in SELF_REPORTED_ACTIONS:
        raise Unprocessable(
            f"Earning rule '{rule_id}' is verified by the store ({row['rule_action']}): its points come when it "
            "happens, not from a claim"
        )
    if row["id"] is None:
        raise Conflict(f"Customer '{row['shopify_customer_id']}' already earned points for rule '{rule_id}'")
    return row


def award_parameters(shop: Shop, rule_id: str, value: str | None, now: dt.datetime, *,
                     claimed: bool) -> dict[str, Any]:
    """What an ``AWARD_STATEMENTS`` statement is given, but the ids of the rows it writes (``post_earning``'s)."""
    return {"shop": shop.id, "rule": rule_id, "value": value, "claimed": claimed,
            "dedupe_key": rule_dedupe_key(rule_id), "now": now, "expiry_at": expiry_for(shop, now),
            "order_id": None, "order_number": None}


def rule_dedupe_key(rule_id: str) -> str:
    """The ledger key that makes a rule count once per customer."""
    return f"rule:{rule_id}"


def ways_to_earn(session: Session, shop_id: str, customer: Customer | None) -> list[WayToEarn]:
    """The shop's active rules, each with the customer's completion state when one is known."""
    rules = active_rules(session, shop_id)
    statuses: dict[str, str] = {}
    if customer is not None and rules:
        statuses = {
            rule_id: status
            for rule_id, status in session.execute(
                select(EarningEntry.earning_rule_id, EarningEntry.status).where(
                    EarningEntry.customer_id == customer.id,
                    EarningEntry.dedupe_key.in_([rule_dedupe_key(rule.id) for rule in rules]),
                )
            )
            if rule_id is not None
        }
    return [WayToEarn(rule=rule, entry_status=statuses.get(rule.id)) for rule in rules]
