"""The activity log: a human-readable trail of what happened to a customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed


class ActivityLogEntry(ShopKeyed, Base):
    __tablename__ = "activity_log"
    __table_args__ = (
        Index("ix_activity_log_customer_id_created_at", "customer_id", "created_at"),
        # The API's shop-wide feed, newest first, one page at a time.
        Index("ix_activity_log_shop_id_created_at_id", "shop_id", "created_at", "id"),
        ForeignKeyConstraint(["customer_id", "shop_id"], ["customers.id", "customers.shop_id"], ondelete="CASCADE"),
        # An entry goes only with its customer, whose activity goes too.
        ForeignKeyConstraint(["entry_id", "shop_id"], ["earning_entries.id", "earning_entries.shop_id"]),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("act"))
    # No index of its own: the feed's index leads with it (every insert updates each index).
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(32))
    entry_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
