"""Columns shared by most tables, and how a shop's rows are keyed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shopify_app.clock import utcnow


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ShopKeyed:
    """A table of one shop's rows, keyed by ``(id, shop_id)`` in the database (the shard key is in
    every key, `docs/scaling.md`) and by ``id`` alone in the ORM: ids are unique across shops
    (``ids.new_id``), so ``session.get(Model, id)`` stays as it was."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"primary_key": [cls.__table__.c.id]}  # type: ignore[attr-defined]
