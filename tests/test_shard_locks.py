"""The check every PostgreSQL test runs on locking reads (tests/shard_locks.py) tells routed locks from unrouted."""

from __future__ import annotations

import pytest

from tests.shard_locks import unrouted_lock


@pytest.mark.parametrize("statement", [
    "SELECT customers.id FROM customers WHERE customers.id = %(id)s AND customers.shop_id = %(shop_id)s FOR UPDATE",
    "SELECT e.id FROM earning_entries AS e WHERE (e.customer_id, e.shop_id) IN ((%(c)s, %(s)s)) FOR UPDATE SKIP LOCKED",
    "SELECT shops.id FROM shops WHERE shops.domain = %(domain)s FOR UPDATE OF shops",
    "SELECT webhook_deliveries.id FROM webhook_deliveries WHERE webhook_deliveries.shop_domain = %(d)s FOR UPDATE",
    "SELECT customers.id FROM customers WHERE customers.id = %(id)s",
])
def test_a_lock_that_names_its_shard_or_locks_nothing_distributed_passes(statement: str) -> None:
    assert unrouted_lock(statement) is None


@pytest.mark.parametrize(("statement", "key"), [
    ("SELECT customers.id FROM customers WHERE customers.id = %(id)s FOR UPDATE", "shop_id"),
    ("SELECT s.id FROM shops AS s JOIN bulk_jobs ON bulk_jobs.id = %(id)s WHERE s.id = bulk_jobs.shop_id "
     "FOR NO KEY UPDATE", "shop_id"),
    ("SELECT webhook_deliveries.id FROM webhook_deliveries WHERE webhook_deliveries.id = %(id)s FOR SHARE",
     "shop_domain"),
])
def test_a_lock_on_a_distributed_table_by_id_alone_is_named(statement: str, key: str) -> None:
    reason = unrouted_lock(statement)
    assert reason is not None and f"({key})" in reason
