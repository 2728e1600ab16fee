"""A WebSocket client of the live API for tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class LiveClient:
    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.seen: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, base_url: str, *, token: str | None = None, query: str = "") -> LiveClient:
        url = "ws" + base_url.removeprefix("http") + "/api/live" + (f"?{query}" if query else "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return cls(await connect(url, additional_headers=headers, max_size=None))

    async def send(self, **body: Any) -> None:
        await self.conn.send(json.dumps(body))

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.conn.recv(), timeout))
        self.seen.append(message)
        return message

    async def until(self, type_: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The next message of this type (and these fields), skipping others."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {type_} {match} within {timeout}s; saw {self.seen[-5:]}")
            message = await self.next(left)
            if message.get("type") == type_ and all(message.get(k) == v for k, v in match.items()):
                return message

    async def subscribe(self, *topics: str, since: int | None = None) -> None:
        body: dict[str, Any] = {"op": "subscribe", "topics": list(topics)}
        if since is not None:
            body["since"] = since
        await self.send(**body)

    async def close(self) -> None:
        await self.conn.close()
