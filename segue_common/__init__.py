"""What the player and the recommender both need, at the bottom of the project.

Audio decoding (:mod:`.audio_io`), name normalisation (:mod:`.normalize`), the
session and skip rules (:mod:`.listening`) and atomic file writes (:mod:`.atomic`).
This package imports nothing of the project, so any part of it may import this.
"""
