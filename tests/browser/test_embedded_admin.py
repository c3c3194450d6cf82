"""The admin as Shopify frames it, in real Chromium, with App Bridge's and Polaris' scripts stubbed:
one document load per navigation, no second navigation bar, modals instead of window.confirm(), the
resource picker for a free product."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from playwright.sync_api import Page, Request, Route, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.models import VipTier
from tests import factories
from tests.test_app_home import app_home_query, connected_demo_shop  # noqa: F401  (a fixture)

APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
POLARIS = "https://cdn.shopify.com/shopifycloud/polaris.js"
# What the page needs of App Bridge: a fresh session token on demand, toasts, and the resource
# picker, which records its options and answers with what a test put in `window.pickerSelection`.
APP_BRIDGE_STUB = """window.shopify = {
  idToken: function () { return Promise.resolve(%s); },
  toast: { show: function (message) { document.documentElement.dataset.toast = message; } },
  resourcePicker: function (options) {
    document.documentElement.dataset.picker = JSON.stringify(options);
    return Promise.resolve(window.pickerSelection);
  }
};"""


class EmbeddedAdmin:
    """A page of the admin opened as Shopify opens it, counting its document loads."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.documents: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", self._count)
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def _count(self, request: Request) -> None:
        # A redirect is part of the navigation it answers; every other navigation request is a load.
        if request.is_navigation_request() and request.frame == self.page.main_frame and not request.redirected_from:
            self.documents.append(request.url)

    def loads_of(self, action: Any) -> list[str]:
        before = len(self.documents)
        with self.page.expect_navigation():
            action()
        self.page.wait_for_load_state("load")
        return self.documents[before:]


@pytest.fixture
def open_embedded(browser, app: Flask, live_url: str,
                  connected_demo_shop: dict[str, Any]) -> Iterator[Callable[[str], EmbeddedAdmin]]:  # noqa: F811
    """Opens an admin page the way Shopify does: in a document load that carries a session token."""
    config, shop = app.config["LOYALTY"], connected_demo_shop["domain"]
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})

    def shopify_cdn(route: Route) -> None:
        if route.request.url.startswith(APP_BRIDGE):
            token = factories.session_token(config, shop)
            route.fulfill(content_type="text/javascript", body=APP_BRIDGE_STUB % f'"{token}"')
        else:
            route.fulfill(content_type="text/javascript", body="")

    context.route("https://cdn.shopify.com/**", shopify_cdn)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    admin = EmbeddedAdmin(page)

    def open_page(path: str) -> EmbeddedAdmin:
        page.goto(f"{path}?{urlencode(app_home_query(app, shop))}")
        return admin

    yield open_page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_a_link_click_inside_shopify_is_one_document_load(open_embedded: Callable[[str], EmbeddedAdmin]) -> None:
    embedded = open_embedded("/admin/rules")
    page = embedded.page
    expect(page.locator("s-page")).to_have_attribute("heading", "Earning rules")
    assert "id_token" not in page.url  # the token is not left in the address Shopify shows
    assert page.locator("s-app-nav s-link").count() == 7 and page.locator(".topbar, nav.tabs").count() == 0
    assert page.locator('link[href*="admin.css"]').count() == 0  # the demo's styles stay outside Shopify
    assert page.locator('s-page > s-button[slot="primary-action"]', has_text="Add rule").count() == 1

    loads = embedded.loads_of(lambda: page.locator("s-table-row").get_by_role("link", name="Place an order").click())
    assert len(loads) == 1 and "/admin/rules/" in loads[0] and "id_token=" in loads[0]
    expect(page.locator("s-page")).to_have_attribute("heading", "Place an order")

    breadcrumb = page.locator("s-page > s-link[slot=breadcrumb-actions]", has_text="Back to rules")
    back = embedded.loads_of(lambda: breadcrumb.click())
    assert len(back) == 1
    expect(page.locator("s-page")).to_have_attribute("heading", "Earning rules")


def test_a_form_post_inside_shopify_lands_in_one_document_load(open_embedded: Callable[[str], EmbeddedAdmin]) -> None:
    embedded = open_embedded("/admin/rules")
    page = embedded.page
    form = page.locator("form", has=page.locator('input[name="active"]')).first
    loads = embedded.loads_of(lambda: form.evaluate("f => f.requestSubmit()"))
    assert len(loads) == 1  # the post; its 303 carries the session token on to the rules page
    expect(page.locator("s-page")).to_have_attribute("heading", "Earning rules")
    assert page.evaluate("document.documentElement.dataset.toast").endswith("deactivated")


def test_deleting_a_tier_asks_in_an_app_bridge_modal(open_embedded: Callable[[str], EmbeddedAdmin],
                                                     session: Session) -> None:
    embedded = open_embedded("/admin/tiers")
    page = embedded.page
    gold = page.locator("s-modal", has_text="Delete the tier Gold?")
    expect(gold).to_have_attribute("heading", "Delete?")
    opener = page.locator(f's-button[commandFor="{gold.get_attribute("id")}"][command="--show"]')
    assert opener.count() == 1
    loads = embedded.loads_of(lambda: gold.locator("[data-submit]").click())
    assert len(loads) == 1 and embedded.dialogs == []  # no window.confirm()
    assert page.evaluate("document.documentElement.dataset.toast").startswith("Tier")
    assert "Gold" not in session.scalars(select(VipTier.name)).all()


def test_a_free_product_is_chosen_in_the_resource_picker(open_embedded: Callable[[str], EmbeddedAdmin],
                                                         connected_demo_shop: dict[str, Any]) -> None:  # noqa: F811
    tote = connected_demo_shop["rewards"]["Free tote bag"]
    embedded = open_embedded(f"/admin/rewards/{tote}")
    page = embedded.page
    # Polaris' fields are stubbed and draw nothing, so what shows is each box's `hidden`.
    box = page.locator("[data-applies]")
    expect(box.and_(page.locator('[data-field="product_gid"]'))).to_have_js_property("hidden", False)
    expect(box.and_(page.locator('[data-field="discount_amount"]'))).to_have_js_property("hidden", True)
    assert page.locator('input[name="product_gid"]').get_attribute("type") == "hidden"  # no GID to type in Shopify
    page.evaluate("""window.pickerSelection = [{
        id: "gid://shopify/Product/42", title: "Canvas tote", handle: "canvas-tote",
        images: [{originalSrc: "https://cdn.shopify.com/tote.png"}],
        variants: [{id: "gid://shopify/ProductVariant/4201"}]}]""")
    page.locator("s-button[data-pick-product]").click()
    expect(page.locator("[data-product-title]")).to_have_text("Canvas tote")
    options = page.evaluate("JSON.parse(document.documentElement.dataset.picker)")
    assert options == {"type": "product", "action": "select", "multiple": False,
                       "selectionIds": [{"id": "gid://shopify/Product/1001"}]}

    # What the form posts (the Polaris fields around them are drawn by polaris.js, stubbed here).
    posted = page.evaluate("""() => Object.fromEntries(Array.from(
        document.querySelectorAll('[data-product-picker] input'), input => [input.name, input.value]))""")
    assert posted == {"product_gid": "gid://shopify/Product/42", "variant_gid": "gid://shopify/ProductVariant/4201",
                      "product_title": "Canvas tote", "product_handle": "canvas-tote",
                      "product_image_url": "https://cdn.shopify.com/tote.png"}
    # A Polaris choice list says its choice in `values`, in a change event that need not bubble.
    page.evaluate("""() => { const list = document.querySelector('s-choice-list[name="discount_type"]');
                             list.values = ["fixed_amount"]; list.dispatchEvent(new Event("change")); }""")
    expect(box.and_(page.locator('[data-field="discount_amount"]'))).to_have_js_property("hidden", False)
    expect(box.and_(page.locator('[data-field="product_gid"]'))).to_have_js_property("hidden", True)
