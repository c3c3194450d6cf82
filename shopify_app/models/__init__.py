"""Every mapped table, imported here so metadata and Alembic see them all."""

from shopify_app.models.activity import ActivityLogEntry
from shopify_app.models.api_key import ApiKey
from shopify_app.models.bulk_job import BulkJob, BulkJobKind, BulkJobStatus
from shopify_app.models.customer import Customer
from shopify_app.models.integration import CustomerSyncState, IntegrationSetting, Service
from shopify_app.models.earning_rule import EarningRule, RuleCategory
from shopify_app.models.ledger import EarningEntry, EntryStatus
from shopify_app.models.outbox import OutboxMessage, OutboxStatus, OutboxTopic
from shopify_app.models.privacy_export import PrivacyExport
from shopify_app.models.shop import ProgramSettings, Shop
from shopify_app.models.vip_tier import VipTier

__all__ = [
    "ActivityLogEntry",
    "ApiKey",
    "BulkJob",
    "BulkJobKind",
    "BulkJobStatus",
    "Customer",
    "CustomerSyncState",
    "EarningEntry",
    "EarningRule",
    "EntryStatus",
    "IntegrationSetting",
    "OutboxMessage",
    "OutboxStatus",
    "OutboxTopic",
    "PrivacyExport",
    "ProgramSettings",
    "RuleCategory",
    "Service",
    "Shop",
    "VipTier",
]
