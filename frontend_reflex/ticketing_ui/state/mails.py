"""``/dev/mails`` (development only): the mails the marketplace sent, newest first, and
one of them as its recipient would read it."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from ticketing_ui.mail_sink import MailSinkError, SentMail, sent_mails
from ticketing_ui.models import when
from ticketing_ui.settings import ui_settings
from ticketing_ui.state.session import SessionState


@dataclass
class MailView:
    id: int = 0
    sender: str = ""
    to_label: str = ""
    subject: str = ""
    received_at: str = ""  # ISO-8601, shown in the browser's time zone
    received_label: str = ""
    html: str = ""
    text: str = ""

    @classmethod
    def of(cls, mail: SentMail) -> MailView:
        return cls(
            id=mail.id,
            sender=mail.sender,
            to_label=", ".join(mail.to),
            subject=mail.subject or "(no subject)",
            received_at=mail.received_at.isoformat(),
            received_label=when(mail.received_at),
            html=mail.html or "",
            text=mail.text or "",
        )


class MailsState(SessionState):
    shown: bool = False  # the web app knows a mail sink (MAIL_SINK_URL)
    mails: list[MailView] = []
    selected: MailView = MailView()
    loading: bool = True
    error: str = ""

    @rx.event
    async def load(self) -> None:
        await self.refresh_session()
        sink = ui_settings().mail_sink_url
        self.shown, self.error = bool(sink), ""
        if not sink:
            self.mails, self.selected, self.loading = [], MailView(), False
            return
        self.loading = True
        try:
            self.mails = [MailView.of(mail) for mail in await sent_mails(sink)]
        except MailSinkError as exc:
            self.error = str(exc)
            return
        finally:
            self.loading = False
        current = next((mail for mail in self.mails if mail.id == self.selected.id), None)
        self.selected = current or (self.mails[0] if self.mails else MailView())

    @rx.event
    def select(self, mail_id: int) -> None:
        self.selected = next((mail for mail in self.mails if mail.id == mail_id), self.selected)
