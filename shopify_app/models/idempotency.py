"""Idempotency keys of API writes: the request each one was first used for, and its response once stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed


class IdempotencyKey(ShopKeyed, Base):
    """``status`` is None while the first request runs; then its status and body, replayed to a retry."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("api_key_id", "key", "shop_id"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("idem"))
    # The key's shop: the shard key of the row, which the key alone does not give (api_keys is a reference table).
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the method, path and body")
    status: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
