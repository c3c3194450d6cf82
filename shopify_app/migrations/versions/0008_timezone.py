"""timezone: the shop's IANA time zone and its set-up checklist; one-time tokens of admin form posts

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("iana_timezone", sa.String(length=64), nullable=False, server_default="UTC"))
        batch_op.add_column(sa.Column("embed_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rules_reviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "form_submissions",
        sa.Column("shop_id", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_form_submissions_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("shop_id", "token", name=op.f("pk_form_submissions")),
    )
    op.create_index(op.f("ix_form_submissions_submitted_at"), "form_submissions", ["submitted_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_form_submissions_submitted_at"), table_name="form_submissions")
    op.drop_table("form_submissions")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_column("rules_reviewed_at")
        batch_op.drop_column("embed_confirmed_at")
        batch_op.drop_column("iana_timezone")
