"""hardening: 64-bit points, the shop's Shopify id, refused deliveries, redaction tombstones, expiry in the
overview's index

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, columns) whose points become 64-bit.
POINTS_COLUMNS = [
    ("customers", ["current_points", "lifetime_points", "redeemed_points"]),
    ("earning_entries", ["base_points", "points", "points_remaining"]),
    ("earning_rules", ["points_to_give"]),
    ("vip_tiers", ["points_required"]),
]
# The overview tells expiry's entries from other negative ones by their action, from this index alone.
GIVEN_AT_INDEX = ("ix_earning_entries_shop_id_points_given_at", "earning_entries", ["shop_id", "points_given_at"])


def upgrade() -> None:
    for table, columns in POINTS_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, type_=sa.BigInteger(), existing_type=sa.Integer(),
                                      existing_nullable=False)
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shopify_shop_id", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_shops_shopify_shop_id"), ["shopify_shop_id"])
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refused_reason", sa.Text(), nullable=True))
    op.create_table(
        "redacted_customers",
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("shopify_customer_id_hash", sa.String(length=64), nullable=False),
        sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_redacted_customers_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("shop_id", "shopify_customer_id_hash", name=op.f("pk_redacted_customers")),
    )
    _given_at_index(["status", "points", "action"])


def _given_at_index(included: list[str]) -> None:
    name, table, columns = GIVEN_AT_INDEX
    op.drop_index(name, table_name=table)
    op.create_index(name, table, columns, postgresql_include=included)


def downgrade() -> None:
    _given_at_index(["status", "points"])
    op.drop_table("redacted_customers")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_column("refused_reason")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_shops_shopify_shop_id"), type_="unique")
        batch_op.drop_column("shopify_shop_id")
    for table, columns in reversed(POINTS_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, type_=sa.Integer(), existing_type=sa.BigInteger(),
                                      existing_nullable=False)
