"""The Shopify protocol, no Flask: shop domains, signatures, session tokens, tokens, GraphQL."""
