"""Sync benchmark: metafield throughput against Shopify's cost bucket, coalescing, award-to-Klaviyo lag.

    python -m bench.sync [--changes 5000] [--workers 2] [--lag-samples 40]

Needs PostgreSQL at BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres;
a database of its own is created and dropped) and redis-server on the PATH (its own, on a
unix socket). Everything else runs on loopback: the fake Shopify (Standard plan: bucket 2000,
100 points/s restored), Klaviyo, Omnisend and Postscript, and `flask --app wsgi worker` processes."""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from shopify_app import create_app
from shopify_app.config import PROJECT_ROOT, Config, normalize_database_url
from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.devtools import demo
from shopify_app.loyalty.earning.awards import award_rule
from shopify_app.models import EarningRule, OutboxMessage, Shop
from tests.fakes.shopify import FakeShopify
from tests.fakes.vendors import FakeKlaviyo, FakeOmnisend, FakePostscript
from tests.jobs.conftest import API_KEYS, connect_shop
from tests.jobs.own_redis import OwnRedis

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def bench_database() -> Iterator[str]:
    server = normalize_database_url(SERVER_URL)
    name = f"loyalty_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def workers(count: int, env: dict[str, str]) -> Iterator[None]:
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=PROJECT_ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True) for _ in range(count)]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def open_rows(app: Any) -> int:
    with sessionmaker_for(app)() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status.in_(("pending", "enqueued")))) or 0


def award_each(app: Any, rule_action: str, customer_ids: list[str]) -> None:
    """One committed change per customer, as the API would make them."""
    with sessionmaker_for(app)() as session:
        shop = session.scalars(select(Shop)).one()
        rule_id = session.scalars(select(EarningRule.id).where(EarningRule.action == rule_action)).one()
        for shopify_id in customer_ids:
            award_rule(session, shop, rule_id, shopify_id)
            session.commit()


def metafield_throughput(app: Any, shopify: FakeShopify, changes: int, workers_env: dict[str, str],
                         worker_count: int) -> dict[str, Any]:
    ids = [str(demo.MEMBER_ID_BASE + i) for i in range(1, changes + 1)]
    award_each(app, "join_newsletter", ids)
    start_available = shopify.available
    with workers(worker_count, workers_env):
        wait_until(lambda: len(shopify.writes) >= changes, 3600, "the metafield writes")
        wait_until(lambda: open_rows(app) == 0, 120, "the outbox to drain")
    writes = shopify.received("POST")
    elapsed = writes[-1].at - writes[0].at
    allowed = start_available + shopify.restore_rate * elapsed
    with sessionmaker_for(app)() as session:
        failed = session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "failed"))
    return {"changes": changes, "writes": len(shopify.writes), "seconds": round(elapsed, 1),
            "points_spent": shopify.spent, "points_allowed": round(allowed), "share": shopify.spent / allowed,
            "throttled_answers": shopify.throttled, "failed_rows": failed}


def coalescing(app: Any, fakes: dict[str, Any], workers_env: dict[str, str]) -> dict[str, Any]:
    """10 awards to one customer within one second (10 engagement rules, 0.1 s apart)."""
    with sessionmaker_for(app).begin() as session:
        shop = session.scalars(select(Shop)).one()
        session.add_all(EarningRule(shop_id=shop.id, name=f"Action {n}", action=f"action_{n}", category="engagement",
                                    points_to_give=10) for n in range(10))
    with workers(1, workers_env):
        time.sleep(2)  # the worker is up and idle
        with sessionmaker_for(app)() as session:
            shop = session.scalars(select(Shop)).one()
            for rule_id in session.scalars(select(EarningRule.id).where(EarningRule.action.like("action_%"))):
                award_rule(session, shop, rule_id, "1001")
                session.commit()
                time.sleep(0.1)
        wait_until(lambda: len(fakes["klaviyo"].events) >= 10 and open_rows(app) == 0, 60, "the coalesced sync")
    owner = "gid://shopify/Customer/1001"
    return {"awards": 10,
            "metafield_writes": sum(1 for w in fakes["shopify"].writes if w["ownerId"] == owner),
            "klaviyo_profiles": len(fakes["klaviyo"].received("POST", "/api/profile-import")),
            "omnisend_contacts": len(fakes["omnisend"].received("POST", "/api/contacts")),
            "postscript_patches": len(fakes["postscript"].received("PATCH")),
            "klaviyo_events": len(fakes["klaviyo"].events)}


def lag(app: Any, klaviyo: FakeKlaviyo, samples: int, workers_env: dict[str, str]) -> dict[str, Any]:
    """Award commit to the fake Klaviyo receiving the profile, one award at a time on an idle queue."""
    lags = []
    with workers(1, workers_env):
        time.sleep(2)
        for n in range(samples):
            shopify_id = str(demo.MEMBER_ID_BASE + n + 1)
            before = len(klaviyo.received("POST", "/api/profile-import"))
            award_each(app, "follow_on_instagram", [shopify_id])
            committed = time.monotonic()
            wait_until(lambda: len(klaviyo.received("POST", "/api/profile-import")) > before, 30,  # noqa: B023  (waited on in this turn of the loop)
                       "the profile")
            lags.append(klaviyo.received("POST", "/api/profile-import")[-1].at - committed)
            wait_until(lambda: open_rows(app) == 0, 30, "an idle queue")
    ordered = sorted(lags)
    return {"samples": samples, "p50_ms": round(statistics.median(ordered) * 1000),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000)}


def fresh_app(database_url: str, redis_url: str, fakes: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    config = Config(env="test", database_url=database_url, redis_url=redis_url,
                    shopify_admin_origin=fakes["shopify"].url, klaviyo_api_url=fakes["klaviyo"].url,
                    omnisend_api_url=fakes["omnisend"].url, postscript_api_url=fakes["postscript"].url)
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "SHOPIFY_ADMIN_ORIGIN": fakes["shopify"].url, "KLAVIYO_API_URL": fakes["klaviyo"].url,
           "OMNISEND_API_URL": fakes["omnisend"].url, "POSTSCRIPT_API_URL": fakes["postscript"].url}
    return create_app(config), env


@contextmanager
def environment(members: int, vendors: bool) -> Iterator[tuple[Any, dict[str, str], dict[str, Any]]]:
    """A fresh database, Redis and set of fakes; the demo shop connected (vendors keyed if asked)."""
    from shopify_app import migrations
    from shopify_app.integrations import settings

    redis = OwnRedis().start()
    with bench_database() as url, FakeShopify() as shopify, FakeKlaviyo() as klaviyo, FakeOmnisend() as omnisend, \
            FakePostscript() as postscript:
        fakes = {"shopify": shopify, "klaviyo": klaviyo, "omnisend": omnisend, "postscript": postscript}
        app, env = fresh_app(url, redis.url, fakes)
        try:
            migrations.upgrade(engine_for(app))
            with sessionmaker_for(app).begin() as session:
                seeded = demo.seed(session, app.config["LOYALTY"].shopify_api_secret, members=members)
                shop_id = seeded.shop.id
            connect_shop(app, shop_id)
            if not vendors:
                with sessionmaker_for(app).begin() as session:
                    for service in API_KEYS:
                        settings.disable(session, session.get_one(Shop, shop_id), service)
            postscript.subscribers.append({"id": "s_gold", "shopify_customer_id": "1001", "properties": {}})
            yield app, env, fakes
        finally:
            engine_for(app).dispose()
            redis.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lag-samples", type=int, default=40)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fakes' access log
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                   platform.processor())
    print(f"machine: {os.cpu_count()} CPUs, {cpu}, Python {platform.python_version()}")

    with environment(args.changes, vendors=False) as (app, env, fakes):
        result = metafield_throughput(app, fakes["shopify"], args.changes, env, args.workers)
        print(f"metafields: {result['writes']} writes for {result['changes']} changes in {result['seconds']} s "
              f"with {args.workers} workers; {result['points_spent']:.0f} of {result['points_allowed']} points "
              f"the bucket allowed = {result['share']:.1%}; THROTTLED answers {result['throttled_answers']}, "
              f"failed rows {result['failed_rows']}")
    with environment(0, vendors=True) as (app, env, fakes):
        result = coalescing(app, fakes, env)
        print(f"coalescing: {result}")
    with environment(args.lag_samples, vendors=True) as (app, env, fakes):
        result = lag(app, fakes["klaviyo"], args.lag_samples, env)
        print(f"lag award commit -> Klaviyo profile: {result}")


if __name__ == "__main__":
    main()
