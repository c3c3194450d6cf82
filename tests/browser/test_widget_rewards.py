"""Redeeming a reward in the storefront widget, in headless Chromium, against the app pointed at the fake Shopify."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import _serve
from tests.browser.test_widget import context, open_storefront
from tests.jobs.conftest import fakes, shop, sync_app
from tests.rewards.helpers import balance

__all__ = ["context", "fakes", "shop", "sync_app"]


@pytest.fixture
def sync_live_url(sync_app: Flask) -> Iterator[str]:
    yield from _serve(sync_app)


def test_redeeming_in_the_widget_shows_the_code(context: BrowserContext, sync_app: Flask, sync_live_url: str,
                                                shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    storefront = open_storefront(context, sync_app, sync_live_url, shop["shop_id"], "1001")
    page = storefront.page
    page.on("dialog", lambda dialog: dialog.accept())  # the redeem button asks to confirm
    page.locator("[data-loyalty-launcher]").click()
    panel = page.get_by_role("dialog", name="Your rewards")
    gold_only = panel.locator("[data-loyalty-reward]", has_text="Gold: $20 off")
    expect(gold_only.get_by_role("button", name="Redeem Gold: $20 off")).to_be_disabled()  # 1500 > 1200

    panel.get_by_role("button", name="Redeem $5 off").click()

    code = panel.locator("[data-loyalty-code-value]")
    expect(code).to_have_text(re.compile(r"^LOYAL-[2-9A-HJ-NP-Z]{10}$"))
    (made,) = fakes.shopify.discounts
    expect(code).to_have_text(made)
    expect(panel.get_by_role("link", name="Apply to cart")).to_have_attribute(
        "href", f"/discount/{made}?redirect=/cart")
    expect(page.locator("[data-loyalty-launcher]")).to_contain_text("700 points")
    assert balance(sync_app, "1001") == (700, 500)
