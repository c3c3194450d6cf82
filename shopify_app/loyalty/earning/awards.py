"""Awarding a social or engagement rule (the API's award, the storefront's claim of a self-reported one);
a shopper's ways to earn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shopify_app.errors import Forbidden, NotFound, Unprocessable, quote
from shopify_app.loyalty.ledger.postings import earn
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.loyalty.program.rules import active_rules, is_self_reported
from shopify_app.models import Customer, EarningEntry, EarningRule, Shop
from shopify_app.models.earning_rule import AWARDABLE_CATEGORIES

# Built once, at import: on the award's hot path, building a statement costs more CPU than
# running it (docs/architecture.md, "Hot-path statements").
_SHOP_RULE = select(EarningRule).where(EarningRule.shop_id == bindparam("shop"), EarningRule.id == bindparam("rule"))


@dataclass(frozen=True)
class WayToEarn:
    rule: EarningRule
    # The status of this customer's entry for the rule; None when not done or anonymous.
    entry_status: str | None


def award_rule(
    session: Session, shop: Shop, rule_id: str, customer: Customer | str, *, now: dt.datetime | None = None,
    claimed: bool = False,
) -> EarningEntry:
    """Award ``rule_id`` once to a customer (object or identifier), checking in contract order:
    rule (404), customer (404), exclusion (403), category (422), once only (409).

    ``claimed``: the shopper asks from the storefront, which only a self-reported action allows (422);
    the API's award is the merchant's server, which may vouch for a verified one."""
    # No rule id holds a NUL, and PostgreSQL refuses one in a query parameter.
    rule = None if "\x00" in rule_id else session.scalar(_SHOP_RULE, {"shop": shop.id, "rule": rule_id})
    if rule is None or not rule.is_active:
        raise NotFound(f"Earning rule '{quote(rule_id)}' not found")
    if isinstance(customer, str):
        customer = find_customer(session, shop.id, customer)
    if customer.is_excluded:
        raise Forbidden(f"Customer '{customer.shopify_customer_id}' is excluded from the loyalty program")
    if rule.category not in AWARDABLE_CATEGORIES:
        raise Unprocessable(
            f"Earning rule '{rule_id}' is a {rule.category} rule; only social and engagement rules can be awarded"
        )
    if claimed and not is_self_reported(rule.action):
        raise Unprocessable(
            f"Earning rule '{rule_id}' is verified by the store ({rule.action}): its points come when it happens, "
            "not from a claim"
        )
    return earn(
        session, shop=shop, customer=customer, rule=rule, base_points=rule.points_to_give,
        dedupe_key=rule_dedupe_key(rule.id), now=now,
    )


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
