"""The Shopify protocol, no Flask: shop domains, signatures, session tokens, tokens, payloads, ids and times."""
