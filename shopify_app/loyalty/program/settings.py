"""The program's settings: how long points last, what they are called, how reward codes begin."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from shopify_app.loyalty.ledger.effects import program_changed
from shopify_app.loyalty.program.inputs import Form, _on_stripped, number_rule, text_rule
from shopify_app.loyalty.rewards.codes import DEFAULT_PREFIX
from shopify_app.models import Shop

CODE_PREFIX = re.compile(r"^[A-Z0-9]{1,12}$")


def _code_prefix(value: str) -> str:
    """Letters and digits, as a shopper types them at checkout; empty for the default."""
    if not value:
        return DEFAULT_PREFIX
    if not CODE_PREFIX.match(value.upper()):
        raise PydanticCustomError("form_field", "Use 1 to 12 letters (A-Z) and digits")
    return value.upper()


class SettingsInput(Form):
    points_expiry_days: Annotated[int, number_rule(maximum=3650)]
    points_name: Annotated[str, text_rule(max_length=64)]
    reward_code_prefix: Annotated[str, _on_stripped(_code_prefix)]


def update_settings(session: Session, shop: Shop, command: SettingsInput) -> None:
    shop.settings.points_expiry_days, shop.settings.points_name = command.points_expiry_days, command.points_name
    shop.settings.reward_code_prefix = command.reward_code_prefix  # codes made from now on; issued ones stay
    program_changed(session, shop.id)  # the storefront's program metafield carries the points name
