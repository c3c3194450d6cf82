"""Admin pages through the test client: validation, toasts, and what each action changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.devtools import demo
from shopify_app.models import (
    ActivityLogEntry,
    Customer,
    CustomerDataExport,
    EarningEntry,
    EarningRule,
    OutboxMessage,
    Shop,
    VipTier,
)
from tests import factories
from tests.admin.conftest import TokenClient
from tests.shopify_signing import post_webhook, run_jobs


def _customer(session: Session, shopify_id: str) -> Customer:
    customer = session.scalars(select(Customer).where(Customer.shopify_customer_id == shopify_id)).one()
    session.refresh(customer)
    return customer


def test_a_rule_is_created_with_inline_errors_first(admin: TokenClient, session: Session, demo_shop) -> None:
    bad = admin.post("/admin/rules/new", data={"action": "follow_on_youtube", "name": "", "points_to_give": "ten",
                                               "approval_time": "0", "call_to_action_url": "javascript:alert(1)"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'error="Enter a value"' in html and "Enter a whole number" in html and "https://" in html
    good = admin.post("/admin/rules/new", data={"action": "follow_on_youtube", "name": "Subscribe on YouTube",
                                                "points_to_give": "75", "approval_time": "3",
                                                "call_to_action_url": "https://youtube.com/@demo"})
    assert good.status_code == 303 and "toast=Saved" in good.headers["Location"]
    rule = session.scalars(select(EarningRule).where(EarningRule.action == "follow_on_youtube")).one()
    assert (rule.category, rule.points_to_give, rule.approval_time, rule.is_active) == ("social", 75, 3, True)


def test_a_rule_is_edited_deactivated_and_activated(admin: TokenClient, session: Session, demo_shop) -> None:
    rule_id = demo_shop["rules"]["place_order"]
    form = {"name": "Shop with us", "points_to_give": "2", "approval_time": "14"}
    assert admin.post(f"/admin/rules/{rule_id}", data=form).status_code == 303
    assert admin.post(f"/admin/rules/{rule_id}/active", data={"active": "0"}).status_code == 303
    rule = session.get(EarningRule, rule_id)
    assert (rule.name, rule.points_to_give, rule.category, rule.is_active) == ("Shop with us", 2, "purchase", False)
    assert "2 per USD 1" in admin.get("/admin/rules").get_data(as_text=True)
    admin.post(f"/admin/rules/{rule_id}/active", data={"active": "1"})
    session.refresh(rule)
    assert rule.is_active
    # Each change rewrites the shop's program metafield, which the storefront reads.
    program_rows = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "shopify.shop_metafield"))
    assert [(row.shop_id, row.payload["reason"]) for row in program_rows] == \
        [(demo_shop["shop_id"], "program_changed")] * 3


def test_customers_are_found_by_email_name_and_id_and_paginated(app, admin: TokenClient, session: Session,
                                                                demo_shop) -> None:
    demo.add_members(session, session.get(Shop, demo_shop["shop_id"]), 30)
    session.commit()
    assert "Goldie" in admin.get("/admin/customers?q=GOLD@example").get_data(as_text=True)
    assert "Goldie" in admin.get("/admin/customers?q=goldie mem").get_data(as_text=True)
    assert "Goldie" in admin.get("/admin/customers?q=1001").get_data(as_text=True)
    assert "Goldie" in admin.get("/admin/customers?q=gid://shopify/Customer/1001").get_data(as_text=True)
    first = admin.get("/admin/customers").get_data(as_text=True)
    second = admin.get("/admin/customers?page=2").get_data(as_text=True)
    assert 'rel="next"' in first and 'rel="prev"' in second and 'rel="next"' not in second
    assert first.count("/admin/customers/cus_") == 25 and second.count("/admin/customers/cus_") == 8


def test_adjustments_add_remove_and_floor_at_zero(admin: TokenClient, session: Session, demo_shop) -> None:
    customer = _customer(session, "1002")
    url = f"/admin/customers/{customer.id}/adjust"
    assert admin.post(url, data={"points": "0", "note": "nothing"}).status_code == 422
    assert "Enter a value" in admin.post(url, data={"points": "5", "note": ""}).get_data(as_text=True)
    assert admin.post(url, data={"points": "120", "note": "goodwill"}).status_code == 303
    assert (_customer(session, "1002").current_points, _customer(session, "1002").lifetime_points) == (120, 120)
    response = admin.post(url, data={"points": "-500", "note": "correction"})  # more than the balance
    assert "toast=Removed+120+points+(all+the+customer+had)" in response.headers["Location"]
    customer = _customer(session, "1002")
    assert (customer.current_points, customer.lifetime_points) == (0, 120)
    entries = session.scalars(select(EarningEntry).where(EarningEntry.customer_id == customer.id)
                              .order_by(EarningEntry.created_at)).all()
    assert [(e.points, e.points_remaining, e.note) for e in entries] == [(120, 0, "goodwill"), (-120, 0, "correction")]
    page = admin.get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    assert "+120 points adjusted by the merchant: goodwill" in page and "-120" in page
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 8


def test_removals_say_what_they_took_and_excluded_customers_get_no_points(
        admin: TokenClient, session: Session, demo_shop) -> None:
    goldie, excluded = _customer(session, "1001"), _customer(session, "1003")
    response = admin.post(f"/admin/customers/{goldie.id}/adjust", data={"points": "-200", "note": "typo"})
    assert "toast=Points+adjusted+by+-200" in response.headers["Location"]
    nothing = admin.post(f"/admin/customers/{excluded.id}/adjust", data={"points": "-5", "note": "none there"})
    assert "toast=No+points+removed+(the+customer+had+none)" in nothing.headers["Location"]
    before = session.scalar(select(func.count()).select_from(EarningEntry))
    refused = admin.post(f"/admin/customers/{excluded.id}/adjust", data={"points": "50", "note": "gift"})
    assert refused.status_code == 409
    assert "excluded from the loyalty program and cannot be given points" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(EarningEntry)) == before
    assert _customer(session, "1003").current_points == 0


def test_pending_entries_are_approved_or_rejected_once(admin: TokenClient, session: Session, demo_shop) -> None:
    customer = _customer(session, "1002")
    tiktok, key = demo_shop["rules"]["follow_on_tiktok"], demo_shop["api_key"]
    other = factories.rule(session, session.get(Shop, demo_shop["shop_id"]), "share_on_x", points=40,
                           approval_time=7)
    session.commit()
    for rule_id in (tiktok, other.id):
        award = admin.client.post(f"/v1/earning-rules/{rule_id}/award", headers={"Authorization": key},
                                  json={"customer_identifier": "new@example.com"})
        assert award.status_code == 201
    entries = {e.earning_rule_id: e.id for e in session.scalars(select(EarningEntry).where(
        EarningEntry.customer_id == customer.id))}
    pending_page = admin.get(f"/admin/customers/{customer.id}?status=pending").get_data(as_text=True)
    assert pending_page.count(">Approve<") == 2
    decide = f"/admin/customers/{customer.id}/entries/{{}}/decision"
    assert admin.post(decide.format(entries[tiktok]), data={"decision": "approve"}).status_code == 303
    assert admin.post(decide.format(entries[other.id]), data={"decision": "reject"}).status_code == 303
    again = admin.post(decide.format(entries[tiktok]), data={"decision": "reject"})
    assert again.status_code == 409 and "already approved" in again.get_data(as_text=True)
    customer = _customer(session, "1002")
    assert (customer.current_points, customer.lifetime_points) == (50, 50)
    statuses = {e.earning_rule_id: e.status for e in session.scalars(select(EarningEntry).where(
        EarningEntry.customer_id == customer.id))}
    assert statuses == {tiktok: "approved", other.id: "rejected"}


def test_exclude_and_include(admin: TokenClient, session: Session, demo_shop) -> None:
    customer = _customer(session, "1002")
    admin.post(f"/admin/customers/{customer.id}/exclusion", data={"excluded": "1"})
    assert _customer(session, "1002").is_excluded
    award = admin.client.post(f"/v1/earning-rules/{demo_shop['rules']['join_newsletter']}/award",
                              headers={"Authorization": demo_shop["api_key"]},
                              json={"customer_identifier": "new@example.com"})
    assert award.status_code == 403
    admin.post(f"/admin/customers/{customer.id}/exclusion", data={"excluded": "0"})
    assert not _customer(session, "1002").is_excluded
    kinds = session.scalars(select(ActivityLogEntry.kind).order_by(ActivityLogEntry.created_at)).all()
    assert kinds == ["excluded", "included"]


def test_program_settings_validate_and_save(admin: TokenClient, session: Session, demo_shop) -> None:
    bad = admin.post("/admin/settings/program", data={"points_expiry_days": "-1", "points_name": ""})
    assert bad.status_code == 422 and "Enter a number from 0 to 3650" in bad.get_data(as_text=True)
    assert admin.post("/admin/settings/program", data={"points_expiry_days": "365", "points_name": "Stars"}
                      ).status_code == 303
    shop = session.get(Shop, demo_shop["shop_id"])
    session.refresh(shop.settings)
    assert (shop.settings.points_expiry_days, shop.settings.points_name) == (365, "Stars")
    assert "Stars issued" in admin.get("/admin/").get_data(as_text=True)


def test_api_keys_are_shown_once_listed_by_prefix_and_revoked(admin: TokenClient, demo_shop) -> None:
    assert admin.post("/admin/settings/api-keys", data={"key_name": "", "access": "full"}).status_code == 422
    created = admin.post("/admin/settings/api-keys", data={"key_name": "Storefront", "access": "read_only"})
    html = created.get_data(as_text=True)
    raw = html.split('<code id="new-key">')[1].split("</code>")[0]
    assert raw.startswith("lk_") and "shown only once" in html
    listing = admin.get("/admin/settings").get_data(as_text=True)
    assert raw not in listing and f"{raw[:12]}…" in listing and "Read-only" in listing
    award_url = f"/v1/earning-rules/{demo_shop['rules']['join_newsletter']}/award"
    assert admin.client.post(award_url, headers={"Authorization": raw}, json={}).status_code == 403
    key_id = listing.split(f"{raw[:12]}…")[1].split("/admin/settings/api-keys/")[1].split("/revoke")[0]
    assert admin.post(f"/admin/settings/api-keys/{key_id}/revoke").status_code == 303
    assert admin.client.post(award_url, headers={"Authorization": raw}, json={}).status_code == 401


def test_privacy_exports_are_listed_and_downloaded(app, redis, admin: TokenClient, session: Session, demo_shop) -> None:
    assert "No data requests" in admin.get("/admin/privacy").get_data(as_text=True)
    request = {"shop_id": 1, "shop_domain": demo.DEMO_SHOP, "orders_requested": [],
               "customer": {"id": 1001, "email": "gold@example.com", "phone": None}, "data_request": {"id": 91}}
    assert post_webhook(admin.client, "customers/data_request", request).status_code == 200
    run_jobs(app, redis)
    export = session.scalars(select(CustomerDataExport)).one()
    assert "1001" in admin.get("/admin/privacy").get_data(as_text=True)
    download = admin.get(f"/admin/privacy/{export.id}/download")
    assert download.json["customer"]["email"] == "gold@example.com"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="data-request-1001-')


def test_the_overview_counts_points_by_status(admin: TokenClient, session: Session, demo_shop: dict[str, Any]) -> None:
    key = demo_shop["api_key"]
    for action in ("follow_on_instagram", "follow_on_tiktok"):
        admin.client.post(f"/v1/earning-rules/{demo_shop['rules'][action]}/award", headers={"Authorization": key},
                          json={"customer_identifier": "1002"})
    html = admin.get("/admin/?days=90").get_data(as_text=True)
    assert "Totals: 100 issued, 0 redeemed, 50 pending, 0 expired." in html
    assert "Follow us on Instagram" in html and "last 90 days" in html
    assert session.scalar(select(func.count()).select_from(VipTier)) == 3
    assert Decimal("1.5") in {t.points_multiplier for t in session.scalars(select(VipTier))}
