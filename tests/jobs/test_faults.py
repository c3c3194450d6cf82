"""Vendors failing: 500s and 429s retried, THROTTLED waited out, a vendor down for good left visible and retryable."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.models import OutboxMessage
from tests import factories
from tests.jobs.conftest import award, work


def rows(session: Session, topic: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic)))


def test_500s_and_429s_are_retried_then_succeed(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                                fakes: SimpleNamespace, session: Session) -> None:
    fakes.klaviyo.fail("/api/profile-import", 500)
    fakes.klaviyo.fail("/api/profile-import", 429, headers={"Retry-After": "1"})
    fakes.omnisend.fail("/api/contacts", 429, body={"status": 429, "retryAfter": 1})
    fakes.postscript.fail("/api/v2/subscribers", 429, body={"error_code": 3002, "success": False}, times=2)
    # More 503s than one job tries: the job fails and RQ runs it again.
    fakes.shopify.fail("/admin/api", 503, headers={"Retry-After": "0"}, times=6)
    award(sync_client, shop, "follow_on_instagram")
    started = time.monotonic()
    work(sync_app)

    profile_calls = fakes.klaviyo.received("POST", "/api/profile-import")
    assert len(profile_calls) == 3
    assert profile_calls[2].at - profile_calls[1].at >= 0.9  # Retry-After honoured
    assert time.monotonic() - started >= 1
    assert len(fakes.shopify.writes) == 1
    assert [r.status for t in ("klaviyo", "omnisend", "postscript", "shopify.customer_metafield")
            for r in rows(session, t)] == ["done"] * 4
    assert rows(session, "shopify.customer_metafield")[0].attempts == 2


def test_throttled_answers_are_waited_out(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                          fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.fail("/admin/api", 200, body={
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": None, "throttleStatus": {
            "maximumAvailable": 2000, "currentlyAvailable": 0, "restoreRate": 100}}}})
    award(sync_client, shop, "follow_on_instagram")
    work(sync_app)
    assert len(fakes.shopify.writes) == 1
    assert rows(session, "shopify.customer_metafield")[0].status == "done"


def test_user_errors_fail_the_delivery_visibly(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                               fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.fail("/admin/api", 200, body={"data": {"metafieldsSet": {"metafields": [], "userErrors": [
        {"field": ["metafields", "0", "ownerId"], "message": "Owner does not exist", "code": "INVALID"}]}}})
    award(sync_client, shop, "follow_on_instagram")
    work(sync_app)
    [row] = rows(session, "shopify.customer_metafield")
    assert row.status == "failed"
    assert "Owner does not exist" in (row.last_error or "")


def test_vendor_down_for_good_is_failed_visible_and_retryable(sync_app: Flask, sync_client: FlaskClient,
                                                              shop: dict[str, Any], fakes: SimpleNamespace,
                                                              session: Session) -> None:
    fakes.omnisend.down = True
    award(sync_client, shop, "follow_on_instagram")
    work(sync_app)
    [row] = rows(session, "omnisend")
    assert row.status == "failed"
    assert row.attempts == 3  # the first run and two RQ retries
    assert "500" in (row.last_error or "")
    assert [r.status for r in rows(session, "klaviyo")] == ["done"]

    runner = sync_app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "failed"])
    assert "omnisend" in listed.output and "500" in listed.output

    fakes.omnisend.down = False
    retried = runner.invoke(args=["jobs", "retry-failed", "--shop", shop["domain"]])
    assert retried.exit_code == 0 and "1 deliveries queued again" in retried.output
    work(sync_app)
    assert [r.status for r in rows(session, "omnisend")] == ["done"]
    assert len(fakes.omnisend.contacts) == 1 and len(fakes.omnisend.events) == 1


def test_no_subscriber_or_no_key_ends_skipped(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                              fakes: SimpleNamespace, session: Session) -> None:
    runner = sync_app.test_cli_runner()
    assert runner.invoke(args=["integrations", "disable", shop["domain"], "klaviyo"]).exit_code == 0
    award(sync_client, shop, "follow_on_instagram", customer="new@example.com")
    work(sync_app)
    [postscript] = rows(session, "postscript")
    assert (postscript.status, postscript.last_error) == (
        "skipped", "no Postscript subscriber for this customer; the app never creates one")
    assert [r.query for r in fakes.postscript.received("GET")] == [
        {"shopify_customer_id__eq": "1002"}, {"email__eq": "new@example.com"}]
    assert not fakes.postscript.received("POST")
    assert [r.status for r in rows(session, "klaviyo")] == ["skipped"]
    assert not fakes.klaviyo.requests


def test_postscript_requests_stay_inside_15_per_second(sync_app: Flask, sync_client: FlaskClient,
                                                       shop: dict[str, Any], fakes: SimpleNamespace,
                                                       session: Session) -> None:
    with sessionmaker_for(sync_app).begin() as setup:
        shop_row = factories.shop(setup, shop["domain"])
        for n in range(8):
            factories.customer(setup, shop_row, f"80{n}")
            fakes.postscript.subscribers.append({"id": f"s_{n}", "shopify_customer_id": f"80{n}"})
    for n in range(8):
        award(sync_client, shop, "join_newsletter", customer=f"80{n}")
    work(sync_app)
    calls = fakes.postscript.requests
    assert len(calls) == 24  # lookup, patch and event per customer
    assert fakes.postscript.refused == 0
    assert calls[-1].at - calls[0].at >= 1.0  # 24 requests at 15/s need more than a second
    assert {r.status for r in rows(session, "postscript")} == {"done"}


def test_a_shop_without_a_token_skips_shopify(sync_app: Flask, sync_client: FlaskClient, demo_shop: dict[str, Any],
                                              fakes: SimpleNamespace, session: Session) -> None:
    award(sync_client, demo_shop, "follow_on_instagram")
    work(sync_app)
    [row] = rows(session, "shopify.customer_metafield")
    assert (row.status, row.last_error) == ("skipped", "the shop has no Admin API access token")
    assert not fakes.shopify.requests
