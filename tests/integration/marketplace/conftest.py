"""This folder's tests also watch the live gateway: the stack includes every service."""

from __future__ import annotations

from tests.support.stack import every_service  # noqa: F401 - the stack: every service
