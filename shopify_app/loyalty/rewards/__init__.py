"""Rewards: what points buy (the catalogue), spending them on a discount code (redemption), the codes."""
