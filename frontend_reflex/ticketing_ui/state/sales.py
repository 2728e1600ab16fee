"""My sales and the payout account: what each sale brings me, where its payout is, and
connecting the account the payouts go to (Stripe's onboarding, then back to
``/sales/payouts``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.sales import SaleView, TotalsView, account_state, totals_views
from ticketing_ui.state.account import go_to
from ticketing_ui.state.session import SessionState
from wire.payments import OnboardingLink, PayoutAccountPublic, SalesList


class PayoutAccountState(SessionState):
    # none · unfinished · ready (``ticketing_ui.sales.account_state``); "" until read
    account: str = ""
    connecting: bool = False
    connect_error: str = ""

    def _read_account(self, account: PayoutAccountPublic) -> None:
        self.account, self.connect_error = account_state(account), ""

    @rx.event
    async def connect_payouts(self) -> Any:
        """Off to Stripe's onboarding (a link made for this seller), which comes back to
        ``/sales/payouts``."""
        self.connecting, self.connect_error = True, ""
        yield
        try:
            link = await api.call(
                OnboardingLink, "POST", "/api/payments/payout-account", token=self._token
            )
        except api.ApiError as exc:
            self.connect_error = exc.message
            if exc.status == 401:
                yield self.redirect_to_sign_in()
            return
        finally:
            self.connecting = False
        yield go_to(link.url)


class SalesState(PayoutAccountState):
    sales: list[SaleView] = []
    totals: list[TotalsView] = []
    loading: bool = True
    error: str = ""

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        self.error = ""
        if not self.signed_in:
            return self.redirect_to_sign_in()
        self.loading = True
        try:
            body = await api.call(SalesList, "GET", "/api/payments/sales", token=self._token)
        except api.ApiError as exc:
            self.error = exc.message
            return None
        finally:
            self.loading = False
            self.tick_clock()
        self.sales = [SaleView.of(item) for item in body.items]
        self.totals = totals_views(body.totals)
        self._read_account(body.payout_account)
        return None


class PayoutsReturnState(PayoutAccountState):
    """``/sales/payouts``: where Stripe's onboarding sends the seller back (``?onboarding=
    done``, or ``again`` when its link expired); the account as Stripe has it now."""

    onboarding: str = ""
    loading: bool = True
    error: str = ""

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        self.error, self.account = "", ""
        self.onboarding = str(self.router.url.query_parameters.get("onboarding", ""))
        if not self.signed_in:
            return self.redirect_to_sign_in()
        self.loading = True
        try:
            account = await api.call(
                PayoutAccountPublic, "GET", "/api/payments/payout-account", token=self._token
            )
        except api.ApiError as exc:
            self.error = exc.message
            return None
        finally:
            self.loading = False
        self._read_account(account)
        return None
