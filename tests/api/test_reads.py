"""The /v1 reads: customers, their birthday, anniversary and earning history, earning rules, VIP tiers;
the list conventions, and another shop's key seeing none of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shopify_app.db import sessionmaker_for
from shopify_app.loyalty.ledger.adjustments import adjust_points
from shopify_app.models import ApiKey, Customer, Shop
from tests.api.test_award import error_of


def get(client: FlaskClient, path: str, key: str, **params: str) -> Any:
    return client.get(path, query_string=params, headers={"Authorization": key})


CUSTOMER_FIELDS = [
    "shopify_customer_id", "email", "first_name", "last_name", "current_points", "lifetime_points",
    "redeemed_points", "loyalty_status", "date_of_birth", "referral_url", "referral_code", "vip_tier",
    "points_expire_at", "created_at", "updated_at",
]


def test_customer_object(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        shop = session.get(Shop, demo_shop["shop_id"])
        assert shop is not None
        shop.settings.points_expiry_days = 30
        gold = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
        adjust_points(session, shop, gold, 50, "welcome back")
        gold.date_of_birth = dt.date(1990, 5, 17)

    response = get(client, "/v1/customers/GOLD@example.com", demo_shop["api_key"])
    assert response.status_code == 200
    data = response.get_json(force=True)["data"]
    assert (data["type"], data["id"]) == ("customer", "1001")
    attributes = data["attributes"]
    assert list(attributes) == CUSTOMER_FIELDS
    assert attributes["date_of_birth"] == "1990-05-17"
    assert attributes["loyalty_status"] == "member"
    assert attributes["referral_url"] is None and attributes["referral_code"] is None
    assert attributes["vip_tier"]["id"] == demo_shop["tiers"]["Gold"]
    assert list(attributes["vip_tier"]) == ["id", "name", "points_required", "points_multiplier",
                                            "badge_image_url", "badge_color"]
    assert attributes["points_expire_at"] is not None

    no_vip = get(client, "/v1/customers/1001", demo_shop["api_key"], exclude_vip="true")
    assert no_vip.get_json(force=True)["data"]["attributes"]["vip_tier"] is None
    assert get(client, "/v1/customers/1001", demo_shop["api_key"], exclude_vip="maybe").status_code == 400
    assert get(client, "/v1/customers/nobody@example.com", demo_shop["api_key"]).status_code == 404


def test_customer_list_filters_sorts_and_pages(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    key = demo_shop["api_key"]
    everyone = get(client, "/v1/customers", key).get_json(force=True)
    assert everyone["meta"] == {"total": 3, "page": 1, "per_page": 20, "total_pages": 1}
    assert all(list(c["attributes"]) == CUSTOMER_FIELDS for c in everyone["data"])

    by_points = get(client, "/v1/customers", key, sort="-points").get_json(force=True)["data"]
    points = [c["attributes"]["current_points"] for c in by_points]
    assert points == sorted(points, reverse=True)

    excluded = get(client, "/v1/customers", key, **{"filter[loyalty_status]": "excluded"}).get_json(force=True)
    assert [c["id"] for c in excluded["data"]] == ["1003"]
    partial = get(client, "/v1/customers", key, **{"filter[email]": "GOLD@EX"}).get_json(force=True)
    assert [c["id"] for c in partial["data"]] == ["1001"]

    second = get(client, "/v1/customers", key, sort="created_at", **{"page[size]": "2", "page[number]": "2"})
    body = second.get_json(force=True)
    assert body["meta"] == {"total": 3, "page": 2, "per_page": 2, "total_pages": 2}
    first = get(client, "/v1/customers", key, sort="created_at", **{"page[size]": "2"}).get_json(force=True)
    ids = [c["id"] for c in first["data"] + body["data"]]
    assert sorted(ids) == ["1001", "1002", "1003"]


@pytest.mark.parametrize(("params", "named"), [
    ({"page[number]": "0"}, "page[number]"),
    ({"page[number]": "-1"}, "page[number]"),
    ({"page[number]": "two"}, "page[number]"),
    ({"page[number]": "9" * 5000}, "page[number]"),  # past what int() reads: still a 400
    ({"page[size]": "0"}, "page[size]"),
    ({"page[size]": "101"}, "page[size]"),
    ({"page[cursor]": "1"}, "page[cursor]"),
    ({"sort": "-first_name"}, "-first_name"),
    ({"filter[name]": "x"}, "filter[name]"),
    ({"filter[loyalty_status]": "vip"}, "filter[loyalty_status]"),
    ({"filter[email]": "a\x00b"}, "filter[email]"),  # PostgreSQL refuses a NUL in a parameter
])
def test_list_conventions_reject_naming_the_key(client: FlaskClient, demo_shop: dict[str, Any],
                                                params: dict[str, str], named: str) -> None:
    response = get(client, "/v1/customers", demo_shop["api_key"], **params)
    assert response.status_code == 400
    assert named in error_of(response)["detail"]


def test_a_nul_in_any_lists_filter_is_a_400(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    for path, name in [("/v1/activity", "kind"), ("/v1/earning-rules", "is_active"), ("/v1/rewards", "reward_type")]:
        response = get(client, path, demo_shop["api_key"], **{f"filter[{name}]": "x\x00"})
        assert response.status_code == 400, path
        assert f"filter[{name}]" in error_of(response)["detail"]


def test_error_detail_quotes_at_most_200_characters(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    response = get(client, "/v1/customers", demo_shop["api_key"], sort="x" * 5000)
    assert response.status_code == 400
    assert error_of(response)["detail"].count("x") == 200


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/customers/{z}"), ("GET", "/v1/customers/{z}@example.com"), ("GET", "/v1/customers/{z}/birthday"),
    ("GET", "/v1/customers/{z}/reward-history"), ("GET", "/v1/rewards/{z}"), ("GET", "/v1/earning-rules/{z}"),
    ("POST", "/v1/earning-rules/{z}/award"), ("POST", "/v1/rewards/{z}/purchase"),
    ("POST", "/v1/earning-history/{z}/approve"), ("POST", "/v1/reward-history/{z}/refund"),
])
def test_a_not_found_quotes_at_most_200_characters_of_the_id(client: FlaskClient, demo_shop: dict[str, Any],
                                                             method: str, path: str) -> None:
    response = client.open(path.format(z="z" * 5000), method=method, json={"customer_identifier": "1001"},
                           headers={"Authorization": demo_shop["api_key"]})
    assert response.status_code == 404
    assert error_of(response)["detail"].count("z") == 200


def test_birthday_and_anniversary(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        gold = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
        gold.date_of_birth = dt.date(1990, 5, 17)
        gold.shopify_created_at = dt.datetime(2020, 3, 4, 23, 30, tzinfo=dt.UTC)
    birthday = get(client, "/v1/customers/1001/birthday", demo_shop["api_key"]).get_json(force=True)["data"]
    assert birthday == {"type": "customer_birthday", "id": "1001", "attributes": {
        "shopify_customer_id": "1001", "email": "gold@example.com", "date_of_birth": "1990-05-17"}}
    anniversary = get(client, "/v1/customers/1001/anniversary", demo_shop["api_key"]).get_json(force=True)["data"]
    assert anniversary["type"] == "customer_anniversary"
    assert anniversary["attributes"]["anniversary_date"] == "2020-03-04"
    never = get(client, "/v1/customers/1002/birthday", demo_shop["api_key"]).get_json(force=True)["data"]
    assert never["attributes"]["date_of_birth"] is None


def test_earning_history(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    with sessionmaker_for(app).begin() as session:
        shop = session.get(Shop, demo_shop["shop_id"])
        assert shop is not None
        new = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1002")).one()
        adjust_points(session, shop, new, 70, "goodwill")
        adjust_points(session, shop, new, 30, "more")
    key = demo_shop["api_key"]
    body = get(client, "/v1/customers/new@example.com/earning-history", key, sort="points").get_json(force=True)
    assert body["meta"]["total"] == 2
    entries = [e["attributes"] for e in body["data"]]
    assert [e["points"] for e in entries] == [30, 70]
    assert entries[0]["manual_intervention"] is True and entries[0]["note"] == "more"
    assert {"order_id", "order_number"} <= set(entries[0])
    pending = get(client, "/v1/customers/1002/earning-history", key, **{"filter[status]": "pending"})
    assert pending.get_json(force=True)["meta"]["total"] == 0
    assert get(client, "/v1/customers/1002/earning-history", key, **{"filter[status]": "x"}).status_code == 400
    assert get(client, "/v1/customers/1002/earning-history", key, sort="name").status_code == 400


def test_earning_rules(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    key = demo_shop["api_key"]
    body = get(client, "/v1/earning-rules", key, sort="name", **{"page[size]": "100"}).get_json(force=True)
    names = [r["attributes"]["name"] for r in body["data"]]
    assert names == sorted(names) and body["meta"]["total"] == len(names)
    assert list(body["data"][0]["attributes"]) == [
        "name", "description", "action", "category", "is_active", "points_to_give", "customer_facing_label",
        "call_to_action_url", "created_at", "updated_at",
    ]
    inactive = get(client, "/v1/earning-rules", key, **{"filter[is_active]": "false"}).get_json(force=True)
    assert all(not r["attributes"]["is_active"] for r in inactive["data"])
    rule_id = demo_shop["rules"]["follow_on_instagram"]
    one = get(client, f"/v1/earning-rules/{rule_id}", key).get_json(force=True)["data"]
    assert (one["id"], one["attributes"]["action"]) == (rule_id, "follow_on_instagram")
    assert get(client, "/v1/earning-rules/rule_nope", key).status_code == 404


def test_vip_tiers_by_threshold(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    body = get(client, "/v1/vip-tiers", demo_shop["api_key"]).get_json(force=True)
    assert "meta" not in body
    required = [t["attributes"]["points_required"] for t in body["data"]]
    assert required == sorted(required) and len(required) == len(demo_shop["tiers"])
    assert body["data"][0]["type"] == "vip_tier"


@pytest.mark.parametrize(("params", "named"), [
    ({"page[number]": "1"}, "page[number]"), ({"filter[name]": "Gold"}, "filter[name]"), ({"sort": "name"}, "sort"),
])
def test_vip_tiers_take_no_list_parameters(client: FlaskClient, demo_shop: dict[str, Any],
                                           params: dict[str, str], named: str) -> None:
    response = get(client, "/v1/vip-tiers", demo_shop["api_key"], **params)
    assert response.status_code == 400
    assert named in error_of(response)["detail"]


def test_read_only_key_reads(client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    assert get(client, "/v1/customers", demo_shop["read_only_api_key"]).status_code == 200


@pytest.mark.parametrize("path", [
    "/v1/customers/1001", "/v1/customers/gold@example.com", "/v1/customers/1001/birthday",
    "/v1/customers/1001/anniversary", "/v1/customers/1001/earning-history",
])
def test_another_shops_key_finds_no_customer(client: FlaskClient, other_key: str, path: str) -> None:
    response = get(client, path, other_key)
    assert response.status_code == 404


def test_another_shops_key_lists_only_its_own(client: FlaskClient, demo_shop: dict[str, Any],
                                              other_key: str) -> None:
    customers = get(client, "/v1/customers", other_key).get_json(force=True)
    assert [c["id"] for c in customers["data"]] == ["9001"]
    rules = get(client, "/v1/earning-rules", other_key).get_json(force=True)
    assert rules["meta"]["total"] == 1
    assert get(client, "/v1/vip-tiers", other_key).get_json(force=True)["data"] == []
    rule_id = demo_shop["rules"]["follow_on_instagram"]
    assert get(client, f"/v1/earning-rules/{rule_id}", other_key).status_code == 404


def test_a_read_records_the_keys_use_at_once(client: FlaskClient, app: Flask, demo_shop: dict[str, Any]) -> None:
    """Committed before the view runs: a read commits nothing, and the key's row would stay locked."""
    with sessionmaker_for(app).begin() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.shop_id == demo_shop["shop_id"],
                                                   ApiKey.read_only.is_(False))).one()
        key.last_used_at = None
    assert get(client, "/v1/vip-tiers", demo_shop["api_key"]).status_code == 200
    with sessionmaker_for(app)() as session:
        assert session.scalars(select(ApiKey.last_used_at).where(ApiKey.id == key.id)).one() is not None
