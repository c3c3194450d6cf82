"""redundant indexes: the outbox's and the activity log's own index on shop_id goes

Revision ID: 0016
Revises: 0015

Each table has a composite index that leads with ``shop_id`` (sync health's, the activity feed's),
which serves every lookup and cascade the lone one did; every points change inserts four outbox
rows and an activity row, and each of their indexes costs an insertion and WAL.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = {"activity_log": "ix_activity_log_shop_id", "outbox_messages": "ix_outbox_messages_shop_id"}


def upgrade() -> None:
    for table, index in INDEXES.items():
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    for table, index in INDEXES.items():
        op.create_index(index, table, ["shop_id"])
