"""Every Redis key the project uses is built here, under one namespace.

Redis Cluster: a script or transaction may only touch keys of one slot, and the hash tag
(the part in ``{…}``) picks the slot. A ticket's keys share ``{t:<id>}``, a buyer's
``{u:<id>}``: they spread over the shards with the tickets and the buyers, where the
purchase load is. Two groups stay in one slot each, by design: ``{events}`` — the fact
streams, the dead letters and the order deadlines (a consumer reads all its streams in one
``XREADGROUP``; a deadline is fired onto the stream by the script that removes it) — and
``{live}`` — the live journal, its cursor and snapshots (one total order of live messages,
which resume depends on). Both carry a few messages per purchase, not one per attempt; when
one shard is not enough for them, the next step is a stream per service pair, not a
cluster-wide key (docs/capacity.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RedisKeys:
    namespace: str

    def _key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def stream(self, name: str) -> str:
        """A domain event stream (one per publishing service)."""
        return self._key("{events}", name)

    def dead_letters(self) -> str:
        return self._key("{events}", "dead-letters")

    # A ticket's keys share the hash tag ``{t:<id>}``: one Redis Cluster slot, so that a
    # script may touch several of them (an edit's end: the lock and the version). The
    # seats of a listing (sold together) share their listing's tag ``{l:<listingId>}``
    # instead, so that one script holds several seats at once.
    @staticmethod
    def _ticket_tag(ticket_id: str, listing_id: str | None) -> str:
        return f"{{t:{ticket_id}}}" if listing_id is None else f"{{l:{listing_id}}}:{ticket_id}"

    def ticket_lock(self, ticket_id: str, listing_id: str | None = None) -> str:
        return self._key("lock", "ticket", self._ticket_tag(ticket_id, listing_id))

    def ticket_version(self, ticket_id: str, listing_id: str | None = None) -> str:
        """The ticket's latest committed version, stamped when an edit releases its lock."""
        return self._key("ticket-version", self._ticket_tag(ticket_id, listing_id))

    def ticket_card(self, ticket_id: str, listing_id: str | None = None) -> str:
        """What the orders service knows of a ticket for the purchase hot path: its
        owner and status at a version (``backend/orders/cards.py``)."""
        return self._key("ticket-card", self._ticket_tag(ticket_id, listing_id))

    def holds_open(self, buyer_id: str) -> str:
        """A buyer's live holds (unpaid orders), scored by deadline: the cap. The hash tag
        ``{u:<id>}`` keeps a buyer's hold keys in one Redis Cluster slot."""
        return self._key("holds", f"{{u:{buyer_id}}}", "open")

    def holds_ended(self, buyer_id: str) -> str:
        """Tickets whose hold by this buyer ended without a sale, scored by when: the
        re-hold cooldown (same slot as ``holds_open``)."""
        return self._key("holds", f"{{u:{buyer_id}}}", "ended")

    def payment_lease(self, order_id: str) -> str:
        """Held while one request works on an order's payment."""
        return self._key("payments", "lease", order_id)

    def rate_limit(self, quota: str, who: str) -> str:
        """The requests one client (a user id, an address, ``address|email``) made
        within a quota's window (``backend/common/rate_limits.py``)."""
        return self._key("rate", quota, who)

    def session_generation(self, user_id: str) -> str:
        """A user's current session generation: tokens of another generation (older:
        the password changed since) or of a user without one (unknown) are refused."""
        return self._key("auth", "generation", user_id)

    def revoked_token(self, token_id: str) -> str:
        """A signed-out session token (its ``jti``), kept until it would have expired."""
        return self._key("auth", "revoked", token_id)

    def expirations(self) -> str:
        """Sorted set of pending order deadlines (score: epoch ms)."""
        return self._key("{events}", "expiration", "deadlines")

    def availability_recounts(self) -> str:
        """Hash of events whose availability is to be counted again (event id → how many
        changes marked it): ``backend/tickets/recounts.py``."""
        return self._key("availability-recounts")

    def expiration_index(self) -> str:
        """Order id -> its member in the deadlines set."""
        return self._key("{events}", "expiration", "index")

    def expirations_fired(self) -> str:
        """Orders fired in the last day, scored by when (no second firing)."""
        return self._key("{events}", "expiration", "fired")

    def live_stream(self) -> str:
        """Every live message, capped, with ids ``<cursor>-0`` (for resume)."""
        return self._key("{live}", "messages")

    def live_cursor(self) -> str:
        return self._key("{live}", "cursor")

    def live_channel(self) -> str:
        """The pub/sub channel gateway replicas fan out through."""
        return self._key("{live}", "fanout")

    def live_tickets(self) -> str:
        """Current public state of every ticket (snapshots)."""
        return self._key("{live}", "tickets")

    def live_event_counts(self, event_id: str) -> str:
        """How many of an event's tickets are in each status (its availability)."""
        return self._key("{live}", "event-counts", event_id or "-")

    def live_event_prices(self, event_id: str) -> str:
        """An event's tickets for sale, scored by price (the cheapest: its from-price)."""
        return self._key("{live}", "event-prices", event_id or "-")

    def live_event_listings(self, event_id: str) -> str:
        """An event's tickets for sale or held, scored by price (its page's snapshot)."""
        return self._key("{live}", "event-listings", event_id or "-")

    def live_names(self) -> str:
        """User id -> their display name and its version, as the user facts told them
        (the seller's name of every ticket message)."""
        return self._key("{live}", "names")

    def live_orders(self, user_id: str) -> str:
        """Current state of a user's orders (their ``me`` snapshot)."""
        return self._key("{live}", "orders", user_id)
