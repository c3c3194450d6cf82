"""The program's settings: how long points last and what they are called."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.loyalty.program.inputs import Fields
from shopify_app.models import Shop


def update_settings(session: Session, shop: Shop, form: dict[str, str]) -> None:
    fields = Fields(form)
    days = fields.integer("points_expiry_days", maximum=3650)
    name = fields.text("points_name", max_length=64)
    fields.check()
    shop.settings.points_expiry_days, shop.settings.points_name = days, name
    program_changed(session, shop.id)  # the storefront's program metafield carries the points name
