"""The /proxy endpoints: one shopper's data, the public program, claims with the award contract."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.models import Customer, EarningEntry, Shop
from shopify_app.proxy import auth as proxy_auth
from tests import factories
from tests.api.test_award import ISO_MS_Z, count, customer_row, error_of
from tests.proxy.signing import signed_query


def call(client: FlaskClient, path: str, customer_id: str | None, *, method: str = "GET", **signing: Any) -> Any:
    return client.open(f"/proxy{path}?{signed_query(customer_id, **signing)}", method=method)


def attributes(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json(force=True)["data"]["attributes"]  # type: ignore[no-any-return]


def claim(client: FlaskClient, rule_id: str, customer_id: str | None, **signing: Any) -> Any:
    """A claim as the widget sends it: a fresh nonce, so two claims in one second are signed apart."""
    signing.setdefault("params", [("nonce", uuid.uuid4().hex)])
    return call(client, f"/earning-rules/{rule_id}/claim", customer_id, method="POST", **signing)


def test_customer_summary_of_a_gold_member(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    response = call(client, "/customer", "1001")
    assert response.headers["Cache-Control"] == "private, no-store"
    data = response.get_json(force=True)["data"]
    assert (data["type"], data["id"]) == ("loyalty_customer", "1001")
    assert attributes(response) == {
        "points_balance": 1200, "lifetime_points": 1200, "pending_points": 0,
        "vip_tier": {"id": demo_shop["tiers"]["Gold"], "name": "Gold", "points_required": 1000,
                     "points_multiplier": 1.5, "badge_color": "#d4af37"},
        "next_tier": None, "points_to_next_tier": None, "status": "member", "points_expire_at": None,
        "points_expiring": 0, "date_of_birth": None,
    }


def test_an_excluded_customer_sees_their_status(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    assert attributes(call(client, "/customer", "1003"))["status"] == "excluded"


def test_customer_summary_shows_progress_pending_points_and_next_expiry(
    client: FlaskClient, app: Flask, demo_shop: dict[str, Any]
) -> None:
    with sessionmaker_for(app).begin() as session:
        session.get(Shop, demo_shop["shop_id"]).settings.points_expiry_days = 30  # type: ignore[union-attr]
    assert claim(client, demo_shop["rules"]["follow_on_tiktok"], "1002").status_code == 201
    assert claim(client, demo_shop["rules"]["follow_on_instagram"], "1002").status_code == 201

    summary = attributes(call(client, "/customer", "1002"))
    assert (summary["points_balance"], summary["lifetime_points"], summary["pending_points"]) == (100, 100, 50)
    assert summary["vip_tier"]["name"] == "Bronze"
    assert summary["next_tier"]["name"] == "Silver"
    assert summary["points_to_next_tier"] == 400
    assert ISO_MS_Z.match(summary["points_expire_at"])
    expires = dt.datetime.fromisoformat(summary["points_expire_at"].replace("Z", "+00:00"))
    assert dt.timedelta(days=29) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=30)
    assert summary["points_expiring"] == 100  # the Instagram points; TikTok's are still pending


def test_earning_rules_are_the_active_ones_with_this_customers_completion(
    client: FlaskClient, demo_shop: dict[str, Any]
) -> None:
    rules = demo_shop["rules"]
    assert claim(client, rules["follow_on_tiktok"], "1002").status_code == 201
    assert claim(client, rules["follow_on_instagram"], "1001").status_code == 201

    response = call(client, "/earning-rules", "1002")
    assert response.status_code == 200
    by_action = {r["attributes"]["action"]: r for r in response.get_json(force=True)["data"]}
    assert "share_on_facebook" not in by_action  # inactive
    assert set(by_action) == {"follow_on_instagram", "follow_on_tiktok", "join_newsletter", "place_order", "birthday"}
    instagram = by_action["follow_on_instagram"]
    assert instagram["type"] == "earning_rule" and instagram["id"] == rules["follow_on_instagram"]
    assert instagram["attributes"] == {
        "name": "Follow us on Instagram", "description": None, "category": "social", "action": "follow_on_instagram",
        "points_to_give": 100, "approval_time": 0, "call_to_action_url": "https://instagram.com/demo-loyalty",
        "claimable": True, "completion": "not_started",
    }
    assert by_action["follow_on_tiktok"]["attributes"]["completion"] == "pending"
    # 1001's claim (of Instagram, above) is not 1002's; verified actions are not claimable.
    assert by_action["join_newsletter"]["attributes"]["completion"] == "not_started"
    assert {action for action, rule in by_action.items() if not rule["attributes"]["claimable"]} == {
        "place_order", "birthday", "join_newsletter"}


def test_an_anonymous_shopper_gets_only_the_public_program(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    rules = call(client, "/earning-rules", None)
    assert rules.status_code == 200
    assert {r["attributes"]["completion"] for r in rules.get_json(force=True)["data"]} == {None}
    tiers = call(client, "/vip-tiers", None)
    assert [t["attributes"]["name"] for t in tiers.get_json(force=True)["data"]] == ["Bronze", "Silver", "Gold"]
    for path in ("/customer", "/history"):
        response = call(client, path, None)
        assert response.status_code == 401
        assert "Log in" in error_of(response)["detail"]
    response = claim(client, demo_shop["rules"]["follow_on_instagram"], None)
    assert response.status_code == 401
    assert count(client.application, EarningEntry) == 0


def test_claim_awards_through_the_award_rules(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    response = claim(client, demo_shop["rules"]["follow_on_instagram"], "1001")
    assert response.status_code == 201
    entry = response.get_json(force=True)["data"]
    assert entry["type"] == "earning_history_entry"
    assert (entry["attributes"]["points"], entry["attributes"]["status"]) == (150, "approved")
    assert customer_row(app, "1001").current_points == 1350


@pytest.mark.parametrize("rule,customer_id,status,detail", [
    ("rule_missing", "1002", 404, "Earning rule 'rule_missing' not found"),
    ("%00", "1002", 404, "not found"),
    ("share_on_facebook", "1002", 404, "not found"),
    ("follow_on_instagram", "1003", 403, "excluded"),
    ("place_order", "1002", 422, "only social and engagement rules"),
    ("join_newsletter", "1002", 422, "verified by the store (join_newsletter)"),
    ("follow_on_instagram", "999999", 404, "Customer '999999' not found"),
])
def test_claim_outcomes(client: FlaskClient, demo_shop: dict[str, Any], rule: str, customer_id: str, status: int,
                        detail: str) -> None:
    rule_id = demo_shop["rules"].get(rule, rule)
    response = claim(client, rule_id, customer_id)
    assert response.status_code == status
    assert detail in error_of(response)["detail"]
    assert count(client.application, EarningEntry) == 0


def test_claiming_twice_is_a_conflict(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    rule_id = demo_shop["rules"]["follow_on_instagram"]
    assert claim(client, rule_id, "1002").status_code == 201
    again = claim(client, rule_id, "1002")
    assert again.status_code == 409
    assert "already earned" in error_of(again)["detail"]
    assert count(client.application, EarningEntry) == 1


def test_a_replayed_claim_signature_is_refused(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    url = f"/proxy/earning-rules/{demo_shop['rules']['follow_on_instagram']}/claim?{signed_query('1002')}"
    assert client.post(url).status_code == 201
    replay = client.post(url)
    assert replay.status_code == 401
    assert "already used" in error_of(replay)["detail"]
    # Shopify signs the query, not the path: the used signature cannot drive another claim either.
    other = client.post(url.replace(demo_shop["rules"]["follow_on_instagram"], demo_shop["rules"]["follow_on_tiktok"]))
    assert other.status_code == 401
    assert count(app, EarningEntry) == 1
    assert customer_row(app, "1002").current_points == 100


def test_claims_in_the_same_second_need_distinct_nonces(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    rules = demo_shop["rules"]
    # Without a nonce both claims carry the same signature: the second is taken for a replay.
    assert claim(client, rules["follow_on_instagram"], "1002", params=[], timestamp=now).status_code == 201
    assert claim(client, rules["follow_on_tiktok"], "1002", params=[], timestamp=now).status_code == 401
    assert claim(client, rules["follow_on_tiktok"], "1002", params=[("nonce", "b")], timestamp=now).status_code == 201


def test_reads_may_repeat_a_signature(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    query = signed_query("1001")
    assert client.get(f"/proxy/customer?{query}").status_code == 200
    assert client.get(f"/proxy/customer?{query}").status_code == 200


@pytest.mark.parametrize("change", ["customer", "stale", "secret", "unsigned", "other_shop"])
def test_forged_requests_are_unauthorized(client: FlaskClient, demo_shop: dict[str, Any], change: str) -> None:
    query = {
        "customer": signed_query("1002").replace("logged_in_customer_id=1002", "logged_in_customer_id=1001"),
        "stale": signed_query("1001", timestamp=int(dt.datetime.now(dt.timezone.utc).timestamp()) - 91),
        "secret": signed_query("1001", secret="not-the-app-secret"),
        "unsigned": "shop=demo-loyalty.myshopify.com&logged_in_customer_id=1001&timestamp=1",
        "other_shop": signed_query("1001").replace("demo-loyalty.myshopify.com", "other-shop.myshopify.com"),
    }[change]
    for method, path in (("GET", "/customer"), ("GET", "/history"), ("GET", "/earning-rules"),
                         ("POST", f"/earning-rules/{demo_shop['rules']['follow_on_instagram']}/claim")):
        response = client.open(f"/proxy{path}?{query}", method=method)
        assert response.status_code == 401, (path, response.get_data(as_text=True))
        assert error_of(response)["detail"].startswith("Invalid app proxy request")
    assert count(client.application, EarningEntry) == 0


def test_the_previous_secret_is_accepted_during_a_rotation(app: Flask, demo_shop: dict[str, Any]) -> None:
    config = app.config["LOYALTY"]
    rotated = app.config["LOYALTY"] = config.model_copy(update={
        "shopify_api_secret": "rotated-secret", "shopify_api_secret_previous": config.shopify_api_secret
    })
    try:
        client = app.test_client()
        assert call(client, "/customer", "1001").status_code == 200
        assert call(client, "/customer", "1001", secret=rotated.shopify_api_secret).status_code == 200
        assert call(client, "/customer", "1001", secret="yet-another").status_code == 401
    finally:
        app.config["LOYALTY"] = config


def test_another_shops_customer_is_never_returned(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        other = factories.shop(session, "other-shop.myshopify.com")
        factories.customer(session, other, "1001", current_points=7, lifetime_points=7)
        factories.customer(session, other, "5555", current_points=9, lifetime_points=9)
        other_rule = factories.rule(session, other, "follow_on_instagram", category="social").id

    assert attributes(call(client, "/customer", "1001"))["points_balance"] == 1200
    assert attributes(call(client, "/customer", "1001", shop="other-shop.myshopify.com"))["points_balance"] == 7
    # Another shop's customer id signed for this shop finds no one.
    assert call(client, "/customer", "5555").status_code == 404
    # Another shop's rule cannot be claimed here.
    response = claim(client, other_rule, "1001")
    assert response.status_code == 404
    assert customer_row_in(app, "other-shop.myshopify.com", "1001").current_points == 7


def customer_row_in(app: Flask, domain: str, shopify_id: str) -> Customer:
    with sessionmaker_for(app)() as session:
        return session.scalars(
            select(Customer).join(Shop, Shop.id == Customer.shop_id)
            .where(Shop.domain == domain, Customer.shopify_customer_id == shopify_id)
        ).one()


def test_history_is_this_customers_ledger_paginated(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    rules = demo_shop["rules"]
    for rule in ("follow_on_instagram", "follow_on_tiktok"):
        assert claim(client, rules[rule], "1002").status_code == 201
    assert claim(client, rules["follow_on_tiktok"], "1001").status_code == 201

    first = call(client, "/history", "1002", params=[("page", "1"), ("per_page", "1")]).get_json(force=True)
    assert first["meta"] == {"page": 1, "per_page": 1, "total": 2}
    assert [e["attributes"]["action"] for e in first["data"]] == ["follow_on_tiktok"]
    second = call(client, "/history", "1002", params=[("page", "2"), ("per_page", "1")]).get_json(force=True)
    assert [e["attributes"]["action"] for e in second["data"]] == ["follow_on_instagram"]
    assert [e["attributes"]["action"] for e in  # the demo's balance is posted, so it has its entry
            call(client, "/history", "1001").get_json(force=True)["data"]] == ["follow_on_tiktok", "opening_balance"]


@pytest.mark.parametrize("params", [
    [("page", "0")], [("per_page", "x")], [("page", "-1")], [("page", "²")], [("page", "9" * 30)],
    [("page", "9" * 5000)],
])
def test_bad_pagination_is_a_400(client: FlaskClient, demo_shop: dict[str, Any], params: list[tuple[str, str]]) -> None:
    response = call(client, "/history", "1002", params=params)
    assert response.status_code == 400
    assert "must be an integer from 1 to" in error_of(response)["detail"]


@pytest.mark.parametrize("shop,uninstalled", [("unknown-shop.myshopify.com", False), ("gone.myshopify.com", True)])
def test_a_shop_without_the_app_is_a_404(client: FlaskClient, app: Flask, shop: str, uninstalled: bool) -> None:
    if uninstalled:
        with sessionmaker_for(app).begin() as session:
            factories.shop(session, shop).uninstalled_at = dt.datetime.now(dt.timezone.utc)
    response = call(client, "/vip-tiers", None, shop=shop)
    assert response.status_code == 404
    assert "has no loyalty program" in error_of(response)["detail"]


def test_routing_errors_are_json(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    assert error_of(call(client, "/nothing-here", "1001"))["status"] == "404"
    assert error_of(call(client, "/customer", "1001", method="DELETE"))["status"] == "405"


def test_writes_answer_503_when_the_replay_store_is_down(
    client: FlaskClient, app: Flask, demo_shop: dict[str, Any]
) -> None:
    from redis import Redis

    working = app.extensions.get("redis")
    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = claim(client, demo_shop["rules"]["follow_on_instagram"], "1002")
    finally:
        if working is None:
            app.extensions.pop("redis")
        else:
            app.extensions["redis"] = working
    assert response.status_code == 503
    assert error_of(response)["title"] == "Service Unavailable"
    assert count(app, EarningEntry) == 0


def test_each_request_checks_its_signature_once(client: FlaskClient, demo_shop: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limit's key and the signature hook ask the same question; each request answers it once,
    with its own query."""
    checked: list[str] = []
    check = proxy_auth.verify_proxy_request

    def counted(params: Any, **kwargs: Any) -> Any:
        proxy = check(params, **kwargs)
        checked.append(proxy.logged_in_customer_id)
        return proxy

    monkeypatch.setattr(proxy_auth, "verify_proxy_request", counted)
    answers = [client.get(f"/proxy/customer?{signed_query(member)}") for member in ("1001", "1002")]
    assert [answer.json["data"]["id"] for answer in answers] == ["1001", "1002"]
    assert checked == ["1001", "1002"]
