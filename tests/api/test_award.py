"""POST /v1/earning-rules/{id}/award: every row of the contract."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.db import sessionmaker_for
from shopify_app.models import ActivityLogEntry, ApiKey, Customer, EarningEntry, EntrySource, OutboxMessage
from tests import factories

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def award(client: FlaskClient, rule_id: str, key: str | None, body: Any = None, *, raw: bytes | None = None,
          method: str = "POST", bearer: bool = False) -> Any:
    headers = {}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}" if bearer else key
    data = raw if raw is not None else json.dumps(body).encode()
    return client.open(f"/v1/earning-rules/{rule_id}/award", method=method, data=data, headers=headers,
                       content_type="application/json")


def error_of(response: Any) -> dict[str, str]:
    assert response.content_type == "application/vnd.api+json"
    errors = response.get_json(force=True)["errors"]
    assert len(errors) == 1 and set(errors[0]) == {"status", "title", "detail"}
    assert errors[0]["status"] == str(response.status_code)
    return errors[0]


def customer_row(app: Flask, shopify_id: str) -> Customer:
    with sessionmaker_for(app)() as session:
        return session.scalars(select(Customer).where(Customer.shopify_customer_id == shopify_id)).one()


def count(app: Flask, model: type) -> int:
    """Rows of ``model``; of the ledger, the entries requests wrote (not the demo's opening balances)."""
    query = select(func.count()).select_from(model)
    if model is EarningEntry:
        query = query.where(EarningEntry.source != EntrySource.OPENING_BALANCE.value)
    with sessionmaker_for(app)() as session:
        return session.scalar(query) or 0


def test_award_approved_with_gold_multiplier(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    rule_id = demo_shop["rules"]["follow_on_instagram"]
    response = award(client, rule_id, demo_shop["api_key"], {"customer_identifier": "1001"})

    assert response.status_code == 201
    assert response.content_type == "application/vnd.api+json"
    data = response.get_json(force=True)["data"]
    assert data["type"] == "earning_history_entry"
    assert data["id"].startswith("cer_")
    attributes = data["attributes"]
    assert list(attributes) == [
        "earning_rule_id", "action", "points", "base_points", "points_multiplier", "status", "points_given_at",
        "points_due_at", "points_expiry_at", "created_at", "updated_at",
    ]
    assert attributes["earning_rule_id"] == rule_id
    assert attributes["action"] == "follow_on_instagram"
    assert (attributes["points"], attributes["base_points"], attributes["points_multiplier"]) == (150, 100, 1.5)
    assert attributes["status"] == "approved"
    assert attributes["points_due_at"] is None and attributes["points_expiry_at"] is None
    for name in ("points_given_at", "created_at", "updated_at"):
        assert ISO_MS_Z.match(attributes[name]), attributes[name]

    gold = customer_row(app, "1001")
    assert (gold.current_points, gold.lifetime_points) == (1350, 1350)


def test_bearer_prefix_and_email_in_another_case(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    response = award(client, demo_shop["rules"]["join_newsletter"], demo_shop["api_key"],
                     {"customer_identifier": "  NEW@Example.COM "}, bearer=True)
    assert response.status_code == 201
    assert response.get_json(force=True)["data"]["attributes"]["points"] == 200
    assert customer_row(app, "1002").current_points == 200


def test_pending_rule_holds_points(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    before = dt.datetime.now(dt.timezone.utc)
    response = award(client, demo_shop["rules"]["follow_on_tiktok"], demo_shop["api_key"],
                     {"customer_identifier": "new@example.com"})
    assert response.status_code == 201
    attributes = response.get_json(force=True)["data"]["attributes"]
    assert attributes["status"] == "pending"
    assert attributes["points_given_at"] is None
    due = dt.datetime.fromisoformat(attributes["points_due_at"].replace("Z", "+00:00"))
    created = dt.datetime.fromisoformat(attributes["created_at"].replace("Z", "+00:00"))
    assert due - created == dt.timedelta(days=14)
    assert created >= before - dt.timedelta(seconds=1)
    customer = customer_row(app, "1002")
    assert (customer.current_points, customer.lifetime_points) == (0, 0)


def test_points_expiry_from_shop_settings(client: FlaskClient, app: Flask, session: Session) -> None:
    shop = factories.shop(session, "expiring.myshopify.com", expiry_days=30)
    factories.customer(session, shop, "7")
    rule = factories.rule(session, shop)
    key = factories.api_key(session, shop)
    session.commit()
    attributes = award(client, rule.id, key, {"customer_identifier": "7"}).get_json(force=True)["data"]["attributes"]
    given = dt.datetime.fromisoformat(attributes["points_given_at"].replace("Z", "+00:00"))
    expiry = dt.datetime.fromisoformat(attributes["points_expiry_at"].replace("Z", "+00:00"))
    assert expiry - given == dt.timedelta(days=30)


@pytest.mark.parametrize(
    ("multiplier", "base", "expected"),
    [("1.25", 10, 13), ("1.25", 2, 3), ("1.5", 1, 2), ("1.5", 3, 5), ("1.25", 1, 1), ("1.1", 5, 6), ("1.333", 3, 4)],
)
def test_multiplier_rounds_halves_up(client: FlaskClient, session: Session, multiplier: str, base: int,
                                     expected: int) -> None:
    shop = factories.shop(session, "rounding.myshopify.com")
    tier = factories.tier(session, shop, "Only", 0, multiplier)
    factories.customer(session, shop, "1", vip_tier_id=tier.id)
    rule = factories.rule(session, shop, points=base)
    key = factories.api_key(session, shop)
    session.commit()
    attributes = award(client, rule.id, key, {"customer_identifier": "1"}).get_json(force=True)["data"]["attributes"]
    assert (attributes["points"], attributes["base_points"]) == (expected, base)
    assert attributes["points_multiplier"] == float(multiplier)


def test_award_moves_customer_into_next_tier(client: FlaskClient, app: Flask, session: Session) -> None:
    shop = factories.shop(session, "tiers.myshopify.com")
    factories.tier(session, shop, "Bronze", 0, "1")
    silver = factories.tier(session, shop, "Silver", 100, "2")
    factories.customer(session, shop, "5", lifetime_points=60, current_points=60)
    rule = factories.rule(session, shop, points=50)
    key = factories.api_key(session, shop)
    session.commit()
    assert award(client, rule.id, key, {"customer_identifier": "5"}).status_code == 201
    customer = customer_row(app, "5")
    assert (customer.current_points, customer.lifetime_points, customer.vip_tier_id) == (110, 110, silver.id)


def test_side_effects_written_in_the_same_transaction(
    client: FlaskClient, app: Flask, demo_shop: dict[str, Any]
) -> None:
    response = award(client, demo_shop["rules"]["follow_on_instagram"], demo_shop["api_key"],
                     {"customer_identifier": "1002"})
    entry_id = response.get_json(force=True)["data"]["id"]
    with sessionmaker_for(app)() as session:
        topics = sorted(session.scalars(select(OutboxMessage.topic).where(OutboxMessage.entry_id == entry_id)))
        activity = session.scalars(select(ActivityLogEntry).where(ActivityLogEntry.entry_id == entry_id)).one()
    assert topics == ["klaviyo", "omnisend", "postscript", "shopify.customer_metafield"]
    assert activity.kind == "points_awarded"


# --- check 1: authentication -------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   ", "lk_unknown", "Bearer ", "Bearer lk_unknown"])
def test_missing_or_unknown_key_is_401(client: FlaskClient, demo_shop: dict[str, Any], key: str | None) -> None:
    response = award(client, demo_shop["rules"]["follow_on_instagram"], key, raw=b"not json")
    assert response.status_code == 401
    error_of(response)


def test_revoked_key_is_401(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        for key in session.scalars(select(ApiKey)):
            key.revoked_at = dt.datetime.now(dt.timezone.utc)
    response = award(client, demo_shop["rules"]["follow_on_instagram"], demo_shop["api_key"],
                     {"customer_identifier": "1002"})
    assert response.status_code == 401


def test_read_only_key_is_403_before_body_checks(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    response = award(client, demo_shop["rules"]["follow_on_instagram"], demo_shop["read_only_api_key"], raw=b"{")
    assert response.status_code == 403
    assert "read-only" in error_of(response)["detail"]
    assert count(app, EarningEntry) == 0


# --- check 2: body -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b'"1001"', b"null", b"{}", b'{"customer_identifier": ""}', b'{"customer_identifier": "  "}',
     b'{"customer_identifier": 1001}', b'{"customer_identifier": null}', b'{"customer_identifier": ["1001"]}',
     b"\xff\xfe", b'{"customer_id": "1001"}'],
)
def test_bad_body_is_400_before_rule_lookup(client: FlaskClient, demo_shop: dict[str, Any], raw: bytes) -> None:
    response = award(client, "rule_does_not_exist", demo_shop["api_key"], raw=raw)
    assert response.status_code == 400
    error_of(response)


@pytest.mark.parametrize("identifier", [
    "\u0000", "gold\u0000@example.com", "10\u000001", "\ud800", "gold\udfff@example.com", "\udbff1001",
])
def test_award_with_nul_or_lone_surrogate_is_a_400(
    client: FlaskClient, app: Flask, demo_shop: dict[str, Any], identifier: str
) -> None:
    # JSON carries both ("\u0000", "\ud800"); PostgreSQL refuses NUL and no driver encodes a surrogate.
    response = award(client, demo_shop["rules"]["follow_on_instagram"], demo_shop["api_key"],
                     {"customer_identifier": identifier})
    assert response.status_code == 400
    assert "NUL characters or unpaired surrogates" in error_of(response)["detail"]
    assert count(app, EarningEntry) == 0


def test_oversized_body_is_413(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    body = b'{"customer_identifier": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = award(client, demo_shop["rules"]["follow_on_instagram"], demo_shop["api_key"], raw=body)
    assert response.status_code == 413
    error_of(response)


# --- checks 3 to 7 -----------------------------------------------------------------------------


def test_unknown_and_inactive_rules_are_404(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    for rule_id in ("rule_nope", demo_shop["rules"]["share_on_facebook"]):
        response = award(client, rule_id, demo_shop["api_key"], {"customer_identifier": "nobody@example.com"})
        assert response.status_code == 404
        assert "rule" in error_of(response)["detail"].lower()


def test_unknown_customer_is_404(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    for identifier in ("999", "nobody@example.com", "not-an-id"):
        response = award(client, demo_shop["rules"]["follow_on_instagram"], demo_shop["api_key"],
                         {"customer_identifier": identifier})
        assert response.status_code == 404
        assert "customer" in error_of(response)["detail"].lower()


def test_excluded_customer_is_403_before_category(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    response = award(client, demo_shop["rules"]["place_order"], demo_shop["api_key"], {"customer_identifier": "1003"})
    assert response.status_code == 403
    assert "excluded" in error_of(response)["detail"]


@pytest.mark.parametrize("action", ["place_order", "birthday"])
def test_platform_driven_rules_are_422(client: FlaskClient, demo_shop: dict[str, Any], action: str) -> None:
    response = award(client, demo_shop["rules"][action], demo_shop["api_key"], {"customer_identifier": "1002"})
    assert response.status_code == 422
    error_of(response)


def test_second_award_is_409_even_while_pending(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    rule_id = demo_shop["rules"]["follow_on_tiktok"]
    assert award(client, rule_id, demo_shop["api_key"], {"customer_identifier": "1002"}).status_code == 201
    response = award(client, rule_id, demo_shop["api_key"], {"customer_identifier": "new@example.com"})
    assert response.status_code == 409
    assert error_of(response)["title"] == "Conflict"
    assert count(app, EarningEntry) == 1
    assert count(app, OutboxMessage) == 4


# --- tenant isolation --------------------------------------------------------------------------


def test_other_shops_rules_and_customers_are_404(client: FlaskClient, app: Flask, session: Session,
                                                 demo_shop: dict[str, Any]) -> None:
    other = factories.shop(session, "other.myshopify.com")
    other_rule = factories.rule(session, other)
    factories.customer(session, other, "555", "shared@example.com")
    other_key = factories.api_key(session, other)
    session.commit()

    # The demo key cannot reach the other shop's rule, nor its customer through a demo rule.
    assert award(client, other_rule.id, demo_shop["api_key"], {"customer_identifier": "555"}).status_code == 404
    response = award(client, demo_shop["rules"]["follow_on_instagram"], demo_shop["api_key"],
                     {"customer_identifier": "shared@example.com"})
    assert response.status_code == 404
    # And the other shop's key cannot award a demo rule to a demo customer.
    response = award(client, demo_shop["rules"]["follow_on_instagram"], other_key, {"customer_identifier": "1002"})
    assert response.status_code == 404
    assert count(app, EarningEntry) == 0


# --- routing -----------------------------------------------------------------------------------


def test_unknown_routes_and_methods_are_json_api(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    response = client.get("/v1/nothing-here", headers={"Authorization": demo_shop["api_key"]})
    assert response.status_code == 404
    error_of(response)
    response = award(client, demo_shop["rules"]["follow_on_instagram"], demo_shop["api_key"], method="GET")
    assert response.status_code == 405
    error_of(response)
