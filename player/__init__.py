"""Segue: an offline desktop music player that learns from your own listening."""

__version__ = "0.1.0"

#: the name the Linux desktop entry is installed under (resources/linux/<APP_ID>.desktop): the
#: window and the media controls must give this name for Wayland docks and task bars, and
#: desktop media widgets, to find Segue's icon and name
APP_ID = "io.github.segue.Segue"
