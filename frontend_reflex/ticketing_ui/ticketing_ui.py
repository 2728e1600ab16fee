"""The Ticketing web app: every page of the route table (``ticketing_ui.routes``)."""

from __future__ import annotations

import reflex as rx

from ticketing_ui.routes import PAGES
from ticketing_ui.state.live import LiveState
from ticketing_ui.web_session import SessionCookies

app = rx.App(
    stylesheets=["/styles.css"],
    head_components=[rx.el.meta(name="viewport", content="width=device-width, initial-scale=1")],
    # The HttpOnly session cookie, and sign-in's switch to a new session id.
    api_transformer=SessionCookies,
)

for page in PAGES:
    following = [LiveState.follow] if page.live else []
    app.add_page(
        page.component, route=page.route, title=page.title, on_load=[*page.on_load, *following]
    )
