"""Webhook payloads, one typed model per topic: the fields the handlers read and the shop's identity.

A body that lacks its topic's shape is refused, so a body signed for one topic cannot pass as
another when it is resent under another ``X-Shopify-Topic``. Fields the models do not name are
allowed (Shopify adds fields within an API version) and dropped: the handlers see only what a
model guarantees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from shopify_app.shopify.domains import valid_shop_domain

MAX_ID = 2**63 - 1
# What a Numeric(14, 2) column holds. At a few points per unit and a VIP multiplier, the points
# of such an amount stay far inside the 64-bit points columns.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_ITEMS = 1000
SHOP_SCOPES_LENGTH = 1024  # shops.scopes


class PayloadRefused(ValueError):
    """The payload does not have its topic's shape; the message says why, without its values."""


def as_shopify_id(value: object) -> str:
    """A Shopify id as its digits; ValueError for anything but a positive 64-bit integer or its digits."""
    # bool is an int to Python, and a JSON true is no id.
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        raise ValueError("a Shopify id is an integer or a string of digits")
    if not 0 < number <= MAX_ID:
        raise ValueError("a Shopify id is a positive 64-bit integer")
    return str(number)


def _storable(value: str) -> str:
    # PostgreSQL text holds neither NUL nor, encoded as UTF-8, a lone surrogate.
    if "\x00" in value:
        raise ValueError("text may not contain NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode") from None
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    try:
        return aware.astimezone(dt.timezone.utc)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


def _shop_domain(value: str) -> str:
    domain = valid_shop_domain(value)
    if domain is None:
        raise ValueError("not a *.myshopify.com domain")
    return domain


ShopifyId = Annotated[str, BeforeValidator(as_shopify_id)]
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=4)]
Timestamp = Annotated[dt.datetime, AfterValidator(_utc)]
Name = Annotated[str, StringConstraints(max_length=255), AfterValidator(_storable)]
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_storable)]
Label = Annotated[str, StringConstraints(max_length=64), AfterValidator(_storable)]
ShopDomain = Annotated[str, StringConstraints(max_length=255), AfterValidator(_shop_domain)]
Scope = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,64}$")]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    def shop_identity(self) -> tuple[str, str] | None:
        """(myshopify domain, Shopify shop id) when the payload names its shop."""
        return None


class CustomerData(Payload):
    """A customer as customers/create, customers/update and an order's ``customer`` carry it."""

    id: ShopifyId
    email: Email | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class EmailMarketingConsent(Payload):
    # subscribed, not_subscribed, pending (double opt-in not confirmed yet), unsubscribed, redacted, invalid.
    state: Label | None = None
    opt_in_level: Label | None = None
    consent_updated_at: Timestamp | None = None


class EmailMarketingConsentUpdate(Payload):
    """customers_email_marketing_consent/update: a customer's email-marketing consent, as of 2026-10
    (customers/update no longer carries it)."""

    customer_id: ShopifyId
    email_address: Email | None = None
    email_marketing_consent: EmailMarketingConsent | None = None


class Reference(Payload):
    """Something the payload names by its id: the customer, the data request, an order's company."""

    id: ShopifyId


class RefundLine(Payload):
    line_item_id: ShopifyId | None = None
    subtotal: Amount | None = None


class DiscountAllocation(Payload):
    amount: Amount


class LineItem(Payload):
    id: ShopifyId
    product_id: ShopifyId | None = None
    gift_card: bool | None = None
    price: Amount = Decimal(0)
    quantity: int = Field(default=1, ge=0, le=1_000_000)
    discount_allocations: list[DiscountAllocation] = Field(default_factory=list, max_length=MAX_ITEMS)


class OrderCustomer(CustomerData):
    """An order's customer: with their tags (comma-separated), which a purchase rule may exclude."""

    tags: Annotated[str, StringConstraints(max_length=65_535), AfterValidator(_storable)] | None = None


class Transaction(Payload):
    kind: Label | None = None
    status: Label | None = None
    amount: Amount | None = None


class Refund(Payload):
    id: ShopifyId
    refund_line_items: list[RefundLine] = Field(default_factory=list, max_length=MAX_ITEMS)
    transactions: list[Transaction] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _amount_fits(self) -> Refund:
        # The refund's amount is the sum of its lines (or of its transactions): it must fit too.
        lines = sum((line.subtotal or 0 for line in self.refund_line_items), Decimal(0))
        transactions = sum((t.amount or 0 for t in self.transactions), Decimal(0))
        if max(lines, transactions) > MAX_AMOUNT:
            raise ValueError(f"the refund's amounts add up to more than {MAX_AMOUNT}")
        return self


class RefundCreated(Refund):
    """refunds/create: the refund, with its order's id."""

    order_id: ShopifyId


class DiscountCode(Payload):
    code: Label


class OrderPaid(Payload):
    id: ShopifyId
    name: Name | None = None
    order_number: int | None = Field(default=None, ge=0, le=MAX_ID)
    subtotal_price: Amount
    total_tax: Amount | None = None
    taxes_included: bool | None = None
    customer: OrderCustomer | None = None
    refunds: list[Refund] = Field(default_factory=list, max_length=MAX_ITEMS)
    line_items: list[LineItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    # Set on a B2B order: the company it was placed for.
    company: Reference | None = None
    # The codes used on the order; a reward's code among them is used up.
    discount_codes: list[DiscountCode] = Field(default_factory=list, max_length=MAX_ITEMS)
    processed_at: Timestamp | None = None


class OrderCancelled(Payload):
    """orders/cancelled: an order that has its ``cancelled_at``."""

    id: ShopifyId
    cancelled_at: Timestamp
    refunds: list[Refund] = Field(default_factory=list, max_length=MAX_ITEMS)


class ShopScoped(Payload):
    """The compliance topics name their shop by domain and id."""

    shop_id: ShopifyId
    shop_domain: ShopDomain

    def shop_identity(self) -> tuple[str, str] | None:
        return self.shop_domain, self.shop_id


class CustomersDataRequest(ShopScoped):
    customer: Reference
    data_request: Reference


class CustomersRedact(ShopScoped):
    customer: Reference
    # Not read, but what tells an erasure from a data request resent under this topic.
    orders_to_redact: list[ShopifyId] = Field(max_length=100_000)


class ShopRedact(ShopScoped):
    pass


class AppUninstalled(Payload):
    """app/uninstalled: the payload is the shop itself."""

    id: ShopifyId
    myshopify_domain: ShopDomain

    def shop_identity(self) -> tuple[str, str] | None:
        return self.myshopify_domain, self.id


class ScopesUpdate(Payload):
    current: list[Scope] = Field(max_length=SHOP_SCOPES_LENGTH // 2)

    @model_validator(mode="after")
    def _scopes_fit(self) -> ScopesUpdate:
        if len(",".join(self.current)) > SHOP_SCOPES_LENGTH:
            raise ValueError(f"the scopes take more than {SHOP_SCOPES_LENGTH} characters")
        return self


MODELS: dict[str, type[Payload]] = {
    "orders/paid": OrderPaid,
    "orders/cancelled": OrderCancelled,
    "refunds/create": RefundCreated,
    "customers/create": CustomerData,
    "customers/update": CustomerData,
    "customers_email_marketing_consent/update": EmailMarketingConsentUpdate,
    "app/uninstalled": AppUninstalled,
    "app/scopes_update": ScopesUpdate,
    "customers/data_request": CustomersDataRequest,
    "customers/redact": CustomersRedact,
    "shop/redact": ShopRedact,
}


def parse_payload(topic: str, data: Any) -> Payload:
    """The topic's model of ``data``; PayloadRefused when it does not have that shape."""
    try:
        return MODELS[topic].model_validate(data)
    except ValidationError as error:
        problems = [f"{'.'.join(str(part) for part in e['loc']) or 'body'}: {e['msg']}"
                    for e in error.errors(include_url=False, include_input=False, include_context=False)]
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise PayloadRefused(f"not the shape of {topic}: {'; '.join(problems[:3])}{more}") from None
