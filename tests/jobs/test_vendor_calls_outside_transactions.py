"""A delivery reads, ends its transaction, calls the vendor, then records: no connection held while a
vendor (or Shopify, for the order reconciliation) answers, and a vendor's long Retry-After schedules the
delivery rather than blocking the job."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.db import engine_for
from shopify_app.jobs import queues
from shopify_app.models import OutboxMessage
from tests.fakes.server import Recorded
from tests.jobs.conftest import award, connect_shop, work
from tests.jobs.test_delivery import statuses


def test_no_database_connection_is_held_while_a_vendor_answers(sync_app: Flask, sync_client: FlaskClient,
                                                               demo_shop: dict[str, Any], fakes: SimpleNamespace,
                                                               session: Session) -> None:
    connect_shop(sync_app, demo_shop["shop_id"], expires_in=dt.timedelta(minutes=1))  # the delivery refreshes it
    fakes.postscript.subscribers.append({"id": "s_gold", "shopify_customer_id": "1001",
                                         "email": "gold@example.com", "properties": {}})
    pool = engine_for(sync_app).pool
    held: list[tuple[str, int]] = []

    def count_checked_out(request: Recorded) -> None:
        kind = "reconciliation" if "orders(" in str(request.json) else request.path
        held.append((kind, pool.checkedout()))  # type: ignore[attr-defined]

    for fake in (fakes.shopify, fakes.klaviyo, fakes.omnisend, fakes.postscript):
        fake.during = count_checked_out
    award(sync_client, demo_shop, "follow_on_instagram")
    work(sync_app)

    paths = {path for path, _ in held}
    assert {"/admin/oauth/access_token", "/admin/api/2026-10/graphql.json", "/api/profile-import", "/api/events",
            "/api/contacts", "/api/v2/subscribers", "/api/v2/events", "reconciliation"} <= paths
    assert [entry for entry in held if entry[1]] == []  # every vendor answered with no connection checked out
    assert statuses(session) == {t: ["done"] for t in ("shopify.customer_metafield", "klaviyo", "omnisend",
                                                        "postscript")}


def test_a_long_retry_after_schedules_the_delivery_at_that_time(sync_app: Flask, sync_client: FlaskClient,
                                                                shop: dict[str, Any], fakes: SimpleNamespace,
                                                                session: Session, redis: Redis) -> None:
    fakes.klaviyo.fail("/api/profile-import", 429, {"Retry-After": "30"})
    entry = award(sync_client, shop, "follow_on_instagram")
    started = time.monotonic()
    work(sync_app)
    assert time.monotonic() - started < 15  # the worker did not sit out Klaviyo's 30 s

    [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "klaviyo")).all()
    assert row.status == "enqueued" and row.job_id and "30.0 s" in (row.last_error or "")
    sync = queues.queue(redis, queues.SYNC)
    registry = sync.scheduled_job_registry
    assert registry.get_job_ids() == [row.job_id]
    due = registry.get_scheduled_time(row.job_id)
    assert dt.timedelta(seconds=25) < due - utcnow() <= dt.timedelta(seconds=31)
    assert statuses(session)["omnisend"] == ["done"]  # the other destinations went out meanwhile
    assert not fakes.klaviyo.received("POST", "/api/events")

    job = sync.fetch_job(row.job_id)
    assert job is not None
    registry.remove(job)
    sync.enqueue_job(job)  # the scheduler's move when the time comes
    work(sync_app)
    session.expire_all()
    assert statuses(session)["klaviyo"] == ["done"]
    assert len(fakes.klaviyo.received("POST", "/api/events")) == 1  # nothing lost, nothing sent twice
    assert list(fakes.klaviyo.events) == [entry["id"]]
    assert len(fakes.klaviyo.profiles) == 1
