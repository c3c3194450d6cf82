"""How the schema is spread by shop on Citus: the reference tables, each other table's shard key, the statements."""

from __future__ import annotations

from sqlalchemy import MetaData, Table

# Small, rarely written, and read before the shop is known (by domain, by API key hash), so a copy
# on every node: requests find them without a shard key, and distributed tables may refer to them.
REFERENCE_TABLES = frozenset({"shops", "program_settings", "api_keys"})
SHARD_KEY = "shop_id"
# A delivery is recorded before its shop is looked up, for shops the app may not hold.
OTHER_SHARD_KEYS = {"webhook_deliveries": "shop_domain"}


def shard_key(table: Table) -> str | None:
    """The column a distributed table is sharded by; None for a reference table."""
    if table.name in REFERENCE_TABLES:
        return None
    return OTHER_SHARD_KEYS.get(table.name, SHARD_KEY)


def citus_statements(metadata: MetaData) -> list[str]:
    """What turns a migrated PostgreSQL database into a Citus one, parents before the tables
    that refer to them. Tables sharded by ``shop_id`` are co-located (same key type): a shop's
    rows of every table live on one node, so its joins and foreign keys stay on that node."""
    statements = []
    for table in metadata.sorted_tables:
        key = shard_key(table)
        if key is None:
            statements.append(f"SELECT create_reference_table('{table.name}');")
        elif key == SHARD_KEY:
            statements.append(f"SELECT create_distributed_table('{table.name}', '{key}');")
        else:
            statements.append(f"SELECT create_distributed_table('{table.name}', '{key}', colocate_with => 'none');")
    return statements
