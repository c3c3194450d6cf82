"""integration settings, customer sync versions, outbox job tracking

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integration_settings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("api_key_ciphertext", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_integration_settings_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_settings")),
        sa.UniqueConstraint("shop_id", "service", name=op.f("uq_integration_settings_shop_id_service")),
    )
    op.create_table(
        "customer_sync_states",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("synced_version", sa.Integer(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_sync_states_customer_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", "topic", name=op.f("pk_customer_sync_states")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sync_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("enqueued_at")
        batch_op.drop_column("job_id")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("sync_version")
    op.drop_table("customer_sync_states")
    op.drop_table("integration_settings")
