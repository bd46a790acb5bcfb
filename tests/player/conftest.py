"""Fixtures shared by the player's tests."""

from __future__ import annotations

import pytest


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
