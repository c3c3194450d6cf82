"""The program's settings: how long points last and what they are called."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy.orm import Session

from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.loyalty.program.inputs import Form, number_rule, text_rule
from shopify_app.models import Shop


class SettingsInput(Form):
    points_expiry_days: Annotated[int, number_rule(maximum=3650)]
    points_name: Annotated[str, text_rule(max_length=64)]


def update_settings(session: Session, shop: Shop, command: SettingsInput) -> None:
    shop.settings.points_expiry_days, shop.settings.points_name = command.points_expiry_days, command.points_name
    program_changed(session, shop.id)  # the storefront's program metafield carries the points name
