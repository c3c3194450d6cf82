"""The demo admin's reward form in real headless Chromium: only the fields that apply to the chosen
discount, price and reward type are shown, as the choices change, and what it saves."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.models import Reward
from tests.browser.conftest import log_in, screenshot

CONDITIONAL = ("pricing", "points_cost", "discount_amount", "points_per_unit", "min_points", "max_points",
               "product_gid", "vip_tier_id")


def shown(page: Page) -> set[str]:
    return {name for name in CONDITIONAL if page.locator(f'[data-applies][data-field="{name}"]').is_visible()}


def test_the_form_shows_the_fields_of_each_kind(page: Page, demo_shop) -> None:  # type: ignore[no-untyped-def]
    log_in(page)
    page.goto("/admin/rewards/new")
    assert shown(page) == {"pricing", "points_cost", "discount_amount"}  # an amount off at a fixed cost

    page.get_by_role("radio", name="Points for money off (per 1.00)").check()
    assert shown(page) == {"pricing", "points_per_unit", "min_points", "max_points"}
    page.get_by_role("radio", name="Percentage off").check()  # a percentage has a fixed cost only
    assert shown(page) == {"points_cost", "discount_amount"}
    page.get_by_role("radio", name="Free shipping").check()
    assert shown(page) == {"points_cost"}
    page.get_by_role("radio", name="Free product").check()
    assert shown(page) == {"points_cost", "product_gid"}
    expect(page.get_by_label("Variant")).to_be_visible()
    page.get_by_role("radio", name="Members of one VIP tier").check()
    assert shown(page) == {"points_cost", "product_gid", "vip_tier_id"}
    page.get_by_role("radio", name="Amount off").check()  # back to an amount off: its price choice is as it was left
    assert shown(page) == {"pricing", "points_per_unit", "min_points", "max_points", "vip_tier_id"}
    screenshot(page, "reward-form-per-point")


def test_a_per_point_reward_saves_what_its_fields_say(page: Page, session: Session,  # type: ignore[no-untyped-def]
                                                      demo_shop) -> None:
    log_in(page)
    page.goto("/admin/rewards/new")
    page.get_by_label("Name", exact=True).fill("Stars for dollars")
    page.locator('input[name="discount_amount"]').fill("not an amount")  # hidden below, so never read
    page.get_by_role("radio", name="Points for money off (per 1.00)").check()
    page.locator('input[name="points_per_unit"]').fill("50")
    page.locator('input[name="min_points"]').fill("150")
    page.locator('input[name="max_points"]').fill("1000")
    page.get_by_role("button", name="Save reward").click()
    expect(page.locator("#toast")).to_contain_text("Saved")
    reward = session.scalars(select(Reward).where(Reward.name == "Stars for dollars")).one()
    assert (reward.pricing, reward.points_per_unit, reward.min_points, reward.max_points, reward.points_cost,
            reward.discount_amount) == ("per_point", 50, 150, 1000, 150, 0)


def test_a_free_product_takes_its_ids_in_demo_mode(page: Page, session: Session,  # type: ignore[no-untyped-def]
                                                   demo_shop) -> None:
    log_in(page)
    page.goto("/admin/rewards/new")
    page.get_by_label("Name", exact=True).fill("Free mug")
    page.get_by_role("radio", name="Free product").check()
    page.get_by_label("Product id").fill("gid://shopify/Product/7")
    page.get_by_role("button", name="Save reward").click()
    expect(page.get_by_text("Enter the product's id, like gid://shopify/Product/123")).to_have_count(0)
    expect(page.locator("#toast")).to_contain_text("Saved")
    reward = session.scalars(select(Reward).where(Reward.name == "Free mug")).one()
    assert (reward.discount_type, reward.product_gid, reward.variant_gid) == ("free_product",
                                                                              "gid://shopify/Product/7", None)
