"""Per-shop settings of a marketing integration, and how far each customer's profile is synced."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed, Timestamps


class Service(str, enum.Enum):
    KLAVIYO = "klaviyo"
    OMNISEND = "omnisend"
    POSTSCRIPT = "postscript"


class IntegrationSetting(ShopKeyed, Timestamps, Base):
    __tablename__ = "integration_settings"
    __table_args__ = (UniqueConstraint("shop_id", "service"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("int"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    service: Mapped[str] = mapped_column(String(16))
    # Encrypted with a key derived from the app secret (shopify_app.crypto).
    api_key_ciphertext: Mapped[str | None] = mapped_column(Text)
    key_hint: Mapped[str] = mapped_column(String(8), default="", doc="last characters, to recognise the key by")
    enabled: Mapped[bool] = mapped_column(default=True)
    last_checked_at: Mapped[dt.datetime | None]
    last_check_ok: Mapped[bool | None]
    last_check_message: Mapped[str | None] = mapped_column(Text)


class CustomerSyncState(ShopKeyed, Base):
    """The profile version last delivered to one destination: an older state never overwrites a newer one."""

    __tablename__ = "customer_sync_states"
    __table_args__ = (
        ForeignKeyConstraint(["customer_id", "shop_id"], ["customers.id", "customers.shop_id"], ondelete="CASCADE"),
    )
    orm_identity = ("customer_id", "topic")

    customer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    synced_version: Mapped[int] = mapped_column(default=0)
    synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
