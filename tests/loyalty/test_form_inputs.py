"""The admin's forms parsed through pydantic models: every field's message at once, in the merchant's words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopify_app.errors import FormErrors
from shopify_app.loyalty.program.inputs import parse_form
from shopify_app.loyalty.program.rules import RuleInput
from shopify_app.loyalty.program.tiers import TierInput


def test_every_bad_field_gets_its_own_message_at_once() -> None:
    with pytest.raises(FormErrors) as refused:
        parse_form(RuleInput, {"action": "birthday", "points_to_give": "ten", "approval_time": "400",
                               "call_to_action_url": "javascript:alert(1)", "description": "x" * 2001})
    assert refused.value.fields == {
        "name": "Enter a value", "points_to_give": "Enter a whole number",
        "approval_time": "Enter a number from 0 to 365",
        "call_to_action_url": "Enter a full URL starting with https://", "description": "Use at most 2000 characters",
    }


def test_a_good_form_gives_typed_values_and_ignores_what_it_does_not_name() -> None:
    tier = parse_form(TierInput, {"name": " Platinum ", "points_required": "5000", "points_multiplier": "1.5",
                                  "badge_color": "#e5e4e2", "csrf_token": "ignored"})
    assert (tier.name, tier.points_required, tier.points_multiplier) == ("Platinum", 5000, Decimal("1.5"))
    with pytest.raises(FormErrors) as refused:
        parse_form(TierInput, {"name": "X", "points_required": "1", "points_multiplier": "NaN", "badge_color": "red"})
    assert refused.value.fields == {"points_multiplier": "Enter a multiplier from 0.1 to 10",
                                    "badge_color": "Enter a colour like #c0c0c0"}
