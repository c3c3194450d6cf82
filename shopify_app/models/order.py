"""What the app knows of a Shopify order: its purchase basis and its refunds, each recorded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, ForeignKeyConstraint, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed, Timestamps


class ShopifyOrder(ShopKeyed, Timestamps, Base):
    """One row per order, created by whichever event arrives first; handlers lock it so the
    events of one order are applied one at a time, in any order of arrival."""

    __tablename__ = "shopify_orders"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_order_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ord"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    shopify_order_id: Mapped[str] = mapped_column(String(32))
    shopify_customer_id: Mapped[str | None] = mapped_column(String(32))
    order_number: Mapped[str | None] = mapped_column(String(32))
    # Subtotal after discounts, without shipping and taxes, in the shop currency.
    points_basis: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    paid_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    # Per purchase rule id, what it earned on as the order was paid: {"basis": "12.50", "lines":
    # [eligible line item ids] or null when the order listed no lines}; its refunds reverse against that.
    earning_bases: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OrderRefund(ShopKeyed, Base):
    """A refund of an order (also those listed by orders/cancelled), applied to the ledger once."""

    __tablename__ = "order_refunds"
    __table_args__ = (
        UniqueConstraint("order_id", "shopify_refund_id", "shop_id"),
        ForeignKeyConstraint(["order_id", "shop_id"], ["shopify_orders.id", "shopify_orders.shop_id"],
                             ondelete="CASCADE"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ref"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True, index=True)
    order_id: Mapped[str] = mapped_column(String(32))
    shopify_refund_id: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # [[line item id or null, subtotal], …]: which of the order's lines it gives back.
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[dt.datetime | None]
