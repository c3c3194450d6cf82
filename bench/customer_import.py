"""Customer import benchmark on PostgreSQL: the import job reading a 100,000-customer bulk export from
the fake Shopify (its JSONL served over local HTTP, from this process), then the same export again
(every customer already a member); seconds, this process's CPU seconds (the job's and the fake's), the
job's peak traced Python memory and the process's peak resident memory.

    .venv/bin/python bench/customer_import.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/15] [--customers 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.admin import drop_database, fresh_database  # noqa: E402
from shopify_app import create_app, migrations  # noqa: E402
from shopify_app.clock import utcnow  # noqa: E402
from shopify_app.config import Config  # noqa: E402
from shopify_app.db import engine_for, sessionmaker_for  # noqa: E402
from shopify_app.devtools import demo  # noqa: E402
from shopify_app.jobs import bulk, customer_import, runtime  # noqa: E402
from shopify_app.models import BulkJob, BulkJobKind, BulkJobStatus, Customer, Shop  # noqa: E402
from shopify_app.shopify.oauth import TokenGrant  # noqa: E402
from shopify_app.shops.tokens import store_grant  # noqa: E402
from tests.fakes.shopify import FakeShopify  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_import(app: object, shop_id: str) -> str:
    sessions = runtime.context().sessions
    with sessions.begin() as session:
        job = bulk.start(session, session.get_one(Shop, shop_id), BulkJobKind.IMPORT_CUSTOMERS)
        job_id = job.id
    customer_import.import_customers(job_id)
    with sessions() as session:
        finished = session.get_one(BulkJob, job_id)
        assert finished.status == BulkJobStatus.DONE.value, finished.error
        return f"{finished.done:,} lines"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake's request log
    url = fresh_database(args.database_url)
    try:
        with FakeShopify() as shopify:
            shopify.exported_customers, shopify.bulk_polls = args.customers, 1  # Shopify's own export time left out
            config = Config(env="test", database_url=url, redis_url=args.redis_url, shopify_admin_origin=shopify.url)
            app = create_app(config)
            migrations.upgrade(engine_for(app))
            with sessionmaker_for(app).begin() as session:
                shop = demo.seed(session, config.shopify_api_secret).shop
                store_grant(shop, TokenGrant("shpat_0", "read_customers", utcnow() + dt.timedelta(hours=1),
                                             "shprt_0", utcnow() + dt.timedelta(days=90)), config)
                shop_id = shop.id
            runtime.bind(app)
            print(f"{args.customers:,} customers in the export; peak {peak_mb():.0f} MB RSS before the runs")
            for label in ("import", "same export again"):
                tracemalloc.start()
                started, cpu = time.perf_counter(), cpu_seconds()
                outcome = run_import(app, shop_id)
                seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
                traced = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                with sessionmaker_for(app)() as session:
                    members = session.scalar(select(func.count()).select_from(Customer).where(
                        Customer.shop_id == shop_id))
                print(f"{label}: {seconds:.1f} s, {cpu:.1f} s of this process's CPU ({outcome}, {members:,} members), "
                      f"peak traced {traced:.1f} MB, peak {peak_mb():.0f} MB RSS")
        engine_for(app).dispose()
    finally:
        drop_database(args.database_url, url)


if __name__ == "__main__":
    main()
