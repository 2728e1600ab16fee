"""Door codes: each event's Ed25519 key, and a ticket's code, issued anew each time it
changes hands (``wire/codes.py`` says what a code is).

A ticket gets a code when it changes hands here — sold, or transferred — and each new one
revokes the ones before: the change of owner and the new code are one write
(``handover``). The event's private key signs; its public key is what a scanner checks
codes with offline. The keys are kept in the tickets database, made on first use.
"""

from __future__ import annotations

import secrets
from typing import Any

import segno
from beanie import Document
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo.errors import DuplicateKeyError

from backend.common.clock import utcnow
from backend.tickets.models import Ticket
from wire.codes import PREFIX, CodePayload, b64decode, b64encode


class EventKey(Document):
    """An event's signing key; ``id`` is the event id."""

    id: str  # type: ignore[assignment]
    private_key: str  # raw Ed25519, base64url
    public_key: str

    class Settings:
        name = "event_keys"


async def event_key(event_id: str) -> EventKey:
    """The event's key, made once (two first uses at once keep the same one)."""
    found = await EventKey.get(event_id)
    if found is not None:
        return found
    private = Ed25519PrivateKey.generate()
    raw = serialization.Encoding.Raw
    key = EventKey(
        id=event_id,
        private_key=b64encode(
            private.private_bytes(
                raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
        ),
        public_key=b64encode(
            private.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
        ),
    )
    try:
        await key.insert()
    except DuplicateKeyError:
        found = await EventKey.get(event_id)
        assert found is not None
        return found
    return key


def handover(ticket: Ticket, owner_id: str) -> dict[str, Any]:
    """The changes that give ``ticket`` to ``owner_id`` with a new code, revoking the last."""
    revoked = [*ticket.revoked_codes, ticket.code_id] if ticket.code_id else ticket.revoked_codes
    return {
        "owner_id": owner_id,
        "code_id": secrets.token_urlsafe(16),
        "code_serial": ticket.code_serial + 1,
        "code_issued_at": utcnow(),
        "revoked_codes": revoked,
    }


def code_of(ticket: Ticket, key: EventKey) -> str:
    """The ticket's current code, signed with its event's key."""
    assert ticket.code_id is not None and ticket.event.id is not None
    payload = CodePayload(t=str(ticket.id), e=ticket.event.id, c=ticket.code_id).encode()
    private = Ed25519PrivateKey.from_private_bytes(b64decode(key.private_key))
    return f"{PREFIX}.{b64encode(payload)}.{b64encode(private.sign(payload))}"


def qr_svg(code: str) -> str:
    """The code as a QR code, SVG (segno), quiet zone included."""
    return segno.make_qr(code, error="m").svg_inline(scale=4, border=4)
