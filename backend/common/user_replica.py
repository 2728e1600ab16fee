"""A service's local copy of users' names, roles and e-mail, kept from UserCreated/UserUpdated."""

from __future__ import annotations

from collections.abc import Iterable

from beanie import Document

from backend.common.facts import UserCreated, UserUpdated
from wire.values import Role


class UserReplica(Document):
    """``id`` is the user id as a string; applied only when the version is newer."""

    id: str  # type: ignore[assignment]
    display_name: str
    version: int
    roles: list[str] = []
    email: str = ""  # where the payments service sends receipts and notices

    class Settings:
        name = "user_replicas"


async def on_user_fact(fact: UserCreated | UserUpdated) -> None:
    """Idempotent: a duplicate or older version changes nothing."""
    fields = {
        "display_name": fact.display_name,
        "version": fact.version,
        "roles": fact.roles,
        "email": fact.email,
    }
    collection = UserReplica.get_pymongo_collection()
    # Newer than what we have: overwrite. Unknown user: insert. Otherwise: nothing.
    await collection.update_one(
        {"_id": fact.user_id, "version": {"$lt": fact.version}}, {"$set": fields}
    )
    await collection.update_one({"_id": fact.user_id}, {"$setOnInsert": fields}, upsert=True)


async def has_role(user_id: str, role: Role) -> bool:
    """As far as this service has heard (a grant reaches it within moments)."""
    user = await UserReplica.get(user_id)
    return user is not None and role.value in user.roles


async def display_names(user_ids: Iterable[str]) -> dict[str, str]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    found = await UserReplica.find({"_id": {"$in": ids}}).to_list()
    return {user.id: user.display_name for user in found}
