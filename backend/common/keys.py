"""Every Redis key the project uses is built here, under one namespace."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RedisKeys:
    namespace: str

    def _key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def stream(self, name: str) -> str:
        """A domain event stream (one per publishing service)."""
        return self._key("events", name)

    def dead_letters(self) -> str:
        return self._key("events", "dead-letters")

    def ticket_lock(self, ticket_id: str) -> str:
        return self._key("lock", "ticket", ticket_id)

    def ticket_version(self, ticket_id: str) -> str:
        """The ticket's latest committed version, stamped when an edit releases its lock."""
        return self._key("ticket-version", ticket_id)

    def signin_failures(self, email: str) -> str:
        return self._key("auth", "signin-failures", email)

    def expirations(self) -> str:
        return self._key("expiration", "deadlines")

    def live_stream(self) -> str:
        return self._key("live", "messages")

    def live_channel(self) -> str:
        return self._key("live", "fanout")
