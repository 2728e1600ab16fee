"""The ticket itself: the code a ticket's owner shows at the door, and what a door scanner
needs to check one, online or not.

A code is ``TKT1.<payload>.<signature>`` (base64url, no padding): the payload names the
ticket, its event and this code's id (random, new each time the ticket changes hands) —
no personal data; the signature is the event's Ed25519 key's. A scanner holding the event's
public key (``ScannerKit``) tells a genuine code from a forged or altered one without the
server (``verify``); whether a genuine code is still the ticket's current one, and unused,
is the server's to say (``POST /api/checkins``), or the kit's revocation list when offline.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, ValidationError

from wire.base import CamelModel, IdText
from wire.values import Event

PREFIX = "TKT1"


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CodePayload(BaseModel):
    """What a code says: ticket ``t`` of event ``e``, code ``c``."""

    model_config = ConfigDict(frozen=True)

    t: str
    e: str
    c: str

    def encode(self) -> bytes:
        return json.dumps(self.model_dump(), separators=(",", ":"), sort_keys=True).encode()


class Unreadable(ValueError):
    """Not a ticket code at all, or altered, or signed by another key."""


def parse(code: str) -> tuple[CodePayload, bytes, bytes]:
    """The payload, the signed bytes and the signature of ``code`` (not yet verified)."""
    parts = code.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise Unreadable("not a ticket code")
    try:
        signed, signature = b64decode(parts[1]), b64decode(parts[2])
        payload = CodePayload.model_validate_json(signed)
    except (binascii.Error, ValueError, ValidationError):
        raise Unreadable("not a ticket code") from None
    return payload, signed, signature


def verify(code: str, public_key: str) -> CodePayload:
    """The code's payload if the event's key (``ScannerKit.public_key``) signed it."""
    payload, signed, signature = parse(code)
    try:
        Ed25519PublicKey.from_public_bytes(b64decode(public_key)).verify(signature, signed)
    except (InvalidSignature, ValueError):
        raise Unreadable("the code's signature is not the event's") from None
    return payload


class CheckInResult(StrEnum):
    ADMITTED = "admitted"
    ALREADY_USED = "already_used"
    NOT_VALID = "not_valid"


class CheckInPublic(CamelModel):
    """``POST /api/checkins``: the door's answer for one code."""

    result: CheckInResult
    reason: str | None = None  # why not valid
    checked_in_at: datetime | None = None  # when admitted (now, or the first time)
    ticket_id: str | None = None
    event: Event | None = None
    section: str | None = None
    row: str | None = None
    seat: str | None = None


class ScannerKit(CamelModel):
    """What a door scanner keeps to check codes for a few minutes without the server:
    the event's public key, the codes no longer valid, and those already used."""

    event_id: str
    public_key: str  # Ed25519, raw, base64url
    revoked: list[str]  # code ids (``CodePayload.c``) replaced, refunded or of a void ticket
    used: list[str]  # code ids already admitted
    as_of: datetime


class TicketCodePublic(CamelModel):
    """``GET /api/tickets/{id}/code``: the owner's code, and its QR code as SVG."""

    ticket_id: str
    code: str
    svg: str
    serial: int  # how many codes this ticket has had
    issued_at: datetime
    checked_in_at: datetime | None = None


class TransferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"  # by its sender, or declined by its recipient


class TransferPublic(CamelModel):
    model_config = ConfigDict(from_attributes=True)

    id: IdText
    ticket_id: str
    from_user_id: str
    to_user_id: str
    to_email: str
    status: TransferStatus
    created_at: datetime
    ended_at: datetime | None = None


class TransferList(CamelModel):
    incoming: list[TransferPublic]
    outgoing: list[TransferPublic]
