"""The operator's commands (``python -m backend.…``) run as they ship: a process of their
own, configured by the environment from a test's settings."""

from __future__ import annotations

import asyncio
import os
import sys

from backend.common.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        name.upper(): str(value)
        for name, value in settings.model_dump(mode="json").items()
        if value is not None
    }


async def run_command(module: str, *args: str, settings: Settings, status: int = 0) -> str:
    """The command's standard output (and error), once it exited with ``status``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args,
        env=settings_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    text = output.decode()
    assert process.returncode == status, f"{module} {args}: exit {process.returncode}\n{text}"
    return text.strip()
