"""The now-playing bar: cover, title/artist/album, transport buttons, seek, volume, radio."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QLine, QSize, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractSlider, QFrame, QHBoxLayout, QLabel, QSlider, QStyle, QStyleOptionSlider, QToolButton, QVBoxLayout,
    QWidget,
)

from player.ui.elided_label import ElidedLabel
from player.ui.icons import is_palette_change, palette_icon, palette_pixmap
from player.ui.library_model import format_duration
from player.ui.seek_access import speak_seek_bars

COVER_PX = 64
#: Room the title keeps at the window's smallest size, in characters of its font: "Nothing
#: playing" whole, or the first words of a song's title. The window's smallest width grows
#: by what the volume slider's giving way does not make up.
TITLE_CHARS = 18
VOLUME_PX = (60, 100)        # the volume slider's narrowest and its usual width
_MAX_MS = 2**31 - 1          # a slider holds int32 milliseconds (24 days)
#: Under "Nothing playing": how to start, at the start and again once the music has stopped
#: (it was an empty line then, "Nothing playing" over nothing, as if a name were missing).
IDLE_HINT = "Double-click a track, or press Space"
#: The same place while the library has no tracks: there is nothing to double-click, and Space
#: plays nothing, so it says where music comes from instead.
EMPTY_HINT = "Add a music folder in File → Settings…"


def volume_gain(percent: float) -> float:
    """The amplitude the volume slider's ``percent`` (0-100) plays at: the cube of its share.

    The ear hears level changes as ratios: straight in amplitude, the slider's top half
    changed the loudness by 6 dB and a 5 % step there by under half a decibel, while the
    bottom tenth did as much as the top half. Cubed, 100 % is full scale, 80 % -6 dB, 50 %
    -18 dB, 25 % -36 dB, 0 silence, and each step near the top is a step heard.
    """
    return (min(100.0, max(0.0, float(percent))) / 100.0) ** 3


def volume_percent(gain: float) -> int:
    """The slider position that plays at amplitude ``gain`` (0-1): ``volume_gain`` undone."""
    return round(100.0 * min(1.0, max(0.0, float(gain))) ** (1 / 3))


def elapsed_text(seconds: float, total_s: float) -> str:
    """Where a track is, as the time beside the seek bar shows it: for a track an hour or
    longer, with its hours as many digits wide as the length's ("0:05:12 / 2:00:00",
    "00:05:12 / 10:00:05", as VLC and mpv show them); a plain "m:ss" before the first hour
    widened the time at it, and the bar beside it moved under the handle once an hour.
    A song keeps "3:12"."""
    try:
        total = int(round(float(total_s)))
    except (TypeError, ValueError, OverflowError):   # (also an infinite length)
        total = 0
    shown = format_duration(seconds)
    if total < 3600:
        return shown or "0:00"
    # (no time to show: none yet, or one a damaged header or a device gone made up, which
    # is not a number; rounded as it was, it raised and the clock stopped)
    s = int(round(float(seconds))) if shown else 0
    return f"{s // 3600:0{len(str(total // 3600))}d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _ms(seconds) -> int:
    """Seconds as slider milliseconds: a damaged header may claim a length that is not finite or
    does not fit."""
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        return 0
    if not seconds > 0:                      # also NaN
        return 0
    return int(min(seconds * 1000, _MAX_MS))
REPEAT_TEXT = {"off": "Repeat", "all": "Repeat all", "one": "Repeat one"}
REPEAT_TIP = {"off": "Repeat is off: click to repeat the whole list",
              "all": "Repeating the list: click to repeat only this track",
              "one": "Repeating this track: click to turn repeat off"}
NEXT_REPEAT = {"off": "all", "all": "one", "one": "off"}


class MirroredSlider(QSlider):
    """A slider whose style sheet knows when it runs right to left (property ``mirrored``):
    its filled part is then right of the handle, and the sheet colours that part instead."""

    def __init__(self, *args):
        super().__init__(*args)
        self._mark_direction()

    def _mark_direction(self) -> None:
        mirrored = self.layoutDirection() == Qt.RightToLeft
        if self.property("mirrored") != mirrored:
            self.setProperty("mirrored", mirrored)
            self.style().unpolish(self)
            self.style().polish(self)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.LayoutDirectionChange:
            self._mark_direction()


def _slider_position(value: int, maximum: int, span: int, upside_down: bool) -> int:
    """QStyle.sliderPositionFromValue(0, maximum, value, span, upside_down) in Python's integers,
    the same pixel as the handle's: called once a mark at each paint, Qt's own costs a call into
    Qt each (a few milliseconds a paint at a thousand marks)."""
    if span <= 0 or maximum <= 0:
        return 0
    if value < 0 or value > maximum:
        return span if (value < 0) == upside_down else 0
    value = maximum - value if upside_down else value
    if maximum > (2**31 - 1) // 4096:
        return int(value / (maximum / span))
    return (2 * value * span + maximum) // (2 * maximum)


class SeekSlider(MirroredSlider):
    """A slider that jumps to where it is clicked (a plain QSlider only steps towards it),
    then follows the drag; the seek happens when the button is released. It holds
    milliseconds, the precision of a click; a screen reader finds it in seconds, its value
    read as :attr:`spoken` ("1:23 of 4:05", see :mod:`player.ui.seek_access`), which is its
    description too, for a reader that reads a slider's value only as a number.

    The playing song moves it by :meth:`follow`, not by ``setValue``: Qt tells a screen reader
    of every value set, and a reader resting on the bar spoke at each tick of the clock. The
    handle is drawn where the song is; Qt's own value stays where it was last set (by a key,
    a click, a drag, a reader or a seek) until it is set again, and :meth:`value` is where the
    handle is."""

    #: A screen reader set the value (milliseconds): seek there, as a key would.
    reader_seek = Signal(int)

    _STEP_ACTIONS = {
        QAbstractSlider.SliderAction.SliderSingleStepAdd.value: (1, False),
        QAbstractSlider.SliderAction.SliderSingleStepSub.value: (-1, False),
        QAbstractSlider.SliderAction.SliderPageStepAdd.value: (1, True),
        QAbstractSlider.SliderAction.SliderPageStepSub.value: (-1, True),
    }

    def __init__(self, *args):
        super().__init__(*args)
        self.spoken = ""
        self.wheeling = False
        self._song_ms: int | None = None          # where the song moved the handle, past Qt's value
        self.marks: tuple[int, ...] = ()            # chapter starts (milliseconds), drawn as ticks
        self._marks_of = 0                          # the length (ms) the marks were placed on
        # Connected before anyone else's: the step is corrected before a listener reads it.
        self.actionTriggered.connect(self._step_from_the_song)
        speak_seek_bars(SeekSlider)

    def value(self) -> int:
        """Where the handle is: where the song is while it moves it, else the value last set."""
        return QAbstractSlider.value(self) if self._song_ms is None else self._song_ms

    def follow(self, ms: int, maximum: int) -> None:
        """Show the song at ``ms`` of ``maximum`` without a value change a reader would speak:
        with tracking off, moving the handle sets no value (and so tells no one)."""
        self.setTracking(False)
        if maximum != self.maximum():
            # The new range bounds Qt's value again; the handle back on it first, so that an
            # unchanged value is not taken for a changed one.
            self.setSliderPosition(QAbstractSlider.value(self))
            self.setRange(0, maximum)
        ms = min(max(ms, self.minimum()), self.maximum())
        self.setSliderPosition(ms)
        self.setTracking(True)
        self._song_ms = ms

    def set_marks(self, starts_ms, length_ms: int) -> None:
        """Chapter starts to draw as ticks across the bar (none at 0: the bar's start says it).
        ``length_ms``, the track's length as the library knows it, places them only until the
        player gives the length it plays (the bar's range), which the handle moves on: a stored
        length a rescan has not corrected, or none, would put a tick beside where its chapter plays."""
        self.marks = tuple(sorted({ms for ms in starts_ms if ms > 0}))
        self._marks_of = max(0, length_ms)
        self.update()

    def _marks_length(self) -> int:
        return self.maximum() if self.maximum() > 0 else self._marks_of

    def _mark_place(self):
        """What places the ticks, measured once a paint (a thousand marks measured one by one
        cost a paint of the bar, which repaints as the song moves, some tens of milliseconds)."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        groove = style.subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, self)
        handle = style.subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, self)
        span = max(1, groove.width() - handle.width())
        return groove.x() + handle.width() // 2, span, max(1, self._marks_length()), opt.upsideDown

    def mark_x(self, ms: int) -> int:
        """Where, across the widget, the tick of a mark at ``ms`` is drawn (as the handle's centre
        would stand there)."""
        left, span, length, upside_down = self._mark_place()
        return left + _slider_position(ms, length, span, upside_down)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        length = self._marks_length()
        if not self.marks or length <= 0:
            return
        # Ticks above and below the groove, in the text colour at half strength: seen on a
        # light or a dark theme, and never mistaken for the handle.
        left, span, length, upside_down = self._mark_place()
        painter = QPainter(self)
        colour = self.palette().windowText().color()
        colour.setAlphaF(0.5)
        painter.setPen(colour)
        mid, reach = self.height() // 2, max(3, self.height() // 4)
        # (one line for marks that fall on the same pixel: a thousand on a bar a few hundred wide)
        xs = {left + _slider_position(ms, length, span, upside_down) for ms in self.marks if ms < length}
        painter.drawLines([line for x in xs for line in (QLine(x, mid - reach, x, mid - 2),
                                                          QLine(x, mid + 2, x, mid + reach))])
        painter.end()

    def sliderChange(self, change) -> None:
        if change == QAbstractSlider.SliderChange.SliderValueChange:
            self._song_ms = None                   # set: the value is where the handle is again
        super().sliderChange(change)

    def wheelEvent(self, event) -> None:
        # Qt scrolls from its own value, which the song has left behind: from there the wheel
        # threw the handle back to the last place set (a minute off, or more) instead of a
        # step from where the song is. The value is put where the handle is first.
        if self._song_ms is not None and not self.isSliderDown():
            self.blockSignals(True)
            self.setValue(self._song_ms)
            self.blockSignals(False)
        # Qt tells a turn of the wheel as a plain move, as it tells a drag: marked, so that
        # it seeks as a key does (a drag seeks when let go).
        self.wheeling = True
        try:
            super().wheelEvent(event)
        finally:
            self.wheeling = False

    def _step_from_the_song(self, action: int) -> None:
        """Qt steps from its own value, which the song has left behind: a key steps from where
        the handle shows the song instead."""
        step = self._STEP_ACTIONS.get(action)
        if step is None or self._song_ms is None:
            return
        sign, page = step
        target = self._song_ms + sign * (self.pageStep() if page else self.singleStep())
        self.setSliderPosition(min(self.maximum(), max(self.minimum(), target)))

    def set_by_reader(self, seconds: float) -> None:
        """A reader's request to move to ``seconds``, kept within the song."""
        if self.maximum() <= self.minimum() or not self.isEnabled():
            return
        self.reader_seek.emit(min(self.maximum(), max(self.minimum(), _ms(seconds))))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.maximum() > self.minimum():
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            style = self.style()
            handle = style.subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                groove = style.subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, self)
                x = int(event.position().x() - groove.x() - handle.width() / 2)
                span = max(1, groove.width() - handle.width())
                self.setValue(QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x, span,
                                                            opt.upsideDown))
        super().mousePressEvent(event)      # the handle is under the pointer now: a drag starts


class _VolumeSlider(MirroredSlider):
    """Its usual width where the bar has room; in a narrow window it gives way to the title."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(VOLUME_PX[1], hint.height())


SEEK_STEP_MS = 5000           # the arrow keys on the focused seek bar (as Shift+Left/Right)
SEEK_PAGE_MS = 30000          # Page Up / Page Down there


def _button(tip: str, size: int = 28, name: str = "") -> QToolButton:
    b = QToolButton()
    b.setIconSize(QSize(size, size))
    b.setToolTip(tip)
    # A button that shows only an icon has no text for a screen reader to say: the tooltip
    # is read as a description at best, so it gets a name of its own.
    b.setAccessibleName(name)
    b.setAutoRaise(True)
    b.setEnabled(False)
    return b


class TransportBar(QFrame):
    """Emits what the user asks for; the window forwards it to the player."""

    play_pause = Signal()
    next_track = Signal()
    previous_track = Signal()
    seek = Signal(float)          # seconds
    #: the place shown (seconds), as the song moves or is moved: the Lyrics tab follows it
    position_shown = Signal(float)
    volume_changed = Signal(float)  # amplitude 0..1 (see volume_gain), 0 while muted
    mute_changed = Signal(bool)
    radio = Signal()
    shuffle_changed = Signal(bool)
    repeat_changed = Signal(str)    # off / all / one

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("transport")
        self.setFrameShape(QFrame.NoFrame)
        self.cover = QLabel()
        self.cover.setFixedSize(COVER_PX, COVER_PX)
        self.cover.setAlignment(Qt.AlignCenter)
        self.cover.setObjectName("cover")
        # Cut short with "…" where the bar is narrow, the whole name in the tooltip; the title
        # keeps room for a few words however narrow the window (see TITLE_CHARS).
        self.title = ElidedLabel("Nothing playing", least_chars=TITLE_CHARS)
        self.title.setObjectName("nowTitle")
        self.subtitle = ElidedLabel(IDLE_HINT)
        self.subtitle.setObjectName("nowSubtitle")
        # The chapter playing in a long file (an audiobook, a mix), beside the title: it gives
        # way first where the bar is narrow.
        self.chapter = ElidedLabel("")
        self.chapter.setObjectName("nowChapter")
        self.chapter.setAccessibleName("Chapter")
        self.chapter.hide()
        for label in (self.title, self.subtitle):
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.prev_btn = _button("Previous (Ctrl+Left)", 22, "Previous")
        self.play_btn = _button("Play (Space)", 34, "Play")
        self.next_btn = _button("Next (Ctrl+Right)", 22, "Next")
        self._playing = False
        self._idle_hint = IDLE_HINT     # under "Nothing playing" (see set_idle_hint)
        self._named = False             # a track's names are shown, not the hint
        self._cover_image: QImage | None = None       # kept to draw again on a screen of another ratio
        self.radio_btn = QToolButton()
        self.radio_btn.setText("Radio")
        self.radio_btn.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.radio_btn.setToolTip("Start radio from this song: a station of tracks that go with it")
        self.radio_btn.setProperty("role", "button")       # drawn as a button, not a bare label
        self.radio_btn.setEnabled(False)
        self.shuffle_btn = QToolButton()
        self.shuffle_btn.setText("Shuffle")
        self.shuffle_btn.setCheckable(True)
        self.shuffle_btn.setToolTip("Shuffle Up next (Ctrl+U)")
        self.shuffle_btn.setProperty("role", "button")
        self.shuffle_btn.setEnabled(False)
        self.repeat_btn = QToolButton()
        self.repeat_btn.setProperty("role", "button")
        self.repeat_btn.setEnabled(False)
        self.repeat_mode = "off"
        self.elapsed = QLabel("0:00")
        self.total = QLabel("0:00")
        for label in (self.elapsed, self.total):
            label.setMinimumWidth(44)
            label.setAlignment(Qt.AlignCenter)
        self.slider = SeekSlider(Qt.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        # Shift+Left/Right seek from anywhere; Tab reaches the bar too (a click leaves the keyboard
        # where it was), where the arrow keys move 5 s and a screen reader finds it: its name,
        # and where the song is in minutes and seconds (its value is in milliseconds).
        self.slider.setFocusPolicy(Qt.TabFocus)
        self.slider.setSingleStep(SEEK_STEP_MS)
        self.slider.setPageStep(SEEK_PAGE_MS)
        self.slider.setAccessibleName("Position in the song")
        self.slider.setToolTip("Click or drag to move in the track (Shift+Left/Right: 5 s)")
        self.volume_icon = QLabel()
        self.volume_icon.setAccessibleName("Volume")
        self.volume = _VolumeSlider(Qt.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setMinimumWidth(VOLUME_PX[0])
        self.volume.setMaximumWidth(VOLUME_PX[1])
        self.volume.setToolTip("Volume (Ctrl+Up/Down)")
        self.volume.setAccessibleName("Volume")
        self.muted = False

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addStretch(1)
        title_row = QHBoxLayout()
        title_row.setSpacing(8)
        title_row.addWidget(self.title, 3)
        title_row.addWidget(self.chapter, 2)
        text.addLayout(title_row)
        text.addWidget(self.subtitle)
        text.addStretch(1)
        seek_row = QHBoxLayout()
        seek_row.addWidget(self.elapsed)
        seek_row.addWidget(self.slider, 1)
        seek_row.addWidget(self.total)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.shuffle_btn)
        buttons.addSpacing(8)
        for b in (self.prev_btn, self.play_btn, self.next_btn):
            buttons.addWidget(b)
        buttons.addSpacing(8)
        buttons.addWidget(self.repeat_btn)
        buttons.addStretch(1)
        # The transport buttons and the seek bar stay left to right in a right-to-left layout,
        # as players do there: Previous on the left, Next on the right, time going rightwards
        # (mirrored, Previous pointed right and the arrows contradicted their places).
        self.controls = QWidget()
        self.controls.setLayoutDirection(Qt.LeftToRight)
        middle = QVBoxLayout(self.controls)
        middle.setContentsMargins(0, 0, 0, 0)
        middle.setSpacing(0)
        middle.addLayout(buttons)
        middle.addLayout(seek_row)

        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.cover)
        row.addLayout(text, 3)
        row.addWidget(self.controls, 4)
        row.addWidget(self.radio_btn)
        row.addSpacing(8)
        row.addWidget(self.volume_icon)
        row.addWidget(self.volume)

        # A drag belongs to the track it began on: when the track changes under it, the bar
        # follows the new track at once and the release seeks nothing (else the bar stays
        # frozen where the old track was until the button is let go).
        self._dragging = False
        self._track_serial = 0
        self._drag_serial = -1
        self.play_btn.clicked.connect(self.play_pause)
        self.next_btn.clicked.connect(self.next_track)
        self.prev_btn.clicked.connect(self.previous_track)
        self.radio_btn.clicked.connect(self.radio)
        self.shuffle_btn.toggled.connect(self.shuffle_changed)
        self.repeat_btn.clicked.connect(lambda: self.repeat_changed.emit(NEXT_REPEAT[self.repeat_mode]))
        self.slider.sliderPressed.connect(self._drag_started)
        self.slider.sliderReleased.connect(self._seek_released)
        self.slider.sliderMoved.connect(self._dragged)
        self.slider.actionTriggered.connect(self._stepped)
        self.slider.reader_seek.connect(self._set_by_reader)
        self.volume.valueChanged.connect(self._volume_moved)
        self.set_repeat("off")
        self._set_icons()
        self.set_cover(None)

    def _set_icons(self) -> None:
        """The buttons' icons in this palette's text colour (the style's own are dark on any palette)."""
        pal = self.palette()
        self.prev_btn.setIcon(palette_icon(QStyle.SP_MediaSkipBackward, pal))
        self.next_btn.setIcon(palette_icon(QStyle.SP_MediaSkipForward, pal))
        self.play_btn.setIcon(palette_icon(QStyle.SP_MediaPause if self._playing else QStyle.SP_MediaPlay, pal))
        self.radio_btn.setIcon(palette_icon(QStyle.SP_MediaSeekForward, pal))
        icon = QStyle.SP_MediaVolumeMuted if self.muted else QStyle.SP_MediaVolume
        self.volume_icon.setPixmap(palette_pixmap(icon, 18, self.ratio(), pal))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if is_palette_change(event) and hasattr(self, "volume_icon"):
            self._set_icons()           # the system switched to dark or back: icons in the new colours
        if event.type() == QEvent.DevicePixelRatioChange and hasattr(self, "volume_icon"):
            self._set_icons()           # moved to a screen of another ratio: sharp there too
            self.set_cover(self._cover_image)

    def ratio(self) -> float:
        """The device pixels per logical pixel of the screen the bar is on."""
        return self.devicePixelRatioF()

    def cover_pixels(self) -> int:
        """The size to load a cover at for this screen: the cover's box in device pixels."""
        return max(COVER_PX, round(COVER_PX * self.ratio()))

    def _drag_started(self) -> None:
        self._dragging = True
        self._drag_serial = self._track_serial

    def _dragged(self, value: int) -> None:
        if self._dragging:
            self.elapsed.setText(elapsed_text(value / 1000, self.slider.maximum() / 1000))
            self._say_where()

    def _stepped(self, action: int) -> None:
        """A key (or the wheel) moved the bar: seek there now (a drag seeks when let go). End
        does not: the end of the song is the next one, a skip no one pressing a key there meant."""
        moved = action == QSlider.SliderAction.SliderMove.value and not self.slider.wheeling
        if self._dragging or moved or self.slider.maximum() <= 0:
            return
        if action == QSlider.SliderAction.SliderToMaximum.value:
            self.slider.setSliderPosition(self.slider.value())     # (not moved yet: where it was)
            return
        position = self.slider.sliderPosition()
        self.elapsed.setText(elapsed_text(position / 1000, self.slider.maximum() / 1000))
        self._say_where()
        self.seek.emit(position / 1000)

    def _set_by_reader(self, ms: int) -> None:
        if self._dragging:
            return
        self.slider.setValue(ms)
        self.elapsed.setText(elapsed_text(ms / 1000, self.slider.maximum() / 1000))
        self._say_where()
        self.seek.emit(ms / 1000)

    def _seek_released(self) -> None:
        dragging, self._dragging = self._dragging, False
        if dragging and self._drag_serial == self._track_serial:
            self.seek.emit(self.slider.value() / 1000)

    def gain(self) -> float:
        """The amplitude to play at: the slider's, or silence while muted."""
        return 0.0 if self.muted else volume_gain(self.volume.value())

    def set_muted(self, on: bool) -> None:
        """Silence the music, the slider staying where it is, so unmuting brings back that volume."""
        on = bool(on)
        if on == self.muted:
            return
        self.muted = on
        self.volume_icon.setAccessibleName("Volume, muted" if on else "Volume")
        # The slider is what the keyboard reaches: muted, it said only its level.
        self.volume.setAccessibleName("Volume, muted" if on else "Volume")
        self._set_icons()
        self.mute_changed.emit(on)
        self.volume_changed.emit(self.gain())

    def _volume_moved(self, _value: int) -> None:
        # Moving the volume while muted is asking to hear it at the new level.
        if self.muted:
            self.set_muted(False)
        else:
            self.volume_changed.emit(self.gain())

    def set_shuffle(self, on: bool, albums: bool = False) -> None:
        """Show shuffle on or off, and whether it shuffles whole albums (the way it will, when off)."""
        self.shuffle_btn.blockSignals(True)
        self.shuffle_btn.setChecked(on)
        self.shuffle_btn.blockSignals(False)
        self.shuffle_btn.setText("Shuffle albums" if albums else "Shuffle")
        self.shuffle_btn.setToolTip("Shuffle Up next by album: whole albums, each in its order (Ctrl+U)"
                                    if albums else "Shuffle Up next (Ctrl+U)")

    def set_repeat(self, mode: str) -> None:
        self.repeat_mode = mode
        self.repeat_btn.setText(REPEAT_TEXT[mode])
        self.repeat_btn.setToolTip(REPEAT_TIP[mode] + " (Ctrl+R)")
        self.repeat_btn.setCheckable(True)
        self.repeat_btn.setChecked(mode != "off")

    def set_ready(self, ready: bool) -> None:
        for b in (self.prev_btn, self.play_btn, self.next_btn, self.shuffle_btn, self.repeat_btn):
            b.setEnabled(ready)

    def set_track(self, title: str | None, artist: str = "", album: str = "", composer: str = "") -> None:
        playing = title is not None
        self._track_serial += 1
        self._dragging = False          # a drag on the previous track is void
        self.set_names(title, artist, album, composer)
        self.radio_btn.setEnabled(playing)
        self.slider.setEnabled(playing)
        if not playing:
            self.set_position(0.0, 0.0)
            self.set_cover(None)

    def set_names(self, title: str | None, artist: str = "", album: str = "", composer: str = "") -> None:
        """Only the names of the track shown: names read after it started leave a drag on it going.
        A ``composer`` who is not the artist is named in the title's tooltip ("Composer: Bach"):
        on a classical album the artist is the one playing; on the line itself it would crowd
        out the work's title, and most pop files name their songwriters there."""
        self.title.setText(title or "Nothing playing")
        self.title.set_note(f"Composer: {composer}" if title is not None and composer and composer != artist else "")
        self._named = title is not None
        self.subtitle.setText(" — ".join(x for x in (artist, album) if x) if self._named else self._idle_hint)

    def set_chapter(self, title: str) -> None:
        """The chapter playing now ("": none, and the label gives its room back to the title)."""
        self.chapter.setText(f"· {title}" if title else "")
        self.chapter.setVisible(bool(title))

    def set_chapter_marks(self, starts, length_s: float) -> None:
        """The chapters' starts (seconds) of the track shown, ticked on the seek bar."""
        self.slider.set_marks([_ms(s) for s in starts], _ms(length_s))

    def set_idle_hint(self, hint: str) -> None:
        """What the bar says under "Nothing playing" (now, if nothing is): how to start, which
        depends on whether the library has anything to start."""
        self._idle_hint = hint
        if not self._named:
            self.subtitle.setText(hint)

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        icon = QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay
        self.play_btn.setIcon(palette_icon(icon, self.palette()))
        # What a press does now, in words too: the icon alone told a screen reader nothing.
        self.play_btn.setAccessibleName("Pause" if playing else "Play")
        self.play_btn.setToolTip("Pause (Space)" if playing else "Play (Space)")

    def set_position(self, position: float, duration: float, sought: bool = False) -> None:
        """Show the song at ``position``: as the clock moves, silently; where the person
        ``sought`` (a key or a media key anywhere in the window), as a value a screen reader hears."""
        if self._dragging:
            return
        self.slider.blockSignals(True)
        if sought:
            self.slider.setRange(0, _ms(duration))
            self.slider.setValue(_ms(position))
        else:
            self.slider.follow(_ms(position), _ms(duration))
        self.slider.blockSignals(False)
        self.elapsed.setText(elapsed_text(position, duration))
        self.total.setText(format_duration(duration) or "0:00")
        self._say_where(moved=sought)
        self.position_shown.emit(float(position))

    def _say_where(self, moved: bool = True) -> None:
        """What a screen reader hears of the seek bar, as the labels beside it show it; changed
        only when the second shown changes. A reader reads it when asked (the bar's
        interface gives it as it is then); it is told of a change only where the person moved
        the bar: told at every second of the song, a reader resting there spoke all along."""
        spoken = f"{self.elapsed.text()} of {self.total.text()}"
        if spoken != self.slider.spoken:
            self.slider.spoken = spoken
            if moved:
                QAccessible.updateAccessibility(QAccessibleEvent(self.slider, QAccessible.Event.DescriptionChanged))

    def set_cover(self, image: QImage | None) -> None:
        ratio = self.ratio()
        self._cover_image = image
        if image is None or image.isNull():
            side = round(40 * ratio)
            disc = self.style().standardIcon(QStyle.SP_DriveCDIcon).pixmap(side, side)
            disc = disc.scaled(side, side, Qt.KeepAspectRatio, Qt.SmoothTransformation)
            disc.setDevicePixelRatio(ratio)
            self.cover_pixmap = disc
            self.cover.setPixmap(disc)
            self.cover.setToolTip("")
            return
        # Scaled to the box's device pixels and marked with the screen's ratio: scaled to 64
        # pixels, a HiDPI screen blew those up again and the cover was blurred.
        side = round(COVER_PX * ratio)
        pix = QPixmap.fromImage(image).scaled(side, side, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        pix.setDevicePixelRatio(ratio)
        self.cover_pixmap = pix         # (the label hands back a copy at its own ratio)
        self.cover.setPixmap(pix)
