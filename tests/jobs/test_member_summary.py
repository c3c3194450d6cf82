"""One member summary: the storefront, the customer metafield, the vendors' state and the admin page agree."""

from __future__ import annotations

import datetime as dt
import json
import re
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import isoformat_z, utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.integrations.profile import loyalty_state
from shopify_app.loyalty.ledger import postings
from shopify_app.models import Customer, EarningRule, Shop
from tests.admin.conftest import TokenClient
from tests.jobs.conftest import work
from tests.proxy.signing import signed_query

NEWT = "1002"


def _earn(session: Session, shop: Shop, customer: Customer, action: str, key: str, at: dt.datetime) -> None:
    rule = session.scalars(select(EarningRule).where(EarningRule.shop_id == shop.id,
                                                     EarningRule.action == action)).one()
    postings.earn(session, shop=shop, customer=customer, rule=rule, base_points=rule.points_to_give,
                  dedupe_key=key, now=at)


def _points_of_every_age(app: Flask, shop_id: str, now: dt.datetime) -> tuple[str, dt.datetime]:
    """Newt's lots with 30-day expiry: one expired (not swept yet), two that expire next, at the same
    time, one later, and points still pending. Returns the customer id and the next expiry."""
    with sessionmaker_for(app).begin() as session:
        shop = session.get_one(Shop, shop_id)
        assert shop.settings is not None
        shop.settings.points_expiry_days = 30
        newt = session.scalars(select(Customer).where(Customer.shop_id == shop.id,
                                                      Customer.shopify_customer_id == NEWT)).one()
        given = now - dt.timedelta(days=5)
        _earn(session, shop, newt, "follow_on_tiktok", "pending", now)  # 50 (Bronze), pending 14 days
        _earn(session, shop, newt, "follow_on_instagram", "old", now - dt.timedelta(days=40))  # 100, expired
        _earn(session, shop, newt, "follow_on_instagram", "next-a", given)  # 100
        _earn(session, shop, newt, "join_newsletter", "next-b", given)  # 200, same expiry
        _earn(session, shop, newt, "join_newsletter", "later", now - dt.timedelta(days=1))  # 200
        return newt.id, given + dt.timedelta(days=30)


def test_storefront_metafield_vendors_and_admin_show_one_summary(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace,
        session: Session) -> None:
    customer_id, next_expiry = _points_of_every_age(sync_app, shop["shop_id"], utcnow())
    expected = {"pending_points": 50, "points_expire_at": isoformat_z(next_expiry), "points_expiring": 300,
                "next_tier": "Gold", "points_to_next_tier": 400}

    answer = sync_client.get(f"/proxy/customer?{signed_query(NEWT)}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    storefront = answer.get_json(force=True)["data"]["attributes"]
    storefront["next_tier"] = storefront["next_tier"]["name"]
    assert {key: storefront[key] for key in expected} == expected

    work(sync_app)
    metafield = json.loads(fakes.shopify.writes[-1]["value"])
    assert {key: metafield[key] for key in expected} == expected

    state = loyalty_state(session, session.get_one(Customer, customer_id))
    assert {key: getattr(state, key) for key in expected} == expected
    profile = fakes.klaviyo.received("POST", "/api/profile-import")[-1]
    assert profile.json["data"]["attributes"]["properties"]["Loyalty Points To Next Tier"] == 400

    page = TokenClient(sync_app, shop["domain"]).get(f"/admin/customers/{customer_id}").get_data(as_text=True)
    shown = {name: re.search(rf'id="{name}"[^>]*>([^<]*)<', page) for name in ("pending", "points-expiring",
                                                                            "next-tier")}
    assert {name: match.group(1).strip() for name, match in shown.items() if match} == {
        "pending": "50", "points-expiring": "300", "next-tier": "400 to Gold"}
    expire_at = re.search(r'id="points-expire-at" datetime="([^"]+)"', page)
    assert expire_at is not None and dt.datetime.fromisoformat(expire_at.group(1)) == next_expiry
