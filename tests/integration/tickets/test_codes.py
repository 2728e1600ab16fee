"""The ticket itself: a door code per owner, reissued when the ticket changes hands,
admitted once at the door, checked offline with the event's public key, transferable to a
friend — and refused to whoever should not get in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.common.settings import Settings
from tests.support.api import User, eventually, ticket_body
from tests.support.events import as_operator
from tests.support.market import buy_outright, error_fields
from wire.codes import PREFIX, CodePayload, Unreadable, b64decode, b64encode, verify

pytestmark = pytest.mark.integration


async def code_of(user: User, ticket_id: str) -> dict[str, Any]:
    response = await user.http.get(f"/api/tickets/{ticket_id}/code")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def scan(scanner: User, code: str) -> dict[str, Any]:
    response = await scanner.http.post("/api/checkins", json={"code": code})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def bought(seller: User, buyer: User, price: int = 5_000) -> dict[str, Any]:
    """A ticket ``buyer`` bought from ``seller``, once its code is issued."""
    return await bought_for(seller, buyer, ticket_body()["event"], price)


async def bought_for(
    seller: User, buyer: User, event: dict[str, Any], price: int = 5_000
) -> dict[str, Any]:
    ticket = await seller.sell(price, event=event)
    await buy_outright(buyer, ticket["id"])
    await eventually(
        lambda: buyer.http.get(f"/api/tickets/{ticket['id']}/code"),
        lambda r: r.status_code == 200,
    )
    return ticket


def flipped(code: str, part: int) -> str:
    """``code`` with one byte of its payload (1) or signature (2) flipped."""
    parts = code.split(".")
    raw = bytearray(b64decode(parts[part]))
    raw[len(raw) // 2] ^= 0x01
    parts[part] = b64encode(bytes(raw))
    return ".".join(parts)


async def test_a_resold_tickets_earlier_code_is_refused_and_the_new_one_admitted_once(
    market_settings: Settings, seller: User, buyer: User, other: User, sign_up: Any
) -> None:
    door = await as_operator(market_settings, await sign_up("door"))
    ticket = await bought(seller, buyer)
    first = await code_of(buyer, ticket["id"])
    assert first["code"].startswith(f"{PREFIX}.") and first["svg"].startswith("<svg")
    assert first["serial"] == 1
    # Sold on: while it is for sale its code is hidden from its owner, and refused.
    relist = await buyer.http.post(
        f"/api/tickets/{ticket['id']}/relist", json={"price": {"amount": 6_000}}
    )
    assert relist.status_code == 200, relist.text
    assert error_fields(await buyer.http.get(f"/api/tickets/{ticket['id']}/code"), 409)
    for_sale = await scan(door, first["code"])
    assert for_sale["result"] == "not_valid" and "for sale" in for_sale["reason"]
    await buy_outright(other, ticket["id"])
    second = await eventually(
        lambda: other.http.get(f"/api/tickets/{ticket['id']}/code"),
        lambda r: r.status_code == 200,
    )
    new = second.json()
    assert new["code"] != first["code"] and new["serial"] == 2
    assert (await buyer.http.get(f"/api/tickets/{ticket['id']}/code")).status_code == 403
    old = await scan(door, first["code"])
    assert old["result"] == "not_valid" and "newer code" in old["reason"]
    admitted = await scan(door, new["code"])
    assert admitted["result"] == "admitted" and admitted["ticketId"] == ticket["id"]
    again = await scan(door, new["code"])
    assert again["result"] == "already_used"
    assert again["checkedInAt"] == admitted["checkedInAt"]
    assert (await code_of(other, ticket["id"]))["checkedInAt"] == admitted["checkedInAt"]
    # Used at the door: it is not sold on.
    used = await other.http.post(
        f"/api/tickets/{ticket['id']}/relist", json={"price": {"amount": 7_000}}
    )
    assert error_fields(used, 409)


async def test_twenty_concurrent_scans_of_one_code_admit_exactly_once(
    market_settings: Settings, seller: User, buyer: User, other: User
) -> None:
    door = await as_operator(market_settings, other)
    ticket = await bought(seller, buyer)
    code = (await code_of(buyer, ticket["id"]))["code"]
    results = await asyncio.gather(*(scan(door, code) for _ in range(20)))
    outcomes = [r["result"] for r in results]
    assert outcomes.count("admitted") == 1, outcomes
    assert outcomes.count("already_used") == 19, outcomes
    assert len({r["checkedInAt"] for r in results}) == 1  # every door tells the one time


async def test_a_code_with_one_flipped_byte_is_not_valid(
    market_settings: Settings, seller: User, buyer: User, other: User
) -> None:
    door = await as_operator(market_settings, other)
    ticket = await bought(seller, buyer)
    code = (await code_of(buyer, ticket["id"]))["code"]
    for part in (1, 2):
        told = await scan(door, flipped(code, part))
        assert told["result"] == "not_valid", told
    for garbage in ("", "hello", "TKT1.x.y", code + "A", "TKT1." + "A" * 1_500):
        response = await door.http.post("/api/checkins", json={"code": garbage})
        assert response.status_code in (200, 400), response.text
        if response.status_code == 200:
            assert response.json()["result"] == "not_valid"
    assert (await scan(door, code))["result"] == "admitted"  # the real one still works


async def test_a_transfer_to_a_friend_reissues_the_code(
    market_settings: Settings, seller: User, buyer: User, other: User, sign_up: Any
) -> None:
    door = await as_operator(market_settings, await sign_up("door"))
    ticket = await bought(seller, buyer)
    mine = await code_of(buyer, ticket["id"])
    sent = await buyer.http.post(
        f"/api/tickets/{ticket['id']}/transfers", json={"email": other.email.upper()}
    )
    assert sent.status_code == 201, sent.text
    transfer = sent.json()
    assert transfer["status"] == "pending" and transfer["toUserId"] == other.id
    # Nobody else accepts it; the ticket is not sold on or sent twice meanwhile.
    assert (await seller.http.post(f"/api/transfers/{transfer['id']}/accept")).status_code == 403
    twice = await buyer.http.post(
        f"/api/tickets/{ticket['id']}/transfers", json={"email": seller.email}
    )
    assert twice.status_code == 409
    relist = await buyer.http.post(
        f"/api/tickets/{ticket['id']}/relist", json={"price": {"amount": 6_000}}
    )
    assert relist.status_code == 409
    incoming = (await other.http.get("/api/transfers")).json()["incoming"]
    assert [t["id"] for t in incoming] == [transfer["id"]]
    accepted = await other.http.post(f"/api/transfers/{transfer['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    theirs = await code_of(other, ticket["id"])
    assert theirs["code"] != mine["code"] and theirs["serial"] == mine["serial"] + 1
    assert (await buyer.http.get(f"/api/tickets/{ticket['id']}/code")).status_code == 403
    assert (await scan(door, mine["code"]))["result"] == "not_valid"
    assert (await scan(door, theirs["code"]))["result"] == "admitted"
    # Used at the door: it is not given away again.
    again = await other.http.post(
        f"/api/tickets/{ticket['id']}/transfers", json={"email": buyer.email}
    )
    assert again.status_code == 409
    # Only a ticket you bought is transferred, to someone else, who exists.
    listed = await seller.sell(1_000)
    own = await seller.http.post(
        f"/api/tickets/{listed['id']}/transfers", json={"email": buyer.email}
    )
    assert own.status_code == 409
    unknown = await bought(seller, buyer)
    nobody = await buyer.http.post(
        f"/api/tickets/{unknown['id']}/transfers", json={"email": "nobody@example.com"}
    )
    assert error_fields(nobody, 404) == ["email"]
    to_self = await buyer.http.post(
        f"/api/tickets/{unknown['id']}/transfers", json={"email": buyer.email}
    )
    assert error_fields(to_self, 409) == ["email"]


async def test_a_cancelled_events_codes_are_refused(
    market_settings: Settings, seller: User, buyer: User, other: User
) -> None:
    operator = await as_operator(market_settings, other)
    ticket = await bought(seller, buyer)
    code = (await code_of(buyer, ticket["id"]))["code"]
    cancelled = await operator.http.post(
        f"/api/events/{ticket['event']['id']}/status", json={"status": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text
    refused = await eventually(
        lambda: scan(operator, code), lambda r: r["result"] == "not_valid", timeout=20
    )
    assert "void" in refused["reason"]
    assert (await buyer.http.get(f"/api/tickets/{ticket['id']}/code")).status_code == 409


async def test_offline_the_events_public_key_accepts_a_valid_code_and_rejects_a_forged_one(
    market_settings: Settings, seller: User, buyer: User, other: User, sign_up: Any
) -> None:
    operator = await as_operator(market_settings, other)
    scanner = await sign_up("scanner")
    ticket = await bought(seller, buyer)
    event_id = ticket["event"]["id"]
    kit_path = f"/api/events/{event_id}/scanner-kit"
    # A scanner is named by an operator, for this event.
    assert (await scanner.http.get(kit_path)).status_code == 403
    assert (await scanner.http.post("/api/checkins", json={"code": "x"})).status_code == 403
    named = await operator.http.post(
        f"/api/events/{event_id}/scanners", json={"email": scanner.email}
    )
    assert named.status_code == 200, named.text
    refused = await buyer.http.post(f"/api/events/{event_id}/scanners", json={"email": buyer.email})
    assert refused.status_code == 403
    kit = (await scanner.http.get(kit_path)).json()
    code = (await code_of(buyer, ticket["id"]))["code"]
    payload = verify(code, kit["publicKey"])
    assert (payload.t, payload.e) == (ticket["id"], event_id)
    assert payload.c not in kit["revoked"] and payload.c not in kit["used"]
    # A code signed by any other key, for the same ticket, is told apart without the server.
    forger = Ed25519PrivateKey.generate()
    claim = CodePayload(t=ticket["id"], e=event_id, c=payload.c).encode()
    forged = f"{PREFIX}.{b64encode(claim)}.{b64encode(forger.sign(claim))}"
    with pytest.raises(Unreadable):
        verify(forged, kit["publicKey"])
    with pytest.raises(Unreadable):
        verify(flipped(code, 1), kit["publicKey"])
    assert (await scan(scanner, forged))["result"] == "not_valid"
    # This event's scanner does not check another event's codes.
    show = ticket_body()["event"] | {"name": "Another Show"}
    elsewhere = await bought_for(seller, buyer, show)
    assert elsewhere["event"]["id"] != event_id
    other_code = (await code_of(buyer, elsewhere["id"]))["code"]
    assert (await scanner.http.post("/api/checkins", json={"code": other_code})).status_code == 403
    assert (await scan(scanner, code))["result"] == "admitted"
    kit = (await scanner.http.get(kit_path)).json()
    assert payload.c in kit["used"]
