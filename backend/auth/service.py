"""Use cases of the auth service (no HTTP here)."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from backend.auth.models import User
from backend.auth.passwords import Passwords
from backend.auth.schemas import DISPLAY_NAME_MAX, SigninRequest, SignupRequest, UpdateMeRequest
from backend.auth.throttle import AuthLimits
from backend.common.auth import CurrentUser, Revocations
from backend.common.errors import BadRequest, Conflict, NotAuthorized, NotFound
from backend.common.facts import Fact, SessionsEnded, UserCreated, UserUpdated
from backend.common.ids import object_id_or_none
from backend.common.rate_limits import Budget
from backend.common.unit_of_work import FactsOf, UnitOfWork
from wire.values import Role

log = structlog.get_logger(__name__)

_UPDATE_ATTEMPTS = 5


async def sign_up(
    *, data: SignupRequest, uow: UnitOfWork, passwords: Passwords, sessions: Revocations
) -> User:
    user_id = PydanticObjectId()
    display_name = data.display_name or data.email.split("@", 1)[0][:DISPLAY_NAME_MAX]
    fact = UserCreated(user_id=str(user_id), email=data.email, display_name=display_name, version=0)
    user = User(
        id=user_id,
        email=data.email,
        display_name=display_name,
        password_hash=await passwords.hash(data.password),
    )
    try:
        user = await uow.add(user, fact)
    except DuplicateKeyError:
        raise Conflict("Email is already in use", field="email") from None
    # Before any token of the user is issued: a user without a generation is unknown.
    await sessions.advance(str(user.id), user.session_generation)
    return user


async def sign_in(
    *,
    data: SigninRequest,
    address: str,
    limits: AuthLimits,
    passwords: Passwords,
    sessions: Revocations,
    uow: UnitOfWork,
    token: bool = False,
) -> tuple[User, Budget]:
    """Counted first (429 past the quota, the password unchecked), then verified."""
    budget = await limits.sign_in(data.email, address, token=token)
    user = await User.find_one(User.email == data.email)
    ok = await passwords.verify(user.password_hash if user else None, data.password)
    if user is None or not ok:
        raise NotAuthorized("Invalid email or password")
    await limits.signed_in(data.email, address)
    if passwords.needs_rehash(user.password_hash):
        user = await _rehash(user, data.password, passwords=passwords, uow=uow)
    # Restores the generation if Redis lost it (never moves it back).
    await sessions.advance(str(user.id), user.session_generation)
    return user, budget


async def _rehash(user: User, password: str, *, passwords: Passwords, uow: UnitOfWork) -> User:
    """Store the hash again with today's parameters; a concurrent change wins (next time)."""
    changes = {"password_hash": await passwords.hash(password)}
    changed = await uow.commit(user, changes, _user_updated)
    if changed is None:
        log.info("auth.rehash_skipped", user_id=str(user.id))
        return user
    return changed


def _user_updated(new: User) -> list[Fact]:
    return [
        UserUpdated(
            user_id=str(new.id),
            email=new.email,
            display_name=new.display_name,
            roles=new.roles,
            version=new.version,
        )
    ]


async def sign_out(*, principal: CurrentUser, uow: UnitOfWork, sessions: Revocations) -> None:
    """Revoke this session's token at once; ``SessionsEnded`` (through the outbox, so it is
    told even if we crash now) closes the live sockets it opened."""
    await sessions.revoke(principal)
    ended = SessionsEnded(
        user_id=principal.id,
        token_id=principal.token_id,
        generation=principal.generation,
        version=principal.generation,
    )
    for _ in range(_UPDATE_ATTEMPTS):
        user = await find_user(principal.id)
        if user is None or await uow.commit(user, {}, lambda _: [ended]) is not None:
            return
    raise Conflict("Your profile changed concurrently; please retry")


async def set_role(*, email: str, role: Role, granted: bool, uow: UnitOfWork) -> User:
    """Grant or take away a role (the operator's command line, never the API)."""
    for _ in range(_UPDATE_ATTEMPTS):
        user = await User.find_one(User.email == email.strip().lower())
        if user is None:
            raise NotFound(f"No user has the e-mail address {email}")
        wanted = set(user.roles) | {role.value} if granted else set(user.roles) - {role.value}
        roles = sorted(wanted)
        if roles == user.roles:
            return user
        changed = await uow.commit(user, {"roles": roles}, _user_updated)
        if changed is not None:
            return changed
    raise Conflict("The user changed concurrently; please retry")


async def find_user(user_id: str) -> User | None:
    oid = object_id_or_none(user_id)
    return await User.get(oid) if oid is not None else None


async def update_profile(
    *,
    user_id: str,
    data: UpdateMeRequest,
    uow: UnitOfWork,
    passwords: Passwords,
    sessions: Revocations,
) -> User:
    """Change display name and/or password; bumps the version and emits ``UserUpdated``.
    A new password also starts a new session generation: every token issued before it
    stops working (``SessionsEnded``); the caller issues the current session a new one."""
    user = await find_user(user_id)
    if user is None:
        raise NotAuthorized()
    new_hash: str | None = None
    if data.password is not None:
        if not data.current_password or not await passwords.verify(
            user.password_hash, data.current_password
        ):
            raise BadRequest("Current password is incorrect", field="currentPassword")
        new_hash = await passwords.hash(data.password)

    for _ in range(_UPDATE_ATTEMPTS):
        changes: dict[str, object] = {}
        if new_hash is not None:
            changes["password_hash"] = new_hash
            changes["session_generation"] = user.session_generation + 1
        if data.display_name is not None:
            changes["display_name"] = data.display_name
        if (changed := await uow.commit(user, changes, _profile_facts(new_hash))) is not None:
            if new_hash is not None:
                await sessions.advance(user_id, changed.session_generation)
            return changed
        latest = await find_user(user_id)
        if latest is None:
            raise NotAuthorized()
        user = latest
    raise Conflict("Your profile changed concurrently; please retry")


def _profile_facts(new_hash: str | None) -> FactsOf[User]:
    def facts(new: User) -> Sequence[Fact]:
        told = _user_updated(new)
        if new_hash is not None:
            told.append(
                SessionsEnded(
                    user_id=str(new.id),
                    generation=new.session_generation,
                    version=new.session_generation,
                )
            )
        return told

    return facts


async def restore_generations(sessions: Revocations, *, batch: int = 500) -> None:
    """Every user's session generation into Redis (run when the service starts): after
    Redis lost its data, sessions work again instead of every user being unknown."""
    collection = User.get_pymongo_collection()
    users = collection.find({}, {"_id": 1, "session_generation": 1}, batch_size=batch)
    restored = 0
    async for doc in users:
        await sessions.advance(str(doc["_id"]), int(doc.get("session_generation", 0)))
        restored += 1
    log.info("auth.generations_restored", users=restored)
