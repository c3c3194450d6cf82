"""Admin actions with Redis really unreachable: the change is saved, the page says the job waits, and the
worker's sweep starts it once Redis is back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shopify_app import create_app
from shopify_app.clock import utcnow
from shopify_app.config import Config
from shopify_app.db import engine_for
from shopify_app.jobs import runtime, scheduled
from shopify_app.models import BulkJob, Customer, OutboxMessage, VipTier
from tests.admin.conftest import TokenClient
from tests.admin.test_jobs_and_integrations import run_worker
from tests.jobs.own_redis import OwnRedis


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis().start()
    yield server
    server.close()


@pytest.fixture
def own_app(app_config: Config, own_redis: OwnRedis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app on a Redis of its own, which the test stops and starts."""
    app = create_app(app_config.model_copy(update={"redis_url": own_redis.url}))
    monkeypatch.setattr(runtime, "_context", None)  # the jobs below run with this app, not another test's
    runtime.bind(app)
    yield app
    engine_for(app).dispose()


def back_and_swept(own_redis: OwnRedis, session: Session) -> Redis:
    """Redis back, a minute and more later: the sweep enqueues the waiting job once, then the worker runs it."""
    own_redis.start()
    session.execute(update(BulkJob).values(created_at=utcnow() - dt.timedelta(minutes=2)))
    session.commit()
    assert scheduled.sweep_bulk_jobs() == 1
    assert scheduled.sweep_bulk_jobs() == 0  # its RQ job exists now
    return Redis.from_url(own_redis.url)


def test_sync_all_with_redis_down_saves_and_starts_later(own_app: Flask, own_redis: OwnRedis,
                                                         demo_shop: dict[str, Any], session: Session) -> None:
    admin = TokenClient(own_app, demo_shop["domain"])
    own_redis.stop()
    started = admin.post("/admin/settings/sync-all")
    assert started.status_code == 303
    assert ("Sync of all members saved. The job queue cannot be reached right now; the sync starts as soon as "
            "it is back") in unquote_plus(started.headers["Location"])
    job = session.scalars(select(BulkJob)).one()
    assert (job.kind, job.status, job.total) == ("sync_all_members", "queued", 2)
    assert "Waiting for the job queue" in admin.get("/admin/settings").get_data(as_text=True)

    run_worker(own_app, back_and_swept(own_redis, session))
    session.refresh(job)
    assert (job.status, job.done) == ("done", 2)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2 * 4


def test_a_tier_save_with_redis_down_saves_and_recomputes_later(own_app: Flask, own_redis: OwnRedis,
                                                                demo_shop: dict[str, Any], session: Session) -> None:
    admin = TokenClient(own_app, demo_shop["domain"])
    own_redis.stop()
    gold = demo_shop["tiers"]["Gold"]
    saved = admin.post(f"/admin/tiers/{gold}", data={"name": "Gold", "points_required": "1500",
                                                     "points_multiplier": "1.5", "badge_color": "#d4af37"})
    assert saved.status_code == 303
    assert ("Tier saved. The job queue cannot be reached right now; members' tiers are recomputed as soon as "
            "it is back") in unquote_plus(saved.headers["Location"])
    assert session.get_one(VipTier, gold).points_required == 1500
    assert session.scalars(select(BulkJob.status)).all() == ["queued"]
    assert "Waiting for the job queue" in admin.get("/admin/tiers").get_data(as_text=True)

    run_worker(own_app, back_and_swept(own_redis, session))
    goldie = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
    assert goldie.vip_tier_id == demo_shop["tiers"]["Silver"]  # 1,200 lifetime points no longer reach Gold
    assert session.scalars(select(BulkJob.status)).all() == ["done"]
