"""The door as the scanner page shows it: the answer for one code, from the API
(``POST /api/checkins``) or, when the API can't be reached, from the event's scanner kit
alone (``wire.codes.verify`` against its public key, then its revoked and used codes).

An offline admission is only as good as the kit: a code used at another door since the kit
was read is admitted here too. The check-in is queued and sent when the API is back, and
the API's answer then is the one that counts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from ticketing_ui.models import seat_label, when
from wire.codes import CheckInPublic, CheckInResult, CodePayload, Unreadable, parse, verify

# What the API's client says for an API it can't reach (a transport error) and what the
# gateway or the ingress answer while the service behind them is down.
UNREACHABLE = frozenset({502, 503, 504})

HEADLINES = {
    CheckInResult.ADMITTED: "ADMITTED",
    CheckInResult.ALREADY_USED: "ALREADY USED",
    CheckInResult.NOT_VALID: "NOT VALID",
}


def payload_of(code: str) -> CodePayload | None:
    """What the code says (not yet verified), if it reads as a ticket code."""
    try:
        payload, _, _ = parse(code)
    except Unreadable:
        return None
    return payload


@dataclass
class CheckView:
    """One code's answer, as the scanner shows it big."""

    result: str = ""  # admitted · already_used · not_valid ("" before the first check)
    headline: str = ""  # "ADMITTED", "ALREADY USED", "NOT VALID"
    reason: str = ""  # why not valid
    used_at: str = ""  # ISO-8601: when admitted (now, or the first time)
    used_label: str = ""
    seat_label: str = ""
    event_name: str = ""
    offline: bool = False  # decided from the scanner kit, not by the API

    @classmethod
    def of(cls, answer: CheckInPublic) -> CheckView:
        at = answer.checked_in_at
        return cls(
            result=answer.result.value,
            headline=HEADLINES[answer.result],
            reason=answer.reason or "",
            used_at=at.isoformat() if at else "",
            used_label=when(at) if at else "",
            # (no ticket for a code that is not one of ours: no seat either)
            seat_label=seat_label(answer.section, answer.row, answer.seat)
            if answer.ticket_id
            else "",
            event_name=answer.event.name if answer.event else "",
        )


def _offline(result: CheckInResult, reason: str = "", at: str = "") -> CheckView:
    moment = datetime.fromisoformat(at) if at else None
    return CheckView(
        result=result.value,
        headline=HEADLINES[result],
        reason=reason,
        used_at=at,
        used_label=when(moment) if moment else "",
        # The code names its ticket, not its seat: only the API knows that.
        seat_label="Seat not known offline",
        offline=True,
    )


def not_this_event(code: str, event_id: str) -> CheckView | None:
    """A code of another event is refused at this event's door, whichever events the
    scanner may scan (the API would admit a code of any of them)."""
    payload = payload_of(code)
    if payload is None or payload.e == event_id:
        return None
    result = CheckInResult.NOT_VALID
    return CheckView(result=result.value, headline=HEADLINES[result],
                     reason="A ticket for another event")  # fmt: skip


@dataclass(frozen=True)
class OfflineCheck:
    view: CheckView
    admitted: CodePayload | None = None  # the code to remember as used, and queue


def check_offline(
    code: str,
    *,
    event_id: str,
    public_key: str,
    revoked: Collection[str],
    used: Mapping[str, str],
    now: datetime,
) -> OfflineCheck:
    """The door's answer from the scanner kit of ``event_id`` alone: genuine (the event's
    key signed it), of this event, not revoked, not used (``used``: code id → when, ISO,
    or "" for a use the kit told without its time)."""
    try:
        payload = verify(code, public_key)
    except Unreadable as exc:
        why = str(exc)
        return OfflineCheck(_offline(CheckInResult.NOT_VALID, why[:1].upper() + why[1:]))
    if payload.e != event_id:
        return OfflineCheck(_offline(CheckInResult.NOT_VALID, "A ticket for another event"))
    if payload.c in revoked:
        reason = "Replaced by a newer code, or the ticket is for sale or void"
        return OfflineCheck(_offline(CheckInResult.NOT_VALID, reason))
    if payload.c in used:
        return OfflineCheck(_offline(CheckInResult.ALREADY_USED, at=used[payload.c]))
    return OfflineCheck(_offline(CheckInResult.ADMITTED, at=now.isoformat()), payload)
