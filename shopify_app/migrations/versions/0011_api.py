"""api: customers indexed by each balance the public API sorts by, the activity log by shop and time

Revision ID: 0011_api
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0011_api"
down_revision = "0007"
branch_labels = None
depends_on = None

BALANCES = ("current_points", "lifetime_points", "redeemed_points")


def upgrade() -> None:
    for column in BALANCES:
        op.create_index(f"ix_customers_shop_id_{column}_id", "customers", ["shop_id", column, "id"])
    op.create_index("ix_activity_log_shop_id_created_at_id", "activity_log", ["shop_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_activity_log_shop_id_created_at_id", table_name="activity_log")
    for column in BALANCES:
        op.drop_index(f"ix_customers_shop_id_{column}_id", table_name="customers")
