"""Per-shop bookkeeping of the background work: program set-up and order reconciliation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.db import Base


class ShopSyncState(Base):
    __tablename__ = "shop_sync_states"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    program_set_up_at: Mapped[dt.datetime | None]
    orders_reconciled_through: Mapped[dt.datetime | None]
