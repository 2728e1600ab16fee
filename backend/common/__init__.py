"""Shared kernel used by every service: settings, errors, auth, events, bus, outbox, locks."""
