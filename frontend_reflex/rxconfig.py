"""Reflex configuration of the Ticketing web app (run from this folder)."""

import reflex as rx

config = rx.Config(
    app_name="ticketing_ui",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="iris", gray_color="slate", radius="large")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
