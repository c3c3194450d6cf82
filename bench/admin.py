"""Admin benchmark: server time per page at p95 on PostgreSQL with 10,000 customers and 100,000 ledger
entries, and the overview's LCP in headless Chromium in demo mode.

    .venv/bin/python bench/admin.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shopify_app import create_app, migrations  # noqa: E402
from shopify_app.config import Config, normalize_database_url  # noqa: E402
from shopify_app.db import engine_for, sessionmaker_for  # noqa: E402
from shopify_app.devtools import demo  # noqa: E402
from shopify_app.ids import new_id  # noqa: E402
from shopify_app.models import Customer, EarningEntry, EarningRule, EntrySource, OutboxMessage  # noqa: E402
from shopify_app.redis_conn import get_redis  # noqa: E402
from tests.admin.conftest import log_in_to_the_demo  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, log_in  # noqa: E402

CUSTOMERS, ENTRIES, OUTBOX = 10_000, 100_000, 40_000
REQUESTS, WARMUP, LCP_RUNS = 200, 10, 10
LCP_SCRIPT = """() => new Promise(resolve => {
  new PerformanceObserver(list => { const e = list.getEntries(); resolve(e[e.length - 1].startTime); })
    .observe({type: 'largest-contentful-paint', buffered: true});
})"""
CLS_SCRIPT = """() => new Promise(resolve => {
  let cls = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) cls += e.value; })
    .observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(cls), 300);
})"""


def fresh_database(server_url: str) -> str:
    name = f"loyalty_bench_admin_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(normalize_database_url(server_url)).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    admin = create_engine(normalize_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def seed(app) -> str:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    now = dt.datetime.now(dt.timezone.utc)
    with sessionmaker_for(app).begin() as session:
        seeded = demo.seed(session, app.config["LOYALTY"].shopify_api_secret, members=CUSTOMERS - len(demo.CUSTOMERS))
        shop_id = seeded.shop.id
        customers = list(session.scalars(select(Customer.id).where(Customer.shop_id == shop_id)))
        rules = list(session.execute(select(EarningRule.id, EarningRule.action).where(EarningRule.shop_id == shop_id)))
        entries = []
        for _ in range(ENTRIES):
            created = now - dt.timedelta(days=rng.random() * 365)
            status = rng.choices(["approved", "pending", "rejected"], [85, 10, 5])[0]
            rule_id, action = rng.choice(rules)
            points = rng.choice([-50, 15, 50, 100, 200]) if status == "approved" else rng.choice([50, 100])
            expiry = created + dt.timedelta(days=180) if status == "approved" and points > 0 else None
            entries.append(dict(
                id=new_id("cer"), shop_id=shop_id, customer_id=rng.choice(customers), earning_rule_id=rule_id,
                dedupe_key=None, action=action, base_points=points,
                source=(EntrySource.RULE_AWARD if points > 0 else EntrySource.REDEMPTION).value,
                points_multiplier=Decimal(1), points=points,
                points_remaining=max(points, 0) if status == "approved" else 0, status=status,
                points_given_at=created if status == "approved" else None,
                points_due_at=created + dt.timedelta(days=14) if status == "pending" else None,
                points_expiry_at=expiry, manual_intervention=False, created_at=created, updated_at=created,
            ))
        # A ledger is appended in time order, so rows of one period sit together on disk.
        entries.sort(key=lambda row: row["created_at"])
        for start in range(0, len(entries), 5000):
            session.execute(insert(EarningEntry), entries[start:start + 5000])
        outbox = [dict(shop_id=shop_id, topic=rng.choice(["klaviyo", "omnisend", "postscript",
                                                          "shopify.customer_metafield"]),
                       customer_id=rng.choice(customers), payload={}, attempts=1,
                       status=rng.choices(["done", "failed", "pending"], [95, 2, 3])[0],
                       created_at=now, processed_at=now - dt.timedelta(minutes=rng.random() * 600))
                  for _ in range(OUTBOX)]
        for start in range(0, len(outbox), 5000):
            session.execute(insert(OutboxMessage), outbox[start:start + 5000])
    # What autovacuum does after a bulk load: statistics, and the visibility map index-only scans need.
    with engine_for(app).connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return shop_id


def server_times(app, shop_id: str) -> list[tuple[str, float, float]]:  # type: ignore[no-untyped-def]
    with sessionmaker_for(app)() as session:
        busiest = session.scalar(text(
            "SELECT customer_id FROM earning_entries GROUP BY customer_id ORDER BY count(*) DESC LIMIT 1"))
        rule_id = session.scalar(select(EarningRule.id).where(EarningRule.shop_id == shop_id).limit(1))
    pages = ["/admin/", "/admin/?days=90", "/admin/rules", f"/admin/rules/{rule_id}", "/admin/tiers",
             "/admin/customers", "/admin/customers?page=300", "/admin/customers?q=member4321@example.com",
             "/admin/customers?q=member 99", f"/admin/customers/{busiest}",
             f"/admin/customers/{busiest}?status=pending", "/admin/settings", "/admin/privacy"]
    client = app.test_client()
    log_in_to_the_demo(client)
    redis = get_redis(app)
    results = []
    # The overview keeps its history for a minute; "(cold)" rows drop that copy before every request.
    for url, cold in [(page, False) for page in pages] + [("/admin/", True), ("/admin/?days=90", True)]:
        for _ in range(WARMUP):
            assert client.get(url).status_code == 200, url
        samples = []
        for _ in range(REQUESTS):
            if cold:
                for key in redis.scan_iter("admin:overview:*"):
                    redis.delete(key)
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        samples.sort()
        label = f"{url} (cold)" if cold else url
        results.append((label, statistics.median(samples), samples[int(len(samples) * 0.95) - 1]))
    return results


def lcp(app) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    lcps, shifts = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        log_in(page)
        for _ in range(LCP_RUNS):
            page.goto(f"{base}/admin/", wait_until="load")
            lcps.append(page.evaluate(LCP_SCRIPT))
            shifts.append(page.evaluate(CLS_SCRIPT))
        page.screenshot(path=str(ROOT / "docs" / "admin-overview.png"))
        browser.close()
    server.shutdown()
    return lcps, shifts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database and print its URL")
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    try:
        app = create_app(Config(env="development", instance_path=Path(tempfile.mkdtemp()), database_url=url,
                                 admin_dev_login=True))
        migrations.upgrade(engine_for(app))
        started = time.perf_counter()
        shop_id = seed(app)
        print(f"seeded {CUSTOMERS} customers, {ENTRIES} entries, {OUTBOX} outbox rows "
              f"in {time.perf_counter() - started:.1f} s")
        print("\n| page | p50 ms | p95 ms |\n| --- | ---: | ---: |")
        for page_url, p50, p95 in server_times(app, shop_id):
            print(f"| `{page_url}` | {p50:.1f} | {p95:.1f} |")
        lcps, shifts = lcp(app)
        print(f"\noverview LCP over {LCP_RUNS} loads: median {statistics.median(lcps):.0f} ms, "
              f"max {max(lcps):.0f} ms; CLS max {max(shifts):.3f}")
        engine_for(app).dispose()
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            drop_database(args.database_url, url)


if __name__ == "__main__":
    main()
