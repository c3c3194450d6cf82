"""What an orders/paid job costs the database, for a known member and the shop's one purchase rule, and
what a drain's batch of new members' orders costs."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import event

from shopify_app.db import engine_for
from tests.shopify_signing import post_webhook, run_jobs
from tests.webhooks.test_orders import entries, order

# The delivery (locked) with its shop, the purchase rules, the order (one upsert that creates it paid),
# the earning (one statement: the member locked, entry, balance, tier, activity, outbox) and the
# delivery's UPDATE. SQLite writes the earning in six statements.
STATEMENTS = 5
EARNING_IN_TURN = 6
# A batch: the deliveries locked in one statement, their buyers enrolled (who is known, the entry tier,
# the tombstones, one INSERT), the purchase rules, the orders' one upsert and one UPDATE of the
# deliveries; then each order's earning, the buyer found as a known member.
BATCH_STATEMENTS = 8
PER_ORDER = 1


def count_statements(app: Flask, redis: Redis) -> list[str]:
    statements: list[str] = []

    def count(_connection: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(sql)

    event.listen(engine_for(app), "before_cursor_execute", count)
    try:
        run_jobs(app, redis)
    finally:
        event.remove(engine_for(app), "before_cursor_execute", count)
    return statements


def test_an_orders_paid_job_runs_five_statements(client: FlaskClient, app: Flask, redis: Redis,
                                                   demo_shop: dict[str, Any], is_postgres: bool) -> None:
    assert post_webhook(client, "orders/paid", order(1)).status_code == 200
    run_jobs(app, redis)  # the member is known from now on
    assert post_webhook(client, "orders/paid", order(2)).status_code == 200
    statements = count_statements(app, redis)
    assert len(entries(app, "2")) == 1
    assert len(statements) == (STATEMENTS if is_postgres else STATEMENTS - 1 + EARNING_IN_TURN), statements


def test_a_batch_of_new_members_orders_runs_one_statement_an_order(
        client: FlaskClient, app: Flask, redis: Redis, demo_shop: dict[str, Any], is_postgres: bool) -> None:
    orders = range(1, 6)
    for order_id in orders:
        buyer = {"id": 2000 + order_id, "email": f"buyer{order_id}@example.com"}
        assert post_webhook(client, "orders/paid", order(order_id, customer=buyer)).status_code == 200
    statements = count_statements(app, redis)  # one drain takes the five
    assert [len(entries(app, str(order_id))) for order_id in orders] == [1] * len(orders)
    per_order = PER_ORDER if is_postgres else PER_ORDER - 1 + EARNING_IN_TURN
    assert len(statements) == BATCH_STATEMENTS + len(orders) * per_order, statements
