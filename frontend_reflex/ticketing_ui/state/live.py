"""One live connection per browser tab, feeding the page the tab shows.

A background task follows ``/api/live`` for as long as the tab is connected — the topic
of the page on screen (``page_topics``: an event page its ``event:<id>``, the others the
whole market), plus the user's own orders when signed in — and hands each message to the
state of that page, whose view then updates without a reload.
"""

from __future__ import annotations

import logging
import re
from contextlib import aclosing
from typing import Any

import reflex as rx
from reflex.utils import prerequisites

from ticketing_ui import live
from ticketing_ui.routes import page_for
from ticketing_ui.state.session import SessionState, take_live_restart
from ticketing_ui.state.ticket import path_id
from wire.live import AnyFrame

log = logging.getLogger(__name__)


def tab_connected(client_token: str) -> bool:
    # The running app, looked up by Reflex's config (importing it here would be a cycle).
    app = prerequisites.get_app().app
    namespace = app.event_namespace
    return namespace is not None and client_token in namespace.token_to_sid


# Tabs with a follower in this process. Kept here, not in the (possibly Redis-backed)
# state: a follower dies with its process, and a flag in shared state would outlive it.
_followed: set[str] = set()
# The topics of the page each tab shows (set when a live page loads, read by its follower).
_page_topics: dict[str, list[str]] = {}

EVENT_PATH = re.compile(r"/events/[0-9a-f]{24}/?")


def page_topics(path: str) -> list[str]:
    """What the page at ``path`` follows: an event page only its event's topic (its
    listings and availability), every other page the whole market."""
    if EVENT_PATH.fullmatch(path or "/"):
        return [f"event:{path_id(path, '/events/')}"]
    return ["tickets"]


class LiveState(SessionState):
    @rx.event
    async def follow(self) -> Any:
        """Started by every live page; a tab runs at most one follower. Reflex cancels it
        with the rest of the page's ``on_load`` chain when the tab navigates, so the next
        page starts its own; one that outlives its page switches to the new page's topics."""
        client_token = self.router.session.client_token
        _page_topics[client_token] = page_topics(self.router.url.path)
        if client_token in _followed:
            return None
        return LiveState.run_follower

    @rx.event(background=True)
    async def run_follower(self) -> None:
        client_token = self.router.session.client_token
        if client_token in _followed:
            return
        _followed.add(client_token)
        try:
            while tab_connected(client_token):
                async with self:
                    token = self._token
                restart = False

                def keep_going() -> bool:
                    nonlocal restart
                    restart = restart or take_live_restart(client_token)
                    return not restart and tab_connected(client_token)

                def topics(signed_in: bool = bool(token)) -> list[str]:
                    page = _page_topics.get(client_token, ["tickets"])
                    return [*page, "me"] if signed_in else page

                async with aclosing(live.follow(topics, token, keep_going)) as messages:
                    async for message in messages:
                        async with self:
                            await self._dispatch(message)
        except Exception:
            log.exception("live follower of tab %s failed", client_token)
        finally:
            _followed.discard(client_token)
            _page_topics.pop(client_token, None)

    async def _dispatch(self, message: AnyFrame) -> None:
        page = page_for(self.router.url.path)
        if page is not None and page.live is not None:
            state = await self.get_state(page.live)
            await state.apply_live(message)  # type: ignore[attr-defined]
