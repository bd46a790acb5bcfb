"""The menu bar's menus can be walked from the keyboard: in each, every entry that has a
mnemonic has its own (Alt+F, then one letter, reaches one entry, not the first of two)."""

from __future__ import annotations

import re


def test_no_two_entries_of_a_menu_share_a_mnemonic(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False)
    for top in window.menuBar().actions():
        menu = top.menu()
        letters = [m.group(1).casefold() for a in menu.actions() if (m := re.search(r"&(\w)", a.text()))]
        assert len(letters) == len(set(letters)), (top.text(), [a.text() for a in menu.actions()])
    file_entries = [a.text() for a in window.file_menu.actions() if not a.isSeparator()]
    assert all("&" in text for text in file_entries), file_entries
