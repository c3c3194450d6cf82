"""shard keys: every key and every reference between a shop's tables includes the shop

Revision ID: 0015
Revises: 0014

Four tables gain ``shop_id`` (filled from the row they belong to); primary keys become
``(id, shop_id)`` (id first, so lookups by id keep their index), unique constraints and
foreign keys between a shop's tables take ``shop_id`` last. References that were ``ON DELETE
SET NULL`` become plain: setting a composite reference to NULL would null its ``shop_id`` too,
and PostgreSQL's ``SET NULL (column)`` has no SQLite spelling. The outbox keeps SQLite's rowid
key there (see ``OutboxMessage.id``). SQLite runs this with foreign keys off (``env.py``), since
it rebuilds each table, and checks every reference before it commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The tables that gain the column, and the reference it is read from.
NEW_SHOP_ID = {
    "idempotency_keys": ("api_key_id", "api_keys"),
    "customer_sync_states": ("customer_id", "customers"),
    "customer_profile_versions": ("customer_id", "customers"),
    "lot_allocations": ("entry_id", "earning_entries"),
}
# Primary keys: before, after.
KEYS = {
    table: (["id"], ["id", "shop_id"]) for table in (
        "activity_log", "bulk_jobs", "customer_data_exports", "customers", "earning_entries", "earning_rules",
        "idempotency_keys", "integration_settings", "order_refunds", "outbox_messages", "reward_redemptions",
        "rewards", "shopify_orders", "vip_tiers",
    )
} | {
    "lot_allocations": (["entry_id", "lot_id"], ["entry_id", "lot_id", "shop_id"]),
    "customer_sync_states": (["customer_id", "topic"], ["customer_id", "topic", "shop_id"]),
    "customer_profile_versions": (["customer_id"], ["customer_id", "shop_id"]),
    "webhook_deliveries": (["id"], ["id", "shop_domain"]),
}
# Unique constraints: table, columns before, the shard key they take.
UNIQUES = [
    ("earning_entries", ["customer_id", "dedupe_key"], "shop_id"),
    ("order_refunds", ["order_id", "shopify_refund_id"], "shop_id"),
    ("idempotency_keys", ["api_key_id", "key"], "shop_id"),
    ("webhook_deliveries", ["webhook_id"], "shop_domain"),
]
# References between a shop's tables: table, column, parent, ON DELETE before, after.
REFERENCES = [
    ("activity_log", "customer_id", "customers", "CASCADE", "CASCADE"),
    ("activity_log", "entry_id", "earning_entries", "SET NULL", None),
    ("customers", "vip_tier_id", "vip_tiers", "SET NULL", None),
    ("customer_profile_versions", "customer_id", "customers", "CASCADE", "CASCADE"),
    ("customer_sync_states", "customer_id", "customers", "CASCADE", "CASCADE"),
    ("earning_entries", "customer_id", "customers", "CASCADE", "CASCADE"),
    ("earning_entries", "earning_rule_id", "earning_rules", "SET NULL", None),
    ("lot_allocations", "entry_id", "earning_entries", "CASCADE", "CASCADE"),
    ("lot_allocations", "lot_id", "earning_entries", "CASCADE", "CASCADE"),
    ("order_refunds", "order_id", "shopify_orders", "CASCADE", "CASCADE"),
    ("outbox_messages", "customer_id", "customers", "CASCADE", "CASCADE"),
    ("outbox_messages", "entry_id", "earning_entries", "SET NULL", None),
    ("rewards", "vip_tier_id", "vip_tiers", "SET NULL", None),
    ("reward_redemptions", "customer_id", "customers", "CASCADE", "CASCADE"),
    ("reward_redemptions", "reward_id", "rewards", "CASCADE", "CASCADE"),
    ("reward_redemptions", "entry_id", "earning_entries", "CASCADE", "CASCADE"),
    ("reward_redemptions", "refund_entry_id", "earning_entries", "SET NULL", None),
]
TABLES = sorted(set(KEYS) | {table for table, *_ in REFERENCES})


def upgrade() -> None:
    for table, (column, parent) in NEW_SHOP_ID.items():
        op.add_column(table, sa.Column("shop_id", sa.String(length=32), nullable=True))
        op.execute(f"UPDATE {table} SET shop_id = (SELECT {parent}.shop_id FROM {parent} "
                   f"WHERE {parent}.id = {table}.{column})")
    _rekey(forward=True)


def downgrade() -> None:
    _rekey(forward=False)
    for table in NEW_SHOP_ID:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("shop_id")


def _rekey(forward: bool) -> None:
    """SQLite rebuilds each table once with all its changes; PostgreSQL drops every reference
    first, since a key cannot change while a reference leans on it."""
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            with op.batch_alter_table(table, recreate="always") as batch_op:
                _drop_references(batch_op, table, forward)
                _change_keys(batch_op, table, forward, sqlite=True)
                _add_references(batch_op, table, forward)
        # (table, rowid, parent, constraint) of each row a rekeyed reference finds no parent for.
        parents = {parent for _, _, parent, _, _ in REFERENCES}
        broken = [row for row in op.get_bind().exec_driver_sql("PRAGMA foreign_key_check") if row[2] in parents]
        if broken:
            raise RuntimeError(f"references that point nowhere after the rekey: {broken[:5]}")
        return
    for step in (_drop_references, _change_keys, _add_references):
        for table in TABLES:
            with op.batch_alter_table(table) as batch_op:
                step(batch_op, table, forward)


def _drop_references(batch_op: BatchOperations, table: str, forward: bool) -> None:
    for name, *_ in _references(table):
        batch_op.drop_constraint(name, type_="foreignkey")
    if not forward and table in NEW_SHOP_ID:
        batch_op.drop_constraint(f"fk_{table}_shop_id_shops", type_="foreignkey")


def _change_keys(batch_op: BatchOperations, table: str, forward: bool, sqlite: bool = False) -> None:
    if forward and table in NEW_SHOP_ID:
        batch_op.alter_column("shop_id", existing_type=sa.String(length=32), nullable=False)
    if table in KEYS and not (sqlite and table == "outbox_messages"):
        before, after = KEYS[table]
        batch_op.drop_constraint(f"pk_{table}", type_="primary")
        batch_op.create_primary_key(f"pk_{table}", after if forward else before)
    for unique_table, columns, key in UNIQUES:
        if unique_table == table:
            old, new = (columns, [*columns, key]) if forward else ([*columns, key], columns)
            batch_op.drop_constraint(f"uq_{table}_{'_'.join(old)}", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_{'_'.join(new)}", new)


def _add_references(batch_op: BatchOperations, table: str, forward: bool) -> None:
    for name, column, parent, before, after in _references(table):
        if forward:
            batch_op.create_foreign_key(name, parent, [column, "shop_id"], ["id", "shop_id"], ondelete=after)
        else:
            batch_op.create_foreign_key(name, parent, [column], ["id"], ondelete=before)
    if forward and table in NEW_SHOP_ID:
        batch_op.create_foreign_key(f"fk_{table}_shop_id_shops", "shops", ["shop_id"], ["id"], ondelete="CASCADE")


def _references(table: str) -> list[tuple[str, str, str, str, str | None]]:
    return [(f"fk_{table}_{column}_{parent}", column, parent, before, after)
            for referring, column, parent, before, after in REFERENCES if referring == table]
