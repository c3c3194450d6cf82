"""Columns shared by most tables, and how a shop's rows are keyed."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shopify_app.clock import utcnow


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ShopKeyed:
    """A table of one shop's rows: its keys in the database include the shard key (``shop_id``;
    ``docs/scaling.md``), while the ORM knows a row by ``orm_identity`` alone, the key it had before:
    ids are unique across shops (``ids.new_id``), so ``session.get(Model, id)`` stays as it was."""

    orm_identity: ClassVar[tuple[str, ...]] = ("id",)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        table = cls.__table__  # type: ignore[attr-defined]
        return {"primary_key": [table.c[name] for name in cls.orm_identity]}
