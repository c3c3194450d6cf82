"""API benchmark: GET /v1/customers/{id} and GET /v1/customers?page[number]=500 against 100,000 members
on PostgreSQL, each as a ratio to GET /healthz in the same run, from 16 threads through the WSGI app
in process; and what the rate limiter and an Idempotency-Key each add to the award. Then the same
database served by gunicorn (4 sync workers) and driven by wrk (2 threads, 16 connections, 5 s rounds,
interleaved): GET /v1/customers/{id} in requests/s as a ratio to GET /healthz, the median of 5.

    .venv/bin/python bench/api.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.admin import drop_database, fresh_database  # noqa: E402
from bench.award import free_port, machine, run_wrk, wait_until_up  # noqa: E402
from shopify_app import create_app, migrations  # noqa: E402
from shopify_app.config import Config  # noqa: E402
from shopify_app.db import engine_for, sessionmaker_for  # noqa: E402
from shopify_app.devtools import demo  # noqa: E402
from shopify_app.models import EarningRule  # noqa: E402
from shopify_app.web.rate_limits import EXTENSION, Limits  # noqa: E402

MEMBERS = 100_000
VENV_BIN = Path(sys.executable).parent
THREADS, PER_THREAD = 16, 40
ROUNDS = 3


def timed(app: Any, request: Callable[[Any, int], Any]) -> float:
    """Median seconds per request, THREADS threads each sending PER_THREAD requests."""
    return statistics.median(samples(app, request))


def samples(app: Any, request: Callable[[Any, int], Any]) -> list[float]:
    """Seconds of each request, THREADS threads each sending PER_THREAD requests."""
    times: list[float] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        client = app.test_client()
        mine = []
        for i in range(PER_THREAD):
            start = time.perf_counter()
            response = request(client, n * PER_THREAD + i)
            mine.append(time.perf_counter() - start)
            assert response.status_code < 300, response.get_data(as_text=True)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    try:
        config = Config(env="test", instance_path=Path(tempfile.mkdtemp()), database_url=url,
                        redis_url=args.redis_url, api_rate_limit=1_000_000)
        app = create_app(config)
        migrations.upgrade(engine_for(app))
        with sessionmaker_for(app).begin() as session:
            seeded = demo.seed(session, config.shopify_api_secret, members=MEMBERS - len(demo.CUSTOMERS))
            key = seeded.api_key
            rule = session.scalars(select(EarningRule.id).where(
                EarningRule.shop_id == seeded.shop.id, EarningRule.action == "follow_on_instagram")).one()
        with engine_for(app).connect() as connection:
            # As autovacuum would by now: without statistics the planner takes a shop for 500 rows.
            connection.execute(text("ANALYZE"))
            connection.commit()
        auth = {"Authorization": key}
        health = timed(app, lambda c, i: c.get("/healthz"))
        one = timed(app, lambda c, i: c.get(f"/v1/customers/{2000001 + i}", headers=auth))
        first = timed(app, lambda c, i: c.get("/v1/customers", headers=auth))
        deep = timed(app, lambda c, i: c.get("/v1/customers?page[number]=500", headers=auth))
        by_points = timed(app, lambda c, i: c.get("/v1/customers?page[number]=500&sort=-points", headers=auth))

        def award(run: int, idempotent: bool) -> Callable[[Any, int], Any]:
            """The same rule awarded to members no other run awards it to (once per member)."""
            def send(c: Any, i: int) -> Any:
                headers = {**auth, **({"Idempotency-Key": uuid.uuid4().hex} if idempotent else {})}
                return c.post(f"/v1/earning-rules/{rule}/award", headers=headers,
                              json={"customer_identifier": str(2000001 + run * THREADS * PER_THREAD + i)})
            return send

        # Taken in turns, ROUNDS of each, so a neighbour's load falls on all three alike.
        limits: Limits = app.extensions[EXTENSION]
        times: dict[str, list[float]] = {"plain": [], "keyed": [], "unlimited": []}
        for round_ in range(ROUNDS):
            times["plain"] += samples(app, award(3 * round_, False))
            times["keyed"] += samples(app, award(3 * round_ + 1, True))
            api_limit = limits.by_blueprint.pop("api")  # no check, no Redis call
            times["unlimited"] += samples(app, award(3 * round_ + 2, False))
            limits.by_blueprint["api"] = api_limit
        plain, keyed, unlimited = (statistics.median(times[mode]) for mode in ("plain", "keyed", "unlimited"))
        print(f"members {MEMBERS}, {THREADS} threads x {PER_THREAD} requests, medians")
        for name, value in [("GET /healthz", health), ("GET /v1/customers/{id}", one),
                            ("GET /v1/customers (page 1)", first), ("GET /v1/customers?page[number]=500", deep),
                            ("  … sort=-points", by_points)]:
            print(f"{name:40} {value * 1000:7.2f} ms  {value / health:5.1f}x healthz")
        print(f"{'award':40} {plain * 1000:7.2f} ms")
        print(f"{'award without the rate limiter':40} {unlimited * 1000:7.2f} ms  {plain / unlimited:5.2f}x "
              "(the award with it / without)")
        print(f"{'award with an Idempotency-Key':40} {keyed * 1000:7.2f} ms  {keyed / plain:5.2f}x the award")
        served(url, args.redis_url, key)
    finally:
        drop_database(args.database_url, url)


def served(database_url: str, redis_url: str, key: str, rounds: int = 5) -> None:
    """GET /v1/customers/{id} against GET /healthz under gunicorn and wrk, requests/s and their ratio."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "APP_ENV": "development",
           "API_RATE_LIMIT": "1000000"}
    port = free_port()
    server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}",
                               "--workers", "4", "--worker-class", "sync", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/healthz", timeout=180)  # a busy host boots workers slowly
        wrk_args = ["-t", "2", "-c", "16", "-d", "5s", "--latency"]
        paths = Path(tempfile.mkdtemp()) / "customer_paths.txt"
        paths.write_text("".join(f"/v1/customers/{2000001 + i}\n" for i in range(MEMBERS - len(demo.CUSTOMERS))))
        script = ["-s", str(ROOT / "bench" / "paths_wrk.lua"), base, "--", str(paths), key]
        run_wrk([*wrk_args[:-2], "3s", *script])  # warm-up
        ratios = []
        for _ in range(rounds):
            health, one = run_wrk([*wrk_args, base + "/healthz"]), run_wrk([*wrk_args, *script])
            ratios.append(one["requests_per_s"] / health["requests_per_s"])
            print(f"gunicorn: GET /healthz {health['requests_per_s']:.0f} req/s, GET /v1/customers/{{id}} "
                  f"{one['requests_per_s']:.0f} req/s (p50 {one.get('p50_ms')} ms, p99 {one.get('p99_ms')} ms, "
                  f"non-2xx {one['non_2xx']}), ratio {ratios[-1]:.3f}")
        print(f"gunicorn: median ratio GET /v1/customers/{{id}} to GET /healthz {statistics.median(ratios):.3f}; "
              f"{machine()}, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
