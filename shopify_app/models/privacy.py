"""Privacy duties: customer data exports kept for the merchant to download, and redaction tombstones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed


class CustomerDataExport(ShopKeyed, Base):
    """The answer to a ``customers/data_request``: everything held about the customer, as JSON."""

    __tablename__ = "customer_data_exports"
    __table_args__ = (UniqueConstraint("shop_id", "data_request_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("exp"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    shopify_customer_id: Mapped[str] = mapped_column(String(32), index=True)
    data_request_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RedactedCustomer(Base):
    """A customer erased by ``customers/redact``, known only by a hash of their Shopify id, so a
    later webhook or reconciliation about them does not enrol them again with personal data."""

    __tablename__ = "redacted_customers"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    shopify_customer_id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    redacted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
