"""facts: one action for sign-up rules, ``signup``, where the admin's catalogue stored ``create_account``

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_ACTION, ACTION = "create_account", "signup"


def upgrade() -> None:
    # Ledger entries carry their rule's action, so both tables speak the one vocabulary.
    for table in ("earning_rules", "earning_entries"):
        op.execute(f"UPDATE {table} SET action = '{ACTION}' WHERE action = '{OLD_ACTION}'")


def downgrade() -> None:
    # Nothing to undo: the default program always stored ``signup``, and which rows the admin once
    # stored as ``create_account`` is not recorded.
    pass
