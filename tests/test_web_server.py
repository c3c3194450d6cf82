"""The production web server (gunicorn with gunicorn.conf.py) on a free port: slow clients and a hung Redis stall
nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.config import PROJECT_ROOT, Config
from shopify_app.jobs.webhooks import enqueue_unprocessed_deliveries, webhooks_queue
from shopify_app.models import WebhookDelivery
from shopify_app.web_worker import REQUEST_SECONDS
from tests.jobs.own_redis import OwnRedis
from tests.shopify_signing import webhook_headers
from tests.timing import QUICK, timed

SETTINGS = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
THREADS = SETTINGS["workers"] * SETTINGS["threads"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(config: Config, redis_url: str, log_path: Path) -> Iterator[httpx.Client]:
    """The README's production command against the test database and ``redis_url``; a client once /healthz answers."""
    port = free_port()
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": config.database_url, "REDIS_URL": redis_url,
           "INSTANCE_PATH": str(config.instance_path)}
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.1)
        yield client
    finally:
        client.close()
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


def post_webhook(client: httpx.Client, customer_id: int) -> tuple[httpx.Response, float, str]:
    body = json.dumps({"id": customer_id, "email": f"c{customer_id}@example.com", "first_name": "Ann",
                       "last_name": "Lee", "created_at": "2024-03-01T10:00:00-05:00"}).encode()
    headers = webhook_headers(body, "customers/create", triggered_at=utcnow().isoformat().replace("+00:00", "Z"))
    response, elapsed = timed(client.post, "/webhooks", content=body, headers=headers)
    return response, elapsed, headers["X-Shopify-Webhook-Id"]


def recorded(session: Session, webhook_ids: list[str]) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id.in_(webhook_ids))))


def slow_body(port: int) -> socket.socket:
    """A webhook whose head arrives and whose 2,000-byte body has barely begun."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 2000\r\n\r\n{\"id\": ")
    return sock


def dropped_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_slow_clients_cannot_stall_the_app(app_config: Config, redis_url: str, demo_shop: dict[str, Any],
                                           session: Session, tmp_path: Path) -> None:
    """About 8 s: a real gunicorn, and the request deadline (5 s) waited out."""
    with gunicorn(app_config, redis_url, tmp_path / "gunicorn.log") as client:
        assert post_webhook(client, 700)[0].status_code == 200  # each worker's first request is not the one timed
        port = client.base_url.port
        assert port is not None
        trickling = [slow_body(port) for _ in range(THREADS + 4)]
        stopped = [slow_body(port) for _ in range(4)]
        done = threading.Event()

        def trickle() -> None:  # a byte every 0.2 s: no single read ever waits long
            while not done.wait(0.2):
                for sock in trickling:
                    try:
                        sock.send(b"1")
                    except OSError:
                        pass

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        try:
            time.sleep(0.5)
            for _ in range(5):
                response, elapsed = timed(client.get, "/healthz")
                assert response.status_code == 200 and elapsed < 1, elapsed
            response, elapsed, webhook_id = post_webhook(client, 701)
            assert response.status_code == 200 and elapsed < 2, elapsed
            assert [row.topic for row in recorded(session, [webhook_id])] == ["customers/create"]

            # A client that stops sending is dropped once its request's time is up; so is one that trickles.
            assert all(dropped_within(sock, REQUEST_SECONDS + 2) for sock in stopped)
            assert all(dropped_within(sock, 2) for sock in trickling)
        finally:
            done.set()
            trickler.join(5)
            for sock in trickling + stopped:
                sock.close()


def test_a_hung_redis_keeps_awards_and_webhooks_quick(app_config: Config, demo_shop: dict[str, Any],
                                                               session: Session, tmp_path: Path) -> None:
    """About 8 s: a real gunicorn and a redis-server of its own, stopped with SIGSTOP (hung, not dead)."""
    awards = [(action, customer) for action in ("follow_on_instagram", "follow_on_tiktok", "join_newsletter")
              for customer in ("gold@example.com", "new@example.com")]

    def award(client: httpx.Client, action: str, customer: str) -> tuple[httpx.Response, float]:
        return timed(client.post, f"/v1/earning-rules/{demo_shop['rules'][action]}/award",
                     headers={"Authorization": demo_shop["api_key"]}, json={"customer_identifier": customer})

    with OwnRedis() as redis_server, gunicorn(app_config, redis_server.url, tmp_path / "gunicorn.log") as client:
        assert post_webhook(client, 800)[0].status_code == 200
        assert award(client, *awards.pop())[0].status_code == 201
        redis_server.hang()
        try:
            with ThreadPoolExecutor(THREADS) as pool:  # awards and webhooks at once, as many as the server has threads
                webhook_calls = [pool.submit(post_webhook, client, 801 + i) for i in range(THREADS)]
                award_calls = [pool.submit(award, client, *pair) for pair in awards]
                webhooks = [call.result() for call in webhook_calls]
                awarded = [call.result() for call in award_calls]
        finally:
            redis_server.resume()
        assert [(r.status_code, elapsed < QUICK) for r, elapsed, _ in webhooks] == [(200, True)] * THREADS, webhooks
        assert [(r.status_code, elapsed < QUICK) for r, elapsed in awarded] == [(201, True)] * len(awards), awarded
        rows = recorded(session, [webhook_id for _, _, webhook_id in webhooks])
        assert len(rows) == THREADS and all(row.processed_at is None for row in rows)

        # Redis answers again: the scheduler's sweep leaves every recorded delivery queued, once.
        redis = Redis.from_url(redis_server.url)
        enqueue_unprocessed_deliveries(session, redis, now=utcnow() + dt.timedelta(minutes=5))
        every_delivery = session.scalars(select(WebhookDelivery.id)).all()
        # A delivery's job names its id (then its shop), a batch's its shop then the ids.
        queued = [[job.args[0]] if job.func_name.endswith("process_delivery") else job.args[1]
                  for job in webhooks_queue(redis).jobs]
        assert sorted(id_ for ids in queued for id_ in ids) == sorted(every_delivery)
        redis.close()
