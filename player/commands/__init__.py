"""Subcommands of ``segue`` (see :mod:`player.cli`)."""
