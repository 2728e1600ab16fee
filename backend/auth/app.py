"""The auth service: users sign up, sign in and out, and edit their profile."""

from __future__ import annotations

from starlette.applications import Starlette

from backend.auth import routes
from backend.auth.models import User
from backend.auth.passwords import HashingPolicy, Passwords
from backend.auth.schemas import (
    ChangePasswordRequest,
    SigninRequest,
    SignupRequest,
    UpdateMeRequest,
)
from backend.auth.service import restore_generations
from backend.common.auth import Revocations
from backend.common.endpoint import Endpoint
from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.web import Wiring, service_app
from wire.users import CurrentUserResponse, TokenResponse, UserPublic

SERVICE = "auth"

ENDPOINTS = [
    Endpoint("POST", "/api/users/signup", routes.signup, "Create an account and sign in",
             body=SignupRequest, response=UserPublic, status=201, errors=(409, 429)),
    Endpoint("POST", "/api/users/signin", routes.signin, "Sign in (sets the session cookie)",
             body=SigninRequest, response=UserPublic, errors=(401, 429)),
    Endpoint("POST", "/api/users/signout", routes.signout,
             "Sign out: this session's token stops working and its live sockets close"),
    Endpoint("GET", "/api/users/currentuser", routes.current, "Who is signed in",
             response=CurrentUserResponse),
    Endpoint("PATCH", "/api/users/me", routes.update_me,
             "Change display name or password (a new password ends every other session)",
             body=UpdateMeRequest, response=UserPublic, auth=True, errors=(409,)),
    Endpoint("POST", "/api/users/password", routes.change_password,
             "Change password: every other session ends; answers this session's new token",
             body=ChangePasswordRequest, response=TokenResponse, auth=True, errors=(409,)),
    Endpoint("POST", "/api/users/token", routes.token, "Get a bearer token for bots",
             body=SigninRequest, response=TokenResponse, errors=(401, 429)),
]  # fmt: skip


def create_app(settings: Settings | None = None, hashing: HashingPolicy | None = None) -> Starlette:
    """``hashing``: OWASP's Argon2id, one thread per core, unless given (bench/signin.py)."""

    def wire(runtime: Runtime) -> Wiring:
        sessions = Revocations(runtime.redis, runtime.keys)

        async def restore() -> None:
            await restore_generations(sessions)

        return Wiring(
            workers={"session-generations": restore},
            state={"passwords": Passwords(hashing)},
        )

    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=ENDPOINTS,
        documents=[User],
        wiring=wire,
    )
