"""admin: bulk jobs, integration check results, indexes for the admin's queries

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Indexes the admin's queries need on the existing tables: (name, table, columns, PostgreSQL INCLUDE).
INDEXES = [
    ("ix_earning_entries_shop_id_status_created_at", "earning_entries", ["shop_id", "status", "created_at"],
     ["earning_rule_id", "points"]),
    ("ix_earning_entries_shop_id_points_given_at", "earning_entries", ["shop_id", "points_given_at"],
     ["status", "points"]),
    ("ix_earning_entries_shop_id_points_expiry_at", "earning_entries", ["shop_id", "points_expiry_at"],
     ["status", "points_remaining"]),
    ("ix_outbox_messages_shop_id_status_topic_processed_at", "outbox_messages",
     ["shop_id", "status", "topic", "processed_at"], []),
    ("ix_customers_shop_id_created_at_id", "customers", ["shop_id", "created_at", "id"], []),
]


def upgrade() -> None:
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_bulk_jobs_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )
    op.create_index("ix_bulk_jobs_shop_id_kind_created_at", "bulk_jobs", ["shop_id", "kind", "created_at"])
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_hint", sa.String(length=8), server_default="", nullable=False))
        batch_op.add_column(sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_check_ok", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("last_check_message", sa.Text(), nullable=True))
    for name, table, columns, included in INDEXES:
        op.create_index(name, table, columns, postgresql_include=included)


def downgrade() -> None:
    for name, table, *_columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        for column in ("last_check_message", "last_check_ok", "last_checked_at", "key_hint"):
            batch_op.drop_column(column)
    op.drop_index("ix_bulk_jobs_shop_id_kind_created_at", table_name="bulk_jobs")
    op.drop_table("bulk_jobs")
