"""The storefront's rewards: the catalogue for a shopper, redeeming (replay-protected), the shopper's codes."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.proxy.signing import signed_query
from tests.rewards.helpers import balance


def call(client: FlaskClient, path: str, customer_id: str | None, *, method: str = "GET", body: Any = None,
         **signing: Any) -> Any:
    return client.open(f"/proxy{path}?{signed_query(customer_id, **signing)}", method=method, json=body)


def redeem(client: FlaskClient, shop: dict[str, Any], reward: str, customer_id: str | None, body: Any = None,
           **signing: Any) -> Any:
    signing.setdefault("params", [("nonce", uuid.uuid4().hex)])
    return call(client, f"/rewards/{shop['rewards'][reward]}/redeem", customer_id, method="POST", body=body,
                **signing)


def test_the_catalogue_for_a_gold_member_and_an_anonymous_shopper(sync_client: FlaskClient,
                                                                  shop: dict[str, Any]) -> None:
    gold = {r["attributes"]["name"]: r["attributes"] for r in call(sync_client, "/rewards", "1001").get_json()["data"]}
    anonymous = call(sync_client, "/rewards", None).get_json()["data"]
    newt = {r["attributes"]["name"]: r["attributes"] for r in call(sync_client, "/rewards", "1002").get_json()["data"]}

    assert list(gold) == ["Points for dollars", "Free shipping", "$5 off", "10% off", "Gold: $20 off"]
    assert (gold["$5 off"]["affordable"], gold["$5 off"]["locked"]) == (True, False)
    assert (gold["Gold: $20 off"]["affordable"], gold["Gold: $20 off"]["locked"]) == (False, False)
    assert gold["Gold: $20 off"]["vip_tier"] == {"id": shop["tiers"]["Gold"], "name": "Gold"}
    assert (newt["$5 off"]["affordable"], newt["Gold: $20 off"]["locked"]) == (False, True)
    assert {(r["attributes"]["affordable"], r["attributes"]["locked"]) for r in anonymous} == {(None, None)}
    assert gold["$5 off"]["product"] is None and gold["10% off"]["minimum_spend"] == 50.0


def test_redeeming_shows_the_code_in_my_rewards(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                                fakes: SimpleNamespace) -> None:
    made = redeem(sync_client, shop, "$5 off", "1001")
    per_point = redeem(sync_client, shop, "Points for dollars", "1001", {"points": 300})

    assert made.status_code == 201, made.get_data(as_text=True)
    assert per_point.status_code == 201, per_point.get_data(as_text=True)
    assert per_point.get_json()["data"]["attributes"]["discount_amount"] == 3.0
    assert balance(sync_app, "1001") == (400, 800)
    mine = call(sync_client, "/my-rewards", "1001", params=[("per_page", "1")]).get_json()
    assert mine["meta"] == {"page": 1, "per_page": 1, "total": 2}
    assert [r["attributes"]["discount_code"] for r in mine["data"]] == [
        per_point.get_json()["data"]["attributes"]["discount_code"]]
    assert len(fakes.shopify.discounts) == 2


def test_redeeming_has_the_apis_refusals(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any]) -> None:
    assert redeem(sync_client, shop, "$5 off", None).status_code == 401
    assert redeem(sync_client, shop, "$5 off", "1002").get_json()["errors"][0]["title"] == "Insufficient Points"
    assert redeem(sync_client, shop, "Points for dollars", "1001").status_code == 400
    assert redeem(sync_client, shop, "$5 off", "1003").status_code == 403
    assert balance(sync_app, "1001") == (1200, 0)


def test_a_replayed_redeem_signature_is_refused(sync_app: Flask, sync_client: FlaskClient,
                                                shop: dict[str, Any]) -> None:
    url = f"/proxy/rewards/{shop['rewards']['$5 off']}/redeem?{signed_query('1001')}"
    assert sync_client.post(url).status_code == 201
    assert sync_client.post(url).status_code == 401
    assert balance(sync_app, "1001") == (700, 500)
