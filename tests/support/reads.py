"""Counting a document class's reads in a test (how many round trips a path makes)."""

from __future__ import annotations

from typing import Any

import pytest


def note_reads(
    monkeypatch: pytest.MonkeyPatch,
    document: type,
    method: str,
    reads: list[Any],
    label: str | None = None,
) -> None:
    """Wrap ``document.method`` (``get``, ``find``…) so that each call is noted in ``reads``:
    as ``label``, or by its first argument (``get``'s id)."""
    read = getattr(document, method)

    def noted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[0] if label is None else label)
        return read(*args, **kwargs)

    monkeypatch.setattr(document, method, noted)
