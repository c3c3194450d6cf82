"""The storefront widget in real headless Chromium, against the app's real /proxy routes:
the block's markup rendered with a member's metafield, the real asset, signed proxy calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, Route, expect

from shopify_app.db import sessionmaker_for
from shopify_app.integrations import metafields
from shopify_app.loyalty.members.birthdays import Birthday
from shopify_app.loyalty.members.lookup import find_customer
from shopify_app.loyalty.members.summary import summarize
from shopify_app.models import ProgramSettings
from shopify_app.proxy.documents import customer_attributes
from tests.api.test_award import customer_row
from tests.browser.conftest import screenshot
from tests.extension.theme import EXTENSION, app_metafield, render_block
from tests.proxy.signing import signed_query

PROXY_PREFIX = "/apps/loyalty"

# Generous: CI machines are small and may be busy; a broken widget still fails, only later.
expect.set_options(timeout=15_000)


@pytest.fixture
def context(browser) -> Iterator[BrowserContext]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@dataclass
class Storefront:
    """A theme page as Shopify serves it, with the app proxy in front of the app's real routes."""

    page: Page
    proxied: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)


def open_storefront(context: BrowserContext, app: Flask, live_url: str, shop_id: str,
                    shopify_customer_id: str | None, *, with_metafield: bool = True) -> Storefront:
    """The theme page with the shop's program metafield and, for a logged-in customer, theirs (unless
    ``with_metafield`` is False: a member the sync has not reached yet)."""
    customer = None
    with sessionmaker_for(app)() as session:
        shop = {"metafields": app_metafield(metafields.PROGRAM_KEY, metafields.program(session, shop_id))}
        if shopify_customer_id:
            summary = summarize(session, find_customer(session, shop_id, shopify_customer_id))
            loyalty = app_metafield(metafields.CUSTOMER_KEY, customer_attributes(summary)) if with_metafield else {}
            customer = {"id": shopify_customer_id, "metafields": loyalty}
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Storefront</title>
<link rel="stylesheet" href="/assets/loyalty-widget.css"></head>
<body><main><h1>Demo storefront</h1></main>{render_block(customer=customer, shop=shop)}
<script src="/assets/loyalty-widget.js" defer></script></body></html>"""
    shop = Storefront(page=context.new_page())

    def handle(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.netloc != urlsplit(live_url).netloc:
            # Call-to-action pages (instagram.com…) never leave the machine.
            shop.elsewhere.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<p>call to action</p>")
        elif url.path.startswith("/assets/"):
            route.fulfill(path=str(EXTENSION / "assets" / Path(url.path).name))
        elif url.path.startswith(PROXY_PREFIX + "/"):
            # What Shopify's app proxy does: forward to the app's /proxy with a signed query.
            shop.proxied.append(f"{route.request.method} {url.path}")
            query = signed_query(shopify_customer_id, params=parse_qsl(url.query, keep_blank_values=True))
            route.continue_(url=f"{live_url}/proxy{url.path[len(PROXY_PREFIX):]}?{query}")
        else:
            route.fulfill(status=200, content_type="text/html", body=html)

    context.route("**/*", handle)
    shop.page.goto(f"{live_url}/")
    return shop


def test_claiming_in_the_widget_updates_the_balance(
    context: BrowserContext, app: Flask, live_url: str, demo_shop: dict[str, Any]
) -> None:
    shop = open_storefront(context, app, live_url, demo_shop["shop_id"], "1002")
    page = shop.page
    launcher = page.locator("[data-loyalty-launcher]")
    expect(launcher).to_contain_text("0 points")
    expect(launcher).to_contain_text("Bronze member")
    assert shop.proxied == []  # the first paint came from the metafield

    launcher.focus()
    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    panel = page.get_by_role("dialog", name="Your rewards")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")

    # The newsletter's points come from the subscription itself: there is nothing to claim.
    expect(panel.locator("li", has_text="Join our newsletter")).to_contain_text("Earned automatically")
    expect(panel.get_by_role("button", name="Claim 200 points for Join our newsletter")).to_have_count(0)

    with context.expect_page() as popup:
        panel.get_by_role("button", name="Claim 100 points for Follow us on Instagram").click()
    assert popup.value.url.startswith("https://instagram.com/demo-loyalty")
    expect(launcher).to_contain_text("100 points")
    expect(panel.locator("[data-loyalty-status]")).to_have_text("You earned 100 points")
    expect(panel.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "20")
    expect(panel).to_contain_text("400 points to Silver")
    expect(panel.locator("li", has_text="Follow us on Instagram")).to_contain_text("Completed")

    page.bring_to_front()
    screenshot(page, "loyalty-widget", full_page=False)

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()

    assert customer_row(app, "1002").current_points == 100
    assert [call for call in shop.proxied if call.startswith("POST")] == [
        f"POST {PROXY_PREFIX}/earning-rules/{demo_shop['rules']['follow_on_instagram']}/claim",
    ]
    assert shop.elsewhere == ["https://instagram.com/demo-loyalty"]


def test_a_member_gives_their_birthday_in_the_widget(
    context: BrowserContext, app: Flask, live_url: str, demo_shop: dict[str, Any]
) -> None:
    shop = open_storefront(context, app, live_url, demo_shop["shop_id"], "1002")
    shop.page.locator("[data-loyalty-launcher]").click()
    panel = shop.page.get_by_role("dialog", name="Your rewards")
    form = panel.get_by_role("group", name="Your birthday")
    expect(form).to_be_visible()  # the demo shop gives birthday points
    form.get_by_label("Day").fill("17")
    form.get_by_label("Month").fill("5")
    form.get_by_role("button", name="Save birthday").click()
    expect(panel.locator("[data-loyalty-status]")).to_have_text("Your birthday is saved")
    # One change is allowed (a slip of the finger); a second within the year is refused, and the widget says why.
    form.get_by_label("Day").fill("18")
    form.get_by_role("button", name="Save birthday").click()
    expect(panel.locator("[data-loyalty-status]")).to_have_text("Your birthday is saved")
    form.get_by_label("Day").fill("19")
    form.get_by_role("button", name="Save birthday").click()
    expect(panel.locator("[data-loyalty-status]")).to_contain_text("it can be changed again from")
    assert Birthday.stored(customer_row(app, "1002").date_of_birth) == Birthday(18, 5)  # type: ignore[arg-type]
    assert shop.proxied.count(f"POST {PROXY_PREFIX}/customer/birthday") == 3


def test_an_anonymous_shopper_sees_the_program_and_a_log_in_link(
    context: BrowserContext, app: Flask, live_url: str, demo_shop: dict[str, Any]
) -> None:
    shop = open_storefront(context, app, live_url, demo_shop["shop_id"], None)
    launcher = shop.page.locator("[data-loyalty-launcher]")
    expect(launcher).to_contain_text("Earn points")
    launcher.click()
    panel = shop.page.get_by_role("dialog", name="Your rewards")
    expect(panel.get_by_role("link", name="Log in")).to_have_attribute("href", "/account/login")
    expect(panel.locator("li", has_text="Follow us on Instagram")).to_contain_text("+100 points")
    expect(panel.get_by_role("button", name="Claim")).to_have_count(0)
    screenshot(shop.page, "loyalty-widget-anonymous", full_page=False)
    assert sorted(shop.proxied) == [f"GET {PROXY_PREFIX}/earning-rules", f"GET {PROXY_PREFIX}/rewards"]


def test_a_member_with_no_metafield_yet_gets_the_balance_from_the_app(
    context: BrowserContext, app: Flask, live_url: str, demo_shop: dict[str, Any]
) -> None:
    with sessionmaker_for(app).begin() as session:
        session.get_one(ProgramSettings, demo_shop["shop_id"]).points_name = "Stars"
    shop = open_storefront(context, app, live_url, demo_shop["shop_id"], "1001", with_metafield=False)
    launcher = shop.page.locator("[data-loyalty-launcher]")
    expect(launcher).to_contain_text("1,200 stars")
    expect(launcher).to_contain_text("Gold member")
    assert shop.proxied == [f"GET {PROXY_PREFIX}/customer"]
    launcher.click()
    panel = shop.page.get_by_role("dialog", name="Your rewards")
    expect(panel.locator("[data-loyalty-summary]")).to_contain_text("1,200 stars")
    expect(panel.locator("li", has_text="Follow us on Instagram")).to_contain_text("+100 stars")
