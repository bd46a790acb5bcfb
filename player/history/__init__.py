"""Listening history from other services: reading their exports, matching rows to tracks, importing."""
