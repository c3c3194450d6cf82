"""Shops and their program settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.models import ProgramSettings, Shop


def get_shop(session: Session, domain: str) -> Shop | None:
    return session.scalar(select(Shop).where(Shop.domain == domain))


def get_or_create_shop(session: Session, domain: str, *, name: str = "") -> Shop:
    shop = get_shop(session, domain)
    if shop is None:
        shop = Shop(domain=domain, name=name or domain.split(".")[0])
        shop.settings = ProgramSettings()
        session.add(shop)
        session.flush()
    return shop
