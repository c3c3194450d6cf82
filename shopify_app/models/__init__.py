"""Every mapped table, imported here so metadata and Alembic see them all."""

from shopify_app.models.activity import ActivityLogEntry
from shopify_app.models.api_key import ApiKey
from shopify_app.models.bulk_job import BulkJob, BulkJobKind, BulkJobStatus, PointsImportFile
from shopify_app.models.customer import Customer
from shopify_app.models.earning_rule import EarningRule, RuleCategory
from shopify_app.models.form_submission import FormSubmission
from shopify_app.models.idempotency import IdempotencyKey
from shopify_app.models.integration import CustomerSyncState, IntegrationSetting, Service
from shopify_app.models.ledger import EARNING_SOURCES, EarningEntry, EntrySource, EntryStatus, LotAllocation
from shopify_app.models.order import OrderRefund, ShopifyOrder
from shopify_app.models.outbox import OutboxMessage, OutboxStatus, OutboxTopic
from shopify_app.models.privacy import CustomerDataExport, RedactedCustomer
from shopify_app.models.reward import (
    DiscountType,
    Pricing,
    RedemptionState,
    Reward,
    RewardRedemption,
    RewardType,
)
from shopify_app.models.shop import ProgramSettings, Shop
from shopify_app.models.shop_state import CustomerProfileVersion, ShopSyncState
from shopify_app.models.vip_tier import VipTier
from shopify_app.models.webhook_delivery import WebhookDelivery

__all__ = [
    "EARNING_SOURCES",
    "ActivityLogEntry",
    "ApiKey",
    "BulkJob",
    "BulkJobKind",
    "BulkJobStatus",
    "Customer",
    "CustomerDataExport",
    "CustomerProfileVersion",
    "CustomerSyncState",
    "DiscountType",
    "EarningEntry",
    "EarningRule",
    "EntrySource",
    "EntryStatus",
    "FormSubmission",
    "IdempotencyKey",
    "IntegrationSetting",
    "LotAllocation",
    "OrderRefund",
    "OutboxMessage",
    "OutboxStatus",
    "OutboxTopic",
    "PointsImportFile",
    "Pricing",
    "ProgramSettings",
    "RedactedCustomer",
    "RedemptionState",
    "Reward",
    "RewardRedemption",
    "RewardType",
    "RuleCategory",
    "Service",
    "Shop",
    "ShopSyncState",
    "ShopifyOrder",
    "VipTier",
    "WebhookDelivery",
]
