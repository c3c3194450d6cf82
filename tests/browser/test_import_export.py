"""The Import & export page in real headless Chromium: past orders previewed, then given, each job's
progress followed on the page; a points file checked, then imported."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.models import BulkJob, EarningEntry
from tests.admin.test_jobs_and_integrations import run_worker
from tests.browser.conftest import log_in, screenshot
from tests.fakes.shopify import order_node
from tests.jobs.conftest import connect_shop, fakes, sync_app  # noqa: F401  (fixtures)


def test_preview_past_orders_then_give_the_points(page: Page, sync_app: Flask, fakes: SimpleNamespace,  # noqa: F811
                                                  demo_shop: dict[str, Any], session: Session, redis) -> None:
    connect_shop(sync_app, demo_shop["shop_id"])
    fakes.shopify.orders = [order_node("9301", "#9301", "100.00", "8.00", ("1001", "gold@example.com", "G", "M")),
                            order_node("9302", "#9302", "50.00", "4.00", ("1002", "new@example.com", "N", "M"))]
    log_in(page)
    page.get_by_role("link", name="Import & export").click()
    page.get_by_label("Orders from the last (days)").fill("30")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#toast")).to_contain_text("Preview started")
    expect(page.get_by_role("progressbar", name="Preview")).to_have_attribute("aria-valuenow", "0")
    run_worker(sync_app, redis)
    # The page loads again once the job is done, showing what it found.
    preview = page.locator("#past-orders-preview")
    expect(preview).to_contain_text("2 orders; 2 members would get 200 points", timeout=10_000)
    assert session.scalar(select(func.count()).select_from(EarningEntry).where(
        EarningEntry.order_id.in_(["9301", "9302"]))) == 0
    screenshot(page, "import-export-preview")

    preview.get_by_role("button", name="Give points").click()
    expect(page.locator("#toast")).to_contain_text("Giving points started")
    run_worker(sync_app, redis)
    expect(page.locator("#past-orders-given")).to_contain_text("Gave 200 points to 2 members", timeout=10_000)
    session.expire_all()
    assert session.scalar(select(func.sum(EarningEntry.points)).where(
        EarningEntry.order_id.in_(["9301", "9302"]))) == 200


def test_check_a_points_file_then_import_it(page: Page, app: Flask, session: Session, redis, demo_shop,
                                            tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "smile.csv"
    path.write_text("Customer email,Points balance\nnew@example.com,750\nnobody@example.com,5\n")
    log_in(page)
    page.goto("/admin/import-export")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_label("Smile").check()
    page.get_by_role("button", name="Check file").click()
    run_worker(app, redis)
    check = page.locator("#points-check")
    expect(check).to_contain_text("1 balances added (750 points)", timeout=10_000)
    expect(check.locator("tr", has_text="nobody@example.com").first).to_contain_text("Unknown customer")
    screenshot(page, "import-export-check")
    check.get_by_role("button", name="Import").click()
    run_worker(app, redis)
    expect(page.locator("#points-imported")).to_contain_text("Imported 1 balances (750 points)", timeout=10_000)
    session.expire_all()
    assert session.scalar(select(func.sum(EarningEntry.points)).where(
        EarningEntry.source == "opening_balance", EarningEntry.note == "Balance imported from another app")) == 750


def test_a_file_too_large_is_refused_before_it_is_sent(page: Page, session: Session, demo_shop,  # type: ignore[no-untyped-def]
                                                       tmp_path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"email,points\n" + b"x" * (3 * 1024 * 1024))
    log_in(page)
    page.goto("/admin/import-export")
    page.get_by_label("CSV file").set_input_files(str(path))
    expect(page.locator("#e-file")).to_have_text("The file is larger than 3 MB: split it and import each part")
    page.get_by_role("button", name="Check file").click()
    page.wait_for_timeout(500)
    expect(page).to_have_url(re.compile(r"/admin/import-export$"))
    expect(page.locator("#e-file")).to_be_visible()
    assert session.scalar(select(func.count()).select_from(BulkJob)) == 0
