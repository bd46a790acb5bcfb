"""The ``segue`` command: the window by default, subcommands for terminal use.

Each subcommand lives in ``player/commands/<name>.py`` with ``add_parser(sub)``
and ``run(args) -> int``; list it in :data:`COMMANDS`. Heavy imports (Qt, torch)
happen inside the command that needs them, so ``segue --help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from player import __version__
from player.console import NO_CONSOLE, ToTheLog

COMMANDS = ["scan", "library", "selftest", "status", "analyse", "play", "import_history", "imports", "export"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segue",
        description="Segue: an offline music player that learns from your own listening. "
        "With no command, opens the window; `segue FILE...` plays files, folders or playlists in it. "
        "Segue never uses the network.",
    )
    parser.add_argument("--version", action="version", version=f"segue {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    # --self-test: a top-level flag so a frozen bundle can be checked with
    # `Segue --self-test`; it runs player/commands/selftest.py and exits.
    parser.add_argument("--self-test", action="store_true", help="check this installation (no window) and exit")
    parser.add_argument("--open", nargs="+", metavar="PATH", default=[],
                        help="open the window and play these files or folders (an open window gets them)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"player.commands.{name}")
        command = module.add_parser(sub)
        command.set_defaults(_run=module.run)
    parser.command_names = frozenset(sub.choices)       # with their aliases
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C before a command began (its imports, the log being set up) or as it ended:
        # one line, as during the command, not a traceback.
        print("interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    # In a frozen bundle, a spawned worker process (the analysis decoders)
    # re-runs this executable; freeze_support() turns it into the worker and exits. No-op otherwise.
    import multiprocessing

    multiprocessing.freeze_support()
    # Before numpy loads OpenBLAS: implicit's ALS wants one BLAS thread (its own threads do
    # the work), and setting it later, where the model is imported, has no effect.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _tolerant_streams()
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    opened = _files_to_open(parser, argv)
    args = parser.parse_args(opened)
    if args.command is None and opened != argv and "stderr" not in NO_CONSOLE:
        # Files named without --open, typed in a terminal: what is not there is said here, and a
        # mistyped command opens no window. (With no console, only the window could say it.)
        args.open, refused = _files_there(parser, args.open, words="--" not in argv, terminal=_is_terminal(sys.stderr))
        if refused:
            return 2
    from player.log import setup_logging

    # (with no console, stderr is the log already)
    setup_logging(verbose=args.verbose, stderr="stderr" not in NO_CONSOLE)
    run = getattr(args, "_run", None)
    if args.self_test and run is None:
        from player.commands import selftest

        run = selftest.run
    if run is None:
        from player.ui.main import run_gui

        return run_gui(args)
    name = args.command or "self-test"
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Read by something that stopped reading (``| head``): nothing is wrong. Later
        # writes, at exit too, go nowhere rather than fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - a person gets one line, the log gets the traceback
        from player.failures import describe

        message, status = describe(exc)
        print(f"segue {name}: {message}", file=sys.stderr)
        return status


def _files_to_open(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``segue FILE...`` is ``segue --open FILE...``: what a file manager's "Open with" runs
    (the desktop entry's ``%F``), and what people type. Anything that is not a command's
    name starts the files; a file named like a command is opened as ``./scan``. After ``--``
    every word is a file, one named ``-x.mp3`` or ``scan`` too (argparse took ``--`` for a
    command's name, and any word starting with - for an option even after ``--open``)."""
    # macOS passes an app the Finder opens its process serial number, -psn_0_12345 (older
    # versions, and a first launch after a download): no option of ours, it made argparse
    # refuse, and the window never opened. It is left out, before any ``--``.
    end = argv.index("--") if "--" in argv else len(argv)
    argv = [arg for arg in argv[:end] if not arg.startswith("-psn_")] + argv[end:]
    for i, arg in enumerate(argv):
        if arg == "--":
            files = [f"./{name}" if name.startswith("-") else name for name in argv[i + 1:]]
            return argv[:i] + ["--open", *files] if files else argv[:i]
        if arg == "--open" or arg in parser.command_names:
            return argv
        if not arg.startswith("-"):
            return argv[:i] + ["--open"] + argv[i:]
    return argv


#: words people type for a command that has another name here, each the command it means
_MEANT = {"folder": "scan", "folders": "scan", "add": "scan", "rescan": "scan", "index": "scan", "update": "scan",
          "refresh": "scan", "list": "library", "ls": "library", "songs": "library", "tracks": "library",
          "info": "status", "stats": "status", "test": "self-test", "check": "self-test", "selftest": "self-test",
          "doctor": "self-test", "search": "play", "find": "play", "listen": "play", "history": "import",
          "load": "import", "remove": "imports", "backup": "export", "dump": "export"}


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _files_there(parser: argparse.ArgumentParser, paths: list[str], *, words: bool,
                 terminal: bool = True) -> tuple[list[str], bool]:
    """``(the paths that are there, refused)``, after saying on stderr what is not there. A
    first word that is no file and looks like no path (``segue folder add ~/Music``) was
    meant as a command: nothing is opened then, and the nearest command is suggested; unless it
    is like no command and other paths given are there, when it is a mistyped name. Other
    paths that are not there are named and left out, and the rest play, as mpv does; with
    none left nothing is opened. ``words``: whether a bare word may be a command (not after
    ``--``). ``terminal``: whether stderr is one; where it is not (a file manager's "Open
    with", whose stderr goes to a journal nobody reads), every path goes to the window, which
    says in its status bar what is not there: a double-clicked file that vanished opens the
    window saying so, rather than nothing happening."""
    from player.playlist_files import file_url_path
    from segue_common.text import shown

    def there(path: str) -> bool:
        return os.path.exists(file_url_path(path) if path.lower().startswith("file:") else path)

    missing = [path for path in paths if not there(path)]
    if not missing:
        return paths, False
    first = paths[0]
    commands = ", ".join(sorted(name for name in parser.command_names if name != "analyze"))
    bare = words and first in missing and not re.search(r"[./\\:]", first)
    meant = _nearest_command(first, parser.command_names) if bare else None
    # A bare word like no command, beside paths that are there (``segue Musik song.flac``), is
    # a mistyped folder's name: named and left out below, as any other, and the rest play.
    if bare and (meant or len(missing) == len(paths)):
        print(f"segue: '{shown(first)}' is not a command, nor a file or folder here"
              + (f"; did you mean `segue {meant}`?" if meant else ""), file=sys.stderr)
        print(f"segue: the commands are {commands} (`segue --help` says what each does); "
              "`segue FILE...` plays files, folders or playlists", file=sys.stderr)
        return [], True
    if not terminal:
        return paths, False
    names = ", ".join(shown(path) for path in missing)
    if len(missing) == len(paths):
        print(f"segue: not found: {names} (nothing to play; the commands are {commands})", file=sys.stderr)
        return [], True
    print(f"segue: not found, left out: {names}", file=sys.stderr)
    return [path for path in paths if path not in missing], False


def _nearest_command(word: str, names) -> str | None:
    """The command a mistyped or other-named word most likely meant, or None."""
    import difflib

    word = word.lower()
    if word in _MEANT:
        return _MEANT[word]
    close = [word] if word in names else difflib.get_close_matches(word, sorted(names), n=1, cutoff=0.6)
    return ("analyse" if close[0] == "analyze" else close[0]) if close else None     # (SCAN: scan)


def _tolerant_streams() -> None:
    """Printing a file name that is not valid UTF-8 must not end the command. A program with no
    console has no streams at all (Segue.exe, the windowed Windows bundle, and any launch with
    them closed: Python makes them None), where every progress line and message had ended the
    command with "'NoneType' object has no attribute 'write'": what a command prints goes
    nowhere there, and what it says on stderr goes to the log. A stream that is there (a pipe,
    a redirected file) is kept."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
        NO_CONSOLE.add("stdout")
    if sys.stderr is None:
        sys.stderr = ToTheLog()
        NO_CONSOLE.add("stderr")
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


if __name__ == "__main__":
    sys.exit(main())
