"""Several changes to one customer: one metafield write and one profile update each, events one per entry."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from rq.job import Job, JobStatus
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.jobs import queues, relay, runtime
from shopify_app.jobs.delivery import deliver
from shopify_app.models import Customer, CustomerSyncState, OutboxMessage
from tests.jobs.conftest import award, work


def test_changes_within_the_window_coalesce_into_one_update_with_the_latest_state(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    entries = [award(sync_client, shop, action) for action in ("follow_on_instagram", "join_newsletter",
                                                                "follow_on_tiktok")]
    work(sync_app)

    [write] = fakes.shopify.writes
    state = json.loads(write["value"])
    assert (state["points_balance"], state["lifetime_points"], state["pending_points"]) == (1650, 1650, 75)
    [profile] = fakes.klaviyo.received("POST", "/api/profile-import")
    assert profile.json["data"]["attributes"]["properties"]["Loyalty Points Balance"] == 1650
    assert len(fakes.omnisend.received("POST", "/api/contacts")) == 1
    assert len(fakes.postscript.received("PATCH")) == 1

    assert {uid: e["properties"]["status"] for uid, e in fakes.klaviyo.events.items()} == {
        entries[0]["id"]: "approved", entries[1]["id"]: "approved", entries[2]["id"]: "pending"}
    assert len(fakes.klaviyo.received("POST", "/api/events")) == 3
    assert len(fakes.omnisend.events) == 3
    assert set(fakes.postscript.events) == {e["id"] for e in entries}


def test_a_delivery_run_twice_has_one_effect(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                            fakes: SimpleNamespace, session: Session) -> None:
    award(sync_client, shop, "follow_on_instagram")
    work(sync_app)
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "klaviyo")).one()
    assert deliver(row.topic, row.shop_id, row.customer_id, row.id) == "nothing to do"

    # The same rows relayed again (say the relay died before recording the first enqueue):
    row.status = "enqueued"
    session.commit()
    assert deliver(row.topic, row.shop_id, row.customer_id, row.id) == "done"
    # The profile state was already delivered at this version; the event repeats with its unique_id.
    assert len(fakes.klaviyo.received("POST", "/api/profile-import")) == 1
    assert len(fakes.klaviyo.events) == 1


def test_an_older_state_never_overwrites_a_newer_one(sync_app: Flask, sync_client: FlaskClient,
                                                     shop: dict[str, Any], fakes: SimpleNamespace,
                                                     session: Session) -> None:
    award(sync_client, shop, "follow_on_instagram")
    customer = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
    # A newer state already reached the metafield (its version is ahead of what this job reads).
    session.add(CustomerSyncState(customer_id=customer.id, shop_id=customer.shop_id, topic="shopify.customer_metafield",
                                  synced_version=customer.sync_version + 1))
    session.commit()
    work(sync_app)
    assert fakes.shopify.writes == []
    assert len(fakes.klaviyo.received("POST", "/api/profile-import")) == 1


def test_rows_whose_job_vanished_from_redis_are_relayed_again(sync_app: Flask, sync_client: FlaskClient,
                                                              shop: dict[str, Any], fakes: SimpleNamespace,
                                                              session: Session, redis: Any) -> None:
    award(sync_client, shop, "follow_on_instagram")
    ctx = runtime.bind(sync_app)
    assert relay.relay(ctx.sessions, ctx.redis, ctx.config, coalesce=dt.timedelta(0)) == 4
    redis.flushdb()  # a Redis restart without persistence
    session.execute(update(OutboxMessage).values(enqueued_at=utcnow() - relay.LOST_AFTER))
    session.commit()
    assert relay.recover_lost(ctx.sessions, ctx.redis) == 4
    work(sync_app)
    session.expire_all()
    assert set(session.scalars(select(OutboxMessage.status))) == {"done"}
    assert len(fakes.klaviyo.events) == 1


def test_rows_of_a_job_rq_gave_up_on_become_failed(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                                   session: Session, redis: Any) -> None:
    award(sync_client, shop, "follow_on_instagram")
    ctx = runtime.bind(sync_app)
    relay.relay(ctx.sessions, ctx.redis, ctx.config, coalesce=dt.timedelta(0))
    job_id = session.scalars(select(OutboxMessage.job_id).where(OutboxMessage.topic == "klaviyo")).one()
    # What RQ's clean-up does to an abandoned job with no retries left: failed, never run to its end.
    Job.fetch(job_id, connection=ctx.redis, serializer=queues.SERIALIZER).set_status(JobStatus.FAILED)
    session.execute(update(OutboxMessage).values(enqueued_at=utcnow() - relay.LOST_AFTER))
    session.commit()
    assert relay.recover_lost(ctx.sessions, ctx.redis) == 1
    session.expire_all()
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "klaviyo")).one()
    assert (row.status, row.last_error) == ("failed", "RQ gave up on the job: its worker died")
