"""The Stripe Connect stand-in, driven through the official SDK the payments service uses:
express accounts, onboarding, transfers made once per idempotency key, reversals, errors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import stripe

pytestmark = pytest.mark.integration

RETURN_URL = "http://localhost:8000/sell/payouts?done=1"
REFRESH_URL = "http://localhost:8000/sell/payouts?again=1"


@pytest.fixture
async def client(connect_url: str) -> AsyncIterator[stripe.StripeClient]:
    # Built as backend/payments/gateway.py builds its client.
    http = stripe.HTTPXClient(allow_sync_methods=False)
    yield stripe.StripeClient(
        "sk_test_x",
        base_addresses={"api": connect_url},
        http_client=http,
    )
    await http.close_async()  # type: ignore[no-untyped-call]


async def new_account(client: stripe.StripeClient) -> stripe.Account:
    return await client.v1.accounts.create_async(
        {
            "type": "express",
            "country": "US",
            "email": "seller@example.com",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"userId": "u-1"},
        }
    )


async def onboarding_link(client: stripe.StripeClient, account_id: str) -> str:
    link = await client.v1.account_links.create_async(
        {
            "account": account_id,
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
            "type": "account_onboarding",
        }
    )
    return link.url


async def complete_onboarding(url: str) -> httpx.Response:
    """What the seller's click on "Complete onboarding" sends."""
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(url)


async def onboarded_account(client: stripe.StripeClient) -> str:
    account = await new_account(client)
    response = await complete_onboarding(await onboarding_link(client, account.id))
    assert response.status_code == 303, response.text
    return account.id


async def transfer(
    client: stripe.StripeClient, destination: str, amount: int, key: str | None = None
) -> stripe.Transfer:
    params: Any = {
        "amount": amount,
        "currency": "usd",
        "destination": destination,
        "transfer_group": "order-1",
        "metadata": {"orderId": "order-1"},
    }
    options: Any = {"idempotency_key": key} if key is not None else {}
    return await client.v1.transfers.create_async(params, options)


async def standin_transfers(connect_url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=connect_url, timeout=10) as http:
        response = await http.get("/_standin/transfers")
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()["transfers"]
    return rows


async def test_onboarding_makes_an_express_account_able_to_receive_transfers(
    client: stripe.StripeClient, connect_url: str
) -> None:
    account = await new_account(client)
    assert account.id.startswith("acct_")
    assert (account.type, account.email, account.country) == ("express", "seller@example.com", "US")
    assert account.to_dict()["metadata"] == {"userId": "u-1"}
    assert not account.details_submitted
    assert not account.payouts_enabled
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await transfer(client, account.id, 1_000)
    assert refused.value.param == "destination"

    url = await onboarding_link(client, account.id)
    assert url.startswith(f"{connect_url}/connect/onboard/")
    async with httpx.AsyncClient(timeout=10) as http:
        page = await http.get(url)
    assert page.status_code == 200
    assert f"onboarding for {account.id}" in page.text
    assert "Complete onboarding" in page.text
    response = await complete_onboarding(url)
    assert response.status_code == 303
    assert response.headers["location"] == RETURN_URL

    onboarded = await client.v1.accounts.retrieve_async(account.id)
    assert onboarded.details_submitted
    assert onboarded.payouts_enabled
    assert onboarded.charges_enabled
    assert onboarded.capabilities is not None
    assert onboarded.capabilities.transfers == "active"


async def test_a_transfer_is_made_once_per_idempotency_key(
    client: stripe.StripeClient, connect_url: str
) -> None:
    destination = await onboarded_account(client)
    key = f"payout-{uuid.uuid4().hex}"

    first = await transfer(client, destination, 2_500, key)
    again = await transfer(client, destination, 2_500, key)

    assert again.id == first.id
    assert (first.amount, first.currency, first.destination) == (2_500, "usd", destination)
    assert first.transfer_group == "order-1"
    assert first.metadata.to_dict() == {"orderId": "order-1"}
    made = [row for row in await standin_transfers(connect_url) if row["idempotencyKey"] == key]
    assert [(row["transfer"]["id"], row["replays"]) for row in made] == [(first.id, 1)]
    listed = await client.v1.transfers.list_async({"destination": destination})
    assert [item.id for item in listed.data] == [first.id]
    with pytest.raises(stripe.IdempotencyError):
        await transfer(client, destination, 3_000, key)
    assert (await client.v1.transfers.retrieve_async(first.id)).to_dict() == first.to_dict()


async def test_a_transfer_is_reversed_in_parts_then_whole(client: stripe.StripeClient) -> None:
    made = await transfer(client, await onboarded_account(client), 1_000)

    part = await client.v1.transfers.reversals.create_async(made.id, {"amount": 400})
    rest = await client.v1.transfers.reversals.create_async(made.id)

    assert (part.object, part.amount, part.transfer) == ("transfer_reversal", 400, made.id)
    assert part.id.startswith("trr_")
    assert rest.amount == 600
    reversed_ = await client.v1.transfers.retrieve_async(made.id)
    assert (reversed_.amount_reversed, reversed_.reversed) == (1_000, True)
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.transfers.reversals.create_async(made.id, {"amount": 1})


async def test_an_unknown_account_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await client.v1.accounts.retrieve_async("acct_unknown")

    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"


async def test_a_request_without_a_secret_key_is_401(connect_url: str) -> None:
    async with httpx.AsyncClient(base_url=connect_url, timeout=10) as http:
        response = await http.get("/v1/accounts/acct_x", headers={"Authorization": "Bearer pk_x"})

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_an_unknown_onboarding_link_is_404(connect_url: str) -> None:
    async with httpx.AsyncClient(base_url=connect_url, timeout=10) as http:
        response = await http.get("/connect/onboard/nope")

    assert response.status_code == 404


async def test_a_transfer_answered_too_late_is_replayed_to_the_retry(
    client: stripe.StripeClient, connect_url: str
) -> None:
    destination = await onboarded_account(client)
    key = f"payout-{uuid.uuid4().hex}"
    form = {"amount": "700", "currency": "usd", "destination": destination,
            "transfer_group": "order-1", "metadata[orderId]": "order-1"}  # fmt: skip
    headers = {"Authorization": "Bearer sk_test_x", "Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=connect_url, timeout=10) as http:
        await http.post("/_standin/faults", json={"transfer_delay_s": 2.0})
        try:
            with pytest.raises(httpx.ReadTimeout):  # the caller gave up (or was killed)
                await http.post("/v1/transfers", data=form, headers=headers, timeout=0.3)
        finally:
            await http.post("/_standin/faults", json={"transfer_delay_s": 0.0})
        replayed = await http.post("/v1/transfers", data=form, headers=headers)

    [made] = [row for row in await standin_transfers(connect_url) if row["idempotencyKey"] == key]
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == made["transfer"]
    assert made["replays"] == 1
