"""``/dev/mails`` (development only): the mails the marketplace sent, as the local
runner's mail sink caught them."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.layout import form_error, loading_or, page
from ticketing_ui.components.widgets import local_time
from ticketing_ui.state.mails import MailsState

M = MailsState
SELECTED = MailsState.selected


def mail_row(mail: Any) -> rx.Component:  # a MailView Var
    chosen = SELECTED.id == mail.id
    return rx.button(
        rx.vstack(
            rx.text(mail.subject, weight="bold", size="2", data_testid="mail-subject"),
            rx.text("To ", mail.to_label, size="1", data_testid="mail-to"),
            rx.text(local_time(mail.received_at, mail.received_label), size="1",
                    color_scheme="gray"),
            spacing="0",
            align="start",
        ),
        type="button",
        variant=rx.cond(chosen, "soft", "surface"),
        color_scheme=rx.cond(chosen, "iris", "gray"),
        width="100%",
        height="auto",
        padding="0.5rem 0.75rem",
        style={"justify_content": "flex-start", "text_align": "left"},
        on_click=M.select(mail.id),
        data_testid="mail-row",
        custom_attrs={"data-mail-id": mail.id},
    )  # fmt: skip


def mail_detail() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(SELECTED.subject, size="4", data_testid="mail-detail-subject"),
            rx.text("From ", SELECTED.sender, " · to ", SELECTED.to_label, size="2",
                    color_scheme="gray"),
            rx.cond(
                SELECTED.html != "",
                # The mail's own HTML, in a sandbox: no scripts, no forms, no navigation of
                # this page, an origin of its own.
                rx.el.iframe(src_doc=SELECTED.html, sandbox="", title="The mail as HTML",
                             width="100%", height="520px",
                             style={"border": "1px solid var(--gray-a6)",
                                    "border_radius": "var(--radius-3)", "background": "white"},
                             data_testid="mail-html"),
            ),
            rx.cond(
                SELECTED.text != "",
                rx.box(
                    rx.text("Text version", weight="medium", size="2"),
                    rx.el.pre(SELECTED.text, data_testid="mail-text",
                              style={"white_space": "pre-wrap", "font_size": "13px"}),
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )  # fmt: skip


def mails() -> rx.Component:
    return rx.cond(
        M.mails.length() > 0,
        rx.grid(
            rx.vstack(rx.foreach(M.mails, mail_row), spacing="2", width="100%",
                      data_testid="mail-list"),
            mail_detail(),
            columns=rx.breakpoints(initial="1", md="320px 1fr"),
            spacing="4",
            width="100%",
        ),
        rx.text("No mail sent yet.", color_scheme="gray", data_testid="no-mail"),
    )  # fmt: skip


def mails_page() -> rx.Component:
    return page(
        rx.cond(
            M.shown,
            rx.vstack(
                rx.hstack(
                    rx.text("Sent by this local run, caught by its mail sink: nothing was "
                            "delivered.", color_scheme="gray"),
                    rx.button(rx.icon("refresh_cw", size=14), "Refresh", variant="soft",
                              size="2", on_click=M.load, data_testid="refresh-mails"),
                    justify="between",
                    align="center",
                    width="100%",
                    wrap="wrap",
                ),
                form_error(M.error),
                loading_or(M.loading, mails()),
                spacing="4",
                width="100%",
            ),
            rx.callout("Mail is not shown here: this server has no mail sink (MAIL_SINK_URL is "
                       "set only by the local run, ./scripts/dev).", icon="info",
                       data_testid="mails-off"),
        ),
        title="Mails (development)",
    )  # fmt: skip
