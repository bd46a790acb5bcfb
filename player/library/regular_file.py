"""Opening a file found in a music folder without the risk of waiting for ever (see
:mod:`segue_common.regular_file`, where it lives so that history imports open files the same way)."""

from segue_common.regular_file import NotRegularFile, check_regular_file, kind, open_regular_file

__all__ = ["NotRegularFile", "check_regular_file", "kind", "open_regular_file"]
