"""Shops: finding them, installing and uninstalling, their access tokens and their REST API keys."""
