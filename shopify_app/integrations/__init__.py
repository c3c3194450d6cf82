"""Clients of the outside services: Shopify's GraphQL Admin API, Klaviyo, Omnisend, Postscript."""
