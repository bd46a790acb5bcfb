"""The MIME types of the files Segue opens, as a desktop names them.

A file manager offers "Open with Segue" for a file only when the desktop entry lists the
file's type, a desktop sound menu asks MPRIS which types the player takes, and the macOS
Finder reads the document types of the app's Info.plist (:func:`document_types`). All read
this one list (the desktop entry and build.spec are checked against it by tests), so a
format the player learns to read is offered everywhere at once. The names are shared-mime-info's for each
extension, with the aliases other systems still use.
"""

from __future__ import annotations

#: extension -> the types a desktop may give a file so named. Video containers (.mp4, .webm, .3ga)
#: are left out: a film opened from the file manager belongs in a video player, though Segue
#: plays the sound of one found in a music folder.
BY_EXTENSION = {
    ".mp3": ("audio/mpeg", "audio/mp3", "audio/x-mp3"),
    ".mp2": ("audio/mp2", "audio/x-mp2"),
    ".flac": ("audio/flac", "audio/x-flac"),
    ".ogg": ("audio/ogg", "audio/x-vorbis+ogg", "audio/x-flac+ogg", "audio/x-speex+ogg", "audio/vorbis"),
    ".oga": ("audio/ogg", "audio/x-vorbis+ogg", "audio/x-flac+ogg", "audio/x-speex+ogg"),
    ".opus": ("audio/ogg", "audio/x-opus+ogg", "audio/opus"),
    ".spx": ("audio/x-speex", "audio/x-speex+ogg"),
    ".wav": ("audio/x-wav", "audio/wav", "audio/vnd.wave"),
    ".wave": ("audio/x-wav", "audio/wav"),
    ".w64": ("audio/x-w64",),
    ".aif": ("audio/x-aiff", "audio/aiff"),
    ".aiff": ("audio/x-aiff", "audio/aiff"),
    ".aifc": ("audio/x-aifc",),
    ".caf": ("audio/x-caf",),
    ".au": ("audio/basic",),
    ".m4a": ("audio/mp4", "audio/x-m4a"),
    ".alac": ("audio/mp4", "audio/x-m4a"),
    ".m4b": ("audio/x-m4b",),
    ".aac": ("audio/aac", "audio/x-aac"),
    ".ac3": ("audio/ac3",),
    ".wma": ("audio/x-ms-wma",),
    ".wv": ("audio/x-wavpack",),
    ".ape": ("audio/x-ape",),
    ".mpc": ("audio/x-musepack",),
    ".tta": ("audio/x-tta",),
    ".dsf": ("audio/x-dsf",),
    ".dff": ("audio/x-dff",),
    ".mka": ("audio/x-matroska",),
    ".m4r": ("audio/x-m4r",),
    ".mpp": ("audio/x-musepack",),
    ".mp+": ("audio/x-musepack",),
    # (no desktop database names a type for TAK: this is the name its extension gives)
    ".tak": ("audio/x-tak",),
    ".shn": ("application/x-shorten", "audio/x-shorten"),
    ".dts": ("audio/vnd.dts", "audio/x-dts"),
    ".amr": ("audio/AMR",),
    ".awb": ("audio/AMR-WB",),
    ".mp4": (),
    ".webm": (),
    # a phone's recording in 3GPP: the desktop gives it 3GPP's video type, as it does a 3GPP film
    ".3ga": (),
    # playlist files: their songs play
    ".m3u": ("audio/x-mpegurl", "application/vnd.apple.mpegurl"),
    ".m3u8": ("audio/x-mpegurl", "application/vnd.apple.mpegurl"),
    ".pls": ("audio/x-scpls",),
    ".xspf": ("application/xspf+xml",),
    ".wpl": ("application/vnd.ms-wpl",),
    ".asx": ("audio/x-ms-asx",),
}

#: every type above once, in a fixed order (the desktop entry's MimeType= list)
MIME_TYPES = tuple(dict.fromkeys(t for types in BY_EXTENSION.values() for t in types))



def document_types() -> list[dict]:
    """The ``CFBundleDocumentTypes`` of Segue.app's Info.plist: what the Finder offers to open
    with Segue. By extension (Launch Services maps each to its type, a made-up one where macOS
    knows none), with the MIME types above, as on the desktop entry: the video containers are
    left out. A viewer ranked "Alternate": Segue is offered in "Open With" for these files and
    never becomes their default player by being installed."""
    from player.playlist_files import EXTENSIONS as PLAYLISTS

    def kind(name: str, extensions: list[str]) -> dict:
        return {
            "CFBundleTypeName": name,
            "CFBundleTypeRole": "Viewer",
            "LSHandlerRank": "Alternate",
            "CFBundleTypeExtensions": [ext.lstrip(".") for ext in extensions],
            "CFBundleTypeMIMETypes": list(dict.fromkeys(t for ext in extensions for t in BY_EXTENSION[ext])),
        }

    offered = [ext for ext, types in BY_EXTENSION.items() if types]
    return [kind("Audio file", [ext for ext in offered if ext not in PLAYLISTS]),
            kind("Playlist", [ext for ext in offered if ext in PLAYLISTS])]
