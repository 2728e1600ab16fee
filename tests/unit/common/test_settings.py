"""The configuration contract: env var names, parsing, and refusing default secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend.common.settings import (
    DEV_JWT_KEY,
    DEV_STRIPE_PUBLISHABLE_KEY,
    DEV_STRIPE_SECRET_KEY,
    AppEnv,
    Settings,
)

pytestmark = pytest.mark.unit

GOOD_JWT_KEY = "k" * 32
GOOD_STRIPE_KEY = "sk_live_0123456789"

# (environment variable, raw value, the value the setting then holds, when not the raw value).
# APP_ENV is read in the production tests below: production needs secrets set as well.
ENV_VARS: list[tuple[str, str, object]] = [
    ("MONGO_URL", "mongodb://db.internal:27017/?replicaSet=rs0", None),
    ("REDIS_URL", "redis://cache.internal:6379/2", None),
    ("REDIS_MAX_CONNECTIONS", "50", 50),
    ("REDIS_CLUSTER", "true", True),
    ("JWT_KEY", "a-jwt-key-from-the-environment-0123456789", None),
    ("JWT_TTL_SECONDS", "3600", 3600),
    ("STRIPE_SECRET_KEY", "sk_test_from_env", None),
    ("STRIPE_PUBLISHABLE_KEY", "pk_test_from_env", None),
    ("STRIPE_API_BASE", "https://api.stripe.com", None),
    ("LOCK_TTL_SECONDS", "30.5", 30.5),
    ("PAYMENT_HOLD_SECONDS", "120", 120.0),
    ("PAYMENT_LEASE_SECONDS", "90", 90.0),
    ("PUBLIC_URL", "https://tickets.example.com", None),
    ("ALLOWED_ORIGINS", "https://bots.example.com,https://b.example", None),
    ("NAMESPACE", "staging-2", None),
    ("MAX_BODY_BYTES", "1024", 1024),
    ("LOG_LEVEL", "DEBUG", None),
    ("LOG_JSON", "true", True),
    ("BUS_MAX_DELIVERIES", "3", 3),
    ("BUS_RETRY_AFTER_MS", "250", 250),
    ("BUS_BLOCK_MS", "20", 20),
    ("OUTBOX_POLL_SECONDS", "0.1", 0.1),
    ("RECOUNT_EVERY_SECONDS", "2", 2.0),
    ("LIVE_QUEUE_SIZE", "50", 50),
    ("LIVE_PING_SECONDS", "5", 5.0),
    ("LIVE_HISTORY", "100", 100),
    ("LIVE_MAX_FRAME_BYTES", "1024", 1024),
    ("SIGNIN_MAX_FAILURES", "7", 7),
    ("SIGNIN_WINDOW_SECONDS", "60", 60),
    ("SIGNIN_ADDRESS_LIMIT", "40", 40),
    ("SIGNUP_ADDRESS_LIMIT", "10", 10),
    ("TOKEN_ADDRESS_LIMIT", "15", 15),
    ("MAX_OPEN_ORDERS_PER_USER", "2", 2),
    ("REHOLD_COOLDOWN_SECONDS", "30", 30),
    ("ORDER_RATE_PER_USER", "5", 5),
    ("ORDER_RATE_PER_IP", "50", 50),
    ("ORDER_RATE_WINDOW_SECONDS", "10", 10),
    ("EVENT_CREATES_PER_USER", "3", 3),
    ("EVENT_CREATES_PER_IP", "30", 30),
    ("BUYER_FEE_BPS", "750", 750),
    ("BUYER_FEE_FIXED_CENTS", "99", 99),
    ("SELLER_FEE_BPS", "250", 250),
    ("SELLER_FEE_FIXED_CENTS", "25", 25),
    ("STRIPE_CONNECT_API_BASE", "", ""),
    ("PAYOUT_DELAY_DAYS", "7", 7.0),
    ("MONEY_POLL_SECONDS", "30", 30.0),
    ("MONEY_WORKERS", "false", False),
    ("SMTP_URL", "smtps://mailer:pw@smtp.example.com:465", None),
    ("MAIL_FROM", "Tickets <no-reply@example.com>", None),
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting leaks in from the machine running the tests."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def production(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_every_setting_is_covered_by_the_env_var_table() -> None:
    assert {name.lower() for name, _, _ in ENV_VARS} | {"app_env"} == set(Settings.model_fields)


@pytest.mark.parametrize(("name", "raw", "expected"), ENV_VARS, ids=[n for n, _, _ in ENV_VARS])
def test_setting_is_read_from_its_env_var(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, expected: object
) -> None:
    monkeypatch.setenv(name, raw)
    value = getattr(Settings(), name.lower())
    assert value == (raw if expected is None else expected)
    assert value != Settings.model_fields[name.lower()].default


def test_development_accepts_the_default_secrets() -> None:
    settings = Settings()
    assert settings.app_env is AppEnv.DEVELOPMENT
    assert not settings.is_production
    assert settings.jwt_key == DEV_JWT_KEY
    assert settings.stripe_secret_key == DEV_STRIPE_SECRET_KEY
    assert settings.stripe_publishable_key == DEV_STRIPE_PUBLISHABLE_KEY
    assert settings.max_body_bytes == 64 * 1024


def test_development_accepts_a_short_jwt_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_KEY", "short")
    assert Settings().jwt_key == "short"


def test_production_refuses_the_default_jwt_key(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, STRIPE_SECRET_KEY=GOOD_STRIPE_KEY)
    with pytest.raises(ValidationError, match="JWT_KEY must be set outside development"):
        Settings()


def test_production_refuses_the_default_jwt_key_when_given_explicitly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production(monkeypatch, JWT_KEY=DEV_JWT_KEY, STRIPE_SECRET_KEY=GOOD_STRIPE_KEY)
    with pytest.raises(ValidationError, match="JWT_KEY must be set outside development"):
        Settings()


@pytest.mark.parametrize("key", ["", "short", "k" * 31])
def test_production_refuses_a_short_jwt_key(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    production(monkeypatch, JWT_KEY=key, STRIPE_SECRET_KEY=GOOD_STRIPE_KEY)
    with pytest.raises(ValidationError, match="JWT_KEY must be at least 32 characters"):
        Settings()


def test_production_settings_do_not_need_the_stripe_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only the payments service is given it (see tests/unit/payments/test_gateway.py).
    production(monkeypatch, JWT_KEY=GOOD_JWT_KEY)
    assert Settings().stripe_secret_key == DEV_STRIPE_SECRET_KEY


def test_production_accepts_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, JWT_KEY=GOOD_JWT_KEY, STRIPE_SECRET_KEY=GOOD_STRIPE_KEY)
    settings = Settings()
    assert settings.app_env is AppEnv.PRODUCTION
    assert settings.is_production
    assert settings.jwt_key == GOOD_JWT_KEY
    assert settings.stripe_secret_key == GOOD_STRIPE_KEY


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("APP_ENV", "staging"),
        ("NAMESPACE", "Has Spaces"),
        ("NAMESPACE", "9starts-with-a-digit"),
        ("NAMESPACE", ""),
        ("MAX_BODY_BYTES", "0"),
        ("JWT_TTL_SECONDS", "-1"),
        ("LOCK_TTL_SECONDS", "0"),
        ("PAYMENT_HOLD_SECONDS", "-5"),
        ("BUS_MAX_DELIVERIES", "0"),
        ("BUS_RETRY_AFTER_MS", "5"),
        ("OUTBOX_POLL_SECONDS", "0"),
        ("RECOUNT_EVERY_SECONDS", "-1"),
        ("LIVE_HISTORY", "9"),
        ("LIVE_MAX_FRAME_BYTES", "63"),
        ("SIGNIN_MAX_FAILURES", "0"),
        ("MAX_OPEN_ORDERS_PER_USER", "0"),
        ("REHOLD_COOLDOWN_SECONDS", "3601"),
        ("ORDER_RATE_PER_IP", "0"),
        ("LOG_JSON", "maybe"),
        ("MAX_BODY_BYTES", "lots"),
    ],
)
def test_invalid_env_value_is_refused(monkeypatch: pytest.MonkeyPatch, name: str, raw: str) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings()


def test_database_name_is_prefixed_with_the_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAMESPACE", "stack-a")
    assert Settings().database_name("auth") == "stack-a_auth"
