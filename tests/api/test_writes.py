"""The /v1 writes: a customer's editable fields, points adjustments, pending entries decided, and the
shop's activity feed; read-only keys, other shops' keys, bodies of either shape and of the wrong type."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import OutboxMessage, Shop
from tests import factories
from tests.api.test_award import award, customer_row, error_of
from tests.api.test_reads import get

READ_ONLY = "This API key is read-only and cannot perform write operations"


def send(client: FlaskClient, method: str, path: str, key: str, body: Any,
         content_type: str = "application/json") -> Any:
    return client.open(path, method=method, data=json.dumps(body), headers={"Authorization": key},
                       content_type=content_type)


def test_update_customer_flat_and_jsonapi(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    key = demo_shop["api_key"]
    flat = send(client, "PUT", "/v1/customers/1002", key, {"date_of_birth": "1991-02-03", "is_excluded": True})
    assert flat.status_code == 200
    attributes = flat.get_json(force=True)["data"]["attributes"]
    assert (attributes["date_of_birth"], attributes["loyalty_status"]) == ("1991-02-03", "excluded")

    wrapped = send(client, "PUT", "/v1/customers/new@example.com", key, {"data": {"type": "customer", "attributes": {
        "date_of_birth": None, "anniversary_date": "2019-07-08", "is_excluded": False}}})
    assert wrapped.status_code == 200
    assert wrapped.get_json(force=True)["data"]["attributes"]["date_of_birth"] is None
    assert get(client, "/v1/customers/1002/anniversary", key).get_json(force=True)["data"]["attributes"][
        "anniversary_date"] == "2019-07-08"
    row = customer_row(app, "1002")
    assert (row.date_of_birth, row.is_excluded) == (None, False)


@pytest.mark.parametrize(("body", "named"), [
    ({"date_of_birth": "03/02/1991"}, "date_of_birth"),
    ({"date_of_birth": "1991-02-30"}, "date_of_birth"),
    ({"anniversary_date": 19910203}, "anniversary_date"),
    ({"is_excluded": "yes"}, "is_excluded"),
])
def test_update_customer_names_the_bad_field(client: FlaskClient, app: Flask, demo_shop: dict[str, Any],
                                             body: dict[str, Any], named: str) -> None:
    response = send(client, "PUT", "/v1/customers/1002", demo_shop["api_key"], {**body, "is_excluded": True}
                    if named != "is_excluded" else body)
    assert response.status_code == 400
    assert f"'{named}'" in error_of(response)["detail"]
    assert customer_row(app, "1002").is_excluded is False  # nothing half-written


def test_writes_refuse_read_only_keys_non_json_and_other_shops(client: FlaskClient, demo_shop: dict[str, Any],
                                                               other_key: str) -> None:
    read_only = send(client, "POST", "/v1/customers/1002/points", demo_shop["read_only_api_key"], {"adjustment": 5})
    assert read_only.status_code == 403 and error_of(read_only)["detail"] == READ_ONLY
    form = send(client, "PUT", "/v1/customers/1002", demo_shop["api_key"], {"is_excluded": True},
                content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert send(client, "PUT", "/v1/customers/1002", other_key, {"is_excluded": True}).status_code == 404
    assert send(client, "POST", "/v1/customers/1002/points", other_key, {"adjustment": 5}).status_code == 404


@pytest.mark.parametrize("path", [
    "/v1/customers", "/v1/customers/1002/points", "/v1/earning-history/cer_x/approve",
    "/v1/earning-history/cer_x/reject", "/v1/reward-history/cr_x/refund", "/v1/rewards/rwd_x/purchase",
])
def test_every_write_said_not_to_be_json_is_415_before_anything_runs(client: FlaskClient, demo_shop: dict[str, Any],
                                                                     path: str) -> None:
    """Those without a body too: approve, reject and refund would otherwise answer 404 here."""
    response = client.post(path, data="adjustment=5", content_type="text/plain",
                           headers={"Authorization": demo_shop["api_key"]})
    assert response.status_code == 415
    assert error_of(response)["title"] == "Unsupported Media Type"
    bare = client.post("/v1/earning-history/cer_x/approve", headers={"Authorization": demo_shop["api_key"]})
    assert bare.status_code == 404  # no Content-Type at all is taken as JSON


def test_points_adjustment(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    key = demo_shop["api_key"]
    added = send(client, "POST", "/v1/customers/1001/points", key, {"adjustment": 100, "note": "sorry"})
    assert added.status_code == 200
    data = added.get_json(force=True)["data"]
    assert data["type"] == "points_adjustment"
    assert data["attributes"] == {"shopify_customer_id": "1001", "adjustment": 100, "points_before": 1200,
                                  "points_after": 1300, "current_points": 1300, "note": "sorry"}
    assert customer_row(app, "1001").lifetime_points == 1300

    floored = send(client, "POST", "/v1/customers/1001/points", key, {"adjustment": -5000})
    assert floored.get_json(force=True)["data"]["attributes"]["points_after"] == 0
    assert customer_row(app, "1001").current_points == 0


def test_points_adjustment_without_lifetime_or_email(client: FlaskClient, app: Flask,
                                                     demo_shop: dict[str, Any]) -> None:
    response = send(client, "POST", "/v1/customers/1002/points", demo_shop["api_key"],
                    {"data": {"attributes": {"adjustment": 40, "update_lifetime_points": False,
                                             "send_email": False}}})
    assert response.status_code == 200
    row = customer_row(app, "1002")
    assert (row.current_points, row.lifetime_points) == (40, 0)
    with sessionmaker_for(app)() as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.customer_id == row.id)))
    assert rows, "the profile still syncs"
    assert all(r.entry_id is None for r in rows), "no Points Awarded event"


@pytest.mark.parametrize(("body", "status"), [
    ({"adjustment": 0}, 400), ({"adjustment": "5"}, 400), ({"adjustment": 1.5}, 400), ({}, 400),
    ({"adjustment": True}, 400), ({"adjustment": 10**12}, 400),
])
def test_points_adjustment_refuses(client: FlaskClient, demo_shop: dict[str, Any], body: Any, status: int) -> None:
    response = send(client, "POST", "/v1/customers/1002/points", demo_shop["api_key"], body)
    assert response.status_code == status
    assert "'adjustment'" in error_of(response)["detail"]


def test_excluded_customer_gets_no_points(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    response = send(client, "POST", "/v1/customers/1003/points", demo_shop["api_key"], {"adjustment": 5})
    assert response.status_code == 403


def _pending_entry(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> str:
    with sessionmaker_for(app).begin() as session:
        shop = session.get(Shop, demo_shop["shop_id"])
        assert shop is not None
        rule = factories.rule(session, shop, "leave_review", category="engagement", approval_time=7)
        rule_id = rule.id
    response = award(client, rule_id, demo_shop["api_key"], {"customer_identifier": "1002"})
    assert response.get_json(force=True)["data"]["attributes"]["status"] == "pending"
    entry_id: str = response.get_json(force=True)["data"]["id"]
    return entry_id


def test_approve_then_conflict(client: FlaskClient, app: Flask, demo_shop: dict[str, Any], other_key: str) -> None:
    entry_id = _pending_entry(client, app, demo_shop)
    key = demo_shop["api_key"]
    assert send(client, "POST", f"/v1/earning-history/{entry_id}/approve", other_key, {}).status_code == 404
    approved = send(client, "POST", f"/v1/earning-history/{entry_id}/approve", key, {})
    assert approved.status_code == 200
    assert approved.get_json(force=True)["data"]["attributes"]["status"] == "approved"
    assert customer_row(app, "1002").current_points == 100
    again = send(client, "POST", f"/v1/earning-history/{entry_id}/reject", key, {})
    assert again.status_code == 409


def test_reject(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    entry_id = _pending_entry(client, app, demo_shop)
    rejected = send(client, "POST", f"/v1/earning-history/{entry_id}/reject", demo_shop["api_key"], {})
    assert rejected.get_json(force=True)["data"]["attributes"]["status"] == "rejected"
    assert customer_row(app, "1002").current_points == 0
    assert send(client, "POST", "/v1/earning-history/cer_nope/reject", demo_shop["api_key"], {}).status_code == 404


def test_activity_feed(client: FlaskClient, demo_shop: dict[str, Any], other_key: str) -> None:
    key = demo_shop["api_key"]
    send(client, "POST", "/v1/customers/1001/points", key, {"adjustment": 7, "note": "hello"})
    send(client, "PUT", "/v1/customers/1002", key, {"date_of_birth": "1991-02-03"})
    feed = get(client, "/v1/activity", key).get_json(force=True)
    assert feed["meta"]["total"] == 2
    newest, oldest = feed["data"]
    assert newest["attributes"]["kind"] == "birthday_changed"
    assert oldest["type"] == "activity"
    assert {k: oldest["attributes"][k] for k in ("kind", "shopify_customer_id", "points")} == {
        "kind": "points_adjusted", "shopify_customer_id": "1001", "points": 7}
    assert "hello" in oldest["attributes"]["description"]
    only = get(client, "/v1/activity", key, **{"filter[customer]": "gold@example.com"}).get_json(force=True)
    assert [a["attributes"]["kind"] for a in only["data"]] == ["points_adjusted"]
    kinds = get(client, "/v1/activity", key, **{"filter[kind]": "birthday_changed"}).get_json(force=True)
    assert kinds["meta"]["total"] == 1
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert get(client, "/v1/activity", key, **{"filter[since]": later}).get_json(force=True)["data"] == []
    assert get(client, "/v1/activity", key, **{"filter[since]": "soon"}).status_code == 400
    assert get(client, "/v1/activity", other_key).get_json(force=True)["data"] == []
    assert get(client, "/v1/activity", other_key, **{"filter[customer]": "1001"}).status_code == 404
