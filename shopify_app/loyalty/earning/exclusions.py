"""What a purchase rule earns on: the order less gift cards and the rule's excluded products,
collections, customer tags and B2B orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shopify_app.loyalty.earning.commands import OrderPaid
from shopify_app.models import EarningRule


@dataclass(frozen=True)
class EarningBasis:
    """The amount a rule's points are counted on, and the order lines it counts (None: the order
    listed none, so all of it counts)."""

    amount: Decimal
    lines: frozenset[str] | None

    def as_json(self) -> dict[str, object]:
        return {"basis": str(self.amount), "lines": sorted(self.lines) if self.lines is not None else None}


def excludes_order(rule: EarningRule, order: OrderPaid) -> bool:
    """Whether the rule gives nothing for the whole order: a B2B order, or a customer tag it excludes."""
    if rule.exclude_b2b and order.b2b:
        return True
    excluded_tags = {tag.casefold() for tag in rule.excluded_customer_tags or ()}
    return any(tag.casefold() in excluded_tags for tag in order.customer_tags)


def earning_basis(rule: EarningRule, order: OrderPaid, order_basis: Decimal) -> EarningBasis:
    """The eligible lines' share of ``order_basis`` (the discounted subtotal): a line earns unless
    it is a gift card (whose spending earns later) or its product is excluded, by id or collection."""
    if not order.lines:
        return EarningBasis(order_basis, None)
    excluded = set(rule.excluded_product_ids or ()) | set(rule.collection_product_ids or ())
    eligible = [line for line in order.lines if not line.gift_card and line.product_id not in excluded]
    total = sum((line.value for line in order.lines), Decimal(0))
    share = sum((line.value for line in eligible), Decimal(0)) / total if total > 0 else (
        Decimal(len(eligible)) / len(order.lines))
    amount = (order_basis * share).quantize(Decimal("0.01"))
    return EarningBasis(amount, frozenset(line.id for line in eligible))
