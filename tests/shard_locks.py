"""Locking reads name their shop: Citus refuses a ``FOR UPDATE`` that may touch several shards, so every
locking statement on a distributed table filters on its shard key. Every PostgreSQL test checks this."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from shopify_app.db import Base
from shopify_app.models.distribution import shard_key

_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)
_TABLES = re.compile(r"\b(?:FROM|JOIN)\s+\"?(\w+)\"?", re.IGNORECASE)
_DISTRIBUTED = {table.name: key for table in Base.metadata.sorted_tables if (key := shard_key(table))}


def unrouted_lock(statement: str) -> str | None:
    """Why ``statement`` would lock across shards on Citus (its distributed tables, with no filter on
    their shard key), or None when it names its shard or locks nothing distributed."""
    if not _LOCKING.search(statement):
        return None
    keys = {_DISTRIBUTED[name] for name in _TABLES.findall(statement) if name in _DISTRIBUTED}
    # ``shop_id = …``, ``shop_id IN …``, ``(…, shop_id) IN …`` and ``shop_id = ANY (…)`` all name it.
    unnamed = sorted(key for key in keys if not re.search(rf"\b{key}\)?\s*(?:=|IN\b)", statement, re.IGNORECASE))
    if not unnamed:
        return None
    return f"a locking read without its shard key ({', '.join(unnamed)}): {' '.join(statement.split())}"


@contextmanager
def unrouted_locks() -> Iterator[list[str]]:
    """The unrouted locking reads any PostgreSQL engine of this process runs meanwhile."""
    found: list[str] = []

    def check(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if connection.dialect.name == "postgresql" and (reason := unrouted_lock(statement)):
            found.append(reason)

    event.listen(Engine, "before_cursor_execute", check)
    try:
        yield found
    finally:
        event.remove(Engine, "before_cursor_execute", check)
