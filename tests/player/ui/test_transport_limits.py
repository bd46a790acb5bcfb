"""The now-playing bar takes whatever a damaged header claims."""


def test_the_seek_bar_takes_any_length_a_header_claims(qtbot):
    from player.ui.transport import TransportBar

    bar = TransportBar()
    qtbot.addWidget(bar)
    for position, duration in ((1.0, 1e30), (float("nan"), float("inf")), (-5.0, 3.0e6), (10.0, 43200.0)):
        bar.set_position(position, duration)
    assert bar.slider.maximum() == 43_200_000 and bar.slider.value() == 10_000
    # (a position that is no number, of a track an hour or longer: its time shown with hours)
    for position in (float("nan"), -5.0, 0.0):
        bar.set_position(position, 7200.0)
        assert bar.elapsed.text() == "0:00:00"


def test_the_seek_bar_stays_put_as_a_ten_hour_track_passes_each_hour(qtbot):
    # An audiobook of ten hours: "59:59" then "1:00:00", "9:59:59" then "10:00:00" widened the
    # time beside the bar, which moved and shrank under the handle at each. The time is shown
    # as long as the track's own is ("00:59:59 / 10:00:05"); a song keeps "3:12".
    from PySide6.QtWidgets import QApplication

    from player.ui.transport import TransportBar

    bar = TransportBar()
    qtbot.addWidget(bar)
    bar.resize(900, 90)
    bar.show()
    qtbot.waitExposed(bar)
    shown = []
    for position in (5.0, 59 * 60 + 59.0, 3600.0, 9 * 3600 + 59 * 60 + 59.0, 36000.0):
        bar.set_position(position, 36005.0)
        QApplication.sendPostedEvents()     # (laid out again now, as before the next paint)
        shown.append((bar.elapsed.text(), bar.slider.geometry()))
    assert [text for text, _ in shown] == ["00:00:05", "00:59:59", "01:00:00", "09:59:59", "10:00:00"]
    assert bar.total.text() == "10:00:05"
    assert len({geometry.getRect() for _, geometry in shown}) == 1, shown
    bar.set_position(3600.0, 7200.0)
    assert (bar.elapsed.text(), bar.total.text()) == ("1:00:00", "2:00:00")
    bar.set_position(5.0, 7200.0)
    assert bar.elapsed.text() == "0:00:05"
    bar.set_position(192.0, 200.0)
    assert (bar.elapsed.text(), bar.total.text()) == ("3:12", "3:20")
