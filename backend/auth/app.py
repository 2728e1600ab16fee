"""The auth service: users sign up, sign in and out, and edit their profile."""

from __future__ import annotations

from starlette.applications import Starlette

from backend.auth import routes
from backend.auth.models import User
from backend.auth.schemas import SigninRequest, SignupRequest, UpdateMeRequest
from backend.common.endpoint import Endpoint
from backend.common.settings import Settings
from backend.common.web import service_app
from wire.users import CurrentUserResponse, TokenResponse, UserPublic

SERVICE = "auth"

ENDPOINTS = [
    Endpoint("POST", "/api/users/signup", routes.signup, "Create an account and sign in",
             body=SignupRequest, response=UserPublic, status=201, errors=(409,)),
    Endpoint("POST", "/api/users/signin", routes.signin, "Sign in (sets the session cookie)",
             body=SigninRequest, response=UserPublic, errors=(401, 429)),
    Endpoint("POST", "/api/users/signout", routes.signout, "Sign out (clears the cookie)"),
    Endpoint("GET", "/api/users/currentuser", routes.current, "Who is signed in",
             response=CurrentUserResponse),
    Endpoint("PATCH", "/api/users/me", routes.update_me, "Change display name or password",
             body=UpdateMeRequest, response=UserPublic, auth=True, errors=(409,)),
    Endpoint("POST", "/api/users/token", routes.token, "Get a bearer token for bots",
             body=SigninRequest, response=TokenResponse, errors=(401, 429)),
]  # fmt: skip


def create_app(settings: Settings | None = None) -> Starlette:
    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=ENDPOINTS,
        documents=[User],
    )
