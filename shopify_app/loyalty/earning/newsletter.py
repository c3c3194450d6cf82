"""Newsletter points: earned when Shopify reports the customer's email-marketing consent as subscribed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from shopify_app.errors import Conflict
from shopify_app.loyalty.earning.awards import rule_dedupe_key
from shopify_app.loyalty.earning.commands import EmailConsentUpdated
from shopify_app.loyalty.ledger.postings import earn
from shopify_app.loyalty.members.enrolment import ShopifyCustomer, enrol
from shopify_app.loyalty.program.rules import active_rules
from shopify_app.models import Shop

NEWSLETTER = "join_newsletter"
# A double opt-in is "pending" until the customer confirms: not subscribed yet.
SUBSCRIBED = "subscribed"


def consent_updated(
    session: Session, shop: Shop, update: EmailConsentUpdated, *, now: dt.datetime | None = None
) -> None:
    """Each active newsletter rule's points once a customer is subscribed, once per customer ever:
    unsubscribing and subscribing again earns nothing more."""
    if update.state != SUBSCRIBED:
        return
    rules = [rule for rule in active_rules(session, shop.id) if rule.action == NEWSLETTER]
    if not rules:
        return
    # The consent may come before customers/create: the member is enrolled on first sight.
    customer = enrol(session, shop, ShopifyCustomer(id=update.customer_id, email=update.email), now=now)
    if customer is None or customer.is_excluded:
        return
    for rule in rules:
        try:
            # The rule's own key, as a claim would use: the storefront shows it done.
            earn(session, shop=shop, customer=customer, rule=rule, base_points=rule.points_to_give,
                 dedupe_key=rule_dedupe_key(rule.id), now=now)
        except Conflict:
            pass  # subscribed before (or this event was delivered before)
