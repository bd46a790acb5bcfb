"""Where the ``segue`` command starts (the installed script, ``python -m player``, the bundle).

It loads nothing but itself before it catches Ctrl-C, so a Ctrl-C while the command's own code
loads (a cold start, a slow disk) is one line, as once the command has begun, not a traceback."""

import sys


def main() -> int:
    try:
        from player.cli import main as run
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return run()
