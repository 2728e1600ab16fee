"""Reflex configuration of the Ticketing web app (run from this folder)."""

import os

import reflex as rx

# The only origin whose pages may call this app: CORS, and the Origin of a handshake on
# Reflex's `/_event` socket (any other origin is refused: no cross-site socket hijacking).
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:8000").rstrip("/")

config = rx.Config(
    app_name="ticketing_ui",
    cors_allowed_origins=[PUBLIC_URL],
    # Always behind one proxy (the ingress, or the local runner's gateway), which sets
    # X-Forwarded-For: the browser's address is its last entry. The app passes it on to
    # the API for the per-address limits (ticketing_ui.api).
    trusted_proxy_hops=1,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="iris", gray_color="slate", radius="large")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
