"""Cover art from tags or the folder; light/dark following the system scheme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage, QPalette

from player.ui.cover import folder_picture, load_cover
from tests.audiogen import write_track


def _png(color: str, size: int = 40) -> bytes:
    image = QImage(size, size, QImage.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def test_cover_embedded_in_flac_tags(qapp, tmp_path):
    from mutagen.flac import FLAC, Picture

    path = write_track(tmp_path / "a", "t", fmt="flac", tags={"title": "x"})
    pic = Picture()
    pic.type, pic.mime, pic.data = 3, "image/png", _png("#cc2020")
    audio = FLAC(str(path))
    audio.add_picture(pic)
    audio.save()
    image = load_cover(str(path), 64)
    assert image is not None and image.width() == 64
    assert QColor(image.pixel(10, 10)).red() > 180


@pytest.mark.parametrize("fmt", ["flac", "ogg"])
def test_the_front_cover_is_shown_where_the_back_cover_is_embedded_before_it(qapp, tmp_path, fmt):
    # A rip with its back cover (and the artist's photo) embedded before the front one, as
    # taggers add them in any order: the album was shown by its back cover.
    import base64

    import mutagen
    from mutagen.flac import Picture

    path = write_track(tmp_path / "a", "t", fmt=fmt, tags={"title": "x"})
    pictures = []
    for kind, color in ((4, "#cc2020"), (8, "#20cc20"), (3, "#2040d0")):     # back, artist, front
        pic = Picture()
        pic.type, pic.mime, pic.data = kind, "image/png", _png(color)
        pictures.append(pic)
    audio = mutagen.File(str(path))
    if fmt == "flac":
        for pic in pictures:
            audio.add_picture(pic)
    else:                 # (Ogg Vorbis keeps its pictures as FLAC's, in base64 comments)
        audio["metadata_block_picture"] = [base64.b64encode(p.write()).decode("ascii") for p in pictures]
    audio.save()
    image = load_cover(str(path), 32)
    assert image is not None
    color = QColor(image.pixel(5, 5))
    assert color.blue() > 180 and color.red() < 100, color.name()


def test_cover_from_folder_image_any_case(qapp, tmp_path):
    path = write_track(tmp_path / "b", "t", fmt="wav")
    (tmp_path / "b" / "Folder.PNG").write_bytes(_png("#2040d0"))
    assert folder_picture(str(path)).endswith("Folder.PNG")
    image = load_cover(str(path), 32)
    assert image is not None and QColor(image.pixel(5, 5)).blue() > 180


def test_no_cover_is_none(qapp, tmp_path):
    path = write_track(tmp_path / "c", "t", fmt="wav")
    assert load_cover(str(path)) is None


def test_dark_scheme_switches_the_palette(qapp):
    from player.ui.theme import apply_theme

    apply_theme(qapp)
    hints = qapp.styleHints()
    # What Qt emits when the desktop switches (the offscreen platform has no scheme of its own).
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert qapp.palette().color(QPalette.Window).lightness() < 80
    assert qapp.palette().color(QPalette.Text).lightness() > 180
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert qapp.palette().color(QPalette.Window).lightness() > 180


def test_theme_uses_the_shipped_palette_style_and_icon(qapp):
    import json

    from player import paths
    from player.ui.theme import apply_theme

    apply_theme(qapp)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    spec = json.loads((paths.resources_dir() / "style" / "palette.json").read_text(encoding="utf-8"))
    assert qapp.palette().color(QPalette.Highlight).name() == spec["light"]["Highlight"].lower()
    assert "QHeaderView::section" in qapp.styleSheet()
    assert not qapp.windowIcon().isNull()


def test_the_window_icon_is_drawn_for_each_size_it_is_shown_at(qapp):
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage

    from player import paths
    from player.ui.theme import apply_theme

    apply_theme(qapp)
    icon = qapp.windowIcon()
    premultiplied = QImage.Format_ARGB32_Premultiplied      # (as a pixmap holds it)
    for side in (16, 24, 32, 48, 64):
        drawn = QImage(str(paths.resources_dir() / "icons" / "png" / f"segue-{side}.png"))
        shown = icon.pixmap(QSize(side, side), 1.0).toImage()
        # The title bar's icon is the one drawn at its size, not the large one shrunk.
        assert shown.convertToFormat(premultiplied) == drawn.convertToFormat(premultiplied), side


def test_folder_cover_names_people_use(qapp, tmp_path):
    cases = {"albumcover": "AlbumCover.png", "front": "front.JPG", "word": "Zelda OST - Cover.jpg",
             "only": "scan.png"}
    for folder, image in cases.items():
        path = write_track(tmp_path / folder, "t", fmt="wav")
        (tmp_path / folder / image).write_bytes(_png("#20c040"))
        assert folder_picture(str(path)).endswith(image), folder
    # Best name first; a disc folder looks in the album folder above it.
    (tmp_path / "albumcover" / "cover.jpg").write_bytes(_png("#ffffff"))
    assert folder_picture(str(tmp_path / "albumcover" / "t.wav")).endswith("cover.jpg")
    disc = write_track(tmp_path / "front" / "CD2", "t", fmt="wav")
    assert folder_picture(str(disc)).endswith("front.JPG")
    two = write_track(tmp_path / "two", "t", fmt="wav")
    for name in ("a.png", "b.png"):
        (tmp_path / "two" / name).write_bytes(_png("#000000"))
    assert folder_picture(str(two)) is None                  # two unnamed pictures: no guess


def test_a_disabled_button_looks_disabled_in_both_schemes(qapp):
    from PySide6.QtWidgets import QPushButton

    from player.ui.theme import apply_theme

    apply_theme(qapp)

    def contrast(button: QPushButton) -> int:
        """How far the label's strongest pixels are from the button's face (lightness, 0-255)."""
        face = qapp.palette().color(QPalette.Button).lightness()
        image = button.grab().toImage().convertToFormat(QImage.Format_RGB32)
        w, h = image.width(), image.height()
        return max(abs(image.pixelColor(x, y).lightness() - face)
                   for x in range(w // 2 - 25, w // 2 + 25) for y in range(h // 2 - 5, h // 2 + 5))

    try:
        for scheme in (Qt.ColorScheme.Light, Qt.ColorScheme.Dark):
            qapp.styleHints().colorSchemeChanged.emit(scheme)
            enabled, disabled = QPushButton("Play selection"), QPushButton("Play selection")
            disabled.setEnabled(False)
            for b in (enabled, disabled):
                b.resize(160, 30)
            # The disabled label stands out from its face about half as much as the enabled one.
            assert contrast(disabled) < 0.7 * contrast(enabled), scheme
    finally:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)


_LOOK_BEFORE: dict = {}


def test_a_test_may_leave_the_app_themed_dark(qapp):
    from player.ui.theme import apply_theme

    _LOOK_BEFORE.update(style=qapp.style().name(), palette=QPalette(qapp.palette()), sheet=qapp.styleSheet())
    apply_theme(qapp)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)      # and no switch back
    assert qapp.palette() != _LOOK_BEFORE["palette"] and qapp.styleSheet() != _LOOK_BEFORE["sheet"]


def test_the_test_after_it_finds_the_app_as_it_was(qapp):
    """The theme is undone after each test (tests/conftest.py): the tests after one that themed
    the shared application ran in its palette and style sheet, and not in the look they have alone."""
    from PySide6.QtWidgets import QLabel

    if not _LOOK_BEFORE:
        pytest.skip("looks at what the test before it left")
    assert qapp.style().name() == _LOOK_BEFORE["style"]
    assert qapp.palette() == _LOOK_BEFORE["palette"]
    assert qapp.styleSheet() == _LOOK_BEFORE["sheet"]
    label = QLabel("why")
    label.ensurePolished()
    assert label.palette().color(QPalette.Window) == _LOOK_BEFORE["palette"].color(QPalette.Window)


def test_the_cover_shared_with_the_desktop_is_replaced_whole_and_only_by_the_song_playing(qapp, tmp_path):
    from player.ui.cover import share_cover

    def picture(color: str) -> QImage:
        image = QImage(64, 64, QImage.Format_RGB32)
        image.fill(QColor(color))
        return image

    def color_of(data: bytes) -> str:
        return QImage.fromData(data).pixelColor(5, 5).name()

    folder = tmp_path / "cache"
    folder.mkdir()

    first = share_cover(picture("red"), 7, folder)
    assert first is not None and color_of(open(first, "rb").read()) == "#ff0000"
    # A desktop reading the file as the same song's cover is written again (a replay) gets
    # the whole old picture: the file was written over in place, and read half-written.
    with open(first, "rb") as reading:
        assert share_cover(picture("lime"), 7, folder) == first
        assert color_of(reading.read()) == "#ff0000"
    assert color_of(open(first, "rb").read()) == "#00ff00"
    # The worker of a song that is no longer playing, slower than the next song's, neither
    # writes its picture nor removes the one of the song playing.
    assert share_cover(picture("blue"), 8, folder, wanted=lambda: False) is None
    assert sorted(p.name for p in folder.iterdir()) == ["now-playing-7.png"]
    # One file, the song playing's, however many songs played.
    for track_id in (8, 9, 10):
        share_cover(picture("blue"), track_id, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["now-playing-10.png"]


def test_the_cover_of_a_cue_sheets_track_is_the_one_in_its_albums_file(qtbot, store, tmp_path, make_window):
    from player.library.scanner import Scanner
    from tests.player.library.test_cue import _album
    from tests.player.ui.test_screenshot_and_startup import _embed_cover

    _embed_cover(_album(tmp_path / "music"))
    Scanner(store).scan([str(tmp_path / "music")])
    second = store.tracks()[1]
    window = make_window(store)
    window.play_ids([second["id"]], 0, "library")
    qtbot.waitUntil(lambda: window.transport.title.text() == "Second Song", timeout=10000)
    qtbot.waitUntil(lambda: window._cover_task is not None and window._cover_task.done, timeout=10000)
    qtbot.wait(50)
    assert window.transport._cover_image is not None
