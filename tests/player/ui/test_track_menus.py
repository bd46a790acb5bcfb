"""The song menus of the library, Up next, Discover and a playlist offer the same entries:
"Show in folder" opens the file manager at the song's folder (greyed out, saying why, when the
file is not there), and Discover's tiles can be queued as the library's rows can. On Linux the
desktop's file manager is asked over D-Bus to show the file chosen in its folder; the tests give
it a session bus of their own and a file manager of their own on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import urllib.parse

import pytest
from PySide6.QtCore import QCoreApplication, QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from player.ui.track_menu import SHOW_IN_FOLDER

# The desktop's file manager on the session bus, as the freedesktop.org specification names it.
FILE_MANAGER = "org.freedesktop.FileManager1"

# Elsewhere the file is chosen in Explorer or the Finder, which no test should start.
folder_opened = pytest.mark.skipif(sys.platform in ("win32", "darwin"),
                                   reason="there the file manager is asked to choose the file itself")


class _Opened(QObject):
    """Takes the ``file:`` addresses the application asks the desktop to open (Qt's own way
    for an application to handle a scheme itself), in place of the file manager."""

    def __init__(self):
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url) -> None:
        self.urls.append(url)


@pytest.fixture
def opened(tmp_path, monkeypatch):
    # A session bus address where no bus is, so that the file manager of the desktop the tests
    # run on (if any) is never asked; the tests that want one start a bus of their own.
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    catcher = _Opened()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("file")


def _action(menu, text: str):
    found = next((a for a in menu.actions() if a.text() == text), None)
    assert found is not None, [a.text() for a in menu.actions()]
    return found


def _library_menu(window, track_id: int):
    row = next(r for r in range(window.model.rowCount()) if window.model.track_id(r) == track_id)
    window.library.table.selectRow(row)
    window.library._menu(window.library.table.visualRect(window.model.index(row, 1)).center())
    return window.library.last_menu


def _shows(qtbot, opened, menu, path) -> None:
    """``menu``'s "Show in folder" becomes usable and opens ``path``'s folder."""
    action = _action(menu, SHOW_IN_FOLDER)
    qtbot.waitUntil(action.isEnabled, timeout=5000)
    menu.close()
    before = len(opened.urls)
    action.trigger()
    qtbot.waitUntil(lambda: len(opened.urls) > before, timeout=5000)
    assert os.path.samefile(_local(opened.urls[-1]), os.path.dirname(path))


def _local(url: QUrl) -> str:
    """The local path ``url`` names, byte for byte (``toLocalFile`` reads the bytes as UTF-8,
    so a name that is not UTF-8 would come back as another name)."""
    assert url.scheme() == "file", url
    return os.fsdecode(urllib.parse.unquote_to_bytes(url.path(QUrl.FullyEncoded)))


@folder_opened
def test_show_in_folder_opens_the_songs_folder_from_every_list(qtbot, scanned, make_window, opened):
    window = make_window(scanned)
    paths = {r["id"]: r["path"] for r in scanned.tracks()}
    # The library.
    first = window.model.track_id(0)
    _shows(qtbot, opened, _library_menu(window, first), paths[first])
    # Up next.
    ids = [window.model.track_id(r) for r in range(3)]
    window.enqueue(ids)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids, timeout=5000)
    up_next = window.up_next
    up_next._menu(up_next.list.visualRect(up_next.rows.index(1, 0)).center())
    _shows(qtbot, opened, up_next.last_menu, paths[ids[1]])
    # Discover.
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    row = window.discover.rows[0]
    row._menu(row.list.visualItemRect(row.list.item(0)).center())
    _shows(qtbot, opened, row.last_menu, paths[row.ids[0]])
    # A playlist's songs.
    scanned.create_playlist("Evening", [ids[2], ids[0]])
    window.refresh_playlists()
    panel = window.playlists
    qtbot.waitUntil(lambda: panel.entries.count() == 2, timeout=5000)
    window.tabs.setCurrentWidget(panel)
    panel._menu(panel.entries.visualRect(panel.entries.model().index(0, 0)).center())
    _shows(qtbot, opened, panel.last_menu, paths[ids[2]])


def test_show_in_folder_is_greyed_out_and_says_why_when_the_file_is_gone(qtbot, scanned, make_window, opened):
    window = make_window(scanned)
    gone = window.model.track_id(1)
    path = scanned.track(gone)["path"]
    os.remove(path)
    menu = _library_menu(window, gone)
    action = _action(menu, SHOW_IN_FOLDER)
    qtbot.waitUntil(lambda: "not there" in action.toolTip(), timeout=5000)
    menu.close()
    assert not action.isEnabled()
    assert path in action.toolTip() and action.statusTip() == action.toolTip()
    action.trigger()                # (a disabled action does nothing)
    assert opened.urls == []


def test_a_discover_tile_can_be_queued_as_a_library_row_can(qtbot, scanned, make_window):
    window = make_window(scanned)
    library = [a.text() for a in _library_menu(window, window.model.track_id(0)).actions() if a.text()]
    window.library.last_menu.close()
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    row = window.discover.rows[0]
    row._menu(row.list.visualItemRect(row.list.item(1)).center())
    menu = row.last_menu
    tile = [a.text() for a in menu.actions() if a.text()]
    shared = ["Play next", "Add to Up next", "Add to playlist", SHOW_IN_FOLDER]
    assert [t for t in library if t in shared] == shared and [t for t in tile if t in shared] == shared
    _action(menu, "Add to Up next").trigger()
    menu.close()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [row.ids[1]], timeout=5000)
    row._menu(row.list.visualItemRect(row.list.item(2)).center())
    _action(row.last_menu, "Play next").trigger()
    row.last_menu.close()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [row.ids[2], row.ids[1]], timeout=5000)


@folder_opened
def test_show_in_folder_finds_a_cue_sheets_track_in_the_library_and_in_a_playlist(qtbot, scanned, make_window,
                                                                                  music, opened):
    # A sheet's track is named "Album.flac#02" in the library and in a playlist: no file has
    # that name, the song's file is Album.flac.
    from player.library.scanner import Scanner
    from tests.player.library.test_cue import _album

    album = _album(music / "One File")
    Scanner(scanned).scan([str(music)])
    second = next(t["id"] for t in scanned.tracks() if t["title"] == "Second Song")
    assert scanned.track(second)["path"] == f"{album}#02"
    window = make_window(scanned)
    _shows(qtbot, opened, _library_menu(window, second), str(album))
    scanned.create_playlist("Sheet", [second])
    window.refresh_playlists()
    panel = window.playlists
    qtbot.waitUntil(lambda: panel.entries.count() == 1, timeout=5000)
    window.tabs.setCurrentWidget(panel)
    panel._menu(panel.entries.visualRect(panel.entries.model().index(0, 0)).center())
    _shows(qtbot, opened, panel.last_menu, str(album))


def test_a_song_menu_closed_is_let_go_in_every_list(qtbot, scanned, make_window):
    # Each right-click made a menu that stayed, window and all, as long as the list did.
    import shiboken6
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMenu

    window = make_window(scanned)

    def let_go(menu) -> None:
        assert shiboken6.isValid(menu) and menu.isVisible()
        qtbot.keyClick(menu, Qt.Key_Escape)
        qtbot.waitUntil(lambda: not shiboken6.isValid(menu), timeout=5000)

    first = window.model.track_id(0)
    let_go(_library_menu(window, first))
    chosen = _library_menu(window, first)          # (one chosen from goes too, after its action)
    _action(chosen, "Add to Up next").trigger()
    chosen.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(chosen), timeout=5000)
    assert not window.library.findChildren(QMenu)
    ids = [window.model.track_id(r) for r in range(2)]
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[:1], timeout=5000)
    up_next = window.up_next
    up_next._menu(up_next.list.visualRect(up_next.rows.index(0, 0)).center())
    let_go(up_next.last_menu)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    row = window.discover.rows[0]
    row._menu(row.list.visualItemRect(row.list.item(0)).center())
    let_go(row.last_menu)
    scanned.create_playlist("Evening", ids)
    window.refresh_playlists()
    panel = window.playlists
    qtbot.waitUntil(lambda: panel.entries.count() == 2, timeout=5000)
    window.tabs.setCurrentWidget(panel)
    panel._menu(panel.entries.visualRect(panel.entries.model().index(0, 0)).center())
    let_go(panel.last_menu)


def _on_screen(qtbot, menu) -> None:
    """Wait until ``menu`` is on the screen, as it is before a person can click anything:
    shown (which ``popup`` does at once) and its window exposed. A test that closes a menu
    before that leaves the window system's news of it undelivered (with the offscreen
    platform, "this window has the focus"): delivered after the menu is deleted, it reads as
    "no window of the application has the focus", and Qt closes every open menu."""
    qtbot.waitUntil(lambda: menu.isVisible() and menu.windowHandle() is not None
                    and menu.windowHandle().isExposed(), timeout=5000)


def test_a_right_click_on_another_row_while_a_menu_is_open_leaves_the_new_one_open(qtbot, scanned, make_window):
    # A right-click elsewhere while a menu is open closes that menu and opens the next one in
    # one go, before the closed one is let go: the next one must stay open, in a list, from
    # one list to another (Up next, the library, a playlist, the playlists, Discover), and on
    # the library's header.
    import shiboken6
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication

    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(3)]
    window.enqueue(ids)
    up_next, library = window.up_next, window.library
    qtbot.waitUntil(lambda: up_next.track_ids() == ids, timeout=5000)
    scanned.create_playlist("Evening", ids[:2])
    window.refresh_playlists()
    playlists = window.playlists
    qtbot.waitUntil(lambda: playlists.entries.count() == 2, timeout=5000)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    bucket = window.discover.rows[0]

    def right_click(owner, view, row, name="last_menu"):
        at = view.visualRect(view.model().index(row, 0)).center()
        QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Mouse, at,
                                                                  view.viewport().mapToGlobal(at)))
        return getattr(owner, name)

    def on_header():
        header = library.table.horizontalHeader()
        at = QPoint(header.sectionViewportPosition(1) + 5, header.height() // 2)
        QApplication.sendEvent(header.viewport(), QContextMenuEvent(QContextMenuEvent.Mouse, at,
                                                                    header.viewport().mapToGlobal(at)))
        return library.last_menu

    clicks = [lambda: right_click(up_next, up_next.list, 2),
              lambda: right_click(library, library.table, 1),
              on_header,
              lambda: right_click(playlists, playlists.entries, 1),
              lambda: right_click(playlists, playlists.lists, 0, "last_lists_menu"),
              lambda: right_click(bucket, bucket.list, 0),
              lambda: right_click(bucket, bucket.list, 1),
              lambda: right_click(up_next, up_next.list, 0)]
    menu = right_click(up_next, up_next.list, 0)
    for click in clicks:
        _on_screen(qtbot, menu)
        menu.close()                                    # what the press outside it does
        closed, menu = menu, click()                    # (no turn of the event loop between)
        assert menu is not closed and menu.isVisible()
        qtbot.waitUntil(lambda: not shiboken6.isValid(closed), timeout=5000)
        _on_screen(qtbot, menu)
        assert shiboken6.isValid(menu) and menu.isVisible()
    menu.close()                                        # and the last one closed is let go as ever
    qtbot.waitUntil(lambda: not shiboken6.isValid(menu), timeout=5000)


def test_a_playlists_songs_can_be_queued_as_a_library_row_can(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(4)]
    scanned.create_playlist("Evening", ids)
    window.refresh_playlists()
    panel = window.playlists
    qtbot.waitUntil(lambda: panel.entries.count() == 4, timeout=5000)
    window.tabs.setCurrentWidget(panel)

    def menu_on(row: int):
        panel._menu(panel.entries.visualRect(panel.entries.model().index(row, 0)).center())
        return panel.last_menu

    menu = menu_on(1)
    titles = [a.text() for a in menu.actions() if a.text()]
    assert ["Play next", "Add to Up next", SHOW_IN_FOLDER] == [t for t in titles if t in
                                                               ("Play next", "Add to Up next", SHOW_IN_FOLDER)]
    _action(menu, "Add to Up next").trigger()
    menu.close()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [ids[1]], timeout=5000)
    panel.entries.select_rows([2, 3])                  # a selection: all of it, in the playlist's order
    menu = menu_on(3)
    _action(menu, "Play next").trigger()
    menu.close()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [ids[2], ids[3], ids[1]], timeout=5000)


class _FileManager:
    """A file manager of the tests' own on a session bus: it answers ``ShowItems`` as the
    desktop's would (or, not ``answers``, as a hung one: never), keeping the addresses it was
    asked to show."""

    def __init__(self, address: str, answers: bool = True):
        from PySide6.QtDBus import QDBusConnection, QDBusVirtualObject

        outer = self
        self.asked: list[list] = []

        class Service(QDBusVirtualObject):
            def introspect(self, path):
                return ""

            def handleMessage(self, message, connection):
                if message.interface() != FILE_MANAGER or message.member() != "ShowItems":
                    return False
                outer.asked.append(message.arguments())
                if answers:
                    connection.send(message.createReply())
                return True

        self.name = f"file-manager-{id(self)}"
        self.service = Service()
        self.bus = QDBusConnection.connectToBus(address, self.name)
        assert self.bus.isConnected(), self.bus.lastError().message()
        assert self.bus.registerVirtualObject("/org/freedesktop/FileManager1", self.service)
        assert self.bus.registerService(FILE_MANAGER)

    def close(self) -> None:
        from PySide6.QtDBus import QDBusConnection

        self.bus.unregisterService(FILE_MANAGER)
        self.bus.unregisterObject("/org/freedesktop/FileManager1")
        QDBusConnection.disconnectFromBus(self.name)


@pytest.fixture
def session_bus(opened, monkeypatch):
    """A session bus of the test's own (a real ``dbus-daemon``), its address in the environment
    as a desktop session puts it."""
    if sys.platform in ("win32", "darwin") or shutil.which("dbus-daemon") is None:
        pytest.skip("no dbus-daemon here to start a session bus with")
    if shutil.which("gdbus") is None and shutil.which("dbus-send") is None:
        pytest.skip("neither gdbus nor dbus-send here to ask the file manager with")
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = daemon.stdout.readline().strip()
        assert address, "dbus-daemon gave no address"
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        from player.workers import wait_all

        wait_all()                  # no ask of the file manager outlives its bus
        daemon.terminate()
        daemon.wait(10)
        daemon.stdout.close()


@pytest.fixture(params=["gdbus", "dbus-send"])
def asker(request, tmp_path, monkeypatch):
    """Only ``gdbus``, then only ``dbus-send``, on the PATH: desktops have one or the other."""
    found = shutil.which(request.param)
    if found is None:
        pytest.skip(f"no {request.param} here")
    only = tmp_path / "bin"
    only.mkdir()
    (only / request.param).symlink_to(found)
    monkeypatch.setenv("PATH", str(only))
    return request.param


def _chooses(qtbot, window, track_id: int, file_manager: _FileManager, opened) -> None:
    """"Show in folder" on ``track_id``'s library row asks ``file_manager`` to show that song's
    file, chosen, and does not open its folder as well."""
    from player.workers import wait_all

    menu = _library_menu(window, track_id)
    action = _action(menu, SHOW_IN_FOLDER)
    qtbot.waitUntil(action.isEnabled, timeout=5000)
    menu.close()
    action.trigger()
    qtbot.waitUntil(lambda: bool(file_manager.asked), timeout=10000)
    path = window.store.track(track_id)["path"]
    ((uris, startup_id),) = file_manager.asked
    assert startup_id == "" and len(uris) == 1
    assert os.path.samefile(_local(QUrl.fromEncoded(uris[0].encode("ascii"))), path)
    assert wait_all(15000)
    QCoreApplication.processEvents()        # (the answer, already sent, reaches the window's thread)
    assert opened.urls == []


def _chooses_on(session_bus, qtbot, window, track_id: int, opened) -> None:
    """:func:`_chooses`, with a file manager of the test's own on ``session_bus``."""
    file_manager = _FileManager(session_bus)
    try:
        _chooses(qtbot, window, track_id, file_manager, opened)
    finally:
        file_manager.close()


def test_show_in_folder_asks_the_desktops_file_manager_to_choose_the_file(qtbot, scanned, make_window, opened,
                                                                          session_bus, asker):
    # Only the folder was opened on Linux, the person left to find the song among its files.
    window = make_window(scanned)
    _chooses_on(session_bus, qtbot, window, window.model.track_id(2), opened)


@folder_opened
def test_show_in_folder_opens_the_folder_where_no_file_manager_is_on_the_bus(qtbot, scanned, make_window,
                                                                             opened, session_bus):
    window = make_window(scanned)
    track_id = window.model.track_id(1)
    _shows(qtbot, opened, _library_menu(window, track_id), scanned.track(track_id)["path"])


@pytest.fixture
def odd_song(store, music):
    """A song whose folder and file names are bytes that are not UTF-8, scanned into ``store``
    with the rest of ``music``; skipped where the file system keeps names as text only."""
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    if sys.platform in ("win32", "darwin"):
        pytest.skip("names there are text, never bytes that are not UTF-8")
    folder = os.path.join(os.fsencode(music), b"Caf\xe9 \xff")          # Latin-1 and a stray byte
    try:
        os.mkdir(folder)
    except OSError as e:
        pytest.skip(f"this file system refuses names that are not UTF-8: {e}")
    made = write_track(music / "made", "odd", fmt="flac", seconds=1.0, tags={"title": "Odd Name"})
    path = os.path.join(folder, b"\xfe song.flac")
    os.rename(made, path)
    Scanner(store).scan([str(music)])
    (row,) = [t for t in store.tracks() if t["title"] == "Odd Name"]
    assert os.fsencode(row["path"]) == path
    return row["id"]


@folder_opened
def test_show_in_folder_opens_a_folder_whose_name_is_not_utf8(qtbot, store, odd_song, make_window, opened):
    # Its address was made from the name as text, each stray byte turned into three others:
    # the file manager was sent to a folder that is not there.
    window = make_window(store)
    path = store.track(odd_song)["path"]
    _shows(qtbot, opened, _library_menu(window, odd_song), path)
    assert os.fsencode(_local(opened.urls[-1])) == os.path.dirname(os.fsencode(path))


def test_the_file_manager_is_asked_for_a_file_whose_name_is_not_utf8(qtbot, store, odd_song, make_window, opened,
                                                                     session_bus):
    _chooses_on(session_bus, qtbot, make_window(store), odd_song, opened)


def test_a_bundles_libraries_are_not_given_to_the_systems_dbus_tools(qtbot, scanned, make_window, opened,
                                                                      session_bus, asker, tmp_path, monkeypatch):
    # A PyInstaller bundle runs with its own folder first on LD_LIBRARY_PATH; GLib and libdbus
    # copied there from the machine that built it were loaded by the system's gdbus or
    # dbus-send, which then failed to start (here: libraries that cannot load at all).
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name in ("libglib-2.0.so.0", "libgio-2.0.so.0", "libdbus-1.so.3"):
        (bundle / name).write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(bundle))
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG", raising=False)
    window = make_window(scanned)
    _chooses_on(session_bus, qtbot, window, window.model.track_id(2), opened)


def _stand_in_xdg_open(folder, works: bool = True):
    """An ``xdg-open`` of the test's own in ``folder``: it keeps its arguments and environment
    (each ended by a NUL byte) in ``folder``/record and exits. A stand-in, because the real one
    would open a real file manager and is not installed where these tests run; not ``works``,
    one that cannot be started at all (its interpreter is not there)."""
    folder.mkdir()
    record = folder / "record"
    script = folder / "xdg-open"
    if works:
        script.write_text(f"#!/bin/sh\n{{ printf '%s\\0' \"$@\"; printf '\\0'; env -0; }} > '{record}.part'\n"
                          f"mv '{record}.part' '{record}'\n")
    else:
        script.write_text("#!/nonexistent/sh\n")
    script.chmod(0o755)
    return record


@folder_opened
def test_a_bundle_opens_the_folder_without_its_libraries_and_qt(qtbot, scanned, make_window, opened, tmp_path,
                                                                  monkeypatch):
    # Qt opened the folder with xdg-open started with the app's own environment: the bundle's
    # folder first on LD_LIBRARY_PATH and its Qt plugins on QT_PLUGIN_PATH, which a KDE file
    # manager (a Qt program) or GNOME's gio then loaded in place of their own.
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    own = tmp_path / "own-qml"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(bundle))
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG", raising=False)
    monkeypatch.setenv("QT_PLUGIN_PATH", str(bundle / "PySide6" / "Qt" / "plugins"))
    monkeypatch.setenv("QML2_IMPORT_PATH", os.pathsep.join([str(bundle / "PySide6" / "Qt" / "qml"), str(own)]))
    record = _stand_in_xdg_open(tmp_path / "bin")
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "bin"), os.environ.get("PATH", "")]))
    from player.workers import wait_all

    window = make_window(scanned)
    track_id = window.model.track_id(1)
    menu = _library_menu(window, track_id)
    action = _action(menu, SHOW_IN_FOLDER)
    qtbot.waitUntil(action.isEnabled, timeout=5000)
    menu.close()
    action.trigger()
    qtbot.waitUntil(record.exists, timeout=15000)
    argv, env = record.read_bytes().split(b"\0\0", 1)
    (folder,) = argv.split(b"\0")
    assert os.path.samefile(folder, os.path.dirname(scanned.track(track_id)["path"]))
    env = dict(item.split(b"=", 1) for item in env.split(b"\0") if item)
    assert b"LD_LIBRARY_PATH" not in env and b"QT_PLUGIN_PATH" not in env
    assert env[b"QML2_IMPORT_PATH"] == os.fsencode(own)
    assert wait_all(15000)
    QCoreApplication.processEvents()
    assert opened.urls == []                    # opened once, not by Qt as well


@folder_opened
@pytest.mark.parametrize("xdg_open", ["missing", "broken"])
def test_a_bundle_without_a_working_xdg_open_opens_the_folder_the_plain_way(qtbot, scanned, make_window, opened,
                                                                           tmp_path, monkeypatch, xdg_open):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    if xdg_open == "broken":
        _stand_in_xdg_open(tmp_path / "bin", works=False)
    else:
        (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))       # no other xdg-open (nor gdbus) found
    window = make_window(scanned)
    track_id = window.model.track_id(1)
    _shows(qtbot, opened, _library_menu(window, track_id), scanned.track(track_id)["path"])


@folder_opened
def test_a_bundle_quit_before_its_ask_ran_opens_no_folder(qtbot, scanned, opened, tmp_path, monkeypatch):
    # In the bundle the folder is opened from the worker, not from the window's answer (which
    # is not delivered once the app has quit): an ask still queued when the app quit went on
    # to start xdg-open, and the folder opened as the app went.
    from PySide6.QtCore import QThreadPool

    from player.ui.track_menu import reveal, stop_revealing
    from player.workers import run_task, wait_all

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    # A stand-in xdg-open (the real one is not installed where the tests run, and would open a
    # file manager) that adds the folder it was given to a list.
    (tmp_path / "bin").mkdir()
    started = tmp_path / "started"
    (tmp_path / "bin" / "xdg-open").write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{started}'\n")
    (tmp_path / "bin" / "xdg-open").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))       # no gdbus: the file manager is not asked
    path = next(iter(scanned.tracks()))["path"]
    pool, release = QThreadPool.globalInstance(), threading.Event()
    for _ in range(pool.maxThreadCount()):                   # every worker busy: the ask waits
        run_task(lambda: release.wait(15))
    reveal(path)
    stop_revealing()                                          # the quit, before the ask runs
    release.set()
    assert wait_all(15000)
    QCoreApplication.processEvents()
    assert opened.urls == []
    # A reveal asked after that one does open its folder: once its line is there, a folder
    # opened by the first (started before it) would be listed too.
    later = tmp_path / "later"
    reveal(str(later / "song.flac"))
    qtbot.waitUntil(lambda: started.exists() and str(later) in started.read_text(), timeout=15000)
    assert started.read_text().splitlines() == [str(later)]


def test_quitting_does_not_wait_for_a_file_manager_that_does_not_answer(qtbot, scanned, make_window, opened,
                                                                        session_bus):
    # The app's quit waits for its background work: it lingered, its library still locked, for
    # the 10 s and more that the ask of a hung file manager could wait for the answer.
    from player.ui.track_menu import stop_revealing
    from player.workers import wait_all

    file_manager = _FileManager(session_bus, answers=False)
    try:
        window = make_window(scanned)
        menu = _library_menu(window, window.model.track_id(1))
        action = _action(menu, SHOW_IN_FOLDER)
        qtbot.waitUntil(action.isEnabled, timeout=5000)
        menu.close()
        action.trigger()
        qtbot.waitUntil(lambda: bool(file_manager.asked), timeout=10000)
        stop_revealing()
        assert wait_all(3000)
        QCoreApplication.processEvents()
        assert opened.urls == []                # nor is its folder opened as the app goes
    finally:
        file_manager.close()
