"""Where points come from: awarded rules, orders, sign-up, birthdays and anniversaries, reconciled orders."""
