"""Fixtures for the REST API tests: every service but the live WebSocket gateway (which
these tests do not exercise) behind the one-origin gateway, and users signed up on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest

from backend.common.settings import Settings
from tests.support.api import User
from tests.support.mail import MailSink
from tests.support.stack import Stack, running_stack

REST_SERVICES = ("auth", "tickets", "orders", "payments", "expiration")

type SignUp = Callable[[str], Awaitable[User]]


@pytest.fixture
def market_settings(
    settings: Settings, stripe_url: str, connect_url: str, mail_sink: MailSink
) -> Settings:
    """The test's settings pointed at the session's localstripe, Connect stand-in and mail
    sink, with real-length locks."""
    return settings.model_copy(
        update={
            "stripe_api_base": stripe_url,
            "stripe_connect_api_base": connect_url,
            "smtp_url": mail_sink.smtp_url,
            "lock_ttl_seconds": 900.0,
        }
    )


@pytest.fixture
async def stack(market_settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(market_settings, only=REST_SERVICES) as running:
        yield running


@pytest.fixture
async def short_lock_stack(market_settings: Settings) -> AsyncIterator[Stack]:
    """The same services with purchase locks of one second, to see orders expire."""
    settings = market_settings.model_copy(update={"lock_ttl_seconds": 1.0})
    async with running_stack(settings, only=REST_SERVICES) as running:
        yield running


@pytest.fixture
async def sign_up(stack: Stack) -> AsyncIterator[SignUp]:
    """Sign up a new user on ``stack`` (signed out again after the test)."""
    async with AsyncExitStack() as exits:

        async def new_user(name: str) -> User:
            return await exits.enter_async_context(User(stack.url, name))

        yield new_user


@pytest.fixture
async def seller(sign_up: SignUp) -> User:
    return await sign_up("seller")


@pytest.fixture
async def buyer(sign_up: SignUp) -> User:
    return await sign_up("buyer")


@pytest.fixture
async def other(sign_up: SignUp) -> User:
    """A third user: a rival buyer, or someone looking at what is not theirs."""
    return await sign_up("other")


@pytest.fixture
async def anonymous(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        yield http
