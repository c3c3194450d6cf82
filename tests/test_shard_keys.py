"""The schema can be sharded by shop on Citus: every key and every reference between distributed
tables holds the shard key, in the models and in the migrated database; docs/scaling.md says how."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from flask import Flask
from sqlalchemy import (
    Column,
    Engine,
    ForeignKeyConstraint,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    select,
    text,
)
from sqlalchemy.orm import Session

from shopify_app import migrations
from shopify_app.clock import utcnow
from shopify_app.db import Base, engine_for, make_engine
from shopify_app.devtools import demo
from shopify_app.models import (
    ApiKey,
    Customer,
    CustomerProfileVersion,
    CustomerSyncState,
    EarningEntry,
    IdempotencyKey,
    LotAllocation,
)
from shopify_app.models.distribution import SHARD_KEY, citus_statements, shard_key

SCALING = Path(__file__).resolve().parents[1] / "docs" / "scaling.md"


def shard_key_problems(metadata: MetaData) -> list[str]:
    """One line per table or constraint that would stop Citus from distributing the schema as planned."""
    tables = metadata.tables
    problems = []
    for table in tables.values():
        key = shard_key(table)
        carried = "id" if table.name == "shops" else key or SHARD_KEY
        if carried not in table.c:
            problems.append(f"{table.name}: no {carried} column")
            continue
        if key is None:
            problems += [f"{table.name}.{_name(fk)}: a reference table refers to the distributed {fk.referred_table}"
                         for fk in _references(table) if shard_key(fk.referred_table) is not None]
            continue
        if table.c[key].nullable:
            problems.append(f"{table.name}.{key}: nullable, but a shard key must always be set")
        if key not in table.primary_key.columns:
            problems.append(f"{table.name}: primary key ({', '.join(table.primary_key.columns.keys())}) lacks {key}")
        problems += [f"{table.name}.{name}: unique ({', '.join(columns)}) lacks {key}"
                     for name, columns in _uniques(table) if key not in columns]
        for fk in _references(table):
            parent_key = shard_key(fk.referred_table)
            if parent_key is None:
                continue  # a reference table is on every node
            pairs = {(element.parent.name, element.column.name) for element in fk.elements}
            if (key, parent_key) not in pairs:
                problems.append(f"{table.name}.{_name(fk)}: refers to {fk.referred_table.name} without "
                                f"{key} = {fk.referred_table.name}.{parent_key}")
    return problems


def _references(table: Table) -> list[ForeignKeyConstraint]:
    return sorted(table.foreign_key_constraints, key=_name)


def _uniques(table: Table) -> list[tuple[str, list[str]]]:
    constraints = [(_name(c), c.columns.keys()) for c in table.constraints if isinstance(c, UniqueConstraint)]
    indexes = [(str(index.name), index.columns.keys()) for index in table.indexes if index.unique]
    return constraints + indexes


def _name(constraint: ForeignKeyConstraint | UniqueConstraint) -> str:
    return str(constraint.name or "unnamed")


def test_every_key_of_the_models_holds_the_shard_key() -> None:
    assert shard_key_problems(Base.metadata) == []


def test_every_key_of_the_migrated_database_holds_the_shard_key(app: Flask, is_postgres: bool) -> None:
    database = MetaData()
    database.reflect(engine_for(app), only=list(Base.metadata.tables))  # not alembic_version
    problems = shard_key_problems(database)
    if not is_postgres:
        # SQLite numbers the outbox from its rowid, a key of one column (OutboxMessage.id); never sharded.
        problems.remove("outbox_messages: primary key (id) lacks shop_id")
    assert problems == []


def test_the_rule_names_what_breaks_it() -> None:
    metadata = MetaData()
    Table("shops", metadata, _column("id", key=True))
    Table("customers", metadata, _column("id", key=True), _column("shop_id", key=True))
    notes = Table("notes", metadata, _column("id", key=True), _column("customer_id"),
                  UniqueConstraint("customer_id", name="uq_one"),
                  ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_notes_customer"))
    assert shard_key_problems(metadata) == ["notes: no shop_id column"]
    notes.append_column(_column("shop_id"))
    assert shard_key_problems(metadata) == [
        "notes: primary key (id) lacks shop_id",
        "notes.uq_one: unique (customer_id) lacks shop_id",
        "notes.fk_notes_customer: refers to customers without shop_id = customers.shop_id",
    ]


def _column(name: str, *, key: bool = False) -> Column[str]:
    return Column(name, String(32), primary_key=key, nullable=False)


def test_scaling_doc_lists_the_statements_of_every_table() -> None:
    text = SCALING.read_text()
    missing = [statement for statement in citus_statements(Base.metadata) if statement not in text]
    assert missing == []


def test_the_migration_keeps_a_shops_data_both_ways(app: Flask, is_postgres: bool, tmp_path: Path) -> None:
    """The demo shop's data, with a row in each table that gains ``shop_id``, taken back before 0015 and
    up again: every row of every table as it was, the new columns filled from the rows they belong to."""
    with _scratch_database(app, is_postgres, tmp_path) as engine:
        migrations.upgrade(engine)
        with Session(engine) as session:
            seeded = demo.seed(session, "secret")
            _rows_gaining_shop_id(session, seeded.shop.id)
            session.commit()
        before = _every_row(engine)
        command.downgrade(migrations.alembic_config(engine), "0014")  # the revision before the rekey
        migrations.upgrade(engine)
        assert _every_row(engine) == before


def _rows_gaining_shop_id(session: Session, shop_id: str) -> None:
    customer = session.scalars(select(Customer).where(Customer.shop_id == shop_id)).first()
    entry = session.scalars(select(EarningEntry).where(EarningEntry.shop_id == shop_id)).first()
    key = session.scalars(select(ApiKey).where(ApiKey.shop_id == shop_id)).first()
    assert customer is not None and entry is not None and key is not None
    session.add_all([
        IdempotencyKey(shop_id=shop_id, api_key_id=key.id, key="k", fingerprint="0" * 64),
        CustomerSyncState(shop_id=shop_id, customer_id=customer.id, topic="klaviyo", synced_version=1),
        CustomerProfileVersion(shop_id=shop_id, customer_id=customer.id, shopify_updated_at=utcnow()),
        LotAllocation(shop_id=shop_id, entry_id=entry.id, lot_id=entry.id, points=1),
    ])


def _every_row(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {table.name: sorted(connection.execute(table.select()).tuples(), key=repr)
                for table in Base.metadata.sorted_tables}


@contextmanager
def _scratch_database(app: Flask, is_postgres: bool, tmp_path: Path) -> Iterator[Engine]:
    if not is_postgres:
        engine = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
        yield engine
        engine.dispose()
        return
    server = engine_for(app).url
    name = f"{server.database}_scratch"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
