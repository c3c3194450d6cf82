"""The transactional outbox: side effects recorded with the change that causes them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base
from shopify_app.models.mixins import ShopKeyed


class OutboxTopic(str, enum.Enum):
    SHOPIFY_CUSTOMER_METAFIELD = "shopify.customer_metafield"
    KLAVIYO = "klaviyo"
    OMNISEND = "omnisend"
    POSTSCRIPT = "postscript"
    SHOPIFY_SHOP_METAFIELD = "shopify.shop_metafield"


# What merchants read for each topic: the admin never shows the internal name.
TOPIC_LABELS = {
    OutboxTopic.SHOPIFY_CUSTOMER_METAFIELD.value: "Shopify customer data",
    OutboxTopic.KLAVIYO.value: "Klaviyo",
    OutboxTopic.OMNISEND.value: "Omnisend",
    OutboxTopic.POSTSCRIPT.value: "Postscript",
    OutboxTopic.SHOPIFY_SHOP_METAFIELD.value: "Shopify program data",
}


def topic_label(topic: str) -> str:
    return TOPIC_LABELS.get(topic, topic.replace("_", " ").replace(".", " ").capitalize())


# Every points change of a customer is pushed to each of these.
CUSTOMER_SYNC_TOPICS = (
    OutboxTopic.SHOPIFY_CUSTOMER_METAFIELD, OutboxTopic.KLAVIYO, OutboxTopic.OMNISEND, OutboxTopic.POSTSCRIPT,
)


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    ENQUEUED = "enqueued"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class OutboxMessage(ShopKeyed, Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_id", "status", "id"),
        # Sync health: the last success per topic is one index probe, unfinished rows a short range.
        Index("ix_outbox_messages_shop_id_status_topic_processed_at", "shop_id", "status", "topic", "processed_at"),
        ForeignKeyConstraint(["customer_id", "shop_id"], ["customers.id", "customers.shop_id"], ondelete="CASCADE"),
        # An entry goes only with its customer, whose messages go too.
        ForeignKeyConstraint(["entry_id", "shop_id"], ["earning_entries.id", "earning_entries.shop_id"]),
    )

    # The relay's order. PostgreSQL numbers it from a sequence, which a composite key allows; in SQLite
    # only a rowid numbers itself, and a rowid is the whole primary key, so there the migration keeps
    # ``id INTEGER PRIMARY KEY`` (unique alone, so ``(id, shop_id)`` is too) and SQLite is never sharded.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # No index of its own: the sync health index leads with it (every insert updates each index).
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(32))
    entry_id: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
    # The RQ job that delivers the row; the relay checks it still exists in Redis.
    job_id: Mapped[str | None] = mapped_column(String(128))
    enqueued_at: Mapped[dt.datetime | None]
