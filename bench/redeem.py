"""Redemption benchmark: POST /v1/rewards/{id}/purchase with the fake Shopify answering each code in 50 ms.

    python -m bench.redeem [--clients 8] [--redemptions 800] [--shopify-ms 50]

Needs PostgreSQL at BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres; a
database of its own is created and dropped) and redis-server on the PATH. The app is served by
werkzeug's threaded server in this process; each client redeems for customers of its own (one
customer's purchases queue on its row lock, which is the point of the lock, not its cost). Prints
redemptions/s, p50/p99 latency and the share of the request time spent waiting on Shopify."""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import select
from werkzeug.serving import make_server

from bench.sync import environment
from shopify_app.db import sessionmaker_for
from shopify_app.integrations import discounts
from shopify_app.models import Reward, Shop
from shopify_app.shops import api_keys
from tests import factories

POINTS = 1_000_000


@contextmanager
def served(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def timed_shopify() -> list[float]:
    """Wrap the code creation to record how long each request waited on Shopify."""
    waits: list[float] = []
    create = discounts.create_code

    def timed(client: Any, redemption: Any) -> str:
        started = time.perf_counter()
        try:
            return create(client, redemption)
        finally:
            waits.append(time.perf_counter() - started)

    discounts.create_code = timed  # type: ignore[assignment]
    return waits


def run(app: Any, url: str, api_key: str, reward_id: str, customers: list[list[str]], total: int) -> dict[str, Any]:
    per_client = total // len(customers)
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def client(mine: list[str]) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": api_key}, timeout=30) as http:
            for i in range(per_client):
                started = time.perf_counter()
                response = http.post(f"/v1/rewards/{reward_id}/purchase",
                                     json={"customer_identifier": mine[i % len(mine)]})
                with lock:
                    latencies.append(time.perf_counter() - started)
                    statuses.append(response.status_code)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(customers)) as pool:
        list(pool.map(client, customers))
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"redemptions": len(ordered), "seconds": round(seconds, 2), "per_second": round(len(ordered) / seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "statuses": {status: statuses.count(status) for status in sorted(set(statuses))},
            "request_seconds": sum(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--redemptions", type=int, default=800)
    parser.add_argument("--shopify-ms", type=float, default=50)
    # Shopify Plus's cost bucket by default (1000 points/s, 20,000 held); 100 is the Standard plan's
    # rate, where 10-point mutations cap the shop at about 10 codes a second.
    parser.add_argument("--restore-rate", type=float, default=1000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}")
    with environment(0, vendors=False) as (app, _env, fakes):
        shopify = fakes["shopify"]
        shopify.discount_delay = args.shopify_ms / 1000
        shopify.restore_rate, shopify.maximum = args.restore_rate, args.restore_rate * 20
        shopify.available = shopify.maximum
        with sessionmaker_for(app).begin() as session:
            shop = session.scalars(select(Shop)).one()
            reward = Reward(shop_id=shop.id, name="Bench $1 off", discount_type="fixed_amount", points_cost=100)
            session.add(reward)
            issued = api_keys.issue_key(session, shop, read_only=False)
            issued.row.rate_limit = 1_000_000  # the per-key limit (6/s by default) would refuse most with 429
            api_key = issued.raw
            customers = [[str(7_000_000 + c * 100 + i) for i in range(10)] for c in range(args.clients)]
            for mine in customers:
                for shopify_id in mine:
                    factories.customer(session, shop, shopify_id, current_points=POINTS)
            session.flush()
            reward_id = reward.id
        waits = timed_shopify()
        with served(app) as url:
            result = run(app, url, api_key, reward_id, customers, args.redemptions)
        share = sum(waits) / result.pop("request_seconds")
        print(f"redeem: {result} with {args.clients} clients, Shopify {args.shopify_ms:.0f} ms per code, "
              f"bucket restoring {args.restore_rate:.0f}/s; waiting on Shopify {share:.0%} of request time")


if __name__ == "__main__":
    main()
