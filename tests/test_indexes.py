"""No index that a table's writes pay for twice: none leads another index or key of its table."""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table, UniqueConstraint

from shopify_app.db import Base


def redundant_indexes(metadata: MetaData) -> list[str]:
    """Each plain index whose columns begin another index, the primary key or a unique constraint
    of its table: that one answers every lookup the plain one does, and each insert updates both."""
    found = []
    for table in metadata.sorted_tables:
        keyed = [*table.indexes, *(constraint for constraint in table.constraints
                                   if isinstance(constraint, UniqueConstraint) or constraint is table.primary_key)]
        keys = [(item, [column.name for column in item.columns]) for item in keyed]
        for index, columns in sorted(keys[:len(table.indexes)], key=lambda pair: str(pair[0].name)):
            led = [key for other, key in keys if other is not index and key[:len(columns)] == columns]
            if not index.unique and led:
                found.append(f"{table.name}.{index.name}: ({', '.join(columns)}) leads ({', '.join(led[0])})")
    return found


def test_no_index_of_the_models_leads_another() -> None:
    assert redundant_indexes(Base.metadata) == []


def test_the_rule_names_what_breaks_it() -> None:
    metadata = MetaData()
    Table("notes", metadata, Column("id", String(32), primary_key=True), Column("shop_id", String(32)),
          Column("created_at", String(32)), Index("ix_notes_shop_id", "shop_id"),
          Index("ix_notes_shop_id_created_at", "shop_id", "created_at"), Index("ix_notes_id", "id"),
          Index("ix_notes_created_at", "created_at"))
    assert redundant_indexes(metadata) == [
        "notes.ix_notes_id: (id) leads (id)",
        "notes.ix_notes_shop_id: (shop_id) leads (shop_id, created_at)",
    ]
