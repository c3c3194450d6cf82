"""Members from Shopify customers: enrolment on first sight or in bulk, redaction tombstones, profile kept in step."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.ids import new_id
from shopify_app.loyalty.members.lookup import normalize_email
from shopify_app.loyalty.program.tiers import tiers
from shopify_app.models import Customer, CustomerProfileVersion, RedactedCustomer, Shop
from shopify_app.upserts import insert_new, insert_new_many


@dataclass(frozen=True)
class ShopifyCustomer:
    """A customer as Shopify reports them (customers/create and /update, an order's customer);
    ``id`` is their Shopify id (digits)."""

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def _profile(data: ShopifyCustomer) -> dict[str, Any]:
    return {
        "email": data.email or None,
        "email_normalized": normalize_email(data.email),
        "first_name": data.first_name or None,
        "last_name": data.last_name or None,
    }


def enrol(session: Session, shop: Shop, data: ShopifyCustomer, *, now: dt.datetime | None = None) -> Customer | None:
    """The member for a Shopify customer, created on first sight whatever event comes first.

    None for a customer erased by ``customers/redact``: no later event enrols them again."""
    now = now or utcnow()
    customer_id = data.id
    # Locked: while a customers/redact of this customer runs, this waits, then finds no member
    # (the erasure renames the row) rather than writing over the erased one.
    member = find_member(session, shop, customer_id, lock=True)
    if member is not None:
        return member
    if is_redacted(session, shop.id, customer_id):
        return None
    values = dict(
        id=new_id("cus"),
        shop_id=shop.id, shopify_customer_id=customer_id, is_excluded=False,
        vip_tier_id=entry_tier(session, shop.id), shopify_created_at=data.created_at,
        created_at=now, updated_at=now, **_profile(data),
    )
    created = insert_new(session, Customer, values, ["shop_id", "shopify_customer_id"])
    # None: a concurrent first event of the same customer enrolled them an instant earlier.
    return created if created is not None else find_member(session, shop, customer_id, lock=True)


def enrol_existing(session: Session, shop: Shop, customers: list[ShopifyCustomer], *, tier_id: str | None,
                   now: dt.datetime | None = None) -> None:
    """Customers enrolled in one statement (the shop's existing ones at install, a batch's buyers): no
    sign-up points (those who signed up before the program never earn them, and a buyer's come with
    customers/create), in ``tier_id`` (the entry tier, ``entry_tier``). Members already enrolled are
    left as they are (the unique constraint skips them) and erased customers stay out."""
    now = now or utcnow()
    keys = {redaction_key(shop.id, customer.id): customer.id for customer in customers}
    erased = {keys[key] for key in session.scalars(select(RedactedCustomer.shopify_customer_id_hash).where(
        RedactedCustomer.shop_id == shop.id, RedactedCustomer.shopify_customer_id_hash.in_(keys)))}
    rows = [
        dict(id=new_id("cus"), shop_id=shop.id, shopify_customer_id=customer.id, is_excluded=False,
             vip_tier_id=tier_id, shopify_created_at=customer.created_at, created_at=now, updated_at=now,
             **_profile(customer))
        for customer in customers if customer.id not in erased
    ]
    insert_new_many(session, Customer, rows, ["shop_id", "shopify_customer_id"])


def enrol_new(session: Session, shop: Shop, customers: list[ShopifyCustomer]) -> None:
    """Those of ``customers`` not yet members enrolled as ``enrol`` enrols each (in the entry tier, erased
    customers left out), all in one INSERT; when every one is known, one SELECT is all it costs."""
    known = set(session.scalars(select(Customer.shopify_customer_id).where(
        Customer.shop_id == shop.id, Customer.shopify_customer_id.in_([customer.id for customer in customers]))))
    new = list({customer.id: customer for customer in customers if customer.id not in known}.values())
    if new:
        enrol_existing(session, shop, new, tier_id=entry_tier(session, shop.id))


def find_member(session: Session, shop: Shop, shopify_customer_id: str, *, lock: bool = False) -> Customer | None:
    """The shop's member for a Shopify customer id, if any (``lock``: locked until commit)."""
    query = select(Customer).where(Customer.shop_id == shop.id, Customer.shopify_customer_id == shopify_customer_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def redaction_key(shop_id: str, shopify_customer_id: str) -> str:
    """The key a redacted customer's tombstone is known by: SHA-256 over the shop and the Shopify id.

    A plain hash is enough: the tombstone only has to recognise the id when it comes back, and
    what a search over every possible id could recover from it is that id alone, which names
    nobody once Shopify has erased the customer. A hash keyed with the app secret would be lost
    at each rotation of the secret, and every tombstone with it."""
    return hashlib.sha256(f"{shop_id}:{shopify_customer_id}".encode()).hexdigest()


def is_redacted(session: Session, shop_id: str, shopify_customer_id: str) -> bool:
    """Whether ``customers/redact`` erased this customer of the shop (their tombstone exists)."""
    return session.get(RedactedCustomer, (shop_id, redaction_key(shop_id, shopify_customer_id))) is not None


def entry_tier(session: Session, shop_id: str) -> str | None:
    """The tier a member with no lifetime points is in (a tier that needs 0 points, if any)."""
    reached = [tier for tier in tiers(session, shop_id) if tier.points_required <= 0]
    return reached[-1].id if reached else None


def customer_updated(session: Session, shop: Shop, update: ShopifyCustomer, *, now: dt.datetime | None = None) -> None:
    """customers/update: email and names follow Shopify (an update may come before the create,
    and an older update after a newer one: only a newer ``updated_at`` is applied)."""
    customer = enrol(session, shop, update, now=now)
    if customer is None:
        return
    if update.updated_at is not None and not _newest_profile(session, customer, update.updated_at):
        return
    for name, value in _profile(update).items():
        setattr(customer, name, value)


def _newest_profile(session: Session, customer: Customer, updated_at: dt.datetime) -> bool:
    """Record ``updated_at`` as the customer's profile version unless a newer one was applied."""
    version_row = dict(customer_id=customer.id, shop_id=customer.shop_id, shopify_updated_at=updated_at)
    if insert_new(session, CustomerProfileVersion, version_row, ["customer_id", "shop_id"]) is not None:
        return True
    version = session.scalars(select(CustomerProfileVersion).where(
        CustomerProfileVersion.shop_id == customer.shop_id, CustomerProfileVersion.customer_id == customer.id,
    ).with_for_update().execution_options(populate_existing=True)).first()
    if version is None or version.shopify_updated_at >= updated_at:
        return False
    version.shopify_updated_at = updated_at
    return True
