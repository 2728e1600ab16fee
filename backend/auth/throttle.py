"""How often an address may try to sign in, sign up or get a token (``RateLimiter``).

Every sign-in attempt is counted, atomically, *before* its password is checked, so a burst
of parallel guesses gets at most the quota verified and the rest 429. Counted per
(email, address) in layered windows — N per W, 2N per 15 W, 4N per 240 W (defaults: 5 in
2 minutes, 10 in 30 minutes, 20 in 8 hours) — so the wait grows (up to 2 min, 30 min, 8 h)
the longer one address keeps guessing, and per address over every email (spraying). No
quota is per email alone: a stranger hammering someone's email locks out only their own
address, and the owner signs in from theirs. N is ``SIGNIN_MAX_FAILURES`` and W
``SIGNIN_WINDOW_SECONDS``; the quotas per address are ``SIGNIN_ADDRESS_LIMIT``,
``SIGNUP_ADDRESS_LIMIT`` and ``TOKEN_ADDRESS_LIMIT`` per W (five times as many per 60 W).

A successful sign-in clears that (email, address)'s counts only — the owner's typos, at
their own address. Counts at other addresses (the stranger's) stay, and so do the
address's own quotas: otherwise anyone with one account could interleave sign-ins to it
with guesses at others and never be slowed down.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.common.rate_limits import Budget, Quota, RateLimiter
from backend.common.settings import Settings

SIGNIN_REFUSED = "Too many sign-in attempts; try again later"
SIGNUP_REFUSED = "Too many sign-ups from this address; try again later"


class AuthLimits:
    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self.limiter = limiter
        n, w = settings.signin_max_failures, settings.signin_window_seconds
        self.account = (  # per (email, address); shortest window first
            Quota("signin-account", n, w),
            Quota("signin-account-15w", 2 * n, 15 * w),
            Quota("signin-account-240w", 4 * n, 240 * w),
        )
        signin, signup = settings.signin_address_limit, settings.signup_address_limit
        self.signin_address = (
            Quota("signin-address", signin, w),
            Quota("signin-address-60w", 5 * signin, 60 * w),
        )
        self.token_address = (Quota("token-address", settings.token_address_limit, w),)
        self.signup_address = (
            Quota("signup-address", signup, w),
            Quota("signup-address-60w", 5 * signup, 60 * w),
        )

    async def sign_in(self, email: str, address: str, *, token: bool = False) -> Budget:
        """Count one attempt (before the password is checked) or raise 429."""
        account = f"{address}|{email}"
        uses: list[tuple[Quota, str]] = [(quota, account) for quota in self.account]
        uses += [(quota, address) for quota in self.signin_address]
        if token:
            uses += [(quota, address) for quota in self.token_address]
        return await self.limiter.spend(uses, SIGNIN_REFUSED)

    async def signed_in(self, email: str, address: str) -> None:
        """The password was right: forget this (email, address)'s attempts, nothing else."""
        for quota in self.account:
            await self.limiter.clear(quota, f"{address}|{email}")

    async def sign_up(self, address: str) -> Budget:
        return await self.limiter.spend(self._each(self.signup_address, address), SIGNUP_REFUSED)

    @staticmethod
    def _each(quotas: Sequence[Quota], who: str) -> list[tuple[Quota, str]]:
        return [(quota, who) for quota in quotas]
