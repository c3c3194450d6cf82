"""The points ledger: postings, what they set in motion, tiers, maturing points, manual adjustments, the audit."""
