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
    try:
        # backslashreplace: a file name that is not valid UTF-8 is logged, not an error.
        handler = logging.handlers.RotatingFileHandler(
            paths.log_dir() / "segue.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8",
            errors="backslashreplace")
    except OSError as exc:
        # A read-only data folder: no log file, but the command (or its clear refusal) goes on.
        handler = None
        stderr = True
        fallback = f"cannot write the log file ({exc.strerror or exc}); logging to the terminal only"
    else:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
        fallback = None
    if stderr:
        console = logging.StreamHandler()
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(console)
    # A handler that fails (a full disk, a log folder gone read-only) must not print a
    # traceback into the person's terminal; the message is simply lost.
    logging.raiseExceptions = False
    _configured = True
    if fallback:
        logging.getLogger(__name__).info(fallback)
