"""The Ticketing web app (Reflex)."""
