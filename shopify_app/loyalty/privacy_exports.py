"""Customer data-request exports as the merchant lists and downloads them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.loyalty.shops import get_owned
from shopify_app.models import PrivacyExport

LIST_LIMIT = 200


def exports(session: Session, shop_id: str) -> list[PrivacyExport]:
    return list(
        session.scalars(
            select(PrivacyExport).where(PrivacyExport.shop_id == shop_id)
            .order_by(PrivacyExport.requested_at.desc()).limit(LIST_LIMIT)
        )
    )


def get_export(session: Session, shop_id: str, export_id: str) -> PrivacyExport:
    return get_owned(session, PrivacyExport, shop_id, export_id, "Export")
