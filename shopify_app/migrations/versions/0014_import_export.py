"""import & export page: what an admin job was asked and what it found, and the points file it reads

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("result", sa.JSON(), nullable=True))
    op.create_table(
        "points_import_files",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_points_import_files_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", "shop_id", name=op.f("pk_points_import_files")),
    )
    op.create_index("ix_points_import_files_shop_id", "points_import_files", ["shop_id"])


def downgrade() -> None:
    op.drop_index("ix_points_import_files_shop_id", table_name="points_import_files")
    op.drop_table("points_import_files")
    with op.batch_alter_table("bulk_jobs", schema=None) as batch_op:
        batch_op.drop_column("result")
        batch_op.drop_column("params")
