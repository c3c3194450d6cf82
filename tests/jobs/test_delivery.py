"""An award reaches Shopify, Klaviyo, Omnisend and Postscript through the outbox, RQ and a real worker."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.models import OutboxMessage
from tests.jobs.conftest import API_KEYS, award, work


def statuses(session: Session) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        found.setdefault(row.topic, []).append(row.status)
    return found


def test_award_is_delivered_everywhere_with_exact_payloads(sync_app: Flask, sync_client: FlaskClient,
                                                           shop: dict[str, Any], fakes: SimpleNamespace,
                                                           session: Session) -> None:
    entry = award(sync_client, shop, "follow_on_instagram")
    work(sync_app)

    [write] = [request for request in fakes.shopify.received("POST", "/admin/api/2026-10/graphql.json")
               if "metafieldsSet" in request.json["query"]]
    assert write.headers["X-Shopify-Access-Token"] == "shpat_0"
    [metafield] = write.json["variables"]["metafields"]
    assert (metafield["ownerId"], metafield["namespace"], metafield["key"], metafield["type"]) == (
        "gid://shopify/Customer/1001", "$app", "loyalty", "json")
    assert json.loads(metafield["value"]) == {
        "points_balance": 1350, "lifetime_points": 1350, "redeemed_points": 0, "pending_points": 0,
        "vip_tier": "Gold", "next_tier": None, "points_to_next_tier": None, "status": "member",
        "points_expire_at": None, "points_expiring": 0,
    }

    [profile] = fakes.klaviyo.received("POST", "/api/profile-import")
    assert {k: profile.headers[k] for k in ("Authorization", "Revision", "Accept", "Content-Type")} == {
        "Authorization": f"Klaviyo-API-Key {API_KEYS['klaviyo']}", "Revision": "2026-07-15",
        "Accept": "application/vnd.api+json", "Content-Type": "application/vnd.api+json"}
    assert profile.json == {"data": {"type": "profile", "attributes": {
        "external_id": "shopify:1001", "email": "gold@example.com",
        "properties": {"Loyalty Points Balance": 1350, "Loyalty Lifetime Points": 1350, "Loyalty VIP Tier": "Gold",
                       "Loyalty Points To Next Tier": None, "Loyalty Status": "member"}}}}
    [event] = fakes.klaviyo.received("POST", "/api/events")
    attributes = event.json["data"]["attributes"]
    assert attributes["unique_id"] == entry["id"]
    assert attributes["metric"] == {"data": {"type": "metric", "attributes": {"name": "Points Awarded"}}}
    assert attributes["properties"] == {"points": 150, "earning_rule": "Follow us on Instagram", "status": "approved"}

    [contact] = fakes.omnisend.received("POST", "/api/contacts")
    assert contact.headers["Authorization"] == f"Omnisend-API-Key {API_KEYS['omnisend']}"
    assert contact.headers["Omnisend-Version"] == "2026-03-15"
    assert contact.json == {"identifiers": [{"type": "email", "id": "gold@example.com"}], "customProperties": {
        "loyalty_points_balance": 1350, "loyalty_lifetime_points": 1350, "loyalty_vip_tier": "Gold",
        "loyalty_points_to_next_tier": None, "loyalty_status": "member"}}
    [omnisend_event] = fakes.omnisend.received("POST", "/api/events")
    assert omnisend_event.json["eventName"] == "points awarded"
    assert omnisend_event.json["properties"] == {"points": 150, "earning_rule": "Follow us on Instagram",
                                                 "status": "approved"}

    lookup = fakes.postscript.received("GET", "/api/v2/subscribers")[0]
    assert lookup.query == {"shopify_customer_id__eq": "1001"}
    assert lookup.headers["Authorization"] == f"Bearer {API_KEYS['postscript']}"
    [patch] = fakes.postscript.received("PATCH", "/api/v2/subscribers/s_gold")
    assert patch.json["properties"]["loyalty_points_balance"] == 1350
    [ps_event] = fakes.postscript.received("POST", "/api/v2/events")
    assert (ps_event.json["type"], ps_event.json["subscriber_id"], ps_event.json["external_id"]) == (
        "Points_Awarded", "s_gold", entry["id"])
    assert not fakes.postscript.received("POST", "/api/v2/subscribers")

    assert statuses(session) == {t: ["done"] for t in ("shopify.customer_metafield", "klaviyo", "omnisend",
                                                        "postscript")}
