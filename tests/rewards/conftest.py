"""Rewards run against the fake Shopify: the jobs' fixtures (fakes, an app pointed at them, a connected shop)."""

from tests.jobs.conftest import fakes, shop, sync_app, sync_client

__all__ = ["fakes", "shop", "sync_app", "sync_client"]
