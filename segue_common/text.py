"""Text as the person should see it, whatever bytes it came from.

File names on Linux are bytes; Python hands the ones that are not valid UTF-8 over
with each bad byte as a lone surrogate (``os.fsdecode``), which opens the file again
but cannot be printed, logged or drawn. :func:`shown` is the form for people: each
bad byte becomes U+FFFD, as does a control character (a line break or a tab becomes a
space). Keep the original for opening the file.
"""

from __future__ import annotations

import re

# Undecodable bytes (lone surrogates), and control characters: a file name (or a
# decoder's message) may hold a newline or a terminal's escape sequence, which would
# break a line shown in two or change the terminal it is printed to.
_BREAKS = re.compile("[\t\n\r\v\f\x85\u2028\u2029]+")
_UNSHOWABLE = re.compile("[\ud800-\udfff\x00-\x1f\x7f-\x9f]")


def shown(text: str | None) -> str:
    """``text`` on one line, as it can be shown: line breaks and tabs become a space, other
    control characters and undecodable bytes (lone surrogates) U+FFFD; "" for None."""
    if text is None:
        return ""
    return _UNSHOWABLE.sub("\ufffd", _BREAKS.sub(" ", text))
