"""ledger: every entry's source, the lots each debit took from, nothing negative

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SOURCES = ("rule_award", "purchase", "signup", "birthday", "anniversary", "manual", "approval", "rejection",
           "reversal", "expiry", "opening_balance", "redemption", "redemption_refund")
# The overview tells the sources of negative entries apart from this index alone.
GIVEN_AT_INDEX = ("ix_earning_entries_shop_id_points_given_at", "earning_entries", ["shop_id", "points_given_at"])

# Existing entries' sources, from what they recorded: the action of adjustments, expiry and
# reversals, else the category of the rule that gave them (an order's key when the rule is gone).
BACKFILL = """
UPDATE earning_entries SET source = CASE
    WHEN action = 'manual_adjustment' THEN 'manual'
    WHEN action = 'points_expired' THEN 'expiry'
    WHEN points < 0 THEN 'reversal'
    ELSE COALESCE(
        (SELECT CASE r.category WHEN 'purchase' THEN 'purchase' WHEN 'signup' THEN 'signup'
                                WHEN 'birthday' THEN 'birthday' WHEN 'anniversary' THEN 'anniversary'
                                ELSE 'rule_award' END
         FROM earning_rules r WHERE r.id = earning_entries.earning_rule_id),
        CASE WHEN dedupe_key LIKE 'order:%' THEN 'purchase' ELSE 'rule_award' END)
END
"""


def upgrade() -> None:
    with op.batch_alter_table("earning_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=32), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table("earning_entries", schema=None) as batch_op:
        batch_op.alter_column("source", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_check_constraint(op.f("ck_earning_entries_source"),
                                         f"source IN ({', '.join(repr(s) for s in SOURCES)})")
        batch_op.create_check_constraint(op.f("ck_earning_entries_points_remaining_not_negative"),
                                         "points_remaining >= 0")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_customers_points_not_negative"), "current_points >= 0 AND lifetime_points >= 0 AND redeemed_points >= 0")
    op.create_table(
        "lot_allocations",
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("lot_id", sa.String(length=32), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["earning_entries.id"],
                                name=op.f("fk_lot_allocations_entry_id_earning_entries"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lot_id"], ["earning_entries.id"],
                                name=op.f("fk_lot_allocations_lot_id_earning_entries"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("entry_id", "lot_id", name=op.f("pk_lot_allocations")),
    )
    op.create_index(op.f("ix_lot_allocations_lot_id"), "lot_allocations", ["lot_id"], unique=False)
    _given_at_index(["status", "points", "source"])


def _given_at_index(included: list[str]) -> None:
    name, table, columns = GIVEN_AT_INDEX
    op.drop_index(name, table_name=table)
    op.create_index(name, table, columns, postgresql_include=included)


def downgrade() -> None:
    _given_at_index(["status", "points", "action"])
    op.drop_index(op.f("ix_lot_allocations_lot_id"), table_name="lot_allocations")
    op.drop_table("lot_allocations")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_customers_points_not_negative"), type_="check")
    with op.batch_alter_table("earning_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_earning_entries_points_remaining_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_earning_entries_source"), type_="check")
        batch_op.drop_column("source")
