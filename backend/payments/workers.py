"""The payments service's background work: refunds, payouts and mail, each a loop that
runs a round every ``MONEY_POLL_SECONDS`` or at once when woken (by the fact that made
work for it). They run in the payments service (``MONEY_WORKERS``), or on their own:
``python -m backend.payments.worker``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from backend.payments.mail import Mailer
from backend.payments.payouts import Payouts
from backend.payments.refunds import Refunds

log = structlog.get_logger(__name__)


class Loop:
    """A round of work now and then, or at once when woken."""

    def __init__(self, name: str, round_: Callable[[], Awaitable[int]], every_s: float) -> None:
        self.name = name
        self.round = round_  # one round now: how many things it did
        self.every_s = every_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                done = await self.round()
                if done:
                    log.info(f"{self.name}.round", done=done)
            except Exception:  # a failed round (Redis, MongoDB down) must not end them all
                log.exception(f"{self.name}.round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.every_s)


class MoneyWorkers:
    def __init__(self, refunds: Refunds, payouts: Payouts, mailer: Mailer, every_s: float) -> None:
        self.refunds = Loop("refunds", refunds.run_once, every_s)
        self.payouts = Loop("payouts", payouts.run_once, every_s)
        self.mail = Loop("mail", mailer.send_queued, every_s)

    def loops(self) -> dict[str, Callable[[], Awaitable[None]]]:
        return {loop.name: loop.run for loop in (self.refunds, self.payouts, self.mail)}

    def wake(self, name: str) -> None:
        {loop.name: loop for loop in (self.refunds, self.payouts, self.mail)}[name].wake()
