"""One live connection per browser tab, feeding the page the tab shows.

A background task follows ``/api/live`` (the market, plus the user's own orders when
signed in) for as long as the tab is connected, and hands each message to the state of
the page on screen, whose view then updates without a reload.
"""

from __future__ import annotations

import logging
from contextlib import aclosing
from typing import Any

import reflex as rx
from reflex.utils import prerequisites

from ticketing_ui import live
from ticketing_ui.routes import page_for
from ticketing_ui.state.session import SessionState, take_live_restart
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


class LiveState(SessionState):
    @rx.event
    async def follow(self) -> Any:
        """Started by every page; a tab runs at most one follower."""
        if self.router.session.client_token in _followed:
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

                topics = ["tickets", "me"] if token else ["tickets"]
                async with aclosing(live.follow(topics, token, keep_going)) as messages:
                    async for message in messages:
                        async with self:
                            await self._dispatch(message)
        except Exception:
            log.exception("live follower of tab %s failed", client_token)
        finally:
            _followed.discard(client_token)

    async def _dispatch(self, message: AnyFrame) -> None:
        page = page_for(self.router.url.path)
        if page is not None and page.live is not None:
            state = await self.get_state(page.live)
            await state.apply_live(message)  # type: ignore[attr-defined]
