"""Admin web vitals in headless Chromium: LCP and CLS of every page, INP of the main actions and
document loads per navigation, inside Shopify (App Bridge and Polaris stubbed, as the browser tests
do) and in demo mode. Not a test: see docs/benchmarks.md.

    .venv/bin/python bench/admin_vitals.py [--database-url postgresql://postgres@127.0.0.1:5432/test] [--runs 5]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shopify_app import create_app, migrations  # noqa: E402
from shopify_app.config import Config  # noqa: E402
from shopify_app.db import engine_for, sessionmaker_for  # noqa: E402
from shopify_app.devtools import demo  # noqa: E402
from shopify_app.models import Customer  # noqa: E402
from shopify_app.shopify.oauth import TokenGrant  # noqa: E402
from shopify_app.shops.tokens import store_grant  # noqa: E402
from tests import factories  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, log_in  # noqa: E402
from tests.browser.test_embedded_admin import APP_BRIDGE, APP_BRIDGE_STUB  # noqa: E402

MEMBERS = 2000
# Installed before any page script: the vitals as Chrome reports them to PerformanceObservers.
VITALS_SCRIPT = """window.__vitals = {lcp: 0, cls: 0, inp: 0};
new PerformanceObserver(l => { for (const e of l.getEntries()) window.__vitals.lcp = e.startTime; })
  .observe({type: 'largest-contentful-paint', buffered: true});
new PerformanceObserver(l => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__vitals.cls += e.value; })
  .observe({type: 'layout-shift', buffered: true});
new PerformanceObserver(l => { for (const e of l.getEntries())
    if (e.interactionId) window.__vitals.inp = Math.max(window.__vitals.inp, e.duration); })
  .observe({type: 'event', durationThreshold: 16, buffered: true});"""
READ_VITALS = "() => new Promise(r => requestAnimationFrame(() => setTimeout(() => r(window.__vitals), 50)))"


def seed(app: Any) -> dict[str, str]:
    with sessionmaker_for(app).begin() as session:
        seeded = demo.seed(session, app.config["LOYALTY"].shopify_api_secret)
        demo.add_members(session, seeded.shop, MEMBERS)
        store_grant(seeded.shop, TokenGrant("shpat_bench", app.config["LOYALTY"].shopify_scopes, None, None, None),
                    app.config["LOYALTY"])
        described = factories.describe(session, seeded)
    with sessionmaker_for(app)() as session:
        goldie = session.scalars(select(Customer.id).where(Customer.shopify_customer_id == "1001")).one()
    return {"domain": described["domain"], "customer": goldie,
            "rule": described["rules"]["follow_on_instagram"], "tier": described["tiers"]["Gold"]}


def pages(ids: dict[str, str]) -> list[tuple[str, str]]:
    return [("overview", "/admin/"), ("rules", "/admin/rules"), ("rule", f"/admin/rules/{ids['rule']}"),
            ("tiers", "/admin/tiers"), ("tier", f"/admin/tiers/{ids['tier']}"), ("customers", "/admin/customers"),
            ("customer", f"/admin/customers/{ids['customer']}"), ("settings", "/admin/settings"),
            ("privacy", "/admin/privacy")]


class Browser:
    """One Chromium context, embedded (App Bridge stubbed, session tokens in the URL) or demo."""

    def __init__(self, playwright: Any, base: str, app: Any, domain: str, *, embedded: bool) -> None:
        self.base, self.app, self.domain, self.embedded = base, app, domain, embedded
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.context = self.browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        self.context.add_init_script(VITALS_SCRIPT)
        self.context.route("https://cdn.shopify.com/**", self._shopify_cdn)
        self.page = self.context.new_page()
        self.documents = 0
        self.page.on("request", self._count)
        if not embedded:
            log_in(self.page)

    def _token(self) -> str:
        return factories.session_token(self.app.config["LOYALTY"], self.domain)

    def _shopify_cdn(self, route: Any) -> None:
        if route.request.url.startswith(APP_BRIDGE):
            route.fulfill(content_type="text/javascript", body=APP_BRIDGE_STUB % f'"{self._token()}"')
        else:
            route.fulfill(content_type="text/javascript", body="")

    def _count(self, request: Any) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame and not request.redirected_from:
            self.documents += 1

    def open(self, path: str) -> dict[str, float]:
        query = ""
        if self.embedded:
            query = "?" + urlencode({"embedded": "1", "shop": self.domain, "id_token": self._token()})
        self.page.goto(f"{self.base}{path}{query}", wait_until="load")
        return dict(self.page.evaluate(READ_VITALS))

    def navigation(self, action: Callable[[Any], None]) -> tuple[int, dict[str, float]]:
        """Document loads an in-app navigation costs, and the next page's vitals."""
        before = self.documents
        with self.page.expect_navigation(wait_until="load"):
            action(self.page)
        self.page.wait_for_load_state("load")
        return self.documents - before, dict(self.page.evaluate(READ_VITALS))

    def close(self) -> None:
        self.browser.close()


def vitals_per_page(browser: Browser, ids: dict[str, str], runs: int) -> list[tuple[str, float, float]]:
    rows = []
    for name, path in pages(ids):
        samples = [browser.open(path) for _ in range(runs)]
        rows.append((name, statistics.median(s["lcp"] for s in samples), max(s["cls"] for s in samples)))
    return rows


def demo_interactions(browser: Browser, ids: dict[str, str]) -> list[tuple[str, float]]:
    """INP of the actions that answer on the page itself (the others are navigations)."""
    page, results = browser.page, []

    def measure(name: str, path: str, act: Callable[[], None]) -> None:
        browser.open(path)
        act()
        results.append((name, page.evaluate(READ_VITALS)["inp"]))

    measure("type a points change", f"/admin/customers/{ids['customer']}",
            lambda: page.get_by_label("Points (+ to add, − to remove)").type("-150", delay=30))
    measure("type a search", "/admin/customers", lambda: page.get_by_label("Search customers").type("gold", delay=30))
    measure("open the Revoke modal", "/admin/settings",
            lambda: page.get_by_role("button", name="Revoke").first.click())
    measure("type a note", f"/admin/customers/{ids['customer']}",
            lambda: page.get_by_label("Note").type("Returned order", delay=30))
    return results


def embedded_navigations(browser: Browser, ids: dict[str, str]) -> list[tuple[str, int, float]]:
    rows = []
    browser.open("/admin/rules")
    loads, vitals = browser.navigation(lambda p: p.locator("s-table-row a").first.click())
    rows.append(("rules → a rule (link)", loads, vitals["lcp"]))
    loads, vitals = browser.navigation(
        lambda p: p.locator("s-link[slot=breadcrumb-actions]", has_text="Back to rules").click())
    rows.append(("rule → rules (breadcrumb)", loads, vitals["lcp"]))
    loads, vitals = browser.navigation(
        lambda p: p.locator("form", has=p.locator('input[name="active"]')).first.evaluate("f => f.requestSubmit()"))
    rows.append(("deactivate a rule (post, 303)", loads, vitals["lcp"]))
    browser.open("/admin/customers")
    loads, vitals = browser.navigation(lambda p: p.locator("s-table-row a").first.click())
    rows.append(("customers → a customer (link)", loads, vitals["lcp"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="", help="PostgreSQL to use instead of a temporary SQLite")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{folder / 'vitals.db'}"
    app = create_app(Config(env="development", instance_path=folder, database_url=url, admin_dev_login=True))
    migrations.upgrade(engine_for(app))
    ids = seed(app)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as playwright:
        for embedded in (True, False):
            browser = Browser(playwright, base, app, ids["domain"], embedded=embedded)
            print(f"\n{'embedded (App Bridge and Polaris stubbed)' if embedded else 'demo mode'}: "
                  f"median LCP and worst CLS over {args.runs} loads")
            print("| page | LCP ms | CLS |\n| --- | ---: | ---: |")
            for name, lcp, cls in vitals_per_page(browser, ids, args.runs):
                print(f"| {name} | {lcp:.0f} | {cls:.3f} |")
            if embedded:
                print("\n| navigation | document loads | next page LCP ms |\n| --- | ---: | ---: |")
                for name, loads, lcp in embedded_navigations(browser, ids):
                    print(f"| {name} | {loads} | {lcp:.0f} |")
            else:
                print("\n| action | INP ms |\n| --- | ---: |")
                for name, inp in demo_interactions(browser, ids):
                    print(f"| {name} | {inp:.0f} |" if inp else f"| {name} | < 16 |")
            browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
