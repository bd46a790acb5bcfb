"""The names of a chart's bars, shortened by the columns a person sees them take."""

from __future__ import annotations

import unicodedata

import pytest

from player.ui.charts import shorten


@pytest.mark.parametrize("text, shown", [
    # An accent written as a mark of its own stays with its letter, and takes no column of its own.
    (unicodedata.normalize("NFD", "Beyoncé ") * 6, unicodedata.normalize("NFD", "Beyoncé " * 4 + "B…")),
    ("e\u0301" * 40, "e\u0301" * 33 + "…"),
    # An emoji family (three joined) is one emoji two columns wide, not eight, and is never cut apart.
    ("\U0001f468\u200d\U0001f469\u200d\U0001f467" * 6, "\U0001f468\u200d\U0001f469\u200d\U0001f467" * 6),
    # A flag is two letters drawn as one emoji: cut between them, it showed a letter in a box.
    ("\U0001f1ef\U0001f1f5" * 20, "\U0001f1ef\U0001f1f5" * 16 + "…"),
    ("\u2764\ufe0f" * 20, "\u2764\ufe0f" * 16 + "…"),
    ("ＡＢＣＤ" * 6, "ＡＢＣＤ" * 4 + "…"),
    ("Halo", "Halo"),
])
def test_a_name_is_shortened_by_the_columns_it_shows(text, shown):
    assert shorten(text, 34) == shown


def test_count_ticks_are_whole_round_numbers_and_few():
    from player.ui.charts import count_ticks

    assert [v for v, _ in count_ticks(1.18)] == [0, 1]          # one play: not 0, 0.5, 1.0
    assert [v for v, _ in count_ticks(10)] == [0, 2, 4, 6, 8, 10]
    assert [v for v, _ in count_ticks(23)] == [0, 5, 10, 15, 20]
    assert count_ticks(1180)[-1] == (1000, "1,000")
    for top in (0.4, 1, 3.5, 7.08, 57, 118, 4321.9):
        values = [v for v, _ in count_ticks(top)]
        assert values[0] == 0 and values[-1] <= top and len(values) <= 7
        assert all(isinstance(v, int) for v in values)
