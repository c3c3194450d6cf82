"""install, webhooks, orders and privacy

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("webhook_id", sa.String(length=255), nullable=False),
        sa.Column("shop_domain", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("api_version", sa.String(length=16), nullable=True),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("triggered_at", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_webhook_deliveries_webhook_id")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_deliveries_shop_domain"), ["shop_domain"], unique=False)
        batch_op.create_index(
            "ix_webhook_deliveries_processed_at_received_at", ["processed_at", "received_at"], unique=False
        )

    op.create_table(
        "shopify_orders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("shopify_order_id", sa.String(length=32), nullable=False),
        sa.Column("shopify_customer_id", sa.String(length=32), nullable=True),
        sa.Column("order_number", sa.String(length=32), nullable=True),
        sa.Column("points_basis", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shopify_orders_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopify_orders")),
        sa.UniqueConstraint("shop_id", "shopify_order_id", name=op.f("uq_shopify_orders_shop_id_shopify_order_id")),
    )
    op.create_table(
        "order_refunds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("shopify_refund_id", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["shopify_orders.id"],
                                name=op.f("fk_order_refunds_order_id_shopify_orders"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_order_refunds_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_refunds")),
        sa.UniqueConstraint("order_id", "shopify_refund_id", name=op.f("uq_order_refunds_order_id_shopify_refund_id")),
    )
    with op.batch_alter_table("order_refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_refunds_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "customer_data_exports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("shopify_customer_id", sa.String(length=32), nullable=False),
        sa.Column("data_request_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_customer_data_exports_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_data_exports")),
        sa.UniqueConstraint("shop_id", "data_request_id",
                            name=op.f("uq_customer_data_exports_shop_id_data_request_id")),
    )
    with op.batch_alter_table("customer_data_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_data_exports_shopify_customer_id"), ["shopify_customer_id"],
                              unique=False)

    op.create_table(
        "shop_sync_states",
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("program_set_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("orders_reconciled_through", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shop_sync_states_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_sync_states")),
    )
    op.create_table(
        "customer_profile_versions",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("shopify_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_profile_versions_customer_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_profile_versions")),
    )


def downgrade() -> None:
    op.drop_table("customer_profile_versions")
    op.drop_table("shop_sync_states")
    op.drop_table("customer_data_exports")
    op.drop_table("order_refunds")
    op.drop_table("shopify_orders")
    op.drop_table("webhook_deliveries")
