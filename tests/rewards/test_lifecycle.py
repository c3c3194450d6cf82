"""A code after its purchase: finished by the sweep when the request died, used by an order, expired,
refunded into the lots it came from."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select, update

from shopify_app.clock import utcnow
from shopify_app.db import sessionmaker_for
from shopify_app.jobs import scheduled
from shopify_app.loyalty.rewards import redemption as domain
from shopify_app.models import EarningEntry, EntrySource, RewardRedemption, Shop
from tests import factories
from tests.jobs.conftest import work
from tests.rewards.helpers import balance, purchase, redemptions
from tests.shopify_signing import post_webhook, run_jobs
from tests.webhooks.test_orders import order


def spend_without_shopify(app: Flask, shop: dict[str, Any], reward: str = "$5 off") -> RewardRedemption:
    """A purchase whose process died after its commit: spent, ``creating``, over a minute ago."""
    with sessionmaker_for(app).begin() as session:
        made = domain.purchase(session, session.get_one(Shop, shop["shop_id"]), shop["rewards"][reward], "1001")
        made.created_at = utcnow() - dt.timedelta(minutes=2)
        return made


def bought(client: FlaskClient, shop: dict[str, Any], reward: str = "$5 off") -> dict[str, Any]:
    response = purchase(client, shop, reward, {"customer_identifier": "1001"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json(force=True)["data"]  # type: ignore[no-any-return]


def code_activity(client: FlaskClient, shop: dict[str, Any], kind: str) -> list[tuple[str, str]]:
    """The shop's activity of one kind: whose, and what it says."""
    response = client.get("/v1/activity", query_string={"filter[kind]": kind},
                          headers={"Authorization": shop["api_key"]})
    return [(a["attributes"]["shopify_customer_id"], a["attributes"]["description"])
            for a in response.get_json(force=True)["data"]]


def refund(client: FlaskClient, shop: dict[str, Any], redemption_id: str) -> Any:
    return client.post(f"/v1/reward-history/{redemption_id}/refund", headers={"Authorization": shop["api_key"]})


@pytest.mark.parametrize("code_made", [True, False])
def test_the_sweep_finishes_a_purchase_whose_process_died(sync_app: Flask, shop: dict[str, Any],
                                                          fakes: SimpleNamespace, code_made: bool) -> None:
    made = spend_without_shopify(sync_app, shop)
    assert balance(sync_app, "1001") == (700, 500)
    if code_made:  # Shopify made the code before the process died
        fakes.shopify.discounts[made.discount_code] = {"id": "gid://shopify/DiscountCodeNode/77", "input": {}}

    with sync_app.app_context():
        assert scheduled.sweep_reward_codes() == 1
        assert scheduled.sweep_reward_codes() == 0

    (swept,) = redemptions(sync_app)
    if code_made:
        assert (swept.state, swept.shopify_discount_id) == ("active", "gid://shopify/DiscountCodeNode/77")
        assert balance(sync_app, "1001") == (700, 500)
    else:
        assert swept.state == "refunded"
        assert balance(sync_app, "1001") == (1200, 0)


def test_a_recent_creating_redemption_is_left_to_its_request(sync_app: Flask, shop: dict[str, Any]) -> None:
    made = spend_without_shopify(sync_app, shop)
    with sessionmaker_for(sync_app).begin() as session:
        session.execute(update(RewardRedemption).values(created_at=utcnow()))
    with sync_app.app_context():
        assert scheduled.sweep_reward_codes() == 0
    assert redemptions(sync_app)[0].state == "creating" and made.state == "creating"


def test_a_code_made_after_a_timeout_is_deleted_by_the_sweep(sync_app: Flask, sync_client: FlaskClient,
                                                             shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    fakes.shopify.fail("/admin/api/", 500, times=2)  # Shopify made nothing, but the app cannot know
    assert purchase(sync_client, shop, "$5 off", {"customer_identifier": "1001"}).status_code == 503
    (in_doubt,) = redemptions(sync_app)
    assert (in_doubt.state, in_doubt.code_in_doubt) == ("refunded", True)
    fakes.shopify.discounts[in_doubt.discount_code] = {"id": "gid://shopify/DiscountCodeNode/5", "input": {}}
    with sessionmaker_for(sync_app).begin() as session:
        session.execute(update(RewardRedemption).values(updated_at=utcnow() - dt.timedelta(minutes=2)))

    with sync_app.app_context():
        assert scheduled.sweep_reward_codes() == 1
    assert fakes.shopify.discounts == {}
    assert redemptions(sync_app)[0].code_in_doubt is False
    assert balance(sync_app, "1001") == (1200, 0)


def test_a_signed_orders_paid_with_the_code_marks_it_used(sync_app: Flask, sync_client: FlaskClient,
                                                           shop: dict[str, Any], redis: Redis) -> None:
    entry = bought(sync_client, shop)
    code = entry["attributes"]["discount_code"]
    payload = order(7001, discount_codes=[{"code": code.lower(), "amount": "5.00", "type": "fixed_amount"}],
                    processed_at="2026-12-01T10:00:00Z")
    assert post_webhook(sync_client, "orders/paid", payload, shop=shop["domain"]).status_code == 200
    run_jobs(sync_app, redis)

    (used,) = redemptions(sync_app)
    assert (used.state, used.used_order_id) == ("used", "7001")
    assert used.used_at == dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone.utc)
    assert refund(sync_client, shop, used.id).status_code == 409
    assert code_activity(sync_client, shop, "reward_code_used") == [
        ("1001", f"Reward code {code} used on order 7001")]


def test_the_daily_job_expires_unused_codes_past_their_end(sync_app: Flask, sync_client: FlaskClient,
                                                           shop: dict[str, Any]) -> None:
    first, second = bought(sync_client, shop), bought(sync_client, shop, "Free shipping")
    with sessionmaker_for(sync_app).begin() as session:
        session.execute(update(RewardRedemption).where(RewardRedemption.id == first["id"])
                        .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        session.execute(update(RewardRedemption).where(RewardRedemption.id == second["id"])
                        .values(expires_at=utcnow() + dt.timedelta(days=1)))
    with sync_app.app_context():
        assert scheduled.expire_reward_codes() == 1
        assert scheduled.expire_reward_codes() == 0
    assert {r.id: r.state for r in redemptions(sync_app)} == {first["id"]: "expired", second["id"]: "active"}
    assert code_activity(sync_client, shop, "reward_code_expired") == [
        ("1001", f"Reward code {first['attributes']['discount_code']} expired")]


def test_a_refund_deletes_the_code_and_restores_the_lots_and_their_expiry(
        sync_app: Flask, sync_client: FlaskClient, shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    old_expiry = utcnow() + dt.timedelta(days=3)
    with sessionmaker_for(sync_app).begin() as session:
        session.execute(update(EarningEntry).where(EarningEntry.source == EntrySource.OPENING_BALANCE.value)
                        .values(points_expiry_at=old_expiry))
    entry = bought(sync_client, shop)
    assert fakes.shopify.discounts

    response = refund(sync_client, shop, entry["id"])

    assert response.status_code == 200, response.get_data(as_text=True)
    attributes = response.get_json(force=True)["data"]["attributes"]
    assert (attributes["status"], attributes["is_refunded"]) == ("refunded", True)
    assert fakes.shopify.discounts == {}
    assert balance(sync_app, "1001") == (1200, 0)
    with sessionmaker_for(sync_app)() as session:
        lot = session.scalars(select(EarningEntry).where(
            EarningEntry.source == EntrySource.OPENING_BALANCE.value)).one()
        assert (lot.points_remaining, lot.points_expiry_at) == (1200, old_expiry)
        assert session.scalar(select(EarningEntry.points).where(
            EarningEntry.source == EntrySource.REDEMPTION_REFUND.value)) == 500
    assert refund(sync_client, shop, entry["id"]).status_code == 409


def test_a_refund_shopify_cannot_delete_changes_nothing(sync_app: Flask, sync_client: FlaskClient,
                                                        shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    entry = bought(sync_client, shop)
    fakes.shopify.down = True
    assert refund(sync_client, shop, entry["id"]).status_code == 503
    assert redemptions(sync_app)[0].state == "active"
    assert balance(sync_app, "1001") == (700, 500)


def test_refunds_of_unknown_or_other_shops_entries_are_not_found(sync_app: Flask, sync_client: FlaskClient,
                                                                 shop: dict[str, Any]) -> None:
    entry = bought(sync_client, shop)
    with sessionmaker_for(sync_app).begin() as session:
        other_key = factories.api_key(session, factories.shop(session))
    assert refund(sync_client, shop, "cr_missing").status_code == 404
    assert sync_client.post(f"/v1/reward-history/{entry['id']}/refund",
                            headers={"Authorization": other_key}).status_code == 404


def test_a_purchase_syncs_the_balance_and_sends_reward_redeemed(sync_app: Flask, sync_client: FlaskClient,
                                                               shop: dict[str, Any], fakes: SimpleNamespace) -> None:
    entry = bought(sync_client, shop)
    work(sync_app)

    code = entry["attributes"]["discount_code"]
    klaviyo = fakes.klaviyo.events[entry["id"]]
    assert klaviyo["metric"]["data"]["attributes"]["name"] == "Reward Redeemed"
    assert klaviyo["properties"] == {"Reward Name": "$5 off", "Points Spent": 500, "Discount Type": "fixed_amount",
                                     "Discount Code": code, "Expires At": None}
    (omnisend,) = fakes.omnisend.events.values()
    assert (omnisend["eventName"], omnisend["properties"]["discount_code"]) == ("reward redeemed", code)
    assert {key: e["type"] for key, e in fakes.postscript.events.items()} == {entry["id"]: "Reward_Redeemed"}
    metafield = next(v for (_, key), v in fakes.shopify.metafields.items() if key == "loyalty")
    assert (metafield["points_balance"], metafield["redeemed_points"]) == (700, 500)
