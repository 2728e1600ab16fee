"""HTTP routes of the auth service: parse, call a use case, respond."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import Response

from backend.auth import service
from backend.auth.models import User
from backend.auth.passwords import Passwords
from backend.auth.schemas import (
    ChangePasswordRequest,
    SigninRequest,
    SignupRequest,
    UpdateMeRequest,
)
from backend.auth.throttle import AuthLimits
from backend.common.auth import (
    IssuedToken,
    Revocations,
    clear_session_cookie,
    current_user,
    issue_token,
    require_user,
    set_session_cookie,
)
from backend.common.endpoint import respond
from backend.common.errors import parse_body
from backend.common.rate_limits import Budget, client_address
from backend.common.runtime import Runtime, runtime_of
from wire.users import CurrentUserResponse, TokenResponse, UserPublic


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate(user)


def _passwords(request: Request) -> Passwords:
    return cast(Passwords, request.state.passwords)


def _limits(runtime: Runtime) -> AuthLimits:
    return AuthLimits(runtime.rate_limits, runtime.settings)


def _sessions(runtime: Runtime) -> Revocations:
    return Revocations(runtime.redis, runtime.keys)


def _issue(runtime: Runtime, user: User) -> IssuedToken:
    s = runtime.settings
    return issue_token(
        user_id=str(user.id),
        email=user.email,
        key=s.jwt_key,
        ttl_seconds=s.jwt_ttl_seconds,
        generation=user.session_generation,
    )


def _signed_in(runtime: Runtime, user: User, status: int) -> Response:
    response = respond(_public(user), status)
    set_session_cookie(response, _issue(runtime, user), runtime.settings)
    return response


async def signup(request: Request) -> Response:
    data = await parse_body(request, SignupRequest)
    runtime = runtime_of(request)
    budget = await _limits(runtime).sign_up(client_address(request))
    user = await service.sign_up(
        data=data, uow=runtime.uow, passwords=_passwords(request), sessions=_sessions(runtime)
    )
    return budget.apply(_signed_in(runtime, user, 201))


async def _sign_in(request: Request, *, token: bool) -> tuple[Runtime, User, Budget]:
    data = await parse_body(request, SigninRequest)
    runtime = runtime_of(request)
    user, budget = await service.sign_in(
        data=data,
        address=client_address(request),
        limits=_limits(runtime),
        passwords=_passwords(request),
        sessions=_sessions(runtime),
        uow=runtime.uow,
        token=token,
    )
    return runtime, user, budget


async def signin(request: Request) -> Response:
    runtime, user, budget = await _sign_in(request, token=False)
    return budget.apply(_signed_in(runtime, user, 200))


async def signout(request: Request) -> Response:
    """Ends this session: the token it was made with (cookie or Bearer) stops working, and
    the live sockets it opened are closed (``SessionsEnded``)."""
    runtime = runtime_of(request)
    if (user := current_user(request)) is not None:
        await service.sign_out(principal=user, uow=runtime.uow, sessions=_sessions(runtime))
    response = respond({}, 200)
    clear_session_cookie(response, runtime.settings)
    return response


async def current(request: Request) -> Response:
    principal = current_user(request)
    user = await service.find_user(principal.id) if principal else None
    return respond(CurrentUserResponse(current_user=_public(user) if user else None))


async def update_me(request: Request) -> Response:
    """A new password ends every session; this one goes on with a new cookie."""
    principal = require_user(request)
    data = await parse_body(request, UpdateMeRequest)
    runtime = runtime_of(request)
    user = await service.update_profile(
        user_id=principal.id,
        data=data,
        uow=runtime.uow,
        passwords=_passwords(request),
        sessions=_sessions(runtime),
    )
    if data.password is not None:
        return _signed_in(runtime, user, 200)
    return respond(_public(user))


async def change_password(request: Request) -> Response:
    """Every other session ends; this one gets a new token (and cookie)."""
    principal = require_user(request)
    data = await parse_body(request, ChangePasswordRequest)
    runtime = runtime_of(request)
    user = await service.update_profile(
        user_id=principal.id,
        data=UpdateMeRequest.model_validate(
            {"password": data.new_password, "currentPassword": data.current_password}
        ),
        uow=runtime.uow,
        passwords=_passwords(request),
        sessions=_sessions(runtime),
    )
    issued = _issue(runtime, user)
    response = respond(TokenResponse(token=issued.token, expires_at=issued.expires_at))
    set_session_cookie(response, issued, runtime.settings)
    return response


async def token(request: Request) -> Response:
    runtime, user, budget = await _sign_in(request, token=True)
    issued = _issue(runtime, user)
    return budget.apply(respond(TokenResponse(token=issued.token, expires_at=issued.expires_at)))
