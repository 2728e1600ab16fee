"""Seller payouts through Stripe Connect (Express accounts and transfers), seen through
the official SDK. Real Stripe, or locally the stand-in ``tools/devstack/connect.py`` when
``STRIPE_CONNECT_API_BASE`` points at it (localstripe has no Connect)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import stripe

from backend.common.settings import Settings
from wire.values import Money


@dataclass(frozen=True, slots=True)
class AccountState:
    id: str
    payouts_enabled: bool


class ConnectGateway:
    def __init__(self, settings: Settings, secret_key: str) -> None:
        base = settings.stripe_connect_api_base
        self._http = stripe.HTTPXClient(allow_sync_methods=False)
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": base} if base else None,
            http_client=self._http,
            max_network_retries=2,
        )

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def create_account(self, *, user_id: str) -> AccountState:
        """An Express account able to receive transfers; one per seller (the key makes a
        repeated request return the same account)."""
        account = await self.client.v1.accounts.create_async(
            {
                "type": "express",
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"userId": user_id},
            },
            {"idempotency_key": f"account-{user_id}"},
        )
        return AccountState(str(account.id), bool(account.payouts_enabled))

    async def account(self, account_id: str) -> AccountState:
        account = await self.client.v1.accounts.retrieve_async(account_id)
        return AccountState(str(account.id), bool(account.payouts_enabled))

    async def onboarding_link(
        self, account_id: str, *, return_url: str, refresh_url: str
    ) -> tuple[str, datetime]:
        link = await self.client.v1.account_links.create_async(
            {
                "account": account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            }
        )
        return link.url, datetime.fromtimestamp(link.expires_at, UTC)

    async def transfer_of(self, group: str) -> str | None:
        """The transfer already made for ``group`` (a sale), if any: a payout interrupted
        between the transfer and its record is recognised even after the idempotency key
        has expired (Stripe keeps keys for 24 hours)."""
        found = await self.client.v1.transfers.list_async({"transfer_group": group, "limit": 1})
        return str(found.data[0].id) if found.data else None

    async def transfer(self, *, amount: Money, destination: str, group: str, key: str) -> str:
        transfer = await self.client.v1.transfers.create_async(
            {
                "amount": amount.amount,
                "currency": amount.currency,
                "destination": destination,
                "transfer_group": group,
            },
            {"idempotency_key": key},
        )
        return str(transfer.id)
