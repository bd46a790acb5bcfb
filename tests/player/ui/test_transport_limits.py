"""The now-playing bar takes whatever a damaged header claims."""


def test_the_seek_bar_takes_any_length_a_header_claims(qtbot):
    from player.ui.transport import TransportBar

    bar = TransportBar()
    qtbot.addWidget(bar)
    for position, duration in ((1.0, 1e30), (float("nan"), float("inf")), (-5.0, 3.0e6), (10.0, 43200.0)):
        bar.set_position(position, duration)
    assert bar.slider.maximum() == 43_200_000 and bar.slider.value() == 10_000
