"""Figures for the merchant: the admin overview's statistics."""
