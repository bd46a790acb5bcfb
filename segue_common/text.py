"""Text as the person should see it, whatever bytes it came from.

File names on Linux are bytes; Python hands the ones that are not valid UTF-8 over
with each bad byte as a lone surrogate (``os.fsdecode``), which opens the file again
but cannot be printed, logged or drawn. :func:`shown` is the form for people: each
bad byte becomes U+FFFD. Keep the original for opening the file.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def shown(text: str | None) -> str:
    """``text`` with undecodable bytes (lone surrogates) replaced by U+FFFD; "" for None."""
    if text is None:
        return ""
    return _SURROGATE.sub("\ufffd", text)
