"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shops',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('uninstalled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')),
    sa.UniqueConstraint('domain', name=op.f('uq_shops_domain'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('read_only', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_api_keys_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_prefix'), ['prefix'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_keys_shop_id'), ['shop_id'], unique=False)

    op.create_table('earning_rules',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('points_to_give', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('approval_time', sa.Integer(), nullable=False),
    sa.Column('customer_facing_label', sa.String(length=255), nullable=True),
    sa.Column('call_to_action_url', sa.String(length=2048), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('purchase', 'signup', 'birthday', 'anniversary', 'social', 'engagement', 'referral')", name=op.f('ck_earning_rules_category')),
    sa.CheckConstraint('approval_time >= 0', name=op.f('ck_earning_rules_approval_time')),
    sa.CheckConstraint('points_to_give >= 0', name=op.f('ck_earning_rules_points_to_give')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_earning_rules_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_earning_rules'))
    )
    with op.batch_alter_table('earning_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_earning_rules_shop_id'), ['shop_id'], unique=False)

    op.create_table('program_settings',
    sa.Column('shop_id', sa.String(length=32), nullable=False),
    sa.Column('points_expiry_days', sa.Integer(), nullable=False),
    sa.Column('points_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_program_settings_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_program_settings'))
    )
    op.create_table('vip_tiers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('points_required', sa.Integer(), nullable=False),
    sa.Column('points_multiplier', sa.Numeric(precision=6, scale=3), nullable=False),
    sa.Column('badge_color', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_vip_tiers_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_tiers')),
    sa.UniqueConstraint('shop_id', 'points_required', name=op.f('uq_vip_tiers_shop_id_points_required'))
    )
    op.create_table('customers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.String(length=32), nullable=False),
    sa.Column('shopify_customer_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_normalized', sa.String(length=320), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=True),
    sa.Column('last_name', sa.String(length=255), nullable=True),
    sa.Column('is_excluded', sa.Boolean(), nullable=False),
    sa.Column('current_points', sa.Integer(), nullable=False),
    sa.Column('lifetime_points', sa.Integer(), nullable=False),
    sa.Column('redeemed_points', sa.Integer(), nullable=False),
    sa.Column('vip_tier_id', sa.String(length=32), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('shopify_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_customers_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vip_tier_id'], ['vip_tiers.id'], name=op.f('fk_customers_vip_tier_id_vip_tiers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('shop_id', 'shopify_customer_id', name=op.f('uq_customers_shop_id_shopify_customer_id'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_shop_id_email_normalized', ['shop_id', 'email_normalized'], unique=False)

    op.create_table('earning_entries',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.Column('earning_rule_id', sa.String(length=32), nullable=True),
    sa.Column('dedupe_key', sa.String(length=128), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('base_points', sa.Integer(), nullable=False),
    sa.Column('points_multiplier', sa.Numeric(precision=6, scale=3), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('points_remaining', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('points_given_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('points_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('points_expiry_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('order_id', sa.String(length=32), nullable=True),
    sa.Column('order_number', sa.String(length=32), nullable=True),
    sa.Column('manual_intervention', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_earning_entries_status')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_earning_entries_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['earning_rule_id'], ['earning_rules.id'], name=op.f('fk_earning_entries_earning_rule_id_earning_rules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_earning_entries_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_earning_entries')),
    sa.UniqueConstraint('customer_id', 'dedupe_key', name=op.f('uq_earning_entries_customer_id_dedupe_key'))
    )
    with op.batch_alter_table('earning_entries', schema=None) as batch_op:
        batch_op.create_index('ix_earning_entries_customer_id_created_at', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_earning_entries_earning_rule_id'), ['earning_rule_id'], unique=False)
        batch_op.create_index('ix_earning_entries_shop_id_status_points_due_at', ['shop_id', 'status', 'points_due_at'], unique=False)

    op.create_table('activity_log',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=True),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_activity_log_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['earning_entries.id'], name=op.f('fk_activity_log_entry_id_earning_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_activity_log_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_log'))
    )
    with op.batch_alter_table('activity_log', schema=None) as batch_op:
        batch_op.create_index('ix_activity_log_customer_id_created_at', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_log_shop_id'), ['shop_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.String(length=32), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=True),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_outbox_messages_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['earning_entries.id'], name=op.f('fk_outbox_messages_entry_id_earning_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_outbox_messages_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_status_id', ['status', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_id')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_shop_id'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('activity_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_log_shop_id'))
        batch_op.drop_index('ix_activity_log_customer_id_created_at')

    op.drop_table('activity_log')
    with op.batch_alter_table('earning_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_earning_entries_shop_id_status_points_due_at')
        batch_op.drop_index(batch_op.f('ix_earning_entries_earning_rule_id'))
        batch_op.drop_index('ix_earning_entries_customer_id_created_at')

    op.drop_table('earning_entries')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_shop_id_email_normalized')

    op.drop_table('customers')
    op.drop_table('vip_tiers')
    op.drop_table('program_settings')
    with op.batch_alter_table('earning_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_earning_rules_shop_id'))

    op.drop_table('earning_rules')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_shop_id'))
        batch_op.drop_index(batch_op.f('ix_api_keys_prefix'))

    op.drop_table('api_keys')
    op.drop_table('shops')
