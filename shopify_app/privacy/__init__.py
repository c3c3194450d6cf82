"""Shopify's privacy duties: customer data exported, a customer or a shop erased, stale webhook payloads deleted."""
