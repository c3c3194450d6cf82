"""Background work on RQ: the outbox relay, deliveries to Shopify and vendors, scheduled ledger work."""
