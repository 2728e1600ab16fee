"""Demo data for a local run (``./scripts/dev --seed``), loaded through the public API.

Idempotent: the demo users are created once (signed in afterwards), and the demo seller
lists the demo tickets only when they have nothing listed yet.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.devstack.client import ApiClient
from wire.tickets import TicketList

PASSWORD = "demo-password-1"  # noqa: S105 - public demo accounts of a local run


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str


SELLER = DemoUser("seller@example.com", "Sam Seller")
BUYER = DemoUser("buyer@example.com", "Bea Buyer")

# (title, event, kind, venue, days from now, hour, section, row, seat, price in cents)
TICKETS: tuple[tuple[str, str, str, str, int, int, str, str, str, int], ...] = (
    (
        "Floor standing",
        "Aurora Lights — Live",
        "concert",
        "Olympia Hall",
        12,
        20,
        "A",
        "",
        "",
        8900,
    ),
    (
        "Two seats, great view",
        "Aurora Lights — Live",
        "concert",
        "Olympia Hall",
        12,
        20,
        "C",
        "4",
        "11",
        12500,
    ),
    (
        "Front row!",
        "The Midnight Owls",
        "concert",
        "Blue Note Club",
        25,
        21,
        "Front",
        "1",
        "3",
        6400,
    ),
    (
        "Home stand, halfway line",
        "City FC vs United",
        "sport",
        "Riverside Stadium",
        9,
        15,
        "East",
        "22",
        "107",
        5500,
    ),
    (
        "Courtside",
        "Harbor Hawks vs Mountain Lions",
        "sport",
        "Bay Arena",
        33,
        19,
        "Court",
        "A",
        "2",
        24000,
    ),
    ("Balcony seat", "Hamlet", "theatre", "Royal Theatre", 18, 19, "Balcony", "B", "14", 4200),
)
# Where each venue is: city, country, time zone (the events catalogue shows them).
VENUES = {
    "Olympia Hall": ("Paris", "FR", "Europe/Paris"),
    "Blue Note Club": ("New York", "US", "America/New_York"),
    "Riverside Stadium": ("Manchester", "GB", "Europe/London"),
    "Bay Arena": ("San Francisco", "US", "America/Los_Angeles"),
    "Royal Theatre": ("London", "GB", "Europe/London"),
}
PERFORMERS = {
    "Aurora Lights — Live": ["Aurora Lights"],
    "The Midnight Owls": ["The Midnight Owls"],
    "City FC vs United": ["City FC", "United"],
    "Harbor Hawks vs Mountain Lions": ["Harbor Hawks", "Mountain Lions"],
    "Hamlet": ["Royal Theatre Company"],
}


async def _session(api: ApiClient, user: DemoUser) -> None:
    """Signed up once; signed in (its bearer token on ``api``) every time."""
    created = await api.sign_up(user.email, PASSWORD, user.name)
    if created.status_code not in (201, 409):
        created.raise_for_status()
    (await api.take_token(user.email, PASSWORD)).raise_for_status()


def _ticket(row: tuple[str, str, str, str, int, int, str, str, str, int]) -> dict[str, Any]:
    title, event, kind, venue, days, hour, section, row_, seat, price = row
    starts = (datetime.now(UTC) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    body: dict[str, Any] = {
        "title": title,
        "event": {
            "name": event,
            "performers": PERFORMERS[event],
            "kind": kind,
            "venue": dict(
                zip(("name", "city", "country", "timeZone"), (venue, *VENUES[venue]), strict=True)
            ),
            "startsAt": starts.isoformat(),
        },
        "price": {"amount": price, "currency": "usd"},
    }
    body.update({k: v for k, v in (("section", section), ("row", row_), ("seat", seat)) if v})
    return body


def seed(base_url: str) -> int:
    """Loads the demo data; returns how many tickets it listed (0 when already there)."""
    return asyncio.run(_seed(base_url))


async def _seed(base_url: str) -> int:
    async with ApiClient(base_url) as buyer:
        await _session(buyer, BUYER)
    async with ApiClient(base_url) as seller:
        await _session(seller, SELLER)
        mine = await seller.mine()
        mine.raise_for_status()
        if TicketList.model_validate_json(mine.content).items:
            return 0
        for row in TICKETS:
            (await seller.sell(_ticket(row))).raise_for_status()
        return len(TICKETS)
