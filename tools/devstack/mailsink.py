"""A local SMTP sink: accepts every message, keeps it in memory, and shows it over HTTP.

For the local run and the tests only; nothing is delivered and nothing is kept.
``python -m tools.devstack.mailsink --host 127.0.0.1 --smtp-port 8025 --http-port 8026``

HTTP: ``GET /messages`` (oldest first; ``?to=<address>`` keeps those sent to it),
``GET /messages/{id}`` and ``DELETE /messages``.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

type Mail = dict[str, Any]


class MailSinkHandler:
    """An aiosmtpd handler that keeps every message it is given, parsed."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self._next_id = 1

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)  # what policy.default parses into
        self.messages.append(
            {
                "id": self._next_id,
                "messageId": message["Message-ID"],
                "from": str(message["From"] or envelope.mail_from),
                "to": list(envelope.rcpt_tos),  # the envelope's: Bcc included
                "subject": message["Subject"],
                "text": _body(message, "plain"),
                "html": _body(message, "html"),
                "receivedAt": datetime.now(UTC).isoformat(),
            }
        )
        self._next_id += 1
        return "250 Message accepted for delivery"

    def sent_to(self, address: str | None = None) -> list[Mail]:
        """The messages (oldest first), only those sent to ``address`` if given."""
        if address is None:
            return list(self.messages)
        wanted = address.lower()
        return [mail for mail in self.messages if wanted in (to.lower() for to in mail["to"])]


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    # The SMTP wire's CRLF line ends, as the sender wrote them.
    return None if part is None else str(part.get_content()).replace("\r\n", "\n")


def create_app(handler: MailSinkHandler) -> Starlette:
    async def list_messages(request: Request) -> Response:
        return JSONResponse({"messages": handler.sent_to(request.query_params.get("to"))})

    async def get_message(request: Request) -> Response:
        wanted = request.path_params["id"]
        for mail in handler.messages:
            if mail["id"] == wanted:
                return JSONResponse(mail)
        return JSONResponse({"error": f"no message {wanted}"}, status_code=404)

    async def clear_messages(_: Request) -> Response:
        handler.messages.clear()
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/messages", list_messages, methods=["GET"]),
            Route("/messages", clear_messages, methods=["DELETE"]),
            Route("/messages/{id:int}", get_message, methods=["GET"]),
        ]
    )


async def start_smtp(handler: MailSinkHandler, host: str, port: int) -> asyncio.Server:
    """The SMTP side, listening in the running event loop."""
    loop = asyncio.get_running_loop()
    # A fixed hostname: the default looks up this machine's FQDN, slow without DNS.
    return await loop.create_server(lambda: SMTP(handler, hostname="mailsink"), host, port)


async def serve(host: str, smtp_port: int, http_port: int) -> None:
    import uvicorn

    handler = MailSinkHandler()
    smtp = await start_smtp(handler, host, smtp_port)
    config = uvicorn.Config(create_app(handler), host=host, port=http_port, log_level="warning")
    try:
        await uvicorn.Server(config).serve()
    finally:
        smtp.close()
        await smtp.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--http-port", type=int, default=8026)
    args = parser.parse_args()
    print(f"Mail sink: SMTP on {args.host}:{args.smtp_port}, HTTP on :{args.http_port}", flush=True)
    asyncio.run(serve(args.host, args.smtp_port, args.http_port))


if __name__ == "__main__":
    main()
