"""Browser fixtures: the app served from a thread, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.admin.conftest import dev_login_app  # noqa: F401  (a fixture: the demo admin runs on it)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def live_url(app: Flask) -> Iterator[str]:
    yield from _serve(app)


@pytest.fixture(scope="session")
def admin_url(dev_login_app: Flask) -> Iterator[str]:  # noqa: F811  (the fixture imported above)
    """The app as bin/dev runs it (ADMIN_DEV_LOGIN=1), for the demo admin."""
    yield from _serve(dev_login_app)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, admin_url: str):  # type: ignore[no-untyped-def]
    """A fresh page on the demo admin's server; any JavaScript error on it fails the test."""
    context = browser.new_context(base_url=admin_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def screenshot(page, name: str, *, full_page: bool = True) -> Path:  # type: ignore[no-untyped-def]
    """Keep a picture of the page as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(page) -> None:  # type: ignore[no-untyped-def]
    """Through the demo login page, as a merchant trying the app: its one button."""
    page.goto("/admin/dev-login")
    page.get_by_role("button", name="Open the demo admin").click()
    page.wait_for_url("**/admin/")
