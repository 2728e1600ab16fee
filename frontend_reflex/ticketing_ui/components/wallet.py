"""The wallet on My tickets: a ticket I hold with its door code (QR), print, give to a
friend and sell again; and the tickets friends give me."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui.components.layout import error_text, split_row
from ticketing_ui.components.money import fee_quote
from ticketing_ui.components.tickets import status_badge
from ticketing_ui.components.widgets import local_time
from ticketing_ui.state.fees import FeeQuoteState
from ticketing_ui.state.orders import ListingsState
from ticketing_ui.state.wallet import WalletState


def qr_image(card: Any, **props: Any) -> rx.Component:  # a WalletCard Var
    return rx.image(src=card.qr_src, alt="Door code of " + card.ticket.title,
                    data_testid="ticket-qr", **props)  # fmt: skip


def code_panel(card: Any) -> rx.Component:
    """The QR code, or why none shows (for sale, void…)."""
    return rx.cond(
        card.qr_src != "",
        qr_image(card, class_name=rx.cond(card.used_at != "", "qr-code qr-used", "qr-code")),
        rx.center(rx.text(card.hidden, size="2", color_scheme="gray", align="center"),
                  class_name="qr-code qr-hidden", data_testid="code-hidden"),
    )  # fmt: skip


def used_line(used_at: Any, used_label: Any) -> rx.Component:
    return rx.cond(
        used_at != "",
        rx.badge("Used at the door ", local_time(used_at, used_label), color_scheme="gray",
                 size="2", data_testid="code-used"),
    )  # fmt: skip


def relist_control(ticket: Any) -> rx.Component:  # a TicketView Var
    """Sell a ticket I bought again, at the list price it was sold at (what its buyer paid
    had the buyer fee on top)."""
    return rx.cond(
        ListingsState.relist_id == ticket.id,
        rx.form(
            rx.hstack(
                rx.input(name="price", placeholder="Price ($)", inputmode="decimal",
                         aria_label="Resale price", size="2",
                         default_value=ticket.list_price_typed,
                         on_change=FeeQuoteState.price_typed.debounce(300),
                         data_testid="relist-price"),
                rx.button("List again", type="submit", size="2"),
                rx.button("Cancel", type="button", variant="ghost", size="2",
                          on_click=ListingsState.cancel_relist),
                wrap="wrap",
            ),
            fee_quote(),
            error_text(ListingsState.relist_error),
            on_submit=ListingsState.relist,
        ),
        rx.button("Sell it again", size="2", variant="soft",
                  on_click=ListingsState.start_relist(ticket.id), data_testid="relist"),
    )  # fmt: skip


def give_control(card: Any) -> rx.Component:
    """Give the ticket to a friend by e-mail; a transfer waiting for them can be taken back."""
    can_give = (card.qr_src != "") & (card.used_at == "")
    return rx.cond(
        card.transfer_id != "",
        rx.hstack(
            rx.text("Waiting for ", rx.text.strong(card.transfer_to), " to accept it",
                    size="2", data_testid="transfer-pending"),
            rx.button("Cancel", size="1", variant="soft", color_scheme="gray",
                      on_click=WalletState.cancel_transfer(card.transfer_id),
                      data_testid="cancel-transfer"),
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            WalletState.giving_id == card.ticket.id,
            rx.form(
                rx.hstack(
                    rx.input(name="email", type="email", placeholder="Your friend's e-mail",
                             aria_label="Friend's e-mail", size="2", required=True,
                             data_testid="give-email"),
                    rx.button("Give", type="submit", size="2", data_testid="give-submit"),
                    rx.button("Cancel", type="button", variant="ghost", size="2",
                              on_click=WalletState.cancel_give),
                    wrap="wrap",
                ),
                error_text(WalletState.give_error, data_testid="give-error"),
                on_submit=WalletState.give,
            ),
            rx.cond(
                can_give,
                rx.button("Give to a friend", size="2", variant="soft",
                          on_click=WalletState.start_give(card.ticket.id), data_testid="give"),
            ),
        ),
    )  # fmt: skip


def wallet_card(card: Any) -> rx.Component:  # a WalletCard Var
    ticket = card.ticket
    return rx.card(
        rx.flex(
            code_panel(card),
            rx.vstack(
                split_row(
                    rx.link(rx.text(ticket.title, weight="bold"), href="/tickets/" + ticket.id),
                    rx.hstack(rx.text(ticket.price_label, weight="bold"),
                              status_badge(ticket, ListingsState.server_now_ms), align="center"),
                ),
                rx.text(ticket.event_name, " · ", local_time(ticket.starts_at, ticket.starts_label),
                        color_scheme="gray", size="2", data_testid="wallet-event"),
                rx.text(ticket.place_label, color_scheme="gray", size="2"),
                rx.text(ticket.seat_label, weight="medium", data_testid="wallet-seat"),
                used_line(card.used_at, card.used_label),
                rx.hstack(
                    rx.cond(card.qr_src != "",
                            rx.link(rx.button(rx.icon("printer", size=14), "Print", size="2",
                                              variant="soft"),
                                    href="/tickets/" + ticket.id + "/code",
                                    data_testid="print-link")),
                    # (a ticket used at the door, or promised to a friend, isn't sold again)
                    rx.cond((card.transfer_id == "") & (card.used_at == ""),
                            relist_control(ticket)),
                    wrap="wrap",
                    align="center",
                ),
                give_control(card),
                spacing="2",
                flex="1",
                min_width="16rem",
            ),
            spacing="4",
            wrap="wrap",
        ),
        width="100%",
        data_testid="owned-row",
        custom_attrs={"data-ticket-id": ticket.id},
    )  # fmt: skip


def incoming_row(transfer: Any) -> rx.Component:  # an IncomingTransfer Var
    ticket = transfer.ticket
    return rx.card(
        split_row(
            rx.vstack(
                rx.text(ticket.title, weight="bold"),
                rx.text(ticket.event_name, " · ", local_time(ticket.starts_at, ticket.starts_label),
                        color_scheme="gray", size="2"),
                rx.text(ticket.seat_label, size="2"),
                rx.text("Offered on ", transfer.sent_label, color_scheme="gray", size="1"),
                spacing="1",
            ),
            rx.hstack(
                rx.button("Accept", size="2", on_click=WalletState.accept(transfer.id),
                          data_testid="accept-transfer"),
                rx.button("Decline", size="2", variant="soft", color_scheme="gray",
                          on_click=WalletState.decline(transfer.id),
                          data_testid="decline-transfer"),
            ),
        ),
        width="100%",
        data_testid="incoming-transfer",
    )  # fmt: skip


def incoming_transfers() -> rx.Component:
    return rx.cond(
        WalletState.incoming.length() > 0,
        rx.vstack(
            rx.heading("Tickets given to me", size="5"),
            rx.foreach(WalletState.incoming, incoming_row),
            width="100%",
        ),
    )
