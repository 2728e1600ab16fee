"""The decision ``POST /api/orders`` takes from its first look (Redis alone): a lost race,
a sold ticket or the buyer's own ticket is answered without the lock store, the hold
store or the database (none exists here: any use of them fails the test)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from backend.common.errors import Conflict, TooManyRequests
from backend.common.holds import HoldPolicy, Refusal, Reservation
from backend.common.ticket_locks import Holder, HolderKind, TicketLocks
from backend.common.unit_of_work import UnitOfWork
from backend.orders import service
from backend.orders.cards import TicketCard, TicketCards
from backend.orders.fairness import FirstLook, Taken
from wire.values import TicketStatus

pytestmark = pytest.mark.unit

TICKET, SELLER, BUYER = "a" * 24, "b" * 24, "c" * 24
FOR_SALE = TicketCard(SELLER, TicketStatus.AVAILABLE)


class Budgets:
    """Records what the attempt was charged; ``spent`` makes the user's budget empty."""

    def __init__(self, *, spent: bool = False) -> None:
        self.spent = spent
        self.calls: list[str] = []

    async def uncharge_user(self) -> None:
        self.calls.append("uncharge")

    def charge_user(self) -> None:
        self.calls.append("charge")
        if self.spent:
            raise TooManyRequests("Too many orders", 7)


async def decide(look: FirstLook, budgets: Budgets, buyer: str = BUYER) -> Exception:
    nothing: Any = None  # no lock store, no unit of work: touching them raises
    with pytest.raises((Conflict, TooManyRequests)) as refused:
        await service.create_order(
            buyer_id=buyer,
            ticket_id=TICKET,
            look=look,
            budgets=budgets,
            cards=cast(TicketCards, nothing),
            locks=cast(TicketLocks, nothing),
            uow=cast(UnitOfWork, nothing),
            ttl_s=900,
            policy=HoldPolicy(cap=4, cooldown_ms=0),
        )
    return refused.value


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (HolderKind.ORDER, "locked by another buyer"),
        (HolderKind.PAYING, "locked by another buyer"),
        (HolderKind.EDIT, "seller is editing"),
    ],
)
async def test_a_lost_race_is_answered_from_the_first_look_and_charged(
    kind: HolderKind, message: str
) -> None:
    budgets = Budgets()
    refusal = await decide(FirstLook(Holder(kind, "x"), FOR_SALE), budgets)
    assert isinstance(refusal, Conflict)
    assert message in refusal.items[0].message
    assert budgets.calls == ["charge"]


@pytest.mark.parametrize(
    ("look", "buyer", "message"),
    [
        (FirstLook(Holder(HolderKind.SOLD, "o"), FOR_SALE), BUYER, "already sold"),
        (FirstLook(None, TicketCard(SELLER, TicketStatus.SOLD)), BUYER, "already sold"),
        (FirstLook(None, FOR_SALE), SELLER, "your own ticket"),
        (FirstLook(Holder(HolderKind.ORDER, "o"), FOR_SALE), SELLER, "your own ticket"),
    ],
)
async def test_a_ticket_not_for_sale_to_the_buyer_is_refused_without_charging(
    look: FirstLook, buyer: str, message: str
) -> None:
    budgets = Budgets()
    refusal = await decide(look, budgets, buyer)
    assert isinstance(refusal, Conflict)
    assert message in refusal.items[0].message
    assert budgets.calls == ["uncharge"]


async def test_a_spent_budget_is_429_before_the_race_is_looked_at() -> None:
    budgets = Budgets(spent=True)
    refusal = await decide(FirstLook(Holder(HolderKind.ORDER, "o"), FOR_SALE), budgets)
    assert isinstance(refusal, TooManyRequests)
    assert budgets.calls == ["charge"]


@pytest.mark.parametrize(
    ("refusal", "expected", "message"),
    [
        (Refusal.CAP, Conflict, "You already hold 4 tickets"),
        (Refusal.COOLDOWN, TooManyRequests, "you can hold it again in 5 s"),
    ],
)
async def test_a_hold_the_first_look_refused_is_answered_without_the_lock_store(
    refusal: Refusal, expected: type[Exception], message: str
) -> None:
    # On one redis-server the first look reserves the hold itself (``Taken``): a refusal
    # there is the answer, with no second reservation and no lock tried.
    budgets = Budgets()
    refused = Taken("d" * 24, Reservation(refusal, 0, 4_500, 4), None)
    answer = await decide(FirstLook(None, FOR_SALE, refused), budgets)
    assert isinstance(answer, expected) and isinstance(answer, Conflict | TooManyRequests)
    assert message in answer.items[0].message
    assert budgets.calls == ["charge"]
