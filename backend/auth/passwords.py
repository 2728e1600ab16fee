"""Argon2id password hashing (argon2-cffi) on a bounded number of threads.

Parameters are OWASP's for Argon2id (m=19 MiB, t=2, p=1; argon2-cffi ships no such
profile, so it is spelled out below). Every hash or verification holds ``m`` of memory
and a core while it runs; at most one per core runs at a time, so a burst of sign-ins
waits in line (memory stays at most cores x 19 MiB) instead of taking anyio's 40 worker threads
at 64 MiB each, as the library defaults did. Hashes made with other parameters still
verify (the parameters are in the hash) and are rehashed on the next sign-in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

# OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 iterations, 1 degree of parallelism.
OWASP = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,  # KiB
    parallelism=1,
)
# What ``PasswordHasher()`` uses (argon2-cffi 25: RFC 9106's low-memory profile, 64 MiB,
# t=3, p=4): the hashes stored before, and the "before" of bench/signin.py.
LIBRARY_DEFAULT = RFC_9106_LOW_MEMORY
# anyio's default thread limiter: what hashing could use at once before.
ANYIO_DEFAULT_THREADS = 40

# The hasher of the default policy, read at each use (a test may swap in a cheap one).
_hasher = PasswordHasher.from_parameters(OWASP)


@dataclass(frozen=True, slots=True)
class HashingPolicy:
    parameters: Parameters | None = None  # None: OWASP's (``_hasher``)
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)


class Passwords:
    """Hash and verify passwords off the event loop, at most ``policy.threads`` at once.
    Made in the service's lifespan (the limiter belongs to its event loop)."""

    def __init__(self, policy: HashingPolicy | None = None) -> None:
        policy = policy or HashingPolicy()
        self._own = PasswordHasher.from_parameters(policy.parameters) if policy.parameters else None
        self.limiter = anyio.CapacityLimiter(max(1, policy.threads))
        self._dummy: str | None = None

    @property
    def hasher(self) -> PasswordHasher:
        return self._own or _hasher

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hasher.hash, password, limiter=self.limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a wrong password or a bad hash. With no hash (unknown email) a dummy
        one is verified, so the answer takes as long either way."""
        if password_hash is None and self._dummy is None:
            self._dummy = await self.hash("not-a-real-password-used-for-timing")
        stored = password_hash or self._dummy or ""

        def verify() -> bool:
            try:
                return self.hasher.verify(stored, password) and password_hash is not None
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(verify, limiter=self.limiter)

    def needs_rehash(self, password_hash: str) -> bool:
        """Made with other parameters than ours (e.g. the library defaults used before)."""
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False
