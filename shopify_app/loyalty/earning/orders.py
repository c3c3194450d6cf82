"""Purchase points from paid orders, taken back on refunds and cancellations.

Each event of an order is recorded once (the paid order, each refund by its id), under a
lock on the order's row, and the ledger is then brought in line with what is recorded. So
repeats change nothing and events may come in any order: a refund that comes before its paid
order waits on the order row and is applied when the order is paid."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, String, TextualSelect, bindparam, func, select, text
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.errors import Conflict
from shopify_app.ids import new_id
from shopify_app.loyalty.earning.commands import OrderCancelled, OrderPaid, OrderRefunded, Refund
from shopify_app.loyalty.earning.exclusions import earning_basis, excludes_order
from shopify_app.loyalty.ledger import effects, postings
from shopify_app.loyalty.members.enrolment import enrol
from shopify_app.loyalty.program.rules import active_rules
from shopify_app.models import Customer, EarningEntry, EarningRule, EntryStatus, OrderRefund, Shop, ShopifyOrder
from shopify_app.models.earning_rule import RuleCategory
from shopify_app.upserts import insert_new


def points_basis(order: OrderPaid) -> Decimal:
    """``subtotal_price``: the order's price after discounts, before shipping and taxes; when the
    shop's prices include tax (``taxes_included``) ``total_tax`` is taken off as well."""
    basis = order.subtotal_price
    if order.taxes_included:
        basis -= order.total_tax or Decimal(0)
    return max(basis, Decimal(0))


def refund_amount(refund: Refund) -> Decimal:
    """What a refund gives back of the points basis: its line items' ``subtotal`` (shipping and
    tax refunds are not part of the basis); a refund with no line items counts its successful
    refund transactions."""
    if refund.lines:
        return sum((line.subtotal for line in refund.lines), Decimal(0))
    return sum(
        (t.amount for t in refund.transactions if t.kind == "refund" and t.status == "success"),
        Decimal(0),
    )


@dataclass(frozen=True)
class _Purchase:
    """What a paid order earns under the shop's purchase rules: each counted rule's basis (what refunds
    reverse against) and the points of each rule that gives some."""

    bases: dict[str, object]
    points: list[tuple[EarningRule, int]]


def order_paid(session: Session, shop: Shop, paid: OrderPaid, *, now: dt.datetime | None = None) -> None:
    """orders/paid: enrol the customer and give each active purchase rule's points, once per order."""
    orders_paid(session, shop, [paid], now=now)


def orders_paid(session: Session, shop: Shop, paid: Sequence[OrderPaid], *, now: dt.datetime | None = None) -> None:
    """``order_paid`` for many orders of one shop, each as alone: the purchase rules read once and the
    orders created or locked in one upsert; an order named twice is applied again after, as a repeat."""
    now = now or utcnow()
    batch: dict[str, OrderPaid] = {}
    repeats = []
    for one in paid:
        if batch.setdefault(one.id, one) is not one:
            repeats.append(one)
    rules = active_rules(session, shop.id, RuleCategory.PURCHASE) if any(o.customer for o in batch.values()) else []
    purchases = {key: _purchase(rules, one) if one.customer else _Purchase({}, []) for key, one in batch.items()}
    locked = _locked_orders(session, shop, {key: _paid_values(one, purchases[key], now) for key, one in batch.items()})
    for key, one in batch.items():
        order, paid_now = locked[key]
        _apply_paid(session, shop, order, paid_now, one, purchases[key], now)
    if repeats:
        orders_paid(session, shop, repeats, now=now)


def _apply_paid(session: Session, shop: Shop, order: ShopifyOrder, paid_now: bool, paid: OrderPaid,
                purchase: _Purchase, now: dt.datetime) -> None:
    if paid_now:
        _earn_new_order(session, shop, order, paid, purchase, now)
        if not paid.refunds:
            return  # an order this statement created has no refunds recorded nor a cancellation to settle
    elif order.paid_at is None:
        # The order's changes go out in one UPDATE, at the next query after the earning, rather
        # than one per query in between. (Not over the refunds: reversals re-read lots they changed.)
        with session.no_autoflush:
            _earn_order(session, shop, order, paid, purchase, now)
    _record_refunds(session, order, paid.refunds)
    _settle(session, order, now)


def _purchase(rules: list[EarningRule], paid: OrderPaid) -> _Purchase:
    bases: dict[str, object] = {}
    points: list[tuple[EarningRule, int]] = []
    for rule in rules:
        if excludes_order(rule, paid):
            continue
        basis = earning_basis(rule, paid, points_basis(paid))
        bases[rule.id] = basis.as_json()
        given = math.floor(basis.amount) * rule.points_to_give
        if given > 0:
            points.append((rule, given))
    return _Purchase(bases, points)


def _earn_new_order(session: Session, shop: Shop, order: ShopifyOrder, paid: OrderPaid, purchase: _Purchase,
                    now: dt.datetime) -> None:
    """The earning of an order created paid (its row already says so): a known member's points
    each in one statement that finds the member; anyone else enrolled first."""
    if paid.customer is None:
        return
    for rule, points in purchase.points:
        row = postings.post_earning(session, _EARN_BY_SHOPIFY_ID, {
            "shop": shop.id, "rule": rule.id, "value": paid.customer.id, "base_points": points,
            "dedupe_key": _dedupe_key(order, rule), "now": now, "expiry_at": postings.expiry_for(shop, now),
            "order_id": order.shopify_order_id, "order_number": order.order_number,
        })
        if row["customer"] is None:
            break  # not a member yet (nothing written): enrolled below
        if row["is_excluded"]:
            order.earning_bases = {}  # an excluded member's order earns nothing for refunds to reverse
            return
    else:
        if purchase.points:
            return
    customer = enrol(session, shop, paid.customer, now=now)
    if customer is None:  # erased by customers/redact: no member, nothing earned
        order.shopify_customer_id = None
        order.earning_bases = {}
    elif customer.is_excluded:
        order.earning_bases = {}
    else:
        _earn_purchase_points(session, shop, customer, order, purchase, now)


def _earn_order(session: Session, shop: Shop, order: ShopifyOrder, paid: OrderPaid, purchase: _Purchase,
                now: dt.datetime) -> None:
    order.paid_at = now
    order.order_number = _order_number(paid)
    order.points_basis = points_basis(paid)
    # No customer for a guest order, nor for one erased by customers/redact: it earns nothing.
    customer = enrol(session, shop, paid.customer, now=now) if paid.customer else None
    if customer is not None:
        order.shopify_customer_id = customer.shopify_customer_id
        if not customer.is_excluded:
            order.earning_bases = purchase.bases  # what refunds reverse against
            _earn_purchase_points(session, shop, customer, order, purchase, now)


def _order_number(paid: OrderPaid) -> str | None:
    return str(paid.name or paid.order_number or "")[:32] or None


def _dedupe_key(order: ShopifyOrder, rule: EarningRule) -> str:
    return f"order:{order.shopify_order_id}:rule:{rule.id}"


def refund_created(session: Session, shop: Shop, refunded: OrderRefunded, *, now: dt.datetime | None = None) -> None:
    """refunds/create: one refund of the order."""
    order = _locked_order(session, shop, refunded.order_id)
    _record_refunds(session, order, (refunded.refund,))
    _settle(session, order, now or utcnow())


def order_cancelled(session: Session, shop: Shop, cancelled: OrderCancelled, *, now: dt.datetime | None = None) -> None:
    """orders/cancelled: pending points rejected; the refunds it lists reverse approved ones."""
    now = now or utcnow()
    order = _locked_order(session, shop, cancelled.id)
    order.cancelled_at = order.cancelled_at or cancelled.cancelled_at or now
    _record_refunds(session, order, cancelled.refunds)
    _settle(session, order, now)


def _paid_values(paid: OrderPaid, purchase: _Purchase, paid_at: dt.datetime) -> dict[str, object]:
    """A new order's row as created paid: its earning's bases and customer in it."""
    return {"paid_at": paid_at, "order_number": _order_number(paid), "points_basis": points_basis(paid),
            "bases": purchase.bases,
            # Kept as Shopify names them; the earning then clears it for a customer erased meanwhile.
            "customer": paid.customer.id if paid.customer else None}


# A new order's row as created by a refund or a cancellation that comes before its paid order.
_UNPAID: dict[str, object] = {"paid_at": None, "order_number": None, "points_basis": None, "bases": {},
                              "customer": None}


def _locked_order(session: Session, shop: Shop, key: str) -> ShopifyOrder:
    order, _ = _locked_orders(session, shop, {key: _UNPAID})[key]
    return order


def _locked_orders(session: Session, shop: Shop,
                   values: dict[str, dict[str, object]]) -> dict[str, tuple[ShopifyOrder, bool]]:
    """Each order's row by its Shopify id, created from its ``values`` if new (the flag says it was) and
    locked until commit, so one order's events apply one at a time: one upsert for all, whose no-op
    update of an existing row takes the row's lock and returns it, in Shopify id order (as any other
    batch locks them)."""
    keys = sorted(values)
    ids = {key: new_id("ord") for key in keys}
    parameters: dict[str, object] = {"shop": shop.id, "now": utcnow()}
    for n, key in enumerate(keys):
        parameters.update({f"{name}_{n}": value for name, value in {"id": ids[key], "key": key, **values[key]}.items()})
    orders = session.scalars(select(ShopifyOrder).from_statement(_lock_orders(len(keys)))
                             .execution_options(populate_existing=True), parameters)
    return {order.shopify_order_id: (order, order.id == ids[order.shopify_order_id]) for order in orders}


_orders = ShopifyOrder.__table__


@functools.cache
def _lock_orders(rows: int) -> TextualSelect:
    """The upsert of ``rows`` orders, written once per count (docs/architecture.md, "Hot-path statements");
    PostgreSQL and SQLite spell it alike. Each row's parameters end in its number (``key_0``)."""
    def row(n: int) -> str:
        return (f"(:id_{n}, :shop, :key_{n}, :now, :now, :bases_{n}, :paid_at_{n}, :order_number_{n}, "
                f":points_basis_{n}, :customer_{n})")

    typed = [bindparam("now", type_=_orders.c.created_at.type)]
    for n in range(rows):
        typed += [bindparam(f"bases_{n}", type_=_orders.c.earning_bases.type),
                  bindparam(f"paid_at_{n}", type_=_orders.c.paid_at.type),
                  bindparam(f"points_basis_{n}", type_=_orders.c.points_basis.type)]
    return text(
        "INSERT INTO shopify_orders (id, shop_id, shopify_order_id, created_at, updated_at, earning_bases, paid_at, "
        f"order_number, points_basis, shopify_customer_id) VALUES {', '.join(row(n) for n in range(rows))} "
        "ON CONFLICT (shop_id, shopify_order_id) DO UPDATE SET updated_at = shopify_orders.updated_at "
        f"RETURNING {', '.join(column.name for column in _orders.c)}"
    ).bindparams(*typed).columns(*_orders.c)


# An order's earning finds the member by Shopify id, locked (a customers/redact running meanwhile is
# waited for, then the renamed row is not found); an excluded member is found and earns nothing.
_EARN_BY_SHOPIFY_ID = postings.earning(postings.earning_candidate(
    lambda customers: customers.c.shopify_customer_id == bindparam("value", type_=String()),
    base_points=bindparam("base_points", type_=BigInteger()),
    allowed=lambda _rule, member: member.c.is_excluded.is_(False), lock=True))


def _record_refunds(session: Session, order: ShopifyOrder, refunds: tuple[Refund, ...]) -> None:
    for refund in refunds:
        insert_new(session, OrderRefund, dict(
            id=new_id("ref"), shop_id=order.shop_id, order_id=order.id, shopify_refund_id=refund.id,
            amount=refund_amount(refund), created_at=utcnow(),
            lines=[[line.line_item_id, str(line.subtotal)] for line in refund.lines],
        ), ["order_id", "shopify_refund_id", "shop_id"])


def _earn_purchase_points(session: Session, shop: Shop, customer: Customer, order: ShopifyOrder,
                          purchase: _Purchase, now: dt.datetime) -> None:
    for rule, points in purchase.points:
        try:
            postings.earn(session, shop=shop, customer=customer, rule=rule, base_points=points,
                          dedupe_key=_dedupe_key(order, rule), now=now,
                          order_id=order.shopify_order_id, order_number=order.order_number)
        except Conflict:
            pass  # reconciliation or another subscription got here first


def _settle(session: Session, order: ShopifyOrder, now: dt.datetime) -> None:
    """Bring the ledger in line with the order's recorded refunds and cancellation."""
    if order.paid_at is None or order.shopify_customer_id is None:
        return  # nothing earned yet: refunds wait on the order row
    refunds = list(session.scalars(
        select(OrderRefund).where(OrderRefund.order_id == order.id).order_by(OrderRefund.created_at, OrderRefund.id)
    ))
    if order.cancelled_at is None and not refunds:
        return  # the common case, a paid order and nothing to take back: no need of the customer
    customer = session.scalars(select(Customer).where(
        Customer.shop_id == order.shop_id, Customer.shopify_customer_id == order.shopify_customer_id)).first()
    if customer is None:
        return
    postings.lock(session, customer)  # before its entries: an approval may be deciding them right now
    entries = list(session.scalars(select(EarningEntry).where(
        EarningEntry.customer_id == customer.id, EarningEntry.order_id == order.shopify_order_id,
        EarningEntry.dedupe_key.startswith(f"order:{order.shopify_order_id}:rule:", autoescape=True),
        EarningEntry.points > 0,
    ).order_by(EarningEntry.id).execution_options(populate_existing=True)))
    reason = "order_cancelled" if order.cancelled_at else "order_refunded"
    for entry in entries:
        # An entry approved meanwhile is left approved, and the refunds below reverse it.
        if entry.status == EntryStatus.PENDING.value and postings.reject(session, entry, now=now):
            effects.points_changed(
                session, entry, customer, kind="points_rejected",
                message=f"{entry.points} pending points rejected: {reason.replace('_', ' ')}")
    refunded = dict.fromkeys((entry.id for entry in entries), Decimal(0))
    for refund in refunds:
        for entry in entries:
            basis, amount = _refunded_of_basis(order, entry, refund)
            refunded[entry.id] += amount
            if refund.applied_at is None and entry.status == EntryStatus.APPROVED.value:
                _reverse_share(session, customer, entry, refund, refunded[entry.id], basis, now)
        refund.applied_at = refund.applied_at or now


def _refunded_of_basis(order: ShopifyOrder, entry: EarningEntry, refund: OrderRefund) -> tuple[Decimal, Decimal]:
    """The basis the entry earned on and what the refund gives back of it: the refunded lines the
    rule counted; a refund that names no lines, its amount in proportion to the rule's share."""
    whole = order.points_basis or Decimal(0)
    earned_on = (order.earning_bases or {}).get(entry.earning_rule_id or "")
    if earned_on is None:  # earned before bases were recorded: on the whole order
        return whole, refund.amount
    basis, lines = Decimal(earned_on["basis"]), earned_on["lines"]
    if lines is not None and refund.lines and all(line_id is not None for line_id, _ in refund.lines):
        eligible = set(lines)
        return basis, sum((Decimal(subtotal) for line_id, subtotal in refund.lines if line_id in eligible), Decimal(0))
    return basis, refund.amount * basis / whole if whole > 0 else Decimal(0)


def _reverse_share(session: Session, customer: Customer, entry: EarningEntry, refund: OrderRefund,
                   refunded: Decimal, basis: Decimal, now: dt.datetime) -> None:
    """Reverse the share of what this entry earned that the refunds so far give back (never more
    than it earned), less what earlier refunds reversed already."""
    if basis <= 0:
        return
    share = min(Decimal(1), refunded / basis)
    target = int((entry.points * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    # int(): PostgreSQL sums a BIGINT column as NUMERIC.
    # base_points: what each reversal took back of the entry, whatever the balance still held.
    reversed_so_far = -int(session.scalar(select(func.coalesce(func.sum(EarningEntry.base_points), 0)).where(
        EarningEntry.customer_id == customer.id,
        EarningEntry.dedupe_key.startswith(f"{entry.dedupe_key}:refund:", autoescape=True),
    )) or 0)
    if target > reversed_so_far:
        postings.reverse(session, customer=customer, entry=entry, points=target - reversed_so_far,
                         dedupe_key=f"{entry.dedupe_key}:refund:{refund.shopify_refund_id}",
                         reason="order_refunded", now=now)
