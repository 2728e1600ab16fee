"""HTTP routes of the auth service: parse, call a use case, respond."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.auth import service
from backend.auth.models import User
from backend.auth.schemas import SigninRequest, SignupRequest, UpdateMeRequest
from backend.auth.throttle import SigninThrottle
from backend.common.auth import (
    Revocations,
    clear_session_cookie,
    current_user,
    issue_token,
    require_user,
    set_session_cookie,
)
from backend.common.endpoint import respond
from backend.common.errors import parse_body
from backend.common.runtime import Runtime, runtime_of
from wire.users import CurrentUserResponse, TokenResponse, UserPublic


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate(user)


def _throttle(runtime: Runtime) -> SigninThrottle:
    s = runtime.settings
    return SigninThrottle(
        runtime.redis,
        runtime.keys,
        max_failures=s.signin_max_failures,
        window_s=s.signin_window_seconds,
    )


def _signed_in(runtime: Runtime, user: User, status: int) -> Response:
    s = runtime.settings
    issued = issue_token(
        user_id=str(user.id), email=user.email, key=s.jwt_key, ttl_seconds=s.jwt_ttl_seconds
    )
    response = respond(_public(user), status)
    set_session_cookie(response, issued, s)
    return response


async def signup(request: Request) -> Response:
    data = await parse_body(request, SignupRequest)
    runtime = runtime_of(request)
    user = await service.sign_up(data=data, uow=runtime.uow)
    return _signed_in(runtime, user, 201)


async def signin(request: Request) -> Response:
    data = await parse_body(request, SigninRequest)
    runtime = runtime_of(request)
    user = await service.sign_in(data=data, throttle=_throttle(runtime))
    return _signed_in(runtime, user, 200)


async def signout(request: Request) -> Response:
    """Ends this session: the token it was made with (cookie or Bearer) stops working."""
    runtime = runtime_of(request)
    if (user := current_user(request)) is not None:
        await Revocations(runtime.redis, runtime.keys).revoke(user)
    response = respond({}, 200)
    clear_session_cookie(response, runtime.settings)
    return response


async def current(request: Request) -> Response:
    principal = current_user(request)
    user = await service.find_user(principal.id) if principal else None
    return respond(CurrentUserResponse(current_user=_public(user) if user else None))


async def update_me(request: Request) -> Response:
    principal = require_user(request)
    data = await parse_body(request, UpdateMeRequest)
    user = await service.update_profile(
        user_id=principal.id, data=data, uow=runtime_of(request).uow
    )
    return respond(_public(user))


async def token(request: Request) -> Response:
    data = await parse_body(request, SigninRequest)
    runtime = runtime_of(request)
    user = await service.sign_in(data=data, throttle=_throttle(runtime))
    s = runtime.settings
    issued = issue_token(
        user_id=str(user.id), email=user.email, key=s.jwt_key, ttl_seconds=s.jwt_ttl_seconds
    )
    return respond(TokenResponse(token=issued.token, expires_at=issued.expires_at))
