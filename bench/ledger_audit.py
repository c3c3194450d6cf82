"""Ledger audit benchmark: the time of `audit.disagreements` on PostgreSQL for one shop of 100,000
customers and 400,000 entries, and for every shop, with a handful of customers made to disagree;
then of the `ledger audit` command over them all.

    .venv/bin/python bench/ledger_audit.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/15]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.admin import drop_database, fresh_database  # noqa: E402
from shopify_app import create_app, migrations  # noqa: E402
from shopify_app.config import Config  # noqa: E402
from shopify_app.db import engine_for, sessionmaker_for  # noqa: E402
from shopify_app.devtools import demo  # noqa: E402
from shopify_app.ids import new_id  # noqa: E402
from shopify_app.loyalty.ledger import audit  # noqa: E402
from shopify_app.models import Customer, EarningEntry  # noqa: E402

CUSTOMERS, LOTS_PER_CUSTOMER, DRIFTED, RUNS = 100_000, 3, 7, 5


def seed(app) -> str:  # type: ignore[no-untyped-def]
    """Members whose balances are the sum of their lots (three earned, one redemption taken from the
    oldest), as the ledger writes them."""
    rng = random.Random(11)
    now = dt.datetime.now(dt.timezone.utc)
    with sessionmaker_for(app).begin() as session:
        shop = demo.seed(session, app.config["LOYALTY"].shopify_api_secret).shop
        demo.add_members(session, shop, CUSTOMERS)
        customers = list(session.scalars(select(Customer.id).where(Customer.shop_id == shop.id,
                                                                   Customer.shopify_customer_id.like("2%"))))
        entries = []
        for customer_id in customers:
            lots = [rng.choice([50, 100, 200]) for _ in range(LOTS_PER_CUSTOMER)]
            spent = rng.randint(0, lots[0])
            for points, remaining in zip(lots, [lots[0] - spent, *lots[1:]], strict=True):
                entries.append(dict(id=new_id("cer"), shop_id=shop.id, customer_id=customer_id, action="place_order",
                                    source="purchase", base_points=points, points_multiplier=Decimal(1),
                                    points=points, points_remaining=remaining, status="approved", points_given_at=now,
                                    created_at=now, updated_at=now))
            entries.append(dict(id=new_id("cer"), shop_id=shop.id, customer_id=customer_id,
                                action="redemption", source="redemption", base_points=-spent,
                                points_multiplier=Decimal(1), points=-spent, points_remaining=0, status="approved",
                                points_given_at=now, created_at=now, updated_at=now))
        for start in range(0, len(entries), 10_000):
            session.execute(insert(EarningEntry), entries[start:start + 10_000])
        session.execute(text(
            "UPDATE customers SET current_points = s.current, lifetime_points = s.lifetime,"
            " redeemed_points = s.redeemed FROM ("
            " SELECT customer_id, sum(points) AS current, sum(points) FILTER (WHERE points > 0) AS lifetime,"
            " -sum(points) FILTER (WHERE source = 'redemption') AS redeemed"
            " FROM earning_entries WHERE customer_id IN (SELECT id FROM customers WHERE shopify_customer_id LIKE '2%')"
            " GROUP BY customer_id) AS s WHERE s.customer_id = customers.id"))
        for customer_id in rng.sample(customers, DRIFTED):
            session.execute(update(Customer).where(Customer.id == customer_id)
                            .values(current_points=Customer.current_points + 1))
        shop_id = shop.id
    with engine_for(app).connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return shop_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    try:
        app = create_app(Config(env="test", database_url=url, redis_url=args.redis_url))
        migrations.upgrade(engine_for(app))
        started = time.perf_counter()
        shop_id = seed(app)
        print(f"seeded {CUSTOMERS:,} customers, {CUSTOMERS * (LOTS_PER_CUSTOMER + 1):,} entries "
              f"in {time.perf_counter() - started:.0f} s")
        for label, scope in (("one shop", shop_id), ("every shop", None)):
            times = []
            for _ in range(RUNS):
                with sessionmaker_for(app)() as session:
                    started = time.perf_counter()
                    found = audit.disagreements(session, scope)
                    times.append(time.perf_counter() - started)
            print(f"{label}: {len(found)} disagreeing, median {statistics.median(times):.2f} s, "
                  f"worst {max(times):.2f} s of {RUNS}")
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["ledger", "audit"])
        print(f"`ledger audit`: exit {result.exit_code}, {len(result.stdout.splitlines())} lines, "
              f"{time.perf_counter() - started:.2f} s")
        engine_for(app).dispose()
    finally:
        drop_database(args.database_url, url)


if __name__ == "__main__":
    main()
