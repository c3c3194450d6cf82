"""The merchant's program: earning rules, VIP tiers, settings, the default program and the admin's form input."""
