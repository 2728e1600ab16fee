"""Structured logging (structlog), configured once per process by the app factory.

As structlog's performance notes advise: each module's logger is assembled once, on its
first use (``cache_logger_on_first_use``), and lines are written to stdout without
``print`` (``WriteLoggerFactory``). Every request writes an access line, so its cost is
on the hot path of ``POST /api/orders``."""

from __future__ import annotations

import logging

import structlog


def configure_logging(*, level: str = "INFO", json: bool = False) -> None:
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(),
        cache_logger_on_first_use=True,
    )
