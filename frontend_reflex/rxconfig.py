"""Reflex configuration of the Ticketing web app (run from this folder)."""

import os

import reflex as rx

# The only origin whose pages may call this app: CORS, and the Origin of a handshake on
# Reflex's `/_event` socket (any other origin is refused: no cross-site socket hijacking).
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:8000").rstrip("/")

config = rx.Config(
    app_name="ticketing_ui",
    cors_allowed_origins=[PUBLIC_URL],
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="iris", gray_color="slate", radius="large")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
