"""The door scanner (``/scan``, ``/scan/<event id>``): each code is checked by the API
(``POST /api/checkins``). When the API can't be reached the scanner goes offline: codes are
checked with the scanner kit read on opening (``ticketing_ui.door``) at once, without
waiting for the API each time; offline admissions are remembered as used and queued, and a
background task sends the queue, and brings the scanner back online, once the API answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.door import UNREACHABLE, CheckView, check_offline, not_this_event, payload_of
from ticketing_ui.models import EventView
from ticketing_ui.state.session import SessionState
from ticketing_ui.state.ticket import path_id
from wire.codes import CheckInPublic, CheckInResult, ScannerKit
from wire.events import EventPublic

API_WAIT_S = 4.0  # how long the door waits for the API before checking with the kit
SYNC_EVERY_S = 5.0  # how often an offline scanner tries the API again
# Tabs whose queue a task of this process is sending (not in the state, which may be in
# Redis: a flag there would outlive a process that died mid-sync and block every retry).
_syncing: set[str] = set()


def event_id_of(path: str) -> str:
    return path_id(path, "/scan/") if path.rstrip("/").startswith("/scan/") else ""


def synced_note(answers: Sequence[CheckInPublic | None]) -> str:
    """What sending the queue came to: "2 check-ins synced; 1 had already been checked
    in" (at another door, or by a request that timed out here but reached the API)."""
    noun = "check-in" if len(answers) == 1 else "check-ins"
    note = f"{len(answers)} {noun} synced"
    used = sum(1 for a in answers if a and a.result is CheckInResult.ALREADY_USED)
    refused = sum(1 for a in answers if a is None or a.result is CheckInResult.NOT_VALID)
    if used:
        note += f"; {used} had already been checked in"
    if refused:
        note += f"; {refused} turned out not valid"
    return note


async def send_queue(queue: list[str], token: str) -> tuple[list[tuple[str, Any]], bool]:
    """Each queued code sent in turn with the API's answer (None: refused outright, as for
    a scanner who lost the right), until the API can't be reached; and whether it could."""
    sent: list[tuple[str, CheckInPublic | None]] = []
    for code in queue:
        try:
            answer: CheckInPublic | None = await api.call(
                CheckInPublic, "POST", "/api/checkins", token=token, json={"code": code},
                wait_s=API_WAIT_S,
            )  # fmt: skip
        except api.ApiError as exc:
            if exc.status in UNREACHABLE:
                return sent, False
            answer = None
        sent.append((code, answer))
    return sent, True


async def fetch_kit(event_id: str, token: str) -> ScannerKit | None:
    """The event's scanner kit; None when the API can't be reached (``ApiError`` when it
    refuses: not a scanner of this event, no such event)."""
    try:
        return await api.call(
            ScannerKit, "GET", f"/api/events/{event_id}/scanner-kit", token=token,
            wait_s=API_WAIT_S,
        )  # fmt: skip
    except api.ApiError as exc:
        if exc.status in UNREACHABLE:
            return None
        raise


class ScanState(SessionState):
    event_id: str = ""
    event: EventView = EventView()
    loading: bool = True
    error: str = ""  # the event can't be scanned here (not a scanner of it, no such event)
    kit_ready: bool = False  # offline checks possible
    kit_as_of: str = ""  # ISO-8601
    kit_label: str = ""
    offline: bool = False  # the API didn't answer: codes are checked with the kit
    check: CheckView = CheckView()
    check_error: str = ""
    waiting: int = 0  # check-ins made offline, not yet sent
    waiting_label: str = ""  # "2 check-ins waiting to sync"
    sync_note: str = ""
    _public_key: str = ""
    _revoked: list[str] = []
    _used: dict[str, str] = {}  # code id -> when it was admitted (ISO; "" unknown)
    _queue: list[str] = []  # codes admitted offline, to send

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        if not self.signed_in:
            return self.redirect_to_sign_in()
        event_id = event_id_of(self.router.url.path)
        if event_id != self.event_id:  # another event: another kit, a blank result
            self.event, self.check = EventView(), CheckView()
            self._forget_kit()
        self.event_id, self.error, self.check_error = event_id, "", ""
        self.loading = True
        if event_id:
            await self._read_event()
            self.offline = not await self._read_kit()
        self.loading = False
        return ScanState.sync if self._queue or self.offline else None

    @rx.event
    def choose_event(self, form: dict[str, Any]) -> Any:
        event_id = str(form.get("eventId", "")).strip()
        return rx.redirect(f"/scan/{event_id}") if event_id else None

    def _forget_kit(self) -> None:
        self.kit_ready, self.kit_as_of, self.kit_label = False, "", ""
        self._public_key, self._revoked, self._used = "", [], {}

    async def _read_event(self) -> None:
        try:
            event = await api.call(
                EventPublic, "GET", f"/api/events/{self.event_id}", wait_s=API_WAIT_S
            )
        except api.ApiError as exc:
            if exc.status == 404:
                self.error = "No such event."
            return  # unreachable: the kit kept may still serve
        self.event = EventView.of(event)

    async def _read_kit(self) -> bool:
        """Reads the event's scanner kit (kept for the checks made while the API is away);
        False when the API can't be reached (the kit kept stays)."""
        try:
            kit = await fetch_kit(self.event_id, self._token)
        except api.ApiError as exc:
            self._forget_kit()
            self.error = self.error or exc.message
            return True
        if kit is not None:
            self._keep_kit(kit)
        return kit is not None

    def _keep_kit(self, kit: ScannerKit) -> None:
        self._public_key, self._revoked = kit.public_key, list(kit.revoked)
        # Times of the admissions made here are kept; the kit tells others without one.
        self._used = dict.fromkeys(kit.used, "") | self._used
        self.kit_ready, self.kit_as_of = True, kit.as_of.isoformat()
        used = "1 code" if len(kit.used) == 1 else f"{len(kit.used)} codes"
        self.kit_label = f"Offline checks ready: {used} used, {len(kit.revoked)} revoked"

    # -- checking a code ----------------------------------------------------------------

    @rx.event
    async def check_typed(self, form: dict[str, Any]) -> Any:
        return await self._check(str(form.get("code", "")))

    @rx.event
    async def check_scanned(self, code: str) -> Any:
        """A code the camera read."""
        return await self._check(code)

    async def _check(self, code: str) -> Any:
        code, self.check_error = code.strip(), ""
        if not code or not self.event_id or self.error:
            return None
        elsewhere = not_this_event(code, self.event_id)
        if elsewhere is not None:
            self.check = elsewhere
            return None
        if self.offline:  # the sync task tells when the API is back
            return self._check_offline(code)
        try:
            answer = await api.call(
                CheckInPublic, "POST", "/api/checkins", token=self._token,
                json={"code": code}, wait_s=API_WAIT_S,
            )  # fmt: skip
        except api.ApiError as exc:
            if exc.status not in UNREACHABLE:
                self.check, self.check_error = CheckView(), exc.message
                return None
            self.offline = True
            self._check_offline(code)
            return ScanState.sync
        self.check = CheckView.of(answer)
        payload = payload_of(code)
        if payload is not None and answer.result is not CheckInResult.NOT_VALID:
            self._used.setdefault(payload.c, self.check.used_at)
        return None

    def _check_offline(self, code: str) -> Any:
        if not self.kit_ready:
            self.check = CheckView()
            self.check_error = "The marketplace can't be reached, and no scanner kit was "
            self.check_error += "loaded to check codes without it."
            return None
        found = check_offline(
            code,
            event_id=self.event_id,
            public_key=self._public_key,
            revoked=self._revoked,
            used=self._used,
            now=datetime.now(UTC),
        )
        self.check = found.view
        if found.admitted is None:
            return None
        self._used[found.admitted.c] = found.view.used_at
        self._queue.append(code)
        self._count_waiting()
        return ScanState.sync

    def _count_waiting(self) -> None:
        self.waiting = len(self._queue)
        noun = "check-in" if self.waiting == 1 else "check-ins"
        self.waiting_label = f"{self.waiting} {noun} waiting to sync" if self.waiting else ""

    # -- back online: sending the check-ins made offline --------------------------------

    @rx.event(background=True)
    async def sync(self) -> None:
        """Every ``SYNC_EVERY_S`` while offline: sends the queued check-ins (or, with none,
        reads the kit again); once the API answers, the scanner is back online. Ends when
        the tab closes: the queue stays in the tab's state, sent on its next visit."""
        # (imported here: ``state.live`` reads the route table, which imports this page)
        from ticketing_ui.state.live import tab_connected

        client_token = self.router.session.client_token
        if client_token in _syncing:
            return
        _syncing.add(client_token)
        try:
            while tab_connected(client_token):
                async with self:
                    queue, token, event_id = list(self._queue), self._token, self.event_id
                    if not queue and not self.offline:
                        return
                sent, reached = await send_queue(queue, token)
                kit = None
                if reached and event_id:  # (with nothing to send, it tells whether the API
                    with contextlib.suppress(api.ApiError):  # answers)
                        kit = await fetch_kit(event_id, token)
                        reached = kit is not None
                async with self:
                    for code, _ in sent:
                        self._queue.remove(code)
                    self._count_waiting()
                    if sent:
                        self.sync_note = synced_note([answer for _, answer in sent])
                    if kit is not None and kit.event_id == self.event_id:
                        self._keep_kit(kit)  # what the other doors admitted meanwhile
                    self.offline = not reached
                    if reached and not self._queue:
                        return
                await asyncio.sleep(SYNC_EVERY_S)
        finally:
            _syncing.discard(client_token)
