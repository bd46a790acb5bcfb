"""The pieces every self-test step shares: the context, the result, and the failure type."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


class SelfTestError(AssertionError):
    """A self-test step saw something other than what a working installation produces."""


def check(condition: bool, message: str) -> None:
    """Raise :class:`SelfTestError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SelfTestError(message)


@dataclass
class StepResult:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class Context:
    """What the steps share: the temporary folder and the results of earlier steps."""

    workdir: Path
    values: dict = field(default_factory=dict)


Step = Callable[[Context], str]


def need(ctx: Context, key: str):
    """A value an earlier step left in ``ctx`` (fails the step if that step did not run)."""
    if key not in ctx.values:
        raise SelfTestError(f"needs {key!r} from an earlier step")
    return ctx.values[key]
