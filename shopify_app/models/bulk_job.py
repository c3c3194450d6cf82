"""Background jobs started from the admin, with the progress its pages poll."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.ids import new_id
from shopify_app.models.mixins import ShopKeyed


class BulkJobKind(str, enum.Enum):
    SYNC_ALL_MEMBERS = "sync_all_members"
    RECOMPUTE_TIERS = "recompute_tiers"
    IMPORT_CUSTOMERS = "import_customers"


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
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    @property
    def percent(self) -> int:
        if self.status == BulkJobStatus.DONE.value:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
