from __future__ import annotations

from tests.support.stack import every_service  # noqa: F401 - the stack: every service
