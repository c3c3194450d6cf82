"""Members: finding them, enrolling them from Shopify, their summary and the admin's directory."""
