"""The now-playing bar: cover, title/artist/album, transport buttons, seek, volume, radio."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QSizePolicy, QSlider, QStyle, QToolButton, QVBoxLayout, QWidget,
)

from player.ui.library_model import format_duration

COVER_PX = 64


def _button(style: QStyle, icon: QStyle.StandardPixmap, tip: str, size: int = 28) -> QToolButton:
    b = QToolButton()
    b.setIcon(style.standardIcon(icon))
    b.setIconSize(QSize(size, size))
    b.setToolTip(tip)
    b.setAutoRaise(True)
    b.setEnabled(False)
    return b


class TransportBar(QFrame):
    """Emits what the user asks for; the window forwards it to the player."""

    play_pause = Signal()
    next_track = Signal()
    previous_track = Signal()
    seek = Signal(float)          # seconds
    volume_changed = Signal(float)  # 0..1
    radio = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("transport")
        self.setFrameShape(QFrame.NoFrame)
        style = self.style()
        self.cover = QLabel()
        self.cover.setFixedSize(COVER_PX, COVER_PX)
        self.cover.setAlignment(Qt.AlignCenter)
        self.cover.setObjectName("cover")
        self.title = QLabel("Nothing playing")
        self.title.setObjectName("nowTitle")
        self.subtitle = QLabel("Double-click a track, or press Space")
        self.subtitle.setObjectName("nowSubtitle")
        for label in (self.title, self.subtitle):
            label.setTextFormat(Qt.PlainText)        # a title is text, never HTML
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.prev_btn = _button(style, QStyle.SP_MediaSkipBackward, "Previous (Ctrl+Left)", 22)
        self.play_btn = _button(style, QStyle.SP_MediaPlay, "Play / pause (Space)", 34)
        self.next_btn = _button(style, QStyle.SP_MediaSkipForward, "Next (Ctrl+Right)", 22)
        self.radio_btn = QToolButton()
        self.radio_btn.setText("Radio")
        self.radio_btn.setToolTip("Start radio from this song")
        self.radio_btn.setEnabled(False)
        self.elapsed = QLabel("0:00")
        self.total = QLabel("0:00")
        for label in (self.elapsed, self.total):
            label.setMinimumWidth(44)
            label.setAlignment(Qt.AlignCenter)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Seek")
        self.volume_icon = QLabel()
        self.volume_icon.setPixmap(style.standardIcon(QStyle.SP_MediaVolume).pixmap(18, 18))
        self.volume = QSlider(Qt.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setFixedWidth(100)
        self.volume.setToolTip("Volume")

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addStretch(1)
        text.addWidget(self.title)
        text.addWidget(self.subtitle)
        text.addStretch(1)
        seek_row = QHBoxLayout()
        seek_row.addWidget(self.elapsed)
        seek_row.addWidget(self.slider, 1)
        seek_row.addWidget(self.total)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.prev_btn, self.play_btn, self.next_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        middle = QVBoxLayout()
        middle.setSpacing(0)
        middle.addLayout(buttons)
        middle.addLayout(seek_row)

        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.cover)
        row.addLayout(text, 3)
        row.addLayout(middle, 4)
        row.addWidget(self.radio_btn)
        row.addSpacing(8)
        row.addWidget(self.volume_icon)
        row.addWidget(self.volume)

        self._dragging = False
        self.play_btn.clicked.connect(self.play_pause)
        self.next_btn.clicked.connect(self.next_track)
        self.prev_btn.clicked.connect(self.previous_track)
        self.radio_btn.clicked.connect(self.radio)
        self.slider.sliderPressed.connect(lambda: setattr(self, "_dragging", True))
        self.slider.sliderReleased.connect(self._seek_released)
        self.slider.sliderMoved.connect(lambda v: self.elapsed.setText(format_duration(v / 1000) or "0:00"))
        self.volume.valueChanged.connect(lambda v: self.volume_changed.emit(v / 100))
        self.set_cover(None)

    def _seek_released(self) -> None:
        self._dragging = False
        self.seek.emit(self.slider.value() / 1000)

    def set_ready(self, ready: bool) -> None:
        for b in (self.prev_btn, self.play_btn, self.next_btn):
            b.setEnabled(ready)

    def set_track(self, title: str | None, artist: str = "", album: str = "") -> None:
        playing = title is not None
        self.title.setText(title or "Nothing playing")
        self.subtitle.setText(" — ".join(x for x in (artist, album) if x) if playing else "")
        self.radio_btn.setEnabled(playing)
        self.slider.setEnabled(playing)
        if not playing:
            self.set_position(0.0, 0.0)
            self.set_cover(None)

    def set_playing(self, playing: bool) -> None:
        icon = QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay
        self.play_btn.setIcon(self.style().standardIcon(icon))

    def set_position(self, position: float, duration: float) -> None:
        if self._dragging:
            return
        self.slider.blockSignals(True)
        self.slider.setRange(0, int(max(duration, 0) * 1000))
        self.slider.setValue(int(max(position, 0) * 1000))
        self.slider.blockSignals(False)
        self.elapsed.setText(format_duration(position) or "0:00")
        self.total.setText(format_duration(duration) or "0:00")

    def set_cover(self, image: QImage | None) -> None:
        if image is None or image.isNull():
            self.cover.setPixmap(self.style().standardIcon(QStyle.SP_DriveCDIcon).pixmap(40, 40))
            self.cover.setToolTip("")
            return
        pix = QPixmap.fromImage(image).scaled(COVER_PX, COVER_PX, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        self.cover.setPixmap(pix)
