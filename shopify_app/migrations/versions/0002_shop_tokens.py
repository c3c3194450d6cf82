"""shop access and refresh tokens

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_token_ciphertext", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("refresh_token_ciphertext", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("refresh_token_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("scopes", sa.String(length=1024), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        for column in ("scopes", "refresh_token_expires_at", "refresh_token_ciphertext",
                       "access_token_expires_at", "access_token_ciphertext"):
            batch_op.drop_column(column)
