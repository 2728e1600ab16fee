"""Domain facts the live gateway turns into messages (its own consumer group)."""

from __future__ import annotations

from backend.common.auth import Revocations
from backend.common.bus import RetryLater, Subscriptions, subscribe
from backend.common.facts import (
    ChargeCreated,
    CodeIssued,
    OrderCancelled,
    OrderCreated,
    PaymentRefunded,
    PayoutPaid,
    SessionsEnded,
    TicketCreated,
    TicketUpdated,
    UserCreated,
    UserUpdated,
)
from backend.common.user_replica import UserReplica, on_user_fact
from backend.live.connection import session_ended_message
from backend.live.journal import Journal
from backend.live.messages import (
    code_issued_message,
    order_cancelled_message,
    order_completed_message,
    order_created_message,
    order_paid_out_message,
    order_refunded_message,
    ticket_message,
)


class LiveHandlers:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def on_ticket_fact(self, fact: TicketCreated) -> None:
        """Versions in order: the message type depends on the version before."""
        previous, name = await self.journal.ticket_and_name(fact.ticket_id, fact.seller_id)
        known = -1 if previous is None else int(previous["version"])
        if fact.version <= known:
            return  # a duplicate
        if isinstance(fact, TicketUpdated) and fact.version != known + 1:
            raise RetryLater(f"ticket {fact.ticket_id} v{fact.version} before v{known + 1}")
        if name is None:
            name = await self._replica_name(fact.seller_id)
        message = ticket_message(previous, fact, name)
        if message is not None:
            await self.journal.append(message)

    async def on_user_fact(self, fact: UserCreated | UserUpdated) -> None:
        """The replica, then the journal's copy of the name that ticket messages read."""
        await on_user_fact(fact)
        await self.journal.remember_name(fact.user_id, fact.version, fact.display_name)

    async def _replica_name(self, user_id: str) -> str | None:
        """A name the journal does not hold (a user it heard of before it kept names, or
        a Redis that lost them): read from the replica, and kept from then on."""
        user = await UserReplica.get(user_id)
        if user is None:
            return None
        await self.journal.remember_name(user.id, user.version, user.display_name)
        return user.display_name

    async def on_order_created(self, fact: OrderCreated) -> None:
        await self.journal.append(order_created_message(fact))

    async def on_order_cancelled(self, fact: OrderCancelled) -> None:
        previous = await self._created(fact.buyer_id, fact.order_id)
        await self.journal.append(order_cancelled_message(fact, previous))

    async def on_charge_created(self, fact: ChargeCreated) -> None:
        previous = await self._created(fact.buyer_id, fact.order_id)
        await self.journal.append(order_completed_message(fact, previous))

    async def on_code_issued(self, fact: CodeIssued) -> None:
        await self.journal.append(code_issued_message(fact))

    async def on_payment_refunded(self, fact: PaymentRefunded) -> None:
        previous = await self._created(fact.buyer_id, fact.order_id)
        await self.journal.append(order_refunded_message(fact, previous))

    async def on_payout_paid(self, fact: PayoutPaid) -> None:
        previous = await self.journal.order(fact.seller_id, fact.order_id)
        if previous is None:
            return  # an order from before the journal kept it: nothing to tell it from
        await self.journal.append(order_paid_out_message(fact, previous))

    async def _created(self, buyer_id: str, order_id: str) -> dict[str, object]:
        """The order as journaled; its creation must be told first (and to the seller)."""
        previous = await self.journal.order(buyer_id, order_id)
        if previous is None:
            raise RetryLater(f"order {order_id} ended before its creation was journaled")
        return previous

    async def on_sessions_ended(self, fact: SessionsEnded) -> None:
        """Every replica's sockets of those sessions close: the message goes round through
        the journal's fan-out (never to a client). The generation is advanced here too,
        in case the auth service could not after its commit (idempotent)."""
        if not fact.token_id:
            await Revocations(self.journal.redis, self.journal.keys).advance(
                fact.user_id, fact.generation
            )
        await self.journal.append(session_ended_message(fact))

    def subscriptions(self) -> Subscriptions:
        """Every subscription of the live gateway."""
        return [
            subscribe(UserCreated, self.on_user_fact),
            subscribe(UserUpdated, self.on_user_fact),
            subscribe(SessionsEnded, self.on_sessions_ended),
            subscribe(TicketCreated, self.on_ticket_fact),
            subscribe(TicketUpdated, self.on_ticket_fact),
            subscribe(OrderCreated, self.on_order_created),
            subscribe(OrderCancelled, self.on_order_cancelled),
            subscribe(ChargeCreated, self.on_charge_created),
            subscribe(PaymentRefunded, self.on_payment_refunded),
            subscribe(CodeIssued, self.on_code_issued),
            subscribe(PayoutPaid, self.on_payout_paid),
        ]
