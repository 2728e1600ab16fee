"""Grant or take away a user's role — the operator's command, never an API:

    python -m backend.auth.roles grant operator alice@example.com
    python -m backend.auth.roles revoke operator alice@example.com

Reads the same settings as the auth service (``MONGO_URL``, ``REDIS_URL``, ``NAMESPACE``…).
The change is committed with its ``UserUpdated`` fact, which this command publishes
before it exits (a running auth service's outbox relay would too); the other services
learn the role from it within moments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from backend.auth.models import User
from backend.auth.service import set_role
from backend.common.errors import AppError
from backend.common.runtime import open_runtime
from backend.common.settings import Settings
from wire.values import Role


async def run(action: str, role: Role, email: str, settings: Settings) -> str:
    async with open_runtime("auth", settings, [User]) as runtime:
        user = await set_role(email=email, role=role, granted=action == "grant", uow=runtime.uow)
        await runtime.relay.flush()
    return f"{user.email}: roles {', '.join(user.roles) or '(none)'}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["grant", "revoke"])
    parser.add_argument("role", choices=[role.value for role in Role])
    parser.add_argument("email")
    args = parser.parse_args(argv)
    try:
        print(asyncio.run(run(args.action, Role(args.role), args.email, Settings())))
    except AppError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
