"""A vendor that refuses a customer's profile often echoes their email: the error kept on the outbox
row and the log line say what failed, never the address."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.models import OutboxMessage
from tests.jobs.conftest import award, work


def test_a_vendor_refusal_is_kept_without_the_customers_email(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace, session: Session,
        caplog: pytest.LogCaptureFixture) -> None:
    fakes.klaviyo.fail("/api/profile-import", 400, body={"errors": [{
        "status": 400, "code": "invalid", "detail": "Invalid email address: gold@example.com"}]})
    award(sync_client, shop, "join_newsletter", customer="gold@example.com")
    with caplog.at_level(logging.WARNING):
        work(sync_app)
    [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "klaviyo")).all()
    assert row.status == "failed"
    assert row.last_error and "400" in row.last_error and "Invalid email address: [email]" in row.last_error
    assert "failed for good" in caplog.text
    assert "gold@example.com" not in row.last_error + caplog.text
