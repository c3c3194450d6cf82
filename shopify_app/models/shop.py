"""A Shopify store that installed the app, and its points-program settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import Timestamps


class Shop(Timestamps, Base):
    __tablename__ = "shops"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("shop"))
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    # Shopify's numeric shop id, read at install (``shop { id }``): webhook payloads must name it.
    shopify_shop_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # The shop's IANA time zone (``shop { ianaTimezone }``, read at install): the admin shows times in it.
    iana_timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Set-up steps the app cannot see for itself, as the merchant ticked them on the overview.
    embed_confirmed_at: Mapped[dt.datetime | None]
    rules_reviewed_at: Mapped[dt.datetime | None]
    installed_at: Mapped[dt.datetime | None]
    uninstalled_at: Mapped[dt.datetime | None]
    # The offline access token and its refresh token, encrypted with the app secret and
    # always written together: a refresh retires the previous refresh token.
    access_token_ciphertext: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[dt.datetime | None]
    refresh_token_ciphertext: Mapped[str | None] = mapped_column(Text)
    refresh_token_expires_at: Mapped[dt.datetime | None]
    scopes: Mapped[str] = mapped_column(String(1024), default="")

    settings: Mapped[ProgramSettings] = relationship(back_populates="shop", lazy="joined")


class ProgramSettings(Timestamps, Base):
    """One row per shop; points_expiry_days = 0 means points never expire."""

    __tablename__ = "program_settings"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    points_expiry_days: Mapped[int] = mapped_column(default=0)
    points_name: Mapped[str] = mapped_column(String(64), default="Points")
    # What every reward code of the shop starts with.
    reward_code_prefix: Mapped[str] = mapped_column(String(16), default="LOYAL", server_default="LOYAL")

    shop: Mapped[Shop] = relationship(back_populates="settings")
