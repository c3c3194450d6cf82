"""Excluded collections: their products read through the Admin API when the rule is saved and
daily, then excluded from the rule's points."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from shopify_app.jobs import collections, queues
from shopify_app.jobs.scheduled import PERIODIC
from shopify_app.models import EarningRule
from shopify_app.redis_conn import get_redis
from tests.admin.conftest import TokenClient
from tests.jobs.conftest import work
from tests.shopify_signing import post_webhook
from tests.webhooks.test_exclusions import NEWT, line, points
from tests.webhooks.test_orders import order

SUMMER = [str(n) for n in range(5000, 5000 + collections.PAGE_SIZE + 30)]  # more than one page


def save_purchase_rule(app: Flask, shop: dict[str, Any], **exclusions: str) -> Any:
    form = {"name": "Place an order", "points_to_give": "1", "approval_time": "0", **exclusions}
    return TokenClient(app, shop["domain"]).post(f"/admin/rules/{shop['rules']['place_order']}", data=form)


def rule(session: Session, shop: dict[str, Any]) -> EarningRule:
    found = session.get_one(EarningRule, shop["rules"]["place_order"])
    session.refresh(found)
    return found


def test_saving_a_rule_reads_its_collections_then_their_products_earn_nothing(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session) -> None:
    fakes.shopify.collections = {"900": SUMMER, "901": ["7"]}
    response = save_purchase_rule(sync_app, shop, excluded_product_ids="gid://shopify/Product/42, 43",
                                  excluded_collection_ids="900\n901", excluded_customer_tags="staff, Wholesale",
                                  exclude_b2b="1")
    assert response.status_code == 303
    work(sync_app)
    saved = rule(session, shop)
    assert (saved.excluded_product_ids, saved.excluded_collection_ids) == (["42", "43"], ["900", "901"])
    assert (saved.excluded_customer_tags, saved.exclude_b2b) == (["staff", "Wholesale"], True)
    assert saved.collection_product_ids == ["7", *SUMMER]

    paid = order(7201, "30.00", NEWT, line_items=[line(1, "10.00", product=5100), line(2, "20.00", product=8)])
    assert post_webhook(sync_app.test_client(), "orders/paid", paid).status_code == 200
    work(sync_app)
    assert points(sync_app, "7201") == [20]


def test_the_daily_refresh_follows_the_collections(sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace,
                                                   session: Session) -> None:
    assert PERIODIC["excluded-collections"][0] == "shopify_app.jobs.collections.refresh_all_shops"
    fakes.shopify.collections = {"900": ["1", "2"]}
    save_purchase_rule(sync_app, shop, excluded_collection_ids="900")
    work(sync_app)
    assert rule(session, shop).collection_product_ids == ["1", "2"]
    fakes.shopify.collections = {"900": ["2", "3"]}
    queues.queue(get_redis(sync_app), queues.MAINTENANCE).enqueue(PERIODIC["excluded-collections"][0])
    work(sync_app)
    assert rule(session, shop).collection_product_ids == ["2", "3"]


def test_a_deleted_collection_excludes_nothing_and_a_bad_id_is_a_form_error(
        sync_app: Flask, shop: dict[str, Any], fakes: SimpleNamespace, session: Session) -> None:
    bad = save_purchase_rule(sync_app, shop, excluded_collection_ids="summer-sale")
    assert bad.status_code == 422
    assert rule(session, shop).excluded_collection_ids == []
    save_purchase_rule(sync_app, shop, excluded_collection_ids="404")
    work(sync_app)
    assert rule(session, shop).collection_product_ids == []
