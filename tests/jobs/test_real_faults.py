"""Real faults: Redis stopped during an award, a worker process killed mid-job, Redis restarted under a running
worker, the worker command end to end."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.registry import StartedJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app import create_app
from shopify_app.config import PROJECT_ROOT, Config
from shopify_app.db import engine_for
from shopify_app.jobs import queues, runtime, worker
from shopify_app.models import OutboxMessage
from tests.jobs.conftest import award, connect_shop, pointed_at, work
from tests.jobs.own_redis import OwnRedis


def statuses(session: Session) -> list[str]:
    session.expire_all()
    return sorted(set(session.scalars(select(OutboxMessage.status))))


def worker_env(config: Config, fakes: SimpleNamespace, redis_url: str) -> dict[str, str]:
    return {**os.environ, "APP_ENV": "test", "DATABASE_URL": config.database_url, "REDIS_URL": redis_url,
            "INSTANCE_PATH": str(config.instance_path), "SHOPIFY_ADMIN_ORIGIN": fakes.shopify.url,
            "KLAVIYO_API_URL": fakes.klaviyo.url, "OMNISEND_API_URL": fakes.omnisend.url,
            "POSTSCRIPT_API_URL": fakes.postscript.url, "SYNC_COALESCE_SECONDS": "0", "JOB_RETRY_INTERVALS": "0,0"}


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    with OwnRedis() as server:
        yield server


def test_award_while_redis_is_down_is_synced_once_redis_returns(
        app_config: Config, fakes: SimpleNamespace, demo_shop: dict[str, Any], own_redis: OwnRedis,
        session: Session) -> None:
    app = create_app(pointed_at(app_config, fakes, redis_url=own_redis.url))
    try:
        connect_shop(app, demo_shop["shop_id"])
        own_redis.stop()
        entry = award(app.test_client(), demo_shop, "follow_on_instagram")
        with pytest.raises(RedisConnectionError):
            worker.tick(runtime.bind(app), coalesce=dt.timedelta(0))
        assert statuses(session) == ["pending"]

        own_redis.start()
        work(app)
        assert statuses(session) == ["done", "skipped"]  # Postscript: the demo shop has no subscriber
        assert list(fakes.klaviyo.events) == [entry["id"]]
        assert len(fakes.shopify.writes) == 1
    finally:
        engine_for(app).dispose()


def test_worker_killed_mid_job_runs_it_again_with_one_effect(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace,
        app_config: Config, redis_url: str, redis: Redis, session: Session) -> None:
    entry = award(sync_client, shop, "follow_on_instagram")
    fakes.klaviyo.hang("/api/events")  # the profile is already sent when the worker dies
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=PROJECT_ROOT,
                               env=worker_env(app_config, fakes, redis_url), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert fakes.klaviyo.hang_started.wait(30), "the worker never reached Klaviyo"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the worker and its scheduler, with no chance to clean up
        process.wait(10)
    fakes.klaviyo.release.set()
    assert [r.status for r in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "klaviyo"))] == [
        "enqueued"]

    # Time passes: the dead worker's started-job entry and its lock run out (job timeout + slack).
    for key in redis.scan_iter("deliver:*"):
        redis.delete(key)
    registry = StartedJobRegistry(queues.SYNC, connection=redis, serializer=queues.SERIALIZER)
    registry.cleanup(timestamp=time.time() + queues.SYNC_TIMEOUT + worker.HEARTBEAT_SLACK + 1)
    work(sync_app)

    assert statuses(session) == ["done"]
    assert len(fakes.klaviyo.received("POST", "/api/events")) == 2  # sent again ...
    assert list(fakes.klaviyo.events) == [entry["id"]]  # ... and kept once, by its unique_id
    assert fakes.klaviyo.profiles["shopify:1001"]["properties"]["Loyalty Points Balance"] == 1350


def test_worker_burst_command_delivers_and_exits(sync_client: FlaskClient, shop: dict[str, Any],
                                                 fakes: SimpleNamespace, app_config: Config, redis_url: str,
                                                 session: Session) -> None:
    entry = award(sync_client, shop, "join_newsletter")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=PROJECT_ROOT,
                          env=worker_env(app_config, fakes, redis_url), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert statuses(session) == ["done"]
    assert list(fakes.klaviyo.events) == [entry["id"]]
    assert list(fakes.omnisend.contacts) == ["gold@example.com"]
    assert len(fakes.shopify.writes) == 1


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_worker_survives_a_redis_restart_mid_job(
        app_config: Config, fakes: SimpleNamespace, demo_shop: dict[str, Any], own_redis: OwnRedis,
        session: Session, tmp_path: Path) -> None:
    """About 12 s: a real worker process rides out three Redis restarts, each in the middle of a job."""
    app = create_app(pointed_at(app_config, fakes, redis_url=own_redis.url))
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=PROJECT_ROOT,
                                   env=worker_env(app_config, fakes, own_redis.url), start_new_session=True,
                                   stdout=log, stderr=subprocess.STDOUT)
    client = app.test_client()

    def klaviyo_rows_done() -> bool:
        session.expire_all()
        return set(session.scalars(select(OutboxMessage.status).where(OutboxMessage.topic == "klaviyo"))) == {"done"}

    try:
        connect_shop(app, demo_shop["shop_id"])
        entries = []
        for action, restart_while_job_runs in (("follow_on_instagram", False), ("follow_on_tiktok", True),
                                               ("join_newsletter", False)):
            fakes.klaviyo.hang_started.clear()
            fakes.klaviyo.release.clear()
            fakes.klaviyo.hang("/api/events")
            entries.append(award(client, demo_shop, action)["id"])
            assert fakes.klaviyo.hang_started.wait(30), log_path.read_text()[-3000:]
            own_redis.stop()  # the job is half done: its profile sent, its event on the way
            if restart_while_job_runs:
                own_redis.start()  # back, empty, before the job ends
            fakes.klaviyo.release.set()
            wait_for(klaviyo_rows_done, 30, "the running job to finish")
            if not restart_while_job_runs:
                time.sleep(0.5)  # RQ records the job's end while Redis is away
                own_redis.start()
            assert process.poll() is None, log_path.read_text()[-3000:]

        entries.append(award(client, demo_shop, "follow_on_instagram", customer="new@example.com")["id"])
        wait_for(klaviyo_rows_done, 30, "a job queued after the restarts")
        assert process.poll() is None, log_path.read_text()[-3000:]
        assert sorted(fakes.klaviyo.events) == sorted(entries)  # the jobs cut off by the restarts were completed
        assert log_path.read_text().count("a new worker loop starts") >= 2  # Redis did end RQ's loop
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        engine_for(app).dispose()
