"""The demo admin in real headless Chromium: the merchant's main flows, with no JavaScript errors."""

from __future__ import annotations

import re

import httpx
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.devtools.demo import add_members
from shopify_app.models import Customer, Shop
from tests.admin.test_jobs_and_integrations import run_worker
from tests.browser.conftest import log_in, screenshot


def _open_customer(page: Page, email: str) -> None:
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_label("Search customers").fill(email)
    page.get_by_label("Search customers").press("Enter")
    page.locator("table a", has_text=re.compile("Member|Goldie")).first.click()


def _watch_job_reach_100(page: Page, app: Flask, redis, label: str) -> None:  # type: ignore[no-untyped-def]
    """The page shows the queued job at 0%, then, while it polls, the worker runs it to 100%."""
    bar = page.get_by_role("progressbar", name=label)
    expect(bar).to_have_attribute("aria-valuenow", "0")
    run_worker(app, redis)
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=10_000)


def test_create_a_rule_award_it_through_the_api_and_see_the_ledger(page: Page, live_url: str, demo_shop) -> None:
    log_in(page)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    screenshot(page, "overview")
    page.get_by_role("link", name="Earning rules").click()
    page.get_by_role("link", name="Follow us on Pinterest").click()
    page.get_by_label("Points", exact=True).fill("")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#e-points_to_give")).to_have_text("Enter a whole number")
    page.get_by_label("Points", exact=True).fill("35")
    page.get_by_label("Call-to-action URL").fill("https://pinterest.com/demo")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#toast")).to_contain_text("Saved “Follow us on Pinterest”")
    row = page.locator("tr", has_text="Follow us on Pinterest")
    expect(row).to_contain_text("Active")
    rule_id = row.get_by_role("link").get_attribute("href").rsplit("/", 1)[1]
    screenshot(page, "rules")

    award = httpx.post(f"{live_url}/v1/earning-rules/{rule_id}/award", headers={"Authorization": demo_shop["api_key"]},
                       json={"customer_identifier": "NEW@example.com"})
    assert award.status_code == 201, award.text

    _open_customer(page, "new@example.com")
    expect(page.locator("#balance")).to_have_text("35")
    ledger = page.locator("#ledger")
    expect(ledger).to_contain_text("Follow us on Pinterest")
    expect(ledger).to_contain_text("+35")
    screenshot(page, "customer")


def test_adjust_points_with_the_keyboard(page: Page, demo_shop) -> None:
    log_in(page)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    _open_customer(page, "gold@example.com")
    expect(page.locator("#balance")).to_have_text("1,200")
    page.get_by_label("Points (+ to add, − to remove)").fill("-1500")
    page.get_by_label("Note").fill("Returned order")
    page.get_by_label("Note").press("Enter")
    expect(page.locator("#toast")).to_contain_text("Removed 1200 points (all the customer had)")
    expect(page.locator("#balance")).to_have_text("0")
    expect(page.locator("#ledger")).to_contain_text("Returned order")
    page.get_by_label("Points (+ to add, − to remove)").fill("")
    page.get_by_role("button", name="Adjust points").click()
    expect(page.locator("#e-points")).to_be_visible()


def test_sync_all_members_shows_live_progress_to_100(page: Page, app: Flask, session: Session, redis,
                                                      demo_shop) -> None:
    add_members(session, session.get(Shop, demo_shop["shop_id"]), 2000)
    session.commit()
    log_in(page)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Sync all members now").click()
    expect(page.locator("#toast")).to_contain_text("Sync of all members started")
    _watch_job_reach_100(page, app, redis, "Sync all members")
    expect(page.locator(".progress-text")).to_have_text("100% · 2002 of 2002 · done")
    screenshot(page, "settings-sync-done")


PAGES = [("Overview", "/admin/"), ("Overview 90 days", "/admin/?days=90"), ("Earning rules", "/admin/rules"),
         ("Add rule", "/admin/rules/new"), ("VIP tiers", "/admin/tiers"), ("Add tier", "/admin/tiers/new"),
         ("Customers", "/admin/customers"), ("Customers search", "/admin/customers?q=nobody"),
         ("Import and export", "/admin/import-export"), ("Settings", "/admin/settings"), ("Privacy", "/admin/privacy")]


def test_every_page_renders_complete_without_shopify_scripts(page: Page, demo_shop) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    log_in(page)
    for name, url in PAGES:
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        # Polaris-like styles applied from our own stylesheet: cards have a white surface.
        assert page.locator(".card").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
        screenshot(page, "page-" + name.lower().replace(" ", "-"))
    assert failed == []
    assert page.locator('script[src*="cdn.shopify.com"]').count() == 0


def test_a_tier_threshold_change_shows_the_recompute_progress(page: Page, app: Flask, redis, demo_shop) -> None:
    log_in(page)
    page.get_by_role("link", name="VIP tiers").click()
    page.get_by_role("link", name="Gold").click()
    page.get_by_label("Lifetime points needed").fill("500")
    page.get_by_role("button", name="Save tier").click()
    expect(page.locator("#e-points_required")).to_have_text("Another tier already starts at this many points")
    page.get_by_label("Lifetime points needed").fill("2000")
    page.get_by_role("button", name="Save tier").click()
    expect(page.locator("#toast")).to_contain_text("members' tiers are being recomputed")
    _watch_job_reach_100(page, app, redis, "Recomputing members' tiers")
    page.get_by_role("link", name="Customers", exact=True).click()
    expect(page.locator("tr", has_text="Goldie")).to_contain_text("Silver")


def test_every_page_fits_a_phone_at_360_px(page: Page, session: Session, demo_shop) -> None:
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page)
    goldie = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
    pages = [*PAGES, ("Customer", f"/admin/customers/{goldie.id}"),
             ("Edit rule", f"/admin/rules/{demo_shop['rules']['follow_on_instagram']}"),
             ("Edit tier", f"/admin/tiers/{demo_shop['tiers']['Gold']}"),
             ("Customers past the end", "/admin/customers?page=999")]
    wide: dict[str, int] = {}
    for name, url in pages:
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            wide[name] = width
        screenshot(page, "360px-" + name.lower().replace(" ", "-"))
    assert wide == {}


def test_revoking_a_key_asks_in_a_modal_not_window_confirm(page: Page, demo_shop) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    log_in(page)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Revoke").first.click()
    modal = page.get_by_role("dialog", name="Revoke?")
    expect(modal).to_be_visible()
    modal.get_by_role("button", name="Cancel").click()
    expect(modal).to_be_hidden()
    page.get_by_role("button", name="Revoke").first.click()
    page.get_by_role("dialog", name="Revoke?").get_by_role("button", name="Revoke").click()
    expect(page.locator("#toast")).to_contain_text("revoked")
    expect(page.locator("tr", has_text="Revoked")).to_have_count(1)
    assert dialogs == []
