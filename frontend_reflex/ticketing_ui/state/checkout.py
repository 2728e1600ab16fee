"""Paying for a locked ticket, or for seats held together: countdown, card form
(Stripe.js), and the outcome."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import OrderView
from ticketing_ui.seats import seats_place
from ticketing_ui.state.session import SessionState, now_ms
from ticketing_ui.state.ticket import path_id
from wire.live import AnyFrame, OrderMessage
from wire.orders import OrderPublic
from wire.payments import CardSetupPublic, PaymentPublic
from wire.values import PaymentStatus

# phase: loading · pay · paying · action (3-D Secure) · succeeded · declined · expired ·
# cancelled · missing
FINAL = {"complete": "succeeded", "expired": "expired"}


class CheckoutState(SessionState):
    order: OrderView = OrderView()
    phase: str = "loading"
    message: str = ""
    client_secret: str = ""
    publishable_key: str = ""
    stripe_js_url: str = ""
    action_secret: str = ""
    _method: str = ""  # the payment method waiting for 3-D Secure

    def _phase_of(self, order: OrderView) -> str:
        if order.status == "cancelled":
            return "declined" if order.cancel_reason == "payment_failed" else "cancelled"
        return FINAL.get(order.status, "pay")

    async def _new_card_setup(self) -> None:
        """A fresh SetupIntent for the card form (each can be confirmed once)."""
        self.client_secret = ""  # the pay button waits for it
        try:
            setup = await api.call(
                CardSetupPublic,
                "POST",
                "/api/payments/card-setup",
                token=self._token,
                caller=self.router.session.client_ip,
            )
        except api.ApiError as exc:
            self.message = f"The card form is not available: {exc.message}"
            return
        self.client_secret = setup.client_secret
        self.publishable_key = setup.publishable_key
        self.stripe_js_url = setup.stripe_js_url

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        self.phase, self.message, self.action_secret = "loading", "", ""
        if not self.signed_in:
            return self.redirect_to_sign_in()
        order_id = path_id(self.router.url.path, "/checkout/")
        try:
            self.order = OrderView.of(
                await api.call(OrderPublic, "GET", f"/api/orders/{order_id}", token=self._token)
            )
            self.phase = self._phase_of(self.order)
            await self._read_seats()
            if self.phase == "pay":
                await self._new_card_setup()
        except api.ApiError as exc:
            self.phase, self.message = "missing", exc.message
        self.tick_clock()
        return None

    async def _read_seats(self) -> None:
        """The labels of the seats an order of several holds (the order tells their ids)."""
        if self.order.seat_count < 2:
            return
        try:
            seats = await api.seats_of(self.order.ticket_ids, token=self._token)
        except api.ApiError:
            return  # the order is still payable: its seats just go unnamed
        first = seats[0]
        label = seats_place(first.section or "", first.row or "", [s.seat or "" for s in seats])
        self.order.seats_label = label

    async def _pay(self, method: str) -> None:
        try:
            payment = await api.call(
                PaymentPublic,
                "POST",
                "/api/payments",
                token=self._token,
                json={"orderId": self.order.id, "paymentMethodId": method},
            )
        except api.ApiError as exc:
            if exc.status == 402:
                self.phase, self.message = "declined", exc.message
            else:
                await self._reload(exc.message)
            return
        if payment.status is PaymentStatus.SUCCEEDED:
            self.phase, self.message = "succeeded", ""
            self.order.status, self.order.status_label = "complete", "Paid"
        elif payment.status is PaymentStatus.REQUIRES_ACTION and payment.client_secret:
            self.phase, self.action_secret = "action", payment.client_secret
            self._method = method
        else:
            self.phase, self.message = "pay", payment.failure_message or "Try again."

    async def _reload(self, message: str) -> None:
        self.order = OrderView.of(
            await api.call(OrderPublic, "GET", f"/api/orders/{self.order.id}", token=self._token)
        )
        self.phase, self.message = self._phase_of(self.order), message
        if self.phase == "pay":
            await self._new_card_setup()

    @rx.event
    async def pay_with(self, method: str) -> Any:
        self.phase, self.message = "paying", ""
        yield
        await self._pay(str(method))

    @rx.event
    async def card_error(self, message: str) -> None:
        self.message = str(message)
        await self._new_card_setup()  # a SetupIntent is confirmed once: start afresh

    @rx.event
    async def action_done(self, ok: bool, message: str) -> Any:
        if not ok:
            self.phase, self.message, self.action_secret = "pay", str(message), ""
            await self._new_card_setup()
            return
        self.phase = "paying"
        yield
        await self._pay(self._method)

    @rx.event
    async def cancel(self) -> Any:
        try:
            await api.send("DELETE", f"/api/orders/{self.order.id}", token=self._token)
        except api.ApiError as exc:
            await self._reload(exc.message)
            return None
        self.phase, self.order.status, self.order.status_label = (
            "cancelled",
            "cancelled",
            "Cancelled",
        )
        return None

    async def apply_live(self, frame: AnyFrame) -> None:
        if not isinstance(frame, OrderMessage) or frame.order_id != self.order.id:
            return
        self.order = self.order.merged(frame.order)
        self.server_now_ms = now_ms()
        if self.phase not in {"paying", "action"} or self.order.status != "created":
            self.phase = self._phase_of(self.order)
