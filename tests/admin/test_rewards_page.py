"""The admin's Rewards page: list with redemption counts, create, edit, (de)activate, soft delete; the
fields each kind takes, and the shop's code prefix."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.loyalty.rewards import redemption
from shopify_app.models import Reward, Shop
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


def test_the_shops_code_prefix_begins_the_codes_made_after_it(app: Flask, admin: TokenClient,
                                                               demo_shop: dict[str, Any]) -> None:
    settings = {"points_expiry_days": "0", "points_name": "Points"}
    refused = admin.post("/admin/settings/program", data={**settings, "reward_code_prefix": "LO-YAL"})
    assert refused.status_code == 422 and "Use 1 to 12 letters (A-Z) and digits" in refused.get_data(as_text=True)
    assert admin.post("/admin/settings/program", data={**settings, "reward_code_prefix": " vip2 "}).status_code == 303
    with sessionmaker_for(app).begin() as session:
        shop = session.get_one(Shop, demo_shop["shop_id"])
        made = redemption.purchase(session, shop, demo_shop["rewards"]["$5 off"], "1001")
        assert re.fullmatch(r"VIP2-[2-9A-HJ-NP-Z]{10}", made.discount_code)
        redemption.give_back(session, made)
    assert admin.post("/admin/settings/program", data=settings).status_code == 303  # empty: the default again
    with sessionmaker_for(app)() as session:
        assert session.get_one(Shop, demo_shop["shop_id"]).settings.reward_code_prefix == "LOYAL"


def test_fields_that_do_not_apply_are_ignored(app: Flask, admin: TokenClient, demo_shop: dict[str, Any]) -> None:
    """What the form hides is never read: a stale value left in it neither fails nor is saved."""
    stale = {"discount_amount": "not an amount", "points_per_unit": "-3", "min_points": "x", "max_points": "7",
             "product_gid": "nonsense", "variant_gid": "nonsense", "vip_tier_id": demo_shop["tiers"]["Gold"]}
    saved = admin.post("/admin/rewards/new", data={**FORM, **stale, "name": "Ship it", "discount_type": "free_shipping",
                                                   "pricing": "per_point"})
    assert saved.status_code == 303, saved.get_data(as_text=True)
    reward = reward_named(app, "Ship it")
    assert (reward.pricing, reward.discount_amount, reward.points_per_unit, reward.product_gid, reward.reward_type,
            reward.vip_tier_id, reward.points_cost) == ("fixed", 0, None, None, "discount", None, 900)


def test_what_each_kind_cannot_be_saved_without(admin: TokenClient, demo_shop: dict[str, Any]) -> None:
    def refused(**fields: str) -> str:
        page = admin.post("/admin/rewards/new", data={**FORM, **fields})
        assert page.status_code == 422
        return str(page.get_data(as_text=True))

    assert "Enter the value" in refused(discount_amount="")
    assert "Enter the points it costs" in refused(points_cost="")
    assert "Enter a percentage from 0 to 100" in refused(discount_type="percentage", discount_amount="150")
    per_point = refused(pricing="per_point", points_per_unit="", min_points="150", max_points="100")
    assert "Enter the points that buy 1.00 off" in per_point and "Enter at least the minimum" in per_point
    assert "Enter a multiple of 100" in refused(pricing="per_point", points_per_unit="100", min_points="150",
                                                max_points="1000")
    assert "Choose the free product" in refused(discount_type="free_product")
    assert "Enter the variant&#39;s id" in refused(discount_type="free_product", product_gid="gid://shopify/Product/1",
                                                   variant_gid="gid://shopify/Product/1")
    assert "Choose the tier" in refused(reward_type="tier")
