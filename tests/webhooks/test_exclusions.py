"""Earning exclusions of a purchase rule: gift cards never earn; excluded products, collections,
customer tags and B2B orders earn nothing, and refunding what earned nothing reverses nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from shopify_app.db import sessionmaker_for
from shopify_app.loyalty.earning.reconciliation import apply_order
from shopify_app.models import Shop
from tests.loyalty.test_reconciliation import node
from tests.webhooks.test_orders import deliver, entries, member, order, set_rule

NEWT = {"id": 1002, "email": "new@example.com", "first_name": "Newt", "last_name": "Member"}  # Bronze: x1


def line(line_id: int, price: str, *, product: int | None = None, gift_card: bool = False,
         discount: str | None = None) -> dict[str, Any]:
    return {"id": line_id, "product_id": product, "gift_card": gift_card, "price": price, "quantity": 1,
            "discount_allocations": [{"amount": discount}] if discount else []}


def refund_of(refund_id: int, order_id: int, *lines: tuple[int, str]) -> dict[str, Any]:
    return {"id": refund_id, "order_id": order_id,
            "refund_line_items": [{"id": refund_id * 10 + n, "line_item_id": line_id, "quantity": 1, "subtotal": amount}
                                  for n, (line_id, amount) in enumerate(lines)]}


def points(app: Flask, order_id: str) -> list[int]:
    return [entry.points for entry in entries(app, order_id)]


def test_gift_cards_never_earn_and_their_refund_reverses_nothing(client: FlaskClient, app: Flask, redis: Redis,
                                                                  demo_shop: dict[str, Any]) -> None:
    paid = order(7101, "100.00", NEWT, line_items=[line(1, "60.00", product=111), line(2, "40.00", gift_card=True)])
    deliver(client, app, redis, ("orders/paid", paid))
    assert points(app, "7101") == [60]
    deliver(client, app, redis, ("refunds/create", refund_of(71011, 7101, (2, "40.00"))))
    assert points(app, "7101") == [60]
    deliver(client, app, redis, ("refunds/create", refund_of(71012, 7101, (1, "30.00"))))
    assert points(app, "7101") == [60, -30]
    assert member(app, "1002").current_points == 30


def test_excluded_products_and_collections_earn_nothing(client: FlaskClient, app: Flask, redis: Redis,
                                                        demo_shop: dict[str, Any]) -> None:
    set_rule(app, demo_shop["shop_id"], "place_order", excluded_product_ids=["222"],
             collection_product_ids=["333"])
    # The discounted subtotal is 150.00; the eligible line is 50.00 of the lines' 150.00.
    paid = order(7102, "150.00", NEWT, line_items=[
        line(1, "50.00", product=111), line(2, "60.00", product=222, discount="10.00"), line(3, "50.00", product=333)])
    deliver(client, app, redis, ("orders/paid", paid))
    assert points(app, "7102") == [50]
    deliver(client, app, redis, ("refunds/create", refund_of(71021, 7102, (2, "50.00"), (3, "50.00"))))
    assert points(app, "7102") == [50]
    deliver(client, app, redis, ("refunds/create", refund_of(71022, 7102, (1, "25.00"))))
    assert points(app, "7102") == [50, -25]


def test_an_order_discount_is_shared_by_the_lines(client: FlaskClient, app: Flask, redis: Redis,
                                                  demo_shop: dict[str, Any]) -> None:
    set_rule(app, demo_shop["shop_id"], "place_order", excluded_product_ids=["222"])
    # 20.00 off the order, allocated 10.00 to each line: the eligible line is half the subtotal of 80.00.
    paid = order(7103, "80.00", NEWT, line_items=[line(1, "50.00", product=111, discount="10.00"),
                                                  line(2, "50.00", product=222, discount="10.00")])
    deliver(client, app, redis, ("orders/paid", paid))
    assert points(app, "7103") == [40]


def test_excluded_customer_tags_and_b2b_orders_earn_nothing(client: FlaskClient, app: Flask, redis: Redis,
                                                            demo_shop: dict[str, Any]) -> None:
    set_rule(app, demo_shop["shop_id"], "place_order", excluded_customer_tags=["Wholesale"], exclude_b2b=True)
    deliver(client, app, redis,
            ("orders/paid", order(7104, "100.00", {**NEWT, "tags": "vip, wholesale"})),
            ("orders/paid", order(7105, "100.00", NEWT, company={"id": 55, "location_id": 56})),
            ("orders/paid", order(7106, "100.00", {**NEWT, "tags": "vip"})))
    assert (points(app, "7104"), points(app, "7105"), points(app, "7106")) == ([], [], [100])
    deliver(client, app, redis, ("refunds/create", refund_of(71041, 7104, (1, "100.00"))))
    assert points(app, "7104") == []
    assert member(app, "1002").current_points == 100


def test_b2b_orders_earn_unless_the_rule_excludes_them(client: FlaskClient, app: Flask, redis: Redis,
                                                       demo_shop: dict[str, Any]) -> None:
    deliver(client, app, redis, ("orders/paid", order(7107, "100.00", NEWT, company={"id": 55})))
    assert points(app, "7107") == [100]


def test_reconciliation_applies_the_same_exclusions(app: Flask, demo_shop: dict[str, Any]) -> None:
    set_rule(app, demo_shop["shop_id"], "place_order", excluded_product_ids=["222"])
    money = lambda amount: {"shopMoney": {"amount": amount}}  # noqa: E731
    read = node(7108, refunds=[(71081, "20.00")], customer_id=1002)
    read["subtotalPriceSet"] = money("100.00")
    read["lineItems"] = {"pageInfo": {"hasNextPage": False}, "nodes": [
        {"id": "gid://shopify/LineItem/1", "isGiftCard": False, "quantity": 2, "product": {"legacyResourceId": "111"},
         "originalUnitPriceSet": money("20.00"), "discountAllocations": []},
        {"id": "gid://shopify/LineItem/2", "isGiftCard": False, "quantity": 1, "product": {"legacyResourceId": "222"},
         "originalUnitPriceSet": money("40.00"), "discountAllocations": []},
        {"id": "gid://shopify/LineItem/3", "isGiftCard": True, "quantity": 1, "product": {"legacyResourceId": "444"},
         "originalUnitPriceSet": money("20.00"), "discountAllocations": []}]}
    # The refund gives back the excluded line.
    read["refunds"][0]["refundLineItems"]["nodes"][0]["lineItem"] = {"id": "gid://shopify/LineItem/2"}
    with sessionmaker_for(app).begin() as session:
        apply_order(session, session.get_one(Shop, demo_shop["shop_id"]), read)
    assert points(app, "7108") == [40]


def test_a_customer_tag_excludes_on_reconciliation_too(app: Flask, demo_shop: dict[str, Any]) -> None:
    set_rule(app, demo_shop["shop_id"], "place_order", excluded_customer_tags=["staff"], exclude_b2b=True)
    tagged, company = node(7109, customer_id=1002), node(7110, customer_id=1002)
    tagged["customer"]["tags"] = ["Staff"]
    company["purchasingEntity"] = {"__typename": "PurchasingCompany"}
    with sessionmaker_for(app).begin() as session:
        shop = session.get_one(Shop, demo_shop["shop_id"])
        apply_order(session, shop, tagged)
        apply_order(session, shop, company)
    assert (points(app, "7109"), points(app, "7110")) == ([], [])
