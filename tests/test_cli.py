"""The command-line interface: demo seed, API keys, schema, shops, refused webhooks, the ledger audit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from shopify_app import create_app, crypto
from shopify_app.config import Config
from shopify_app.db import engine_for, sessionmaker_for
from shopify_app.devtools import demo
from shopify_app.integrations import settings
from shopify_app.models import ApiKey, Customer, EarningRule, Reward, Shop, VipTier
from shopify_app.shopify.oauth import TokenGrant
from shopify_app.shops.tokens import store_grant
from tests import factories
from tests.fakes.shopify import FakeShopify
from tests.shopify_signing import post_webhook


def seed(app: Flask, *args: str) -> dict:  # type: ignore[type-arg]
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def counts(app: Flask) -> dict[str, int]:
    with sessionmaker_for(app)() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Shop, ApiKey, Customer, EarningRule, VipTier, Reward)}


def test_demo_seed_prints_the_documented_object_and_is_idempotent(app: Flask) -> None:
    first = seed(app)
    assert set(first) == {"shop", "api_key", "read_only_api_key", "vip_tiers", "earning_rules", "rewards",
                          "customers"}
    assert first["shop"] == "demo-loyalty.myshopify.com"
    assert [(t["name"], t["points_required"], t["points_multiplier"]) for t in first["vip_tiers"]] == [
        ("Bronze", 0, 1.0), ("Silver", 500, 1.25), ("Gold", 1000, 1.5)]
    assert set(first["vip_tiers"][0]) == {"id", "name", "points_required", "points_multiplier"}
    rules = {r["action"]: r for r in first["earning_rules"]}
    assert set(rules["follow_on_instagram"]) == {"id", "name", "action", "category", "points_to_give", "is_active",
                                                 "approval_time"}
    assert {a: (r["category"], r["points_to_give"], r["is_active"], r["approval_time"]) for a, r in rules.items()} == {
        "follow_on_instagram": ("social", 100, True, 0), "follow_on_tiktok": ("social", 50, True, 14),
        "join_newsletter": ("engagement", 200, True, 0), "share_on_facebook": ("social", 15, False, 0),
        "place_order": ("purchase", 1, True, 0), "birthday": ("birthday", 250, True, 0)}
    assert set(first["rewards"][0]) == {"id", "name", "discount_type", "points_cost", "reward_type", "vip_tier",
                                        "pricing", "is_active"}
    assert [(r["name"], r["discount_type"], r["points_cost"], r["reward_type"], r["vip_tier"], r["pricing"],
             r["is_active"]) for r in first["rewards"]] == [
        ("Points for dollars", "fixed_amount", 100, "discount", None, "per_point", True),
        ("Free shipping", "free_shipping", 300, "discount", None, "fixed", True),
        ("$5 off", "fixed_amount", 500, "discount", None, "fixed", True),
        ("Free tote bag", "free_product", 800, "discount", None, "fixed", False),
        ("10% off", "percentage", 1000, "discount", None, "fixed", True),
        ("Gold: $20 off", "fixed_amount", 1500, "tier", "Gold", "fixed", True),
    ]
    assert first["customers"] == [
        {"shopify_customer_id": "1001", "email": "gold@example.com", "loyalty_status": "member", "vip_tier": "Gold"},
        {"shopify_customer_id": "1002", "email": "new@example.com", "loyalty_status": "member", "vip_tier": "Bronze"},
        {"shopify_customer_id": "1003", "email": "excluded@example.com", "loyalty_status": "excluded",
         "vip_tier": "Bronze"},
    ]
    before = counts(app)
    again = seed(app)
    assert counts(app) == before
    assert (again["api_key"], again["read_only_api_key"]) == (first["api_key"], first["read_only_api_key"])


def test_seeded_keys_are_valid(app: Flask) -> None:
    demo = seed(app)
    rule = next(r["id"] for r in demo["earning_rules"] if r["action"] == "join_newsletter")
    client = app.test_client()
    ok = client.post(f"/v1/earning-rules/{rule}/award", json={"customer_identifier": "1002"},
                     headers={"Authorization": demo["api_key"]})
    read_only = client.post(f"/v1/earning-rules/{rule}/award", json={"customer_identifier": "1001"},
                            headers={"Authorization": demo["read_only_api_key"]})
    assert (ok.status_code, read_only.status_code) == (201, 403)


def test_demo_members_for_load_tests(app: Flask) -> None:
    seed(app, "--customers", "2500")
    seed(app, "--customers", "2500")
    with sessionmaker_for(app)() as session:
        members = list(session.scalars(select(Customer.shopify_customer_id).where(Customer.email.like("member%"))))
        last = session.scalars(select(Customer).where(Customer.shopify_customer_id == "2002500")).one()
    assert len(members) == 2500
    assert (last.email, last.current_points, last.lifetime_points) == ("member2500@example.com", 0, 0)


def test_api_keys_create_and_revoke(app: Flask) -> None:
    seed(app)
    runner = app.test_cli_runner()
    created = runner.invoke(args=["api-keys", "create", "demo-loyalty.myshopify.com", "--read-only"])
    assert created.exit_code == 0, created.output
    key = created.output.strip()
    client = app.test_client()

    def status() -> int:
        return client.post("/v1/earning-rules/x/award", json={}, headers={"Authorization": key}).status_code

    assert status() == 403  # read-only
    revoked = runner.invoke(args=["api-keys", "revoke", key[:10]])
    assert revoked.exit_code == 0, revoked.output
    assert status() == 401
    assert runner.invoke(args=["api-keys", "revoke", key[:10]]).exit_code != 0  # nothing live left
    assert runner.invoke(args=["api-keys", "create", "nobody.myshopify.com"]).exit_code != 0


def test_demo_seed_gives_the_demo_shop_its_fixed_shopify_id(app: Flask) -> None:
    seed(app)
    with sessionmaker_for(app)() as session:
        assert session.scalars(select(Shop.shopify_shop_id)).one() == demo.DEMO_SHOPIFY_SHOP_ID == "1"


def test_shops_install_reads_the_shop_id_through_the_admin_api_or_asks_for_it(app_config: Config) -> None:
    with FakeShopify(access_token="shpat_custom", shop_id="68000000042") as shopify:
        app = create_app(app_config.model_copy(update={"shopify_admin_origin": shopify.url}))
        runner = app.test_cli_runner()
        installed = runner.invoke(args=["shops", "install", "read-id.myshopify.com", "--access-token", "shpat_custom"])
        refused = runner.invoke(args=["shops", "install", "no-id.myshopify.com", "--access-token", "shpat_revoked"])
        bad_id = runner.invoke(args=["shops", "install", "no-id.myshopify.com", "--access-token", "shpat_custom",
                                     "--shop-id", "gid://shopify/Shop/x"])
    assert installed.exit_code == 0, installed.output
    assert installed.stdout.strip() == "installed read-id.myshopify.com (Shopify shop 68000000042)"
    assert refused.exit_code != 0 and "give it with --shop-id" in refused.output
    assert bad_id.exit_code != 0 and "is not a shop id" in bad_id.output
    with sessionmaker_for(app)() as session:
        assert session.scalars(select(Shop.domain)).all() == ["read-id.myshopify.com"]  # nothing half-written
    engine_for(app).dispose()


def test_demo_connect_lets_the_demo_shop_redeem_against_the_local_stand_in(app_config: Config) -> None:
    refused = create_app(app_config).test_cli_runner().invoke(args=["demo", "connect"])
    assert refused.exit_code != 0 and "SHOPIFY_ADMIN_ORIGIN must name the local Shopify stand-in" in refused.output
    with FakeShopify(access_token=demo.STANDIN_ACCESS_TOKEN) as shopify:
        app = create_app(app_config.model_copy(update={"shopify_admin_origin": shopify.url}))
        connected = app.test_cli_runner().invoke(args=["demo", "connect"])
        assert connected.exit_code == 0, connected.output
        details = seed(app)
        five = next(r["id"] for r in details["rewards"] if r["name"] == "$5 off")
        response = app.test_client().post(f"/v1/rewards/{five}/purchase", json={"customer_identifier": "1001"},
                                          headers={"Authorization": details["api_key"]})
        assert response.status_code == 201, response.get_data(as_text=True)
        assert list(shopify.discounts) == [response.get_json(force=True)["data"]["attributes"]["discount_code"]]
    engine_for(app).dispose()


def test_webhooks_refused_lists_refused_deliveries(app: Flask, client: FlaskClient, demo_shop: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["webhooks", "refused"]).output.strip() == "No refused deliveries"
    assert post_webhook(client, "orders/paid", {"id": 1}, webhook_id="wh-shape").status_code == 200
    assert post_webhook(client, "shop/redact", {"shop_id": 1, "shop_domain": demo.DEMO_SHOP}, webhook_id="wh-other",
                        shop="other-shop.myshopify.com").status_code == 200
    listed = runner.invoke(args=["webhooks", "refused"])
    assert listed.exit_code == 0, listed.output
    lines = [line.split("\t") for line in listed.output.strip().splitlines()]
    assert [line[1:4] for line in lines] == [["other-shop.myshopify.com", "shop/redact", "wh-other"],
                                             [demo.DEMO_SHOP, "orders/paid", "wh-shape"]]
    assert lines[0][4] == f"the payload names the shop {demo.DEMO_SHOP}, the header other-shop.myshopify.com"
    assert lines[1][4].startswith("not the shape of orders/paid: subtotal_price: Field required")
    assert lines[0][0].endswith("Z")
    only = runner.invoke(args=["webhooks", "refused", "--shop", "Other-Shop.myshopify.com"]).output
    assert only.count("\n") == 1 and "wh-other" in only


def test_secrets_reencrypt_moves_every_stored_secret_to_the_current_key(app: Flask, app_config: Config) -> None:
    before = app_config.model_copy(update=dict(data_encryption_key="before-" + "b" * 40))
    rotated = before.model_copy(update=dict(data_encryption_key="after-" + "a" * 40,
                                  data_encryption_key_previous=before.data_encryption_key))
    with sessionmaker_for(app).begin() as session:
        shop = factories.shop(session, "rotating.myshopify.com")
        store_grant(shop, TokenGrant("shpat_r", "read_customers", None, "shprt_r", None), before)
        settings.set_api_key(session, shop, "klaviyo", "pk_rotating", before)
    rotated_app = create_app(rotated)
    try:
        result = rotated_app.test_cli_runner().invoke(args=["secrets", "reencrypt"])
    finally:
        engine_for(rotated_app).dispose()
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 secrets under the current key"
    current_only = rotated.model_copy(update=dict(data_encryption_key_previous=""))
    with sessionmaker_for(app)() as session:
        stored = session.scalars(select(Shop).where(Shop.domain == "rotating.myshopify.com")).one()
        assert crypto.decrypt(stored.access_token_ciphertext or "", current_only) == "shpat_r"
        assert crypto.decrypt(stored.refresh_token_ciphertext or "", current_only) == "shprt_r"
        assert settings.api_key_for(session, stored.id, "klaviyo", current_only) == "pk_rotating"


@pytest.mark.ledger_drift
def test_ledger_audit_prints_each_disagreeing_customer_and_exits_1(app: Flask) -> None:
    runner = app.test_cli_runner()
    seed(app)
    with sessionmaker_for(app).begin() as session:
        other = factories.shop(session, "other-audit.myshopify.com")
        factories.customer(session, other, "1", current_points=40, lifetime_points=90)
    agreed = runner.invoke(args=["ledger", "audit"])
    assert (agreed.exit_code, agreed.output) == (0, "all 4 customers agree\n")
    assert runner.invoke(args=["ledger", "audit", "--shop", demo.DEMO_SHOP]).output == "all 3 customers agree\n"

    with sessionmaker_for(app).begin() as session:
        goldie = session.scalars(select(Customer).where(Customer.shopify_customer_id == "1001")).one()
        session.execute(update(Customer).where(Customer.id == goldie.id).values(current_points=1300))
    drifted = runner.invoke(args=["ledger", "audit"])
    assert drifted.exit_code == 1
    assert drifted.stdout.splitlines() == [
        f"{demo.DEMO_SHOP}\t{goldie.id}\tbalance 1300 (entries 1200, open lots 1200)\t"
        "lifetime 1200 (earned 1200)\tredeemed 0 (redemptions 0)"]
    assert "1 customers disagree with the ledger" in drifted.stderr
    assert runner.invoke(args=["ledger", "audit", "--shop", "other-audit.myshopify.com"]).exit_code == 0
    unknown = runner.invoke(args=["ledger", "audit", "--shop", "nowhere.myshopify.com"])
    assert unknown.exit_code == 1 and "Shop 'nowhere.myshopify.com' not found" in unknown.output
