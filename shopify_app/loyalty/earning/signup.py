"""Sign-up points: a new Shopify customer is enrolled and earns each active sign-up rule once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from shopify_app.errors import Conflict
from shopify_app.loyalty.ledger.postings import earn
from shopify_app.loyalty.members.enrolment import ShopifyCustomer, enrol
from shopify_app.loyalty.program.rules import active_rules
from shopify_app.models import Customer, Shop
from shopify_app.models.earning_rule import RuleCategory


def customer_created(session: Session, shop: Shop, created: ShopifyCustomer, *,
                     now: dt.datetime | None = None) -> Customer | None:
    """customers/create (or an enrolment through the API): enrol, then each active sign-up rule's points,
    once per customer. None for a customer erased by customers/redact."""
    customer = enrol(session, shop, created, now=now)
    if customer is None:
        return None
    customer.shopify_created_at = customer.shopify_created_at or created.created_at
    if customer.is_excluded:
        return customer
    for rule in active_rules(session, shop.id, RuleCategory.SIGNUP):
        try:
            earn(session, shop=shop, customer=customer, rule=rule, base_points=rule.points_to_give,
                 dedupe_key=f"signup:{rule.id}", now=now)
        except Conflict:
            pass  # the sign-up was rewarded by an earlier delivery of this event
    return customer
