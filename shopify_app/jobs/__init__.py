"""Background work on RQ: webhook processing, the outbox relay, deliveries, admin bulk jobs, scheduled work."""
