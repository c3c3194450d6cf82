"""rewards: what a shop offers for points, and each redemption's discount code

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DISCOUNT_TYPES = "'fixed_amount', 'percentage', 'free_shipping', 'free_product'"
STATES = "'creating', 'active', 'used', 'expired', 'refunded'"


def upgrade() -> None:
    with op.batch_alter_table("program_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reward_code_prefix", sa.String(length=16), nullable=False,
                                      server_default="LOYAL"))
    op.create_table(
        "rewards",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("discount_type", sa.String(length=16), nullable=False),
        sa.Column("reward_type", sa.String(length=16), nullable=False),
        sa.Column("vip_tier_id", sa.String(length=32), nullable=True),
        sa.Column("points_cost", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("minimum_spend", sa.Numeric(14, 2), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("expiry_days", sa.Integer(), nullable=True),
        sa.Column("product_gid", sa.String(length=128), nullable=True),
        sa.Column("variant_gid", sa.String(length=128), nullable=True),
        sa.Column("product_title", sa.String(length=255), nullable=True),
        sa.Column("product_handle", sa.String(length=255), nullable=True),
        sa.Column("product_image_url", sa.Text(), nullable=True),
        sa.Column("pricing", sa.String(length=16), nullable=False),
        sa.Column("points_per_unit", sa.Integer(), nullable=True),
        sa.Column("min_points", sa.Integer(), nullable=True),
        sa.Column("max_points", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"discount_type IN ({DISCOUNT_TYPES})", name=op.f("ck_rewards_discount_type")),
        sa.CheckConstraint("reward_type IN ('discount', 'tier')", name=op.f("ck_rewards_reward_type")),
        sa.CheckConstraint("pricing IN ('fixed', 'per_point')", name=op.f("ck_rewards_pricing")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_rewards_shop_id_shops"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["vip_tier_id"], ["vip_tiers.id"], name=op.f("fk_rewards_vip_tier_id_vip_tiers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
    )
    op.create_index("ix_rewards_shop_id_points_cost", "rewards", ["shop_id", "points_cost"])
    op.create_table(
        "reward_redemptions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("reward_id", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("refund_entry_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("points_spent", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("discount_code", sa.String(length=64), nullable=False),
        sa.Column("shopify_discount_id", sa.String(length=128), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_order_id", sa.String(length=32), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_in_doubt", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_reward_redemptions_state")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_reward_redemptions_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_reward_redemptions_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reward_id"], ["rewards.id"], name=op.f("fk_reward_redemptions_reward_id_rewards"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entry_id"], ["earning_entries.id"],
                                name=op.f("fk_reward_redemptions_entry_id_earning_entries"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["refund_entry_id"], ["earning_entries.id"],
                                name=op.f("fk_reward_redemptions_refund_entry_id_earning_entries"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_redemptions")),
        sa.UniqueConstraint("shop_id", "discount_code", name=op.f("uq_reward_redemptions_shop_id_discount_code")),
    )
    op.create_index("ix_reward_redemptions_customer_id_reward_id", "reward_redemptions", ["customer_id", "reward_id"])
    op.create_index("ix_reward_redemptions_state_created_at", "reward_redemptions", ["state", "created_at"])
    op.create_index("ix_reward_redemptions_state_expires_at", "reward_redemptions", ["state", "expires_at"])
    op.create_index("ix_reward_redemptions_code_in_doubt", "reward_redemptions", ["code_in_doubt"])


def downgrade() -> None:
    op.drop_table("reward_redemptions")
    op.drop_table("rewards")
    with op.batch_alter_table("program_settings", schema=None) as batch_op:
        batch_op.drop_column("reward_code_prefix")
