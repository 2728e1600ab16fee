"""The browser-side React components: the lock countdown, the Stripe card form, local
times and the door's QR code scanner."""

from __future__ import annotations

from typing import Any

import reflex as rx


def _library(file: str) -> str:
    # Copied next to the compiled app; ``$/public`` is where Reflex serves shared assets.
    return "$/public" + rx.asset(file, shared=True)


class Countdown(rx.Component):
    """``m:ss`` left until ``deadline_ms`` (server epoch ms), ticking in the browser."""

    library = _library("countdown.jsx")
    tag = "Countdown"

    deadline_ms: rx.Var[int]
    server_now_ms: rx.Var[int]
    expired_text: rx.Var[str]


class CardForm(rx.Component):
    """Stripe.js card entry (localstripe's emulation locally) with its pay button."""

    library = _library("card_form.jsx")
    tag = "CardForm"

    stripe_js_url: rx.Var[str]
    publishable_key: rx.Var[str]
    client_secret: rx.Var[str]
    action_secret: rx.Var[str]
    pay_label: rx.Var[str]
    disabled: rx.Var[bool]

    on_payment_method: rx.EventHandler[lambda method: [method]]
    on_card_error: rx.EventHandler[lambda message: [message]]
    on_action_done: rx.EventHandler[lambda ok, message: [ok, message]]


class LocalTime(rx.Component):
    """An ISO-8601 moment shown in the browser's time zone and locale."""

    library = _library("local_time.jsx")
    tag = "LocalTime"

    iso: rx.Var[str]
    fallback: rx.Var[str]


class QrScanner(rx.Component):
    """A QR code scanner on the device's camera (ZXing's ``@zxing/browser``), started and
    stopped by its own button; says so when there is no camera."""

    library = _library("qr_scanner.jsx")
    tag = "QrScanner"
    # Installed with the app's npm packages (the .jsx imports it when the camera starts).
    lib_dependencies: list[str] = ["@zxing/browser@0.2.1", "@zxing/library@0.23.0"]

    start_label: rx.Var[str]
    stop_label: rx.Var[str]

    on_scan: rx.EventHandler[lambda text: [text]]


def local_time(iso: Any, fallback: Any) -> rx.Component:
    return LocalTime.create(iso=iso, fallback=fallback)


def countdown(deadline_ms: Any, server_now_ms: Any, **props: Any) -> rx.Component:
    return Countdown.create(deadline_ms=deadline_ms, server_now_ms=server_now_ms, **props)


def card_form(**props: Any) -> rx.Component:
    return CardForm.create(**props)


def qr_scanner(**props: Any) -> rx.Component:
    return QrScanner.create(**props)
