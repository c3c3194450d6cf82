"""The points ledger: postings and the balances they move, what they set in motion, expiry and the audit."""
