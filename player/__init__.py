"""Segue: an offline desktop music player that learns from your own listening."""

__version__ = "0.1.0"
