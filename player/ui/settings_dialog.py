"""Settings: folders (and whether the library follows them), audio device, ReplayGain,
crossfade, GPU use, forget my history.

Values live in the store's settings table under the keys below (the playback and
analysis code read the same keys). The window reads them on a worker
(:func:`read_settings`) and opens the dialog with them; it writes the result on the
database-write thread.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox,
    QLabel, QMessageBox, QPushButton, QVBoxLayout,
)

from player.audio import CROSSFADE_SETTING, DEVICE_SETTING, crossfade_setting
from player.audio.replaygain import PREAMP_SETTING, SETTING as RG_SETTING, UNTAGGED_SETTING
from player.ui.folder_watch import FOLLOW_SETTING
from player.ui.welcome import FolderList
from player.workers import run_task
from segue_common.text import in_path_order

log = logging.getLogger(__name__)

KEY_DEVICE = DEVICE_SETTING            # None: the system default output
KEY_REPLAYGAIN = RG_SETTING             # "track" | "album" | "off"
KEY_PREAMP = PREAMP_SETTING             # dB added to the ReplayGain of tracks that have one
KEY_UNTAGGED = UNTAGGED_SETTING         # dB, the gain of tracks that have none (0 or less)
KEY_CROSSFADE = CROSSFADE_SETTING       # seconds, 0 = gapless
KEY_USE_GPU = "analysis.use_gpu"        # bool (player/analysis.py; SEGUE_DEVICE overrides)
KEY_WHILE_PLAYING = "analysis.while_playing"   # "auto" | "pause" | "run" (player/learner/process.py)
KEY_FOLLOW = FOLLOW_SETTING             # bool: look for new and removed music by itself
DEFAULTS = {KEY_DEVICE: None, KEY_REPLAYGAIN: "track", KEY_PREAMP: 0.0, KEY_UNTAGGED: 0.0,
            KEY_CROSSFADE: 0.0, KEY_USE_GPU: True,
            KEY_WHILE_PLAYING: "auto", KEY_FOLLOW: True}
#: the preamp's range, foobar2000's: past it a track's gain is a correction no longer
PREAMP_DB = 15.0
REPLAYGAIN_CHOICES = [("track", "Track (every song equally loud)"), ("album", "Album (keep album dynamics)"),
                      ("off", "Off")]
WHILE_PLAYING_CHOICES = [("auto", "Keep going; pause a while if the sound stutters"),
                         ("pause", "Always pause"), ("run", "Keep going")]
CHOICES = {KEY_REPLAYGAIN: REPLAYGAIN_CHOICES, KEY_WHILE_PLAYING: WHILE_PLAYING_CHOICES}
LABELS = {KEY_DEVICE: "Output device", KEY_REPLAYGAIN: "ReplayGain", KEY_PREAMP: "Preamp",
          KEY_UNTAGGED: "Untagged tracks", KEY_CROSSFADE: "Crossfade",
          KEY_USE_GPU: "Use the GPU", KEY_WHILE_PLAYING: "Analysis while music plays",
          KEY_FOLLOW: "Look for new and removed music"}


def list_output_devices() -> list[str]:
    """Names of the output devices there now, those plugged in since the start included
    (worker thread; [] without PortAudio)."""
    try:
        from player.audio.sd_engine import current_output_devices

        return current_output_devices()
    except Exception:  # noqa: BLE001 - no PortAudio library, no devices: only the default
        return []


def read_settings(store) -> tuple[dict, list[str]]:
    """``(values, folders)``: the settings as stored (the defaults where none is) and the music
    folders, as :class:`SettingsDialog` takes them. Run on a worker."""
    values = {k: store.get_setting(k, v) for k, v in DEFAULTS.items()}
    values[KEY_CROSSFADE] = crossfade_setting(store)
    folders = [row["path"] for row in store.folders()]
    # (in the order people sort names, as the library lists them: the store's is by code point)
    return values, [folders[i] for i in in_path_order(folders)]


def _usable(key: str, value) -> bool:
    """Whether the dialog can show ``value`` for ``key``. A store edited by hand, or by
    another version, opened no dialog at all (a device that was a number), or showed a
    check box ticked for the text "false"."""
    if key == KEY_DEVICE:
        return value is None or isinstance(value, str)
    if key in (KEY_USE_GPU, KEY_FOLLOW):
        return isinstance(value, bool)
    if key in CHOICES:
        return value in [choice for choice, _label in CHOICES[key]]
    if key in (KEY_PREAMP, KEY_UNTAGGED):
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and -PREAMP_DB <= value <= (PREAMP_DB if key == KEY_PREAMP else 0.0))
    return True


class SettingsDialog(QDialog):
    forget_history = Signal()

    def __init__(self, values: dict, folders: list[str], parent=None):
        """``values`` and ``folders`` as :func:`read_settings` gives them."""
        super().__init__(parent)
        self.setWindowTitle("Segue settings")
        self.ignored = [key for key in DEFAULTS if not _usable(key, values.get(key, DEFAULTS[key]))]
        for key in self.ignored:
            log.warning("setting %r holds %r, which Segue cannot use: the default %r is shown",
                        key, values.get(key), DEFAULTS[key])
        values = {**DEFAULTS, **values, **{key: DEFAULTS[key] for key in self.ignored}}
        self.initial_values = values
        self._reset = False     # Restore Defaults was clicked: every setting is written
        self.initial_folders = list(folders)
        self.folders = FolderList(self.initial_folders)
        self.follow = QCheckBox("Look for new and removed music by itself (at every start and while Segue is open)")
        self.follow.setToolTip("While Segue is open it sees files added, removed or renamed in the music folders, "
                               "and on Linux and macOS a music file changed where it lies (tags edited in place, "
                               "a file copied over an older one). On Windows such a change, and everywhere a "
                               "change another computer makes on a network share, is seen at the next start or "
                               "with File → Rescan library.\n"
                               "Off: the library changes only with File → Rescan library, the folders added or "
                               "removed here, and once after an update that reads some files better.")
        self.device = QComboBox()
        self.device.addItem("System default", None)
        self.replaygain = QComboBox()
        for key, label in REPLAYGAIN_CHOICES:
            self.replaygain.addItem(label, key)
        # ReplayGain's level, -18 LUFS, is quieter than most music mastered since: a preamp
        # raises every track that has a gain (its peak still keeps it from clipping), or
        # lowers them all. Tracks without one are left as they are, as foobar2000 does.
        self.preamp = QDoubleSpinBox()
        self.preamp.setRange(-PREAMP_DB, PREAMP_DB)
        self.preamp.setSingleStep(0.5)
        self.preamp.setDecimals(1)
        self.preamp.setSuffix(" dB")
        self.preamp.setToolTip("Added to the ReplayGain of every track that has one. A track's stored peak "
                               "still keeps it from clipping.")
        # A file without ReplayGain was mostly mastered louder than its level: it can be
        # brought down to it (never lifted: nothing says it would not clip).
        self.untagged = QDoubleSpinBox()
        self.untagged.setRange(-PREAMP_DB, 0.0)
        self.untagged.setSingleStep(0.5)
        self.untagged.setDecimals(1)
        self.untagged.setSuffix(" dB")
        self.untagged.setToolTip("The gain of a track that has no ReplayGain. Most such files are louder "
                                 "than those levelled by it: -6 dB or so brings them near.")
        self.crossfade = QDoubleSpinBox()
        self.crossfade.setRange(0.0, 12.0)
        self.crossfade.setSingleStep(0.5)
        self.crossfade.setSuffix(" s")
        self.crossfade.setSpecialValueText("Off (gapless)")
        self.gpu = QCheckBox("Use the GPU for audio analysis when one is available")
        self.while_playing = QComboBox()
        for key, label in WHILE_PLAYING_CHOICES:
            self.while_playing.addItem(label, key)
        self._show(values)
        # What the dialog shows can differ from what it was given (a crossfade of 3.333 s
        # shows as 3.33): OK compares with this, not with what was stored.
        self.shown = self.values()
        self.forget_btn = QPushButton("Forget my listening history…")

        folders_box = QGroupBox("Music folders")
        folders_column = QVBoxLayout(folders_box)
        folders_column.addWidget(self.folders)
        folders_column.addWidget(self.follow)
        form = QFormLayout()
        form.addRow("Output &device:", self.device)
        form.addRow("&ReplayGain:", self.replaygain)
        form.addRow("&Preamp:", self.preamp)
        form.addRow("&Untagged tracks:", self.untagged)
        form.addRow("Cross&fade:", self.crossfade)
        form.addRow("", self.gpu)
        form.addRow("&Analysis while music plays:", self.while_playing)
        privacy = QGroupBox("Privacy")
        pv = QVBoxLayout(privacy)
        note = QLabel("Deletes every play, session and model trained on them. Your music and "
                      "library stay.")
        note.setWordWrap(True)
        note.setObjectName("hint")
        pv.addWidget(note)
        pv.addWidget(self.forget_btn)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel | QDialogButtonBox.RestoreDefaults)
        self.defaults_btn = buttons.button(QDialogButtonBox.RestoreDefaults)
        self.defaults_btn.setToolTip("Puts every choice here back as Segue comes, to be saved with OK. "
                                     "The music folders and your listening history stay as they are.")
        layout = QVBoxLayout(self)
        self.ignored_note: QLabel | None = None
        if self.ignored:
            self.ignored_note = QLabel(
                "Segue could not use what was stored for: " + ", ".join(LABELS[key] for key in self.ignored)
                + ". The defaults are shown, and used; what is stored stays until you change it here.")
            self.ignored_note.setWordWrap(True)
            self.ignored_note.setProperty("role", "error")
            layout.addWidget(self.ignored_note)
        layout.addWidget(folders_box)
        layout.addLayout(form)
        layout.addWidget(privacy)
        layout.addWidget(buttons)
        # A width of its own would override the layout's least, and a check box's words are
        # cut (with no "...") where the dialog opens narrower, as it does on a small screen.
        self.setMinimumWidth(max(520, self.minimumSizeHint().width()))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.forget_btn.clicked.connect(self._confirm_forget)
        self.defaults_btn.clicked.connect(self._restore_defaults)
        self.confirm_box: QMessageBox | None = None
        self.save_error: QMessageBox | None = None     # why the last OK could not save, while shown
        run_task(list_output_devices, self._devices_listed, name="list-devices")

    def _show(self, values: dict) -> None:
        """Set every choice but the folders to ``values`` (those stored, or the defaults)."""
        self.follow.setChecked(bool(values[KEY_FOLLOW]))
        device = values[KEY_DEVICE]
        if device and self.device.findData(device) < 0:
            self.device.addItem(device, device)
        self.device.setCurrentIndex(self.device.findData(device) if device else 0)
        self.replaygain.setCurrentIndex(max(0, self.replaygain.findData(values[KEY_REPLAYGAIN])))
        self.preamp.setValue(values[KEY_PREAMP])
        self.untagged.setValue(values[KEY_UNTAGGED])
        self.crossfade.setValue(values[KEY_CROSSFADE])
        self.gpu.setChecked(bool(values[KEY_USE_GPU]))
        self.while_playing.setCurrentIndex(max(0, self.while_playing.findData(values[KEY_WHILE_PLAYING])))

    def _restore_defaults(self) -> None:
        self._reset = True
        self._show(DEFAULTS)

    def _devices_listed(self, result, error) -> None:
        if not result:
            return
        current = self.device.currentData()
        for name in result:
            if self.device.findData(name) < 0:
                self.device.addItem(name, name)
        if current and current not in result:
            # Kept as chosen, to be used again once it is back; the system default plays meanwhile.
            self.device.setItemText(self.device.findData(current), f"{current} (not connected)")
        self.device.setCurrentIndex(max(0, self.device.findData(current)))

    def _confirm_forget(self) -> None:
        box = QMessageBox(QMessageBox.Warning, "Forget my listening history",
                          "Delete every play and session, and the models Segue trained on them?\n"
                          "This cannot be undone.", QMessageBox.Cancel, self)
        delete = box.addButton("Forget history", QMessageBox.DestructiveRole)
        box.setDefaultButton(QMessageBox.Cancel)
        self.confirm_box = box

        def done(_result):
            if box.clickedButton() is delete:
                self.forget_history.emit()
                self.forget_btn.setEnabled(False)
                self.forget_btn.setText("History forgotten")
            self.confirm_box = None

        box.finished.connect(done)
        box.open()

    def values(self) -> dict:
        """The settings as chosen (store keys -> values)."""
        return {
            KEY_DEVICE: self.device.currentData(),
            KEY_REPLAYGAIN: self.replaygain.currentData(),
            KEY_PREAMP: float(self.preamp.value()),
            KEY_UNTAGGED: float(self.untagged.value()),
            KEY_CROSSFADE: float(self.crossfade.value()),
            KEY_USE_GPU: self.gpu.isChecked(),
            KEY_WHILE_PLAYING: self.while_playing.currentData(),
            KEY_FOLLOW: self.follow.isChecked(),
        }

    def changed(self) -> dict:
        """The settings to write: those changed here, all of them after Restore Defaults. One
        left as it was shown is not written: a value this version cannot use (written by a
        newer one, or by hand) was overwritten with the default by an OK for another setting,
        and the newer version found it gone; one shown rounded was written rounded."""
        return {key: value for key, value in self.values().items()
                if self._reset or value != self.shown[key]}
