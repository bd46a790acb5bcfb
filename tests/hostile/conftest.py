"""The hostile library, made once per test session, and one real ``segue scan`` of it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import unprivileged
from tests.hostile import generate

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Hostile:
    root: Path
    good: list[Path]
    made: dict[str, list[Path]]
    cases: list
    permissions_bite: bool
    prefix: list[str]

    def case(self, name):
        return next(c for c in self.cases if c.name == name)


def segue(*args, home, prefix=(), timeout=300, env=None):
    """Run ``segue ARGS`` as a person would, in its own process."""
    full_env = {**os.environ, "SEGUE_HOME": str(home), "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([*prefix, sys.executable, "-m", "player", *map(str, args)], cwd=ROOT,
                          env=full_env, capture_output=True, text=True, errors="replace", timeout=timeout)


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> Hostile:
    root = tmp_path_factory.mktemp("hostile-library")
    prefix = unprivileged.prefix()
    skip = set() if prefix is not None else {"permission-denied-folder", "permission-denied-file"}
    good, made, cases = generate.build(root, skip=skip)
    return Hostile(root, good, made, cases, prefix is not None, prefix or [])


@pytest.fixture(scope="session")
def scanned(hostile, tmp_path_factory):
    """``(data folder, the scan's CompletedProcess)`` after ``segue scan`` of the whole library
    (without the power to bypass permissions, so locked folders stay locked)."""
    home = tmp_path_factory.mktemp("hostile-home")
    out = segue("scan", hostile.root, home=home, prefix=hostile.prefix)
    return home, out
