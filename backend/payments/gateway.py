"""The card processor, seen through the official Stripe SDK (PaymentIntents).

Works against real Stripe, or localstripe when ``STRIPE_API_BASE`` points at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import stripe

from backend.common.settings import DEV_STRIPE_SECRET_KEY, Settings
from wire.values import Money


class IntentState(StrEnum):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    UNCONFIRMED = "unconfirmed"
    DECLINED = "declined"  # the card was refused: nothing was charged
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class IntentResult:
    id: str
    state: IntentState
    client_secret: str | None = None
    message: str | None = None


_STATES = {
    "succeeded": IntentState.SUCCEEDED,
    "requires_action": IntentState.REQUIRES_ACTION,
    "processing": IntentState.PROCESSING,
    "requires_capture": IntentState.PROCESSING,
    "requires_confirmation": IntentState.UNCONFIRMED,
    "requires_payment_method": IntentState.DECLINED,
    "canceled": IntentState.CANCELED,
}


class PaymentGateway:
    def __init__(self, settings: Settings) -> None:
        # Only payments holds the Stripe secret (the other services are never given it).
        if settings.is_production and settings.stripe_secret_key == DEV_STRIPE_SECRET_KEY:
            raise ValueError("STRIPE_SECRET_KEY must be set outside development")
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        self._http = stripe.HTTPXClient(allow_sync_methods=False)
        self.client = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=self._http,
            max_network_retries=2,
        )

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def create_intent(self, *, order_id: str, amount: Money, payment_method_id: str) -> str:
        # Cards only: no redirect-based methods, so no return_url is needed (and
        # localstripe refuses automatic_payment_methods).
        intent = await self.client.v1.payment_intents.create_async(
            {  # type: ignore[typeddict-unknown-key]
                "amount": amount.amount,
                "currency": amount.currency,
                "payment_method": payment_method_id,
                "payment_method_types": ["card"],
                "metadata": {"orderId": order_id},
            },
            {"idempotency_key": f"order-{order_id}"},
        )
        return str(intent.id)

    async def create_card_setup(self, *, user_id: str) -> str:
        """A SetupIntent the browser confirms with the card (Stripe.js); its client secret."""
        intent = await self.client.v1.setup_intents.create_async(
            {  # type: ignore[arg-type]  # the SDK's params type lacks payment_method_types
                "payment_method_types": ["card"],
                "usage": "on_session",
                "metadata": {"userId": user_id},
            }
        )
        if not intent.client_secret:
            raise RuntimeError("Stripe returned a SetupIntent without a client secret")
        return intent.client_secret

    async def confirm(self, intent_id: str) -> IntentResult:
        try:
            intent = await self.client.v1.payment_intents.confirm_async(intent_id)
        except stripe.CardError as exc:
            return IntentResult(intent_id, IntentState.DECLINED, message=_card_message(exc))
        return _result(intent)

    async def retrieve(self, intent_id: str) -> IntentResult:
        return _result(await self.client.v1.payment_intents.retrieve_async(intent_id))

    async def cancel(self, intent_id: str) -> None:
        await self.client.v1.payment_intents.cancel_async(intent_id)

    async def refund(self, intent_id: str, *, key: str) -> str:
        """Refund a charge in full; the key makes a repeated call refund once."""
        refund = await self.client.v1.refunds.create_async(
            {"payment_intent": intent_id}, {"idempotency_key": key}
        )
        return str(refund.id)

    async def refund_of(self, intent_id: str) -> str | None:
        """The refund already made of a charge, if any (a refund interrupted between
        Stripe's answer and our record is found here; localstripe ignores keys)."""
        found = await self.client.v1.refunds.list_async({"payment_intent": intent_id, "limit": 1})
        return str(found.data[0].id) if found.data else None


def _card_message(exc: stripe.CardError) -> str:
    return exc.user_message or "Your card was declined."


def _result(intent: stripe.PaymentIntent) -> IntentResult:
    state = _STATES.get(intent.status, IntentState.PROCESSING)
    message = None
    if state is IntentState.DECLINED and intent.last_payment_error is not None:
        message = intent.last_payment_error.message or "Your card was declined."
    secret = intent.client_secret if state is IntentState.REQUIRES_ACTION else None
    return IntentResult(str(intent.id), state, client_secret=secret, message=message)
