"""POST /v1/rewards/{id}/purchase: every row of the contract, the code Shopify is asked for, nothing spent on 503."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.models import EarningEntry, EntrySource, LotAllocation, Reward
from tests import factories
from tests.rewards.helpers import balance, purchase, redemptions

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CODE = re.compile(r"^LOYAL-[2-9A-HJ-NP-Z]{10}$")


def error(response: Any, status: int, title: str | None = None) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    errors = response.get_json(force=True)["errors"]
    assert len(errors) == 1 and errors[0]["status"] == str(status)
    if title is not None:
        assert errors[0]["title"] == title
    return str(errors[0]["detail"])


def set_reward(app: Flask, reward_id: str, **values: Any) -> None:
    with sessionmaker_for(app).begin() as session:
        session.execute(update(Reward).where(Reward.id == reward_id).values(**values))


def test_purchase_spends_the_oldest_lots_and_answers_the_history_entry(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    response = purchase(sync_client, shop, "$5 off", {"customer_identifier": "gold@example.com"})

    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json(force=True)["data"]
    assert data["type"] == "reward_history_entry" and data["id"].startswith("cr_")
    attributes = data["attributes"]
    assert list(attributes) == ["reward_id", "reward_name", "reward_discount_type", "points_spent",
                                "discount_amount", "discount_code", "status", "is_refunded",
                                "discount_code_redeemed_at", "redeemed_at", "expires_at", "created_at", "updated_at"]
    assert {k: attributes[k] for k in ("reward_id", "reward_name", "reward_discount_type", "points_spent",
                                       "discount_amount", "status", "is_refunded", "discount_code_redeemed_at",
                                       "redeemed_at", "expires_at")} == {
        "reward_id": shop["rewards"]["$5 off"], "reward_name": "$5 off", "reward_discount_type": "fixed_amount",
        "points_spent": 500, "discount_amount": 5.0, "status": "active", "is_refunded": False,
        "discount_code_redeemed_at": None, "redeemed_at": None, "expires_at": None}
    assert CODE.match(attributes["discount_code"])
    assert ISO_MS_Z.match(attributes["created_at"]) and ISO_MS_Z.match(attributes["updated_at"])
    assert list(fakes.shopify.discounts) == [attributes["discount_code"]]
    assert balance(sync_app, "1001") == (700, 500)
    with sessionmaker_for(sync_app)() as session:
        spend = session.scalars(select(EarningEntry).where(EarningEntry.source == EntrySource.REDEMPTION.value)).one()
        opening = session.scalars(select(EarningEntry).where(
            EarningEntry.source == EntrySource.OPENING_BALANCE.value)).one()
        assert spend.points == -500
        assert session.execute(select(LotAllocation.lot_id, LotAllocation.points)
                               .where(LotAllocation.entry_id == spend.id)).tuples().all() == [(opening.id, 500)]


def test_the_exact_variables_shopify_is_sent(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                             fakes: SimpleNamespace) -> None:
    set_reward(sync_app, shop["rewards"]["10% off"], points_cost=400, expiry_days=30)
    response = purchase(sync_client, shop, "10% off", {"customer_identifier": "1001"})

    assert response.status_code == 201, response.get_data(as_text=True)
    attributes = response.get_json(force=True)["data"]["attributes"]
    code = attributes["discount_code"]
    sent = fakes.shopify.discounts[code]
    assert sent["kind"] == "discountCodeBasicCreate"
    assert sent["input"] == {
        "title": f"10% off ({code})", "code": code,
        "startsAt": attributes["created_at"], "endsAt": attributes["expires_at"],
        "usageLimit": 1, "appliesOncePerCustomer": True,
        "context": {"customers": {"add": ["gid://shopify/Customer/1001"]}},
        "combinesWith": {"orderDiscounts": False, "productDiscounts": False, "shippingDiscounts": False},
        "minimumRequirement": {"subtotal": {"greaterThanOrEqualToSubtotal": "50.00"}},
        "customerGets": {"value": {"percentage": 0.1}, "items": {"all": True}},
    }
    created = utcnow().replace(microsecond=0)
    assert attributes["expires_at"][:10] == (created.date().fromordinal(created.toordinal() + 30)).isoformat()


def test_free_shipping_uses_its_own_mutation(sync_client: FlaskClient, shop: dict[str, Any],
                                             fakes: SimpleNamespace) -> None:
    response = purchase(sync_client, shop, "Free shipping", {"customer_identifier": "1001"})

    assert response.status_code == 201
    (sent,) = fakes.shopify.discounts.values()
    assert sent["kind"] == "discountCodeFreeShippingCreate"
    assert sent["input"]["destination"] == {"all": True} and "customerGets" not in sent["input"]


def test_a_per_point_reward_takes_the_points_chosen(sync_app: Flask, sync_client: FlaskClient,
                                                    shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    response = purchase(sync_client, shop, "Points for dollars", {"customer_identifier": "1001", "points": 200})

    assert response.status_code == 201, response.get_data(as_text=True)
    attributes = response.get_json(force=True)["data"]["attributes"]
    assert (attributes["points_spent"], attributes["discount_amount"]) == (200, 2.0)
    sent = fakes.shopify.discounts[attributes["discount_code"]]["input"]
    assert sent["customerGets"]["value"] == {"discountAmount": {"amount": "2.00", "appliesOnEachItem": False}}
    assert balance(sync_app, "1001") == (1000, 200)


@pytest.mark.parametrize(("body", "detail"), [
    ({"customer_identifier": "1001"}, "'points' is required for a per-point reward"),
    ({"customer_identifier": "1001", "points": "200"}, "'points' input should be a valid integer"),
    ({"customer_identifier": "1001", "points": 2.5}, "'points' input should be a valid integer"),
    ({"customer_identifier": "1001", "points": 0}, "'points' must be between 100 and 2000"),
    ({"customer_identifier": "1001", "points": 2100}, "'points' must be between 100 and 2000"),
    ({"customer_identifier": "1001", "points": 150}, "'points' must be a multiple of 100"),
])
def test_per_point_points_are_checked(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                      body: dict[str, Any], detail: str) -> None:
    assert error(purchase(sync_client, shop, "Points for dollars", body), 400) == detail
    assert balance(sync_app, "1001") == (1200, 0)


def test_each_refusal_in_contract_order(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any],
                                        fakes: SimpleNamespace) -> None:
    five = shop["rewards"]["$5 off"]
    assert sync_client.post(f"/v1/rewards/{five}/purchase", json={"customer_identifier": "1001"}).status_code == 401
    assert error(purchase(sync_client, shop, "$5 off", {"customer_identifier": "1001"},
                          key=shop["read_only_api_key"]), 403)
    assert error(purchase(sync_client, shop, "$5 off", ["1001"]), 400) == "The request body must be a JSON object"
    assert error(purchase(sync_client, shop, "$5 off", {}), 400) == "'customer_identifier' is required"
    assert error(purchase(sync_client, shop, "$5 off", {"customer_identifier": 1001}), 400) == \
        "'customer_identifier' must be a string"
    assert error(purchase(sync_client, shop, "rwd_missing", {"customer_identifier": "1001"}), 404) == \
        "Reward 'rwd_missing' not found"
    assert error(purchase(sync_client, shop, "Free tote bag", {"customer_identifier": "1001"}), 404)
    assert error(purchase(sync_client, shop, "$5 off", {"customer_identifier": "9999"}), 404) == \
        "Customer '9999' not found"
    assert error(purchase(sync_client, shop, "$5 off", {"customer_identifier": "1003"}), 403)
    assert "another VIP tier" in error(purchase(sync_client, shop, "Gold: $20 off",
                                                {"customer_identifier": "1002"}), 403)
    assert error(purchase(sync_client, shop, "$5 off", {"customer_identifier": "1002"}), 422, "Insufficient Points")
    assert error(purchase(sync_client, shop, "Gold: $20 off", {"customer_identifier": "1001"}), 422,
                 "Insufficient Points")
    assert purchase(sync_client, shop, "Free shipping", {"customer_identifier": "1001"}).status_code == 201
    assert error(purchase(sync_client, shop, "Free shipping", {"customer_identifier": "1001"}), 422,
                 "Redemption Limit Reached")
    assert balance(sync_app, "1001") == (900, 300)
    assert len(fakes.shopify.discounts) == 1


def test_a_deleted_reward_is_not_found(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any]) -> None:
    set_reward(sync_app, shop["rewards"]["$5 off"], deleted_at=utcnow())
    assert error(purchase(sync_client, shop, "$5 off", {"customer_identifier": "1001"}), 404)


def test_another_shops_reward_is_not_found(sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any]) -> None:
    with sessionmaker_for(sync_app).begin() as session:
        other = factories.shop(session)
        reward = Reward(shop_id=other.id, name="Theirs", discount_type="fixed_amount", points_cost=1)
        session.add(reward)
        session.flush()
        reward_id = reward.id
    assert error(purchase(sync_client, shop, reward_id, {"customer_identifier": "1001"}), 404)
    assert balance(sync_app, "1001") == (1200, 0)


@pytest.mark.parametrize("failure", ["down", "refused"])
def test_shopify_failing_gives_503_and_nothing_spent(sync_app: Flask, sync_client: FlaskClient,
                                                     shop: dict[str, Any], fakes: SimpleNamespace,
                                                     failure: str) -> None:
    if failure == "down":
        fakes.shopify.down = True
    else:
        fakes.shopify.refuse_discounts = True

    assert error(purchase(sync_client, shop, "$5 off", {"customer_identifier": "1001"}), 503)
    assert balance(sync_app, "1001") == (1200, 0)
    (redemption,) = redemptions(sync_app)
    assert redemption.state == "refunded" and redemption.shopify_discount_id is None
    assert fakes.shopify.discounts == {}


def test_a_purchase_retried_with_its_idempotency_key_answers_the_same_code_and_spends_once(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    reward_id = shop["rewards"]["$5 off"]
    headers = {"Authorization": shop["api_key"], "Idempotency-Key": "purchase-1"}
    body = {"customer_identifier": "gold@example.com"}

    first = sync_client.post(f"/v1/rewards/{reward_id}/purchase", json=body, headers=headers)
    again = sync_client.post(f"/v1/rewards/{reward_id}/purchase", json=body, headers=headers)

    assert first.status_code == again.status_code == 201, first.get_data(as_text=True)
    assert again.get_json(force=True) == first.get_json(force=True)
    assert len(fakes.shopify.discounts) == 1 and len(redemptions(sync_app)) == 1
    assert balance(sync_app, "1001") == (700, 500)
