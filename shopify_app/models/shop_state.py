"""Bookkeeping of the background work: program set-up, order reconciliation, profile versions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.db import Base
from shopify_app.models.mixins import ShopKeyed


class ShopSyncState(Base):
    __tablename__ = "shop_sync_states"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    program_set_up_at: Mapped[dt.datetime | None]
    orders_reconciled_through: Mapped[dt.datetime | None]


class CustomerProfileVersion(ShopKeyed, Base):
    """The Shopify ``updated_at`` of the customer profile last applied: updates arrive in any
    order, and an older one must not overwrite a newer email or name."""

    __tablename__ = "customer_profile_versions"
    __table_args__ = (
        ForeignKeyConstraint(["customer_id", "shop_id"], ["customers.id", "customers.shop_id"], ondelete="CASCADE"),
    )
    orm_identity = ("customer_id",)

    customer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    shopify_updated_at: Mapped[dt.datetime]
