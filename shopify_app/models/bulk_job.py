"""Background jobs started from the admin, with the progress its pages poll; the points file an import reads."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed


class BulkJobKind(str, enum.Enum):
    SYNC_ALL_MEMBERS = "sync_all_members"
    RECOMPUTE_TIERS = "recompute_tiers"
    IMPORT_CUSTOMERS = "import_customers"
    PAST_ORDERS_PREVIEW = "past_orders_preview"
    PAST_ORDERS = "past_orders"
    POINTS_IMPORT_CHECK = "points_import_check"
    POINTS_IMPORT = "points_import"


# Jobs whose outcomes name customers (the rows of a points file).
POINTS_IMPORT_KINDS = (BulkJobKind.POINTS_IMPORT_CHECK.value, BulkJobKind.POINTS_IMPORT.value)


class BulkJobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BulkJob(ShopKeyed, Base):
    __tablename__ = "bulk_jobs"
    __table_args__ = (Index("ix_bulk_jobs_shop_id_kind_created_at", "shop_id", "kind", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("job"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=BulkJobStatus.QUEUED.value)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    # The Shopify bulk operation an import reads (its gid), so a resumed import reads the same file.
    operation_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    # What the merchant asked (a number of days, a file), and what the job found or did.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    @property
    def percent(self) -> int:
        if self.status == BulkJobStatus.DONE.value:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0


class PointsImportFile(ShopKeyed, Base):
    """A CSV of balances from another app, kept from its upload to its import: the check and the
    import read the same rows. A shop keeps only its latest upload."""

    __tablename__ = "points_import_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pif"))
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str | None] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
