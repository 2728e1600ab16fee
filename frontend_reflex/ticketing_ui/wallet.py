"""The wallet as the pages show it: each ticket I hold with its door code (the API's QR
code), whether it was used at the door, a transfer of it waiting for its recipient, and
transfers to me (``GET /api/tickets/{id}/code``, ``GET /api/transfers``)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field, replace

from ticketing_ui.models import TicketView, when
from wire.codes import TicketCodePublic, TransferPublic, TransferStatus

FOR_SALE = ("available", "locked")
HIDDEN_WHILE_FOR_SALE = "Code hidden while for sale"


SVG_TAG = re.compile(r"<svg\b([^>]*)>")
SIZE = re.compile(r'\b(width|height)="([\d.]+)"')


def standalone_svg(svg: str) -> str:
    """The API's SVG (HTML's inline kind: no namespace, a fixed size) as an SVG document,
    which an ``<img>`` shows, scaled to any size."""
    tag = SVG_TAG.search(svg)
    if tag is None:
        return svg
    attributes, added = tag.group(1), ""
    if "xmlns=" not in attributes:
        added += ' xmlns="http://www.w3.org/2000/svg"'
    size = dict(SIZE.findall(attributes))
    if "viewBox=" not in attributes and {"width", "height"} <= size.keys():
        added += f' viewBox="0 0 {size["width"]} {size["height"]}"'
    return f"{svg[: tag.start()]}<svg{added}{attributes}>{svg[tag.end() :]}"


def qr_source(svg: str) -> str:
    """The API's SVG as an image source: shown as an ``<img>``, never as markup in the page."""
    document = standalone_svg(svg).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(document).decode("ascii")


@dataclass
class WalletCard:
    """A ticket I hold, and its door code (or why it shows none)."""

    ticket: TicketView = field(default_factory=TicketView)
    code: str = ""
    qr_src: str = ""  # the QR code (the API's SVG) as a data: URL; "" when none shows
    serial: int = 0
    used_at: str = ""  # ISO-8601, once it was checked in at the door
    used_label: str = ""
    hidden: str = ""  # why no code shows ("Code hidden while for sale", the API's 409)
    transfer_id: str = ""  # a transfer of it waiting for its recipient…
    transfer_to: str = ""  # …and who that is

    def with_code(self, code: TicketCodePublic) -> WalletCard:
        used = code.checked_in_at
        return replace(
            self,
            code=code.code,
            qr_src=qr_source(code.svg),
            serial=code.serial,
            used_at=used.isoformat() if used else "",
            used_label=when(used) if used else "",
            hidden="",
        )

    def without_code(self, why: str) -> WalletCard:
        hidden = HIDDEN_WHILE_FOR_SALE if self.ticket.status in FOR_SALE else why
        return replace(self, code="", qr_src="", serial=0, used_at="", used_label="", hidden=hidden)


def pending_by_ticket(transfers: list[TransferPublic]) -> dict[str, TransferPublic]:
    """The transfers still waiting for their recipient, by ticket."""
    return {t.ticket_id: t for t in transfers if t.status is TransferStatus.PENDING}


@dataclass
class IncomingTransfer:
    """A ticket someone gives me, waiting for me to accept or decline it."""

    id: str = ""
    ticket: TicketView = field(default_factory=TicketView)
    sent_label: str = ""

    @classmethod
    def of(cls, transfer: TransferPublic, ticket: TicketView | None) -> IncomingTransfer:
        shown = ticket or TicketView(id=transfer.ticket_id, title="A ticket")
        return cls(id=transfer.id, ticket=shown, sent_label=when(transfer.created_at))
