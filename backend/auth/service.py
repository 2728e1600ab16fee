"""Use cases of the auth service (no HTTP here)."""

from __future__ import annotations

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from backend.auth.models import User
from backend.auth.passwords import hash_password, verify_password
from backend.auth.schemas import DISPLAY_NAME_MAX, SigninRequest, SignupRequest, UpdateMeRequest
from backend.auth.throttle import SigninThrottle
from backend.common.errors import BadRequest, Conflict, NotAuthorized
from backend.common.facts import UserCreated, UserUpdated
from backend.common.ids import object_id_or_none
from backend.common.unit_of_work import UnitOfWork

_UPDATE_ATTEMPTS = 5


async def sign_up(*, data: SignupRequest, uow: UnitOfWork) -> User:
    user_id = PydanticObjectId()
    display_name = data.display_name or data.email.split("@", 1)[0][:DISPLAY_NAME_MAX]
    fact = UserCreated(user_id=str(user_id), email=data.email, display_name=display_name, version=0)
    user = User(
        id=user_id,
        email=data.email,
        display_name=display_name,
        password_hash=await hash_password(data.password),
    )
    try:
        return await uow.add(user, fact)
    except DuplicateKeyError:
        raise Conflict("Email is already in use", field="email") from None


async def sign_in(*, data: SigninRequest, throttle: SigninThrottle) -> User:
    await throttle.check(data.email)
    user = await User.find_one(User.email == data.email)
    ok = await verify_password(user.password_hash if user else None, data.password)
    if user is None or not ok:
        await throttle.record_failure(data.email)
        raise NotAuthorized("Invalid email or password")
    await throttle.reset(data.email)
    return user


async def find_user(user_id: str) -> User | None:
    oid = object_id_or_none(user_id)
    return await User.get(oid) if oid is not None else None


async def update_profile(*, user_id: str, data: UpdateMeRequest, uow: UnitOfWork) -> User:
    """Change display name and/or password; bumps the version and emits ``UserUpdated``."""
    user = await find_user(user_id)
    if user is None:
        raise NotAuthorized()
    changes: dict[str, object] = {}
    if data.password is not None:
        if not data.current_password or not await verify_password(
            user.password_hash, data.current_password
        ):
            raise BadRequest("Current password is incorrect", field="currentPassword")
        changes["password_hash"] = await hash_password(data.password)
    if data.display_name is not None:
        changes["display_name"] = data.display_name

    def updated(new: User) -> list[UserUpdated]:
        return [
            UserUpdated(
                user_id=user_id,
                email=new.email,
                display_name=new.display_name,
                version=new.version,
            )
        ]

    for _ in range(_UPDATE_ATTEMPTS):
        if (changed := await uow.commit(user, changes, updated)) is not None:
            return changed
        latest = await find_user(user_id)
        if latest is None:
            raise NotAuthorized()
        user = latest
    raise Conflict("Your profile changed concurrently; please retry")
