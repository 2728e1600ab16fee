"""Reflex states: one per page, all under the session (who is signed in)."""
