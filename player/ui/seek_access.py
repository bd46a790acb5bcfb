"""The seek bar as a screen reader finds it: a slider whose value is where the song is.

Qt's own slider reports the seek bar's value as its raw number, milliseconds: a reader said
"83000" for a minute and 23 seconds. This interface reports the same slider in seconds, with
its range (a reader that reads or sets a slider as a number: Orca, VoiceOver), and its value
as text in minutes and seconds, "1:23 of 4:56" (a reader that reads a value's text: Windows).

The value part is an object of its own handed to Qt by address: PySide6 cannot give one
Python object two of Qt's interfaces, and without a value interface the readers on Linux and
macOS would hear no value at all, and Qt's Linux bridge drops each value change.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtGui import QAccessible, QAccessibleValueInterface
from PySide6.QtWidgets import QAccessibleWidget
from shiboken6.Shiboken import VoidPtr


class SeekValue(QAccessibleValueInterface):
    """The seek bar's value in seconds (the slider holds milliseconds: the mouse's precision)."""

    def __init__(self, slider):
        super().__init__()
        self._slider = slider

    def currentValue(self):
        return self._slider.value() / 1000

    def minimumValue(self):
        return self._slider.minimum() / 1000

    def maximumValue(self):
        return self._slider.maximum() / 1000

    def minimumStepSize(self):
        return 1.0

    def setCurrentValue(self, value) -> None:
        """A reader moving the bar by its value: a seek, as the arrow keys make one."""
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            return
        self._slider.set_by_reader(seconds)


class SeekAccessible(QAccessibleWidget):
    """Qt's view of a :class:`~player.ui.transport.SeekSlider` for assistive technology."""

    def __init__(self, slider):
        super().__init__(slider, QAccessible.Role.Slider)
        self._value = SeekValue(slider)          # kept: Qt holds only its address
        self._value_address = shiboken6.getCppPointer(self._value)[0]

    def interface_cast(self, kind):
        if kind == QAccessible.InterfaceType.ValueInterface:
            return VoidPtr(self._value_address)
        return super().interface_cast(kind)

    def text(self, kind):
        # The description as well: as the song is now when asked (a widget's stored description
        # would have to be set at each second, and each setting is said).
        if kind in (QAccessible.Text.Value, QAccessible.Text.Description):
            return self.widget().spoken
        return super().text(kind)


_INSTALLED: list = []


def speak_seek_bars(kind: type) -> None:
    """Have Qt describe each widget of ``kind`` through :class:`SeekAccessible` (once a
    process). Qt asks the factory once for each widget a reader looks at and keeps the answer,
    so the check below runs once a widget, not at every question."""
    if _INSTALLED:
        return

    def factory(_key: str, obj):
        if isinstance(obj, kind):
            iface = SeekAccessible(obj)
            obj.reader_view = iface       # alive while the slider is; Qt deletes it with the slider
            return iface
        return None

    _INSTALLED.append(factory)
    QAccessible.installFactory(factory)
