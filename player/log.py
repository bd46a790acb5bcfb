"""Logging to a rotating file in the data folder (and to stderr for the CLI)."""

from __future__ import annotations

import logging
import logging.handlers
import os

from player import paths

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
_configured = False


def setup_logging(*, verbose: bool = False, stderr: bool = False) -> None:
    """Send logs to ``<data>/logs/segue.log`` (1 MB × 5 files); idempotent."""
    global _configured
    if _configured:
        return
    level = logging.DEBUG if verbose or os.environ.get("SEGUE_DEBUG") else logging.INFO
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.handlers.RotatingFileHandler(
        paths.log_dir() / "segue.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    if stderr:
        console = logging.StreamHandler()
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(console)
    _configured = True
