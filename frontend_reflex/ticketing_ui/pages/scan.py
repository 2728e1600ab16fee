"""``/scan`` and ``/scan/<event id>``: the door scanner — the camera or a typed (pasted, or
a USB scanner's) code, the answer big, and the check-ins waiting to sync."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.components.layout import error_text, form_error, loading_or, page
from ticketing_ui.components.widgets import local_time, qr_scanner
from ticketing_ui.state.scan import ScanState

CHECK = ScanState.check


def choose_event() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="eventId", id="eventId", placeholder="Event id", size="3",
                     aria_label="Event id", default_value=ScanState.event_id,
                     required=True, width="22rem"),
            rx.button("Open the door", type="submit", size="3"),
            wrap="wrap",
        ),
        on_submit=ScanState.choose_event,
    )  # fmt: skip


def event_header() -> rx.Component:
    event = ScanState.event
    return rx.vstack(
        rx.heading(rx.cond(event.name != "", event.name, "Event " + ScanState.event_id),
                   size="6", data_testid="scan-event"),
        rx.cond(event.name != "",
                rx.text(local_time(event.starts_at, event.starts_label), " · ",
                        event.place_label, color_scheme="gray")),
        rx.cond(
            ScanState.kit_ready,
            rx.text(ScanState.kit_label, " (as of ", local_time(ScanState.kit_as_of, ""), ")",
                    size="2", color_scheme="gray", data_testid="kit-status",
                    custom_attrs={"data-kit": "ready"}),
            rx.text("No scanner kit: codes can't be checked while the marketplace is away.",
                    size="2", color_scheme="amber", data_testid="kit-status",
                    custom_attrs={"data-kit": "missing"}),
        ),
        spacing="1",
    )  # fmt: skip


def code_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="code", id="code", placeholder="Type or paste a code (TKT1…)",
                     aria_label="Ticket code", size="3", auto_focus=True, auto_complete="off",
                     spell_check=False, width="100%", data_testid="code-input"),
            rx.button("Check", type="submit", size="3", data_testid="check-submit"),
            width="100%",
        ),
        reset_on_submit=True,
        on_submit=ScanState.check_typed,
        width="100%",
    )  # fmt: skip


def result() -> rx.Component:
    """The answer for the last code, big: green, amber or red."""
    return rx.cond(
        CHECK.result != "",
        rx.vstack(
            rx.text(CHECK.headline, class_name="check-headline", data_testid="check-headline"),
            rx.match(
                CHECK.result,
                ("already_used", rx.cond(
                    CHECK.used_at != "",
                    rx.text("at ", local_time(CHECK.used_at, CHECK.used_label),
                            class_name="check-detail", data_testid="check-detail"),
                )),
                ("not_valid", rx.text(CHECK.reason, class_name="check-detail",
                                      data_testid="check-detail")),
                rx.fragment(),
            ),
            rx.cond(CHECK.seat_label != "",
                    rx.text(CHECK.seat_label, class_name="check-seat", data_testid="check-seat")),
            rx.cond(CHECK.offline,
                    rx.text("Checked offline, with the scanner kit", class_name="check-note",
                            data_testid="check-offline")),
            align="center",
            spacing="2",
            class_name="check-result",
            custom_attrs={"data-result": CHECK.result},
            data_testid="check-result",
        ),
        rx.center(rx.text("Scan or type a code", size="4", color_scheme="gray"),
                  class_name="check-result", custom_attrs={"data-result": "none"}),
    )  # fmt: skip


def scanner() -> rx.Component:
    return rx.vstack(
        event_header(),
        rx.grid(
            rx.vstack(
                qr_scanner(on_scan=ScanState.check_scanned),
                code_form(),
                error_text(ScanState.check_error, data_testid="check-error"),
                width="100%",
                spacing="3",
            ),
            result(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="5",
            width="100%",
        ),
        rx.cond(ScanState.offline,
                rx.callout("The marketplace can't be reached: codes are checked with the "
                           "scanner kit, and check-ins are sent when it is back.",
                           icon="wifi-off", color_scheme="amber", data_testid="offline")),
        rx.cond(ScanState.waiting > 0,
                rx.callout(ScanState.waiting_label, icon="cloud-off",
                           color_scheme="amber", data_testid="sync-waiting")),
        rx.cond(ScanState.sync_note != "",
                rx.text(ScanState.sync_note, size="2", color_scheme="gray",
                        data_testid="sync-note")),
        spacing="4",
        width="100%",
    )  # fmt: skip


def scan_page() -> rx.Component:
    return page(
        loading_or(
            ScanState.loading,
            rx.cond(
                (ScanState.event_id == "") | (ScanState.error != ""),
                rx.vstack(form_error(ScanState.error),
                          rx.text("Which event's door? Its id is in its page's address "
                                  "(/events/<id>)."),
                          choose_event(), spacing="3"),
                scanner(),
            ),
        ),
        title="Door scanner",
    )  # fmt: skip
