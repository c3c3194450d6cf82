"""Error text kept on webhook deliveries, outbox rows and bulk jobs never carries the values a statement failed on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.jobs import bulk
from shopify_app.jobs.destinations import DESTINATIONS
from shopify_app.loyalty.members.enrolment import ShopifyCustomer, enrol
from shopify_app.models import BulkJob, BulkJobKind, OutboxMessage, Shop, WebhookDelivery
from shopify_app.redis_conn import get_redis
from tests.jobs.conftest import award, work
from tests.shopify_signing import post_webhook

EMAIL = "gold@example.com"  # Goldie's, the demo shop's member 1001
STORED = {
    "postgresql": 'IntegrityError: (psycopg.errors.UniqueViolation) duplicate key value violates unique constraint '
                  '"ix_test_customers_email"',
    "sqlite": "IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed: customers.email",
}


@pytest.fixture
def unique_emails(sync_app: Flask) -> Iterator[None]:
    """A unique index on customers.email, for this test only: enrolling another customer with
    Goldie's email then fails with a real unique violation whose parameters, and on PostgreSQL
    whose DETAIL line, hold the email."""
    with engine_for(sync_app).begin() as connection:
        connection.execute(text("CREATE UNIQUE INDEX ix_test_customers_email ON customers (email)"))
    yield
    with engine_for(sync_app).begin() as connection:
        connection.execute(text("DROP INDEX ix_test_customers_email"))


def _enrol_goldies_email(session: Session) -> None:
    enrol(session, session.scalars(select(Shop)).one(), ShopifyCustomer(id="555", email=EMAIL))


def _webhook_delivery(app: Flask, client: FlaskClient, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                      session: Session) -> str | None:
    assert post_webhook(client, "customers/create", {"id": 555, "email": EMAIL}).status_code == 200
    work(app)
    return session.scalars(select(WebhookDelivery.last_error)).one()


def _outbox_row(app: Flask, client: FlaskClient, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                session: Session) -> str | None:
    monkeypatch.setitem(DESTINATIONS, "klaviyo", lambda delivery: _enrol_goldies_email(delivery.session))
    award(client, shop, "follow_on_instagram")
    work(app)
    return session.scalars(select(OutboxMessage.last_error).where(OutboxMessage.topic == "klaviyo")).one()


def _bulk_job(app: Flask, client: FlaskClient, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
              session: Session) -> str | None:
    monkeypatch.setattr(bulk, "sync_members", lambda job_session, _ids: _enrol_goldies_email(job_session))
    with sessionmaker_for(app).begin() as write:
        job = bulk.start(write, write.get_one(Shop, shop["shop_id"]), BulkJobKind.SYNC_ALL_MEMBERS)
    bulk.enqueue(get_redis(app), job)
    work(app)
    return session.scalars(select(BulkJob.error)).one()


@pytest.mark.parametrize("failing_job", [_webhook_delivery, _outbox_row, _bulk_job], ids=lambda job: job.__name__[1:])
def test_stored_error_text_never_carries_sql_parameters(failing_job: Any, unique_emails: None, sync_app: Flask,
                                                        sync_client: FlaskClient, shop: dict[str, Any],
                                                        monkeypatch: pytest.MonkeyPatch, session: Session) -> None:
    stored = failing_job(sync_app, sync_client, shop, monkeypatch, session)
    assert stored == STORED[engine_for(sync_app).dialect.name]  # what failed, and none of the values
