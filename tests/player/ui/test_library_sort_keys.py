"""The library's order and columns from the keyboard: its header sorts and chooses columns
by mouse only (a header takes no focus), so View has the same choices."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt


def _open(qtbot, menu):
    """``menu`` opened as a key opens it (it is filled as it opens); its actions by name."""
    menu.popup(QPoint(0, 0))
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    acts = {a.text(): a for a in menu.actions() if not a.isSeparator()}
    return acts


def _titles(window) -> list[str]:
    model = window.model
    return [model.data_.info(model.track_id(r))[0] for r in range(model.rowCount())]


def test_view_sorts_the_library_by_a_column_either_way_and_back(qtbot, scanned, make_window):
    window = make_window(scanned)
    library_order = _titles(window)
    header = window.library.table.horizontalHeader()
    acts = _open(qtbot, window.sort_menu)
    assert list(acts)[:3] == ["Library order", "#", "Title"] and "Composer" not in acts     # (hidden)
    assert acts["Library order"].isChecked() and not acts["Descending"].isEnabled()
    acts["Title"].trigger()
    window.sort_menu.close()
    assert _titles(window) == sorted(library_order)
    assert header.sortIndicatorSection() == 1 and header.sortIndicatorOrder() == Qt.AscendingOrder
    acts = _open(qtbot, window.sort_menu)
    assert acts["Title"].isChecked() and acts["Descending"].isEnabled() and not acts["Descending"].isChecked()
    acts["Descending"].trigger()
    window.sort_menu.close()
    assert _titles(window) == sorted(library_order, reverse=True)
    acts = _open(qtbot, window.sort_menu)
    assert acts["Descending"].isChecked()
    acts["Library order"].trigger()
    window.sort_menu.close()
    assert _titles(window) == library_order


def test_view_shows_and_hides_the_optional_columns(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.resize(1280, 780)                 # (room for one more column)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=2000)
    table = window.library.table
    composer = 7
    assert table.isColumnHidden(composer)
    acts = _open(qtbot, window.columns_menu)
    # (the Rating column too, hidden until chosen as the composer's is)
    assert list(acts) == ["Composer", "Rating"] and not acts["Composer"].isChecked()
    assert not acts["Rating"].isChecked() and table.isColumnHidden(8)
    acts["Composer"].trigger()
    window.columns_menu.close()
    assert not table.isColumnHidden(composer)
    acts = _open(qtbot, window.sort_menu)
    assert "Composer" in acts
    window.sort_menu.close()
    acts = _open(qtbot, window.columns_menu)
    assert acts["Composer"].isChecked()
    acts["Composer"].trigger()
    window.columns_menu.close()
    assert table.isColumnHidden(composer)


def test_the_view_menu_names_them_for_the_keyboard(qtbot, scanned, make_window):
    window = make_window(scanned)
    titles = [a.text() for a in window.view_menu.actions()]
    assert "&Sort library by" in titles and "Library &columns" in titles
