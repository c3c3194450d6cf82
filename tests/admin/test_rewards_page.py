"""The admin's Rewards page: list with redemption counts, create, edit, (de)activate, soft delete."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import Reward
from tests.admin.conftest import TokenClient

FORM = {"name": "$10 off", "description": "", "discount_type": "fixed_amount", "reward_type": "discount",
        "pricing": "fixed", "points_cost": "900", "discount_amount": "10", "minimum_spend": "", "product_gid": "",
        "vip_tier_id": "", "max_redemptions": "", "expiry_days": "30"}


def reward_named(app: Flask, name: str) -> Reward:
    with sessionmaker_for(app)() as session:
        return session.scalars(select(Reward).where(Reward.name == name)).one()


def test_the_list_shows_each_reward_with_its_status(admin: TokenClient, demo_shop: dict[str, Any]) -> None:
    page = admin.get("/admin/rewards")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("$5 off", "10% off", "Free shipping", "Gold: $20 off", "Free tote bag", "Points for dollars"):
        assert name in html
    assert "Gold members only" in html and "Inactive" in html


def test_create_edit_deactivate_and_delete(app: Flask, admin: TokenClient, demo_shop: dict[str, Any]) -> None:
    created = admin.post("/admin/rewards/new", data=FORM)
    assert created.status_code in (302, 303), created.get_data(as_text=True)
    reward = reward_named(app, "$10 off")
    assert (reward.points_cost, reward.discount_amount, reward.expiry_days, reward.is_active) == (900, 10, 30, True)

    edited = admin.post(f"/admin/rewards/{reward.id}", data={**FORM, "reward_type": "tier",
                                                              "vip_tier_id": demo_shop["tiers"]["Gold"],
                                                              "max_redemptions": "2"})
    assert edited.status_code in (302, 303)
    reward = reward_named(app, "$10 off")
    assert (reward.reward_type, reward.vip_tier_id, reward.max_redemptions) == ("tier", demo_shop["tiers"]["Gold"], 2)

    assert admin.post(f"/admin/rewards/{reward.id}/active", data={"active": "0"}).status_code in (302, 303)
    assert reward_named(app, "$10 off").is_active is False
    assert admin.post(f"/admin/rewards/{reward.id}/delete").status_code in (302, 303)
    assert reward_named(app, "$10 off").deleted_at is not None
    assert "$10 off" not in admin.get("/admin/rewards").get_data(as_text=True)
    assert admin.get(f"/admin/rewards/{reward.id}").status_code == 404


def test_bad_fields_are_shown_beside_them(admin: TokenClient, demo_shop: dict[str, Any]) -> None:
    page = admin.post("/admin/rewards/new", data={**FORM, "discount_type": "percentage", "discount_amount": "150",
                                                  "points_cost": "0"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Enter a number from 1 to 10000000" in html
