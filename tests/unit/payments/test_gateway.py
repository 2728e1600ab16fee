"""The payments service is the one that holds the Stripe secret: in production it refuses
to start with the development key."""

from __future__ import annotations

import pytest

from backend.common.settings import DEV_STRIPE_SECRET_KEY, AppEnv, Settings
from backend.payments.gateway import PaymentGateway

pytestmark = pytest.mark.unit

PRODUCTION_JWT_KEY = "k" * 32


def test_payments_refuse_the_development_stripe_key_in_production() -> None:
    settings = Settings(app_env=AppEnv.PRODUCTION, jwt_key=PRODUCTION_JWT_KEY)

    assert settings.stripe_secret_key == DEV_STRIPE_SECRET_KEY
    with pytest.raises(ValueError, match="STRIPE_SECRET_KEY must be set outside development"):
        PaymentGateway(settings)


async def test_payments_start_with_a_real_stripe_key_in_production() -> None:
    settings = Settings(
        app_env=AppEnv.PRODUCTION, jwt_key=PRODUCTION_JWT_KEY, stripe_secret_key="sk_live_123"
    )

    gateway = PaymentGateway(settings)
    await gateway.close()
