"""trust: when a member last changed their date of birth; purchase rules' exclusions and what each
order's rules earned on

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


EMPTY_LIST, EMPTY_OBJECT = sa.text("'[]'"), sa.text("'{}'")


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_of_birth_changed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("earning_rules", schema=None) as batch_op:
        for column in ("excluded_product_ids", "excluded_collection_ids", "collection_product_ids",
                       "excluded_customer_tags"):
            batch_op.add_column(sa.Column(column, sa.JSON(), nullable=False, server_default=EMPTY_LIST))
        batch_op.add_column(sa.Column("exclude_b2b", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("shopify_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("earning_bases", sa.JSON(), nullable=False, server_default=EMPTY_OBJECT))
    with op.batch_alter_table("order_refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lines", sa.JSON(), nullable=False, server_default=EMPTY_LIST))


def downgrade() -> None:
    with op.batch_alter_table("order_refunds", schema=None) as batch_op:
        batch_op.drop_column("lines")
    with op.batch_alter_table("shopify_orders", schema=None) as batch_op:
        batch_op.drop_column("earning_bases")
    with op.batch_alter_table("earning_rules", schema=None) as batch_op:
        for column in ("exclude_b2b", "excluded_customer_tags", "collection_product_ids", "excluded_collection_ids",
                       "excluded_product_ids"):
            batch_op.drop_column(column)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("date_of_birth_changed_at")
