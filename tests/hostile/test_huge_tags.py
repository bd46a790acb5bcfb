"""Tags far larger than any song's words, as shown in the window."""

from __future__ import annotations

from mutagen import id3

from tests.hostile import generate


def test_lyrics_of_one_line_of_a_megabyte_are_shown_cut(tmp_path, qtbot):
    """A lyrics tag holding one line of nearly a megabyte (a tagger's garbage, an encoded
    picture pasted into the field): laid out whole, the Lyrics tab took about a second of
    the window's own thread for it, and again at every resize. Shown cut, with an ellipsis."""
    from player.library.lyrics import read_lyrics
    from player.ui.lyrics_pane import LyricsPane

    path = generate.write(tmp_path / "one-line.mp3")
    line = "la " * 330_000
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=3, text=["One line"]))
    tags.add(id3.USLT(encoding=3, lang="eng", desc="", text="First verse\n" + line + "\nLast verse"))
    tags.save(str(path))
    lyrics = read_lyrics(str(path))
    assert lyrics is not None and len(lyrics.lines) == 3

    pane = LyricsPane()
    qtbot.addWidget(pane)
    pane.show_track(1)
    pane.set_lyrics(1, lyrics)
    shown = [pane.list.item(i).text() for i in range(pane.list.count())]
    assert shown[0] == "First verse" and shown[2] == "Last verse"
    # Cut, but not before a song's whole words written as one paragraph (no line breaks) end.
    assert 10_000 <= len(shown[1]) <= 50_000 and shown[1].endswith("…")
    assert line.startswith(shown[1][:-1])
