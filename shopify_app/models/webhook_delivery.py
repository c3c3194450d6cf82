"""Webhook deliveries as received: one row per ``X-Shopify-Webhook-Id``, processed by a job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed


class WebhookDelivery(ShopKeyed, Base):
    """The payload is kept only until the delivery is processed: it may hold personal data.

    A delivery is recorded before its shop is looked up, and for shops the app does not hold, so its
    shard key is the shop's domain, not ``shop_id``: keyed by ``(id, shop_domain)``, known to the ORM by
    ``id``. Shopify's webhook ids are unique across shops, so unique per domain is the same rule."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_processed_at_received_at", "processed_at", "received_at"),
        UniqueConstraint("webhook_id", "shop_domain"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("whd"))
    webhook_id: Mapped[str] = mapped_column(String(255))
    shop_domain: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    topic: Mapped[str] = mapped_column(String(64))
    api_version: Mapped[str | None] = mapped_column(String(16))
    event_id: Mapped[str | None] = mapped_column(String(255))
    triggered_at: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Why a delivery was refused (answered 200, applied never): a forgery, a stale or misdirected event.
    refused_reason: Mapped[str | None] = mapped_column(Text)
