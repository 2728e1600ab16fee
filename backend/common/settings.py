"""Configuration contract: every environment variable any service reads is declared here."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_KEY = "dev-only-insecure-jwt-key-change-me-0123456789"
DEV_STRIPE_SECRET_KEY = "sk_test_localstripe"  # noqa: S105 - localstripe accepts any key
DEV_STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"


class AppEnv(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Read from the environment (names are the upper-case field names)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    app_env: AppEnv = AppEnv.DEVELOPMENT
    mongo_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_cluster: bool = False  # REDIS_URL names one node of a Redis Cluster
    redis_max_connections: int = Field(default=200, ge=2)
    jwt_key: str = DEV_JWT_KEY
    jwt_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    stripe_secret_key: str = DEV_STRIPE_SECRET_KEY
    stripe_publishable_key: str = DEV_STRIPE_PUBLISHABLE_KEY
    stripe_api_base: str = "http://127.0.0.1:8420"
    lock_ttl_seconds: float = Field(default=900, gt=0)
    # How long a started payment holds the ticket (Stripe calls, 3-D Secure).
    payment_hold_seconds: float = Field(default=600, gt=0)
    # One request (or the reconciler) at a time works on an order's payment, for at most
    # this long: longer than a Stripe call with its retries normally takes.
    payment_lease_seconds: float = Field(default=120, ge=5)
    public_url: str = "http://localhost:8000"
    # Other origins whose pages may send state-changing requests and open /api/live
    # (e.g. a bot's web dashboard), comma-separated; PUBLIC_URL's origin always may.
    allowed_origins: str = ""
    # Prefix of every Redis key and of every service database name, so that
    # several stacks (or tests) can share one Redis / MongoDB server.
    namespace: str = Field(default="ticketing", pattern=r"^[a-z][a-z0-9_-]{0,40}$")
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    log_level: str = "INFO"
    log_json: bool = False
    # Event bus tuning.
    bus_max_deliveries: int = Field(default=5, ge=1)
    bus_retry_after_ms: int = Field(default=5_000, ge=10)
    bus_block_ms: int = Field(default=1_000, ge=1)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    # An event's availability is counted again at most once per this many seconds (the
    # changes meanwhile together): backend/tickets/recounts.py.
    recount_every_seconds: float = Field(default=0.5, ge=0)
    # Live gateway.
    live_queue_size: int = Field(default=1000, ge=1)  # frames a client may lag behind
    live_ping_seconds: float = Field(default=20, gt=0)
    live_history: int = Field(default=10_000, ge=10)  # messages kept for resume
    live_max_frame_bytes: int = Field(default=4096, ge=64)
    # Sign-in attempts per (email, address) within the window before 429; longer windows
    # allow 2x and 4x as many (the wait grows) (backend/auth/throttle.py).
    signin_max_failures: int = Field(default=5, ge=1)
    signin_window_seconds: int = Field(default=120, ge=1)
    # Per address (every email, every caller behind it) within that window; five times
    # as many within 60 windows. One office or one mobile carrier's NAT is one address.
    signin_address_limit: int = Field(default=30, ge=1)
    signup_address_limit: int = Field(default=20, ge=1)
    token_address_limit: int = Field(default=20, ge=1)
    # Fair holds (backend/common/holds.py): unpaid orders a buyer may hold at once (409
    # beyond), and how long a ticket whose hold ended unsold stays out of that buyer's reach
    # (429); at most an hour (holds.ENDED_RETENTION_MS).
    max_open_orders_per_user: int = Field(default=4, ge=1)
    rehold_cooldown_seconds: int = Field(default=120, ge=0, le=3600)
    # POST /api/orders allowed per user and per IP address within the window (429 beyond).
    order_rate_per_user: int = Field(default=20, ge=1)
    order_rate_per_ip: int = Field(default=300, ge=1)
    order_rate_window_seconds: int = Field(default=60, ge=1)
    # New events of the catalogue a user (an address) may create per hour; merging into an
    # existing event is free.
    event_creates_per_user: int = Field(default=30, ge=1)
    event_creates_per_ip: int = Field(default=300, ge=1)
    # Fees (backend/common/fees.py): a buyer fee on top of the list price, a seller fee
    # taken from it; each a percentage in basis points (1,000 = 10 %) plus fixed cents.
    buyer_fee_bps: int = Field(default=1_000, ge=0, le=5_000)
    buyer_fee_fixed_cents: int = Field(default=150, ge=0, le=10_000)
    seller_fee_bps: int = Field(default=500, ge=0, le=5_000)
    seller_fee_fixed_cents: int = Field(default=0, ge=0, le=10_000)
    # Stripe Connect (seller payouts): its API base (empty = real Stripe; locally the
    # stand-in tools/devstack/connect.py); proceeds become payable this long after the event.
    stripe_connect_api_base: str = "http://127.0.0.1:8421"
    payout_delay_days: float = Field(default=5, ge=0, le=90)
    # How often the payouts, refunds and mail workers look for work (each also wakes at once
    # on the facts that make some).
    money_poll_seconds: float = Field(default=10, gt=0)
    # false: the payments service leaves them to ``python -m backend.payments.worker``.
    money_workers: bool = True
    # Mail: smtp://[user:password@]host:port (smtps:// for TLS from the start; STARTTLS is
    # used when the server offers it), and the sender.
    smtp_url: str = "smtp://127.0.0.1:1025"
    mail_from: str = "Ticketing <tickets@ticketing.local>"

    @property
    def is_production(self) -> bool:
        return self.app_env is AppEnv.PRODUCTION

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.is_production:
            if self.jwt_key == DEV_JWT_KEY:
                raise ValueError("JWT_KEY must be set outside development")
            if len(self.jwt_key) < 32:
                raise ValueError("JWT_KEY must be at least 32 characters in production")
        return self

    @property
    def extra_origins(self) -> tuple[str, ...]:
        """``ALLOWED_ORIGINS`` as a list."""
        return tuple(item.strip() for item in self.allowed_origins.split(",") if item.strip())

    @property
    def stripe_js_url(self) -> str:
        """Stripe.js for the browser: localstripe serves its emulation under the same path."""
        if self.stripe_api_base:
            return f"{self.stripe_api_base.rstrip('/')}/js.stripe.com/v3/"
        return "https://js.stripe.com/v3/"

    def database_name(self, service: str) -> str:
        """Each service owns one database in the MongoDB server."""
        return f"{self.namespace}_{service}"
