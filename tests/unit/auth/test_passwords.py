"""Argon2id at OWASP's parameters, on a bounded pool; old hashes verify and need rehash."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from backend.auth.passwords import LIBRARY_DEFAULT, OWASP, HashingPolicy, Passwords

pytestmark = pytest.mark.unit

PASSWORD = "correct horse battery"


async def test_new_hashes_are_argon2id_at_owasp_parameters() -> None:
    stored = await Passwords().hash(PASSWORD)
    parameters = extract_parameters(stored)
    assert parameters.type is Type.ID
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        19 * 1024,
        2,
        1,
    )
    assert parameters == OWASP


async def test_a_hash_made_with_the_library_defaults_verifies_and_needs_rehash() -> None:
    passwords = Passwords()
    legacy = PasswordHasher.from_parameters(LIBRARY_DEFAULT).hash(PASSWORD)
    assert extract_parameters(legacy).memory_cost == 64 * 1024
    assert await passwords.verify(legacy, PASSWORD)
    assert not await passwords.verify(legacy, "wrong password")
    assert passwords.needs_rehash(legacy)
    assert not passwords.needs_rehash(await passwords.hash(PASSWORD))


async def test_an_unknown_email_is_verified_against_a_dummy_and_fails() -> None:
    assert not await Passwords().verify(None, PASSWORD)
    assert not await Passwords().verify("not a hash", PASSWORD)


async def test_a_burst_runs_at_most_one_hash_per_thread_of_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passwords = Passwords(HashingPolicy(threads=2))
    running = peak = 0
    lock = threading.Lock()

    def slow_hash(_: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return "hash"

    class SlowHasher:
        hash = staticmethod(slow_hash)

    monkeypatch.setattr(passwords, "_own", SlowHasher())
    await asyncio.gather(*(passwords.hash(PASSWORD) for _ in range(20)))
    assert peak == 2


def test_the_default_pool_has_one_thread_per_core() -> None:
    assert HashingPolicy().threads == (os.cpu_count() or 1)
