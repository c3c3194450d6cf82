"""What merchants read: labels instead of internal names, times in the shop's zone, the end of a list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.devtools.demo import add_members
from shopify_app.models import Customer, OutboxMessage, Shop
from tests.admin.conftest import TokenClient


def _set_zone(session: Session, shop_id: str, zone: str) -> None:
    session.get_one(Shop, shop_id).iana_timezone = zone
    session.commit()


def _goldie_page(admin: TokenClient, session: Session) -> str:
    goldie = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
    return str(admin.get(f"/admin/customers/{goldie.id}").get_data(as_text=True))


def test_times_are_shown_in_the_shops_time_zone(admin: TokenClient, session: Session,
                                                 demo_shop: dict[str, Any]) -> None:
    assert " UTC</dd>" in _goldie_page(admin, session)  # before the install has read the zone
    _set_zone(session, demo_shop["shop_id"], "Asia/Tokyo")
    page = _goldie_page(admin, session)
    assert " JST</dd>" in page and " UTC</dd>" not in page
    _set_zone(session, demo_shop["shop_id"], "Not/AZone")
    assert " UTC</dd>" in _goldie_page(admin, session)


def test_merchants_read_labels_not_internal_names(admin: TokenClient, session: Session,
                                                  demo_shop: dict[str, Any]) -> None:
    new_rule = admin.get("/admin/rules/new?action=follow_on_x").get_data(as_text=True)
    assert "Follow us on X" in new_rule and "follow_on_x" not in new_rule.replace('value="follow_on_x"', "")
    rules = admin.get("/admin/rules").get_data(as_text=True)
    assert "<s-badge>Sign-up</s-badge>" in rules and ">Signup<" not in rules
    session.add(OutboxMessage(shop_id=demo_shop["shop_id"], topic="shopify.shop_metafield", payload={}))
    session.commit()
    overview = admin.get("/admin/").get_data(as_text=True)
    assert "Shopify program data" in overview and "shopify.shop_metafield" not in overview
    assert "shopify.customer_metafield" not in overview


def test_a_page_past_the_end_of_the_customers_says_so(admin: TokenClient, session: Session,
                                                      demo_shop: dict[str, Any]) -> None:
    add_members(session, session.get_one(Shop, demo_shop["shop_id"]), 60)
    session.commit()
    page = admin.get("/admin/customers?page=999").get_data(as_text=True)
    assert "Page 999 is past the end" in page and "The list has 3 pages" in page
    assert 'href="/admin/customers?page=3"' in page
    assert "past the end" not in admin.get("/admin/customers?page=3").get_data(as_text=True)


def test_the_points_name_from_the_settings_is_the_word_on_every_page(admin: TokenClient, session: Session,
                                                                      demo_shop: dict[str, Any]) -> None:
    session.get_one(Shop, demo_shop["shop_id"]).settings.points_name = "Stars"
    session.commit()
    rule = admin.get(f"/admin/rules/{demo_shop['rules']['follow_on_instagram']}").get_data(as_text=True)
    assert 'label="Stars"' in rule and "Stars stay pending" in rule
    customer = _goldie_page(admin, session)
    assert 'label="Stars (+ to add, − to remove)"' in customer and "Adjust stars" in customer
    tiers = admin.get("/admin/tiers").get_data(as_text=True)
    assert "Lifetime stars needed" in tiers and "points" not in tiers.lower().replace("points_", "")
