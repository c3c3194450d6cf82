"""The /v1 reads of rewards: the shop's rewards, one reward, a customer's reward history, the tiers' own
rewards; the list conventions, a read-only key, the rate limit headers, and another shop seeing none of it."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shopify_app.db import sessionmaker_for
from shopify_app.loyalty.rewards.catalogue import delete_reward
from shopify_app.models import Reward
from tests import factories
from tests.api.test_award import error_of
from tests.rewards.helpers import purchase

REWARD_FIELDS = ["name", "description", "discount_type", "reward_type", "points_cost", "discount_amount",
                 "minimum_spend", "is_active", "max_redemptions", "expiry_days", "pricing", "points_per_unit",
                 "min_points", "max_points", "created_at", "updated_at"]
LIVE = ["Points for dollars", "Free shipping", "$5 off", "10% off", "Gold: $20 off"]


def get(client: FlaskClient, path: str, key: str, **params: str) -> Any:
    return client.get(path, query_string=params, headers={"Authorization": key})


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["attributes"]["name"] for r in response.get_json(force=True)["data"]]


@pytest.fixture
def other(sync_app: Flask, shop: dict[str, Any]) -> SimpleNamespace:
    """Another shop with a key, a customer and a Gold tier with a reward of its own."""
    with sessionmaker_for(sync_app).begin() as session:
        other_shop = factories.shop(session)
        factories.customer(session, other_shop, "9001", "other@example.com")
        gold = factories.tier(session, other_shop, "Gold", 100, "1.5")
        reward = Reward(shop_id=other_shop.id, name="Other: $1 off", discount_type="fixed_amount",
                        reward_type="tier", vip_tier_id=gold.id, points_cost=10, discount_amount=Decimal(1))
        session.add(reward)
        session.flush()
        return SimpleNamespace(key=factories.api_key(session, other_shop), reward_id=reward.id)


def test_rewards_are_listed_filtered_sorted_and_paged(sync_app: Flask, sync_client: FlaskClient,
                                                      shop: dict[str, Any]) -> None:
    key = shop["api_key"]
    with sessionmaker_for(sync_app).begin() as session:
        delete_reward(session, session.get_one(Reward, shop["rewards"]["$5 off"]))

    body = get(sync_client, "/v1/rewards", key).get_json(force=True)
    assert body["meta"] == {"total": 5, "page": 1, "per_page": 20, "total_pages": 1}
    assert all(r["type"] == "reward" and list(r["attributes"]) == REWARD_FIELDS for r in body["data"])
    by_name = {r["attributes"]["name"]: r for r in body["data"]}
    assert "$5 off" not in by_name  # deleted
    assert by_name["10% off"]["id"] == shop["rewards"]["10% off"]
    assert {k: by_name["10% off"]["attributes"][k] for k in ("discount_type", "reward_type", "points_cost",
                                                            "discount_amount", "minimum_spend", "is_active")} == {
        "discount_type": "percentage", "reward_type": "discount", "points_cost": 1000, "discount_amount": 10.0,
        "minimum_spend": 50.0, "is_active": True}

    assert names(get(sync_client, "/v1/rewards", key, sort="points_cost")) == [
        "Points for dollars", "Free shipping", "Free tote bag", "10% off", "Gold: $20 off"]
    assert names(get(sync_client, "/v1/rewards", key, sort="-name")) == sorted(by_name, reverse=True)
    assert names(get(sync_client, "/v1/rewards", key, **{"filter[is_active]": "false"})) == ["Free tote bag"]
    assert names(get(sync_client, "/v1/rewards", key, **{"filter[reward_type]": "tier"})) == ["Gold: $20 off"]
    second = get(sync_client, "/v1/rewards", key, sort="name", **{"page[size]": "2", "page[number]": "3"})
    assert second.get_json(force=True)["meta"] == {"total": 5, "page": 3, "per_page": 2, "total_pages": 3}
    assert names(second) == [sorted(by_name)[4]]


@pytest.mark.parametrize(("path", "params", "named"), [
    ("/v1/rewards", {"filter[reward_type]": "vip"}, "filter[reward_type]"),
    ("/v1/rewards", {"filter[is_active]": "yes"}, "filter[is_active]"),
    ("/v1/rewards", {"filter[name]": "x"}, "filter[name]"),
    ("/v1/rewards", {"sort": "-cost"}, "-cost"),
    ("/v1/rewards", {"page[size]": "101"}, "page[size]"),
    ("/v1/customers/1001/reward-history", {"filter[status]": "creating"}, "filter[status]"),
    ("/v1/customers/1001/reward-history", {"filter[reward_id]": "x"}, "filter[reward_id]"),
    ("/v1/customers/1001/reward-history", {"sort": "points"}, "points"),
    ("/v1/customers/1001/reward-history", {"page[number]": "0"}, "page[number]"),
])
def test_the_list_conventions_reject_naming_the_key(sync_client: FlaskClient, shop: dict[str, Any], path: str,
                                                    params: dict[str, str], named: str) -> None:
    response = get(sync_client, path, shop["api_key"], **params)
    assert response.status_code == 400
    assert named in error_of(response)["detail"]


def test_one_reward_inactive_too_but_not_once_deleted(sync_app: Flask, sync_client: FlaskClient,
                                                      shop: dict[str, Any]) -> None:
    key, tote = shop["api_key"], shop["rewards"]["Free tote bag"]
    inactive = get(sync_client, f"/v1/rewards/{tote}", key)
    assert inactive.status_code == 200
    data = inactive.get_json(force=True)["data"]
    assert (data["type"], data["id"], data["attributes"]["is_active"]) == ("reward", tote, False)
    assert list(data["attributes"]) == REWARD_FIELDS
    with sessionmaker_for(sync_app).begin() as session:
        delete_reward(session, session.get_one(Reward, tote))
    assert error_of(get(sync_client, f"/v1/rewards/{tote}", key))["status"] == "404"
    assert get(sync_client, "/v1/rewards/rwd_nope", key).status_code == 404


def test_reward_history_newest_first_filtered_and_sorted(sync_client: FlaskClient, shop: dict[str, Any],
                                                         fakes: SimpleNamespace) -> None:
    key = shop["api_key"]
    five = purchase(sync_client, shop, "$5 off", {"customer_identifier": "1001"})
    shipping = purchase(sync_client, shop, "Free shipping", {"customer_identifier": "1001"})
    assert (five.status_code, shipping.status_code) == (201, 201)
    fakes.shopify.down = True  # a purchase Shopify never made a code for is not history
    failed = purchase(sync_client, shop, "Points for dollars", {"customer_identifier": "1001", "points": 100})
    assert failed.status_code == 503
    fakes.shopify.down = False
    refunded = sync_client.post(f"/v1/reward-history/{five.get_json()['data']['id']}/refund",
                                headers={"Authorization": key})
    assert refunded.status_code == 200

    body = get(sync_client, "/v1/customers/GOLD@example.com/reward-history", key).get_json(force=True)
    assert body["meta"] == {"total": 2, "page": 1, "per_page": 20, "total_pages": 1}
    # The purchase's own serializer: each entry is what its purchase (or refund) answered, now.
    assert body["data"][0] == shipping.get_json(force=True)["data"]
    assert body["data"][1] == refunded.get_json(force=True)["data"]
    by_cost = get(sync_client, "/v1/customers/1001/reward-history", key, sort="-points_spent").get_json(force=True)
    assert [e["attributes"]["points_spent"] for e in by_cost["data"]] == [500, 300]
    active = get(sync_client, "/v1/customers/1001/reward-history", key, **{"filter[status]": "active"})
    assert [e["attributes"]["reward_name"] for e in active.get_json(force=True)["data"]] == ["Free shipping"]
    gone = get(sync_client, "/v1/customers/1001/reward-history", key, **{"filter[status]": "refunded"})
    assert [e["attributes"]["is_refunded"] for e in gone.get_json(force=True)["data"]] == [True]
    assert get(sync_client, "/v1/customers/1002/reward-history", key).get_json(force=True)["data"] == []
    assert get(sync_client, "/v1/customers/nobody@example.com/reward-history", key).status_code == 404


def test_vip_tiers_embed_their_own_rewards(sync_client: FlaskClient, shop: dict[str, Any],
                                           other: SimpleNamespace) -> None:
    tiers = get(sync_client, "/v1/vip-tiers", shop["api_key"]).get_json(force=True)["data"]
    rewards = {t["attributes"]["name"]: t["attributes"]["rewards"] for t in tiers}
    assert list(tiers[0]["attributes"]) == ["name", "description", "points_required", "points_multiplier",
                                            "badge_image_url", "badge_color", "rewards", "created_at", "updated_at"]
    gold = rewards.pop("Gold")
    assert [(r["id"], r["name"], r["reward_type"]) for r in gold] == [
        (shop["rewards"]["Gold: $20 off"], "Gold: $20 off", "tier")]
    assert list(gold[0]) == ["id", *REWARD_FIELDS]
    assert all(embedded == [] for embedded in rewards.values())
    theirs = get(sync_client, "/v1/vip-tiers", other.key).get_json(force=True)["data"]
    assert [[r["name"] for r in t["attributes"]["rewards"]] for t in theirs] == [["Other: $1 off"]]


@pytest.mark.parametrize("path", ["/v1/rewards/{reward}", "/v1/customers/1001/reward-history",
                                  "/v1/customers/gold@example.com/reward-history"])
def test_another_shops_key_finds_no_reward_and_no_customer(sync_client: FlaskClient, shop: dict[str, Any],
                                                           other: SimpleNamespace, path: str) -> None:
    response = get(sync_client, path.format(reward=shop["rewards"]["$5 off"]), other.key)
    assert error_of(response)["status"] == "404"


def test_another_shops_key_lists_only_its_own(sync_client: FlaskClient, shop: dict[str, Any],
                                              other: SimpleNamespace) -> None:
    assert names(get(sync_client, "/v1/rewards", other.key)) == ["Other: $1 off"]
    assert get(sync_client, f"/v1/rewards/{other.reward_id}", shop["api_key"]).status_code == 404
    assert get(sync_client, "/v1/customers/9001/reward-history", shop["api_key"]).status_code == 404
    assert get(sync_client, "/v1/customers/9001/reward-history", other.key).status_code == 200


@pytest.mark.parametrize("path", ["/v1/rewards", "/v1/rewards/{reward}", "/v1/customers/1001/reward-history",
                                  "/v1/vip-tiers"])
def test_a_read_only_key_reads_them_with_the_rate_limit_headers(sync_app: Flask, sync_client: FlaskClient,
                                                                shop: dict[str, Any], path: str) -> None:
    response = get(sync_client, path.format(reward=shop["rewards"]["$5 off"]), shop["read_only_api_key"])
    assert response.status_code == 200
    limit = sync_app.config["LOYALTY"].api_rate_limit
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert 0 <= int(response.headers["RateLimit-Remaining"]) <= limit
    assert int(response.headers["RateLimit-Reset"]) >= 0
