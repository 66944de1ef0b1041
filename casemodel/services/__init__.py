"""Verbs on the domain. Each takes the session and the acting user as arguments, flushes but
never commits (the caller owns the transaction), and raises domain errors, never HTTP ones."""
