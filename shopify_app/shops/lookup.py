"""Finding shops: by domain (created with their program settings), a row one shop owns, the installed ones."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.errors import NotFound, quote
from shopify_app.models import ProgramSettings, Shop

T = TypeVar("T")


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


def get_owned(session: Session, model: type[T], shop_id: str, row_id: str, what: str) -> T:
    """The row ``row_id`` of ``model`` if it belongs to this shop; another shop's row is not found."""
    row = session.scalar(select(model).where(model.shop_id == shop_id, model.id == row_id))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"{what} '{quote(row_id)}' not found")
    return row


def installed_shop_ids(session: Session) -> list[str]:
    """The shops whose orders the scheduler reconciles."""
    return list(session.scalars(select(Shop.id).where(Shop.uninstalled_at.is_(None),
                                                      Shop.access_token_ciphertext.is_not(None))))
