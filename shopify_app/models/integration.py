"""A shop's marketing-integration credentials: the key is encrypted and never shown again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import Timestamps


class IntegrationSetting(Timestamps, Base):
    __tablename__ = "integration_settings"
    __table_args__ = (UniqueConstraint("shop_id", "service"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("int"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(32))
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    key_hint: Mapped[str] = mapped_column(String(8), doc="last characters, to recognise the key by")
    enabled: Mapped[bool] = mapped_column(default=True)
    last_checked_at: Mapped[dt.datetime | None]
    last_check_ok: Mapped[bool | None]
    last_check_message: Mapped[str | None] = mapped_column(Text)
