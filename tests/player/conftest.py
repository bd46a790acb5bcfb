"""Fixtures shared by the player's tests."""

from __future__ import annotations

import time

import pytest


@pytest.fixture
def time_zone(monkeypatch):
    """Sets this process's time zone for the test (``time_zone("Europe/Berlin")``), and gives
    the one it had back after it: a zone left set shifts every later test's local days."""
    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(params=["learning", "plain"])
def provider(request, store):
    """Each of the window's two recommendation providers, on the same 96-track library."""
    from player.recommendations import LibraryRecommendations
    from player.recommender_service import RecommenderService
    from tests.player.test_recommender_service import fill_library

    fill_library(store)
    if request.param == "learning":
        return RecommenderService(store, priors=None)
    return LibraryRecommendations(store)


@pytest.fixture
def make_player(store):
    """Players over the null engine (four times real time unless ``speed`` says; ``engine``: a
    subclass of it), closed after the test. (A test file that needs other engine settings has
    a fixture of its own.)"""
    from player.audio.null_engine import NullEngine
    from player.playback import Player

    players = []

    def make(speed=4.0, engine=NullEngine):
        players.append(Player(store, engine(speed=speed), progress_interval_s=0.2))
        return players[-1]

    yield make
    for p in players:
        p.close()
