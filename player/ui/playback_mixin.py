"""The main window's playback half: the player, transport bar, Up next, radio, cover art."""

from __future__ import annotations

import logging
import random
import unicodedata
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QKeySequence

from player.library.chapters import chapter_at, read_chapters
from player.library.cue import audio_path
from player.library.lyrics import read_lyrics
from player.library.names import NAME_COLUMNS, Namer
from player.plain_words import why_stopped
from player.ui.announce import announce
from player.ui.bridge import PlayerBridge
from player.library.search import FILE_GONE, not_connected
from player.ui.library_model import format_duration
from player.ui.never_menu import ARTIST
from player.workers import OneAtATime, db_write_pool, run_task
from segue_common import faults
from segue_common.listening import SUGGESTED_SOURCES
from segue_common.text import shown

log = logging.getLogger(__name__)
RADIO_BATCH = 20
FILL_BATCH = 10
# Once the session has heard everything, the songs skipped early in it come back only after
# those heard through, while these come back at least this many songs after they played.
SKIPPED_HELD_GAP = 4
POSITION_MS = 250
#: seconds into a chapter past which Previous chapter goes back to its start, not the one before
CHAPTER_RESTART_S = 3.0
UNNAMED = ("…", "", "")         # a track's names while they are read
RESUMED_AT = "Resumed at"   # how the status bar says a long track went on where it was left
# How long after a fill found a station's seed gone the window looks again before it ends the
# station: a sync program replaces a file by deleting and writing it, a scan between the two
# marks the song missing, and the next finds it again; a scan in another process marks the
# song missing before it merges it into its copy.
SEED_GRACE_MS = 30_000


def read_names(store, track_ids) -> dict[int, tuple[str, str, str]]:
    """``track id -> (title, artist, album)`` as the library names them, for every id given
    (one no longer in the store as "track N"). Run on a worker."""
    namer = Namer.of(store)
    rows = store.tracks_by_id(track_ids, NAME_COLUMNS)
    out = {}
    for t in track_ids:
        row = rows.get(t)
        if row is None:
            out[t] = (f"track {t}", "", "")
        else:
            names = namer(row)
            out[t] = (names.title, names.artist, names.album)
    return out


#: The directions that reach past a name: right-to-left letters, and the marks that turn the
#: direction of what follows them.
_DIRECTIONAL = {"R", "AL", "RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"}


def seed_lost(store, seed: int) -> str | None:
    """Why the station around ``seed`` cannot go on, as the window says it, or None where it
    can: the seed, or the copy a scan merged it into, is in the library and readable."""
    live = store.live_track_id(seed)
    row = store.track(live) if live is not None else None
    if row is not None and row["last_error"] and not row["missing"]:
        return "the song it started from can no longer be read"
    if row is None or row["missing"]:
        return "the song it started from is no longer in the library"
    return None


def _set_apart(name: str) -> str:
    """``name`` between Unicode's isolate marks where it holds Arabic or Hebrew letters or marks
    of direction, so that the title bar and the taskbar lay the window's title out as the
    English line it is. Taken as a whole, a title beginning with an Arabic name made the line
    right to left ("· Segue" came first, at the left), and a tag's right-to-left override
    turned the rest of the line, "Segue" included, back to front."""
    if any(unicodedata.bidirectional(ch) in _DIRECTIONAL for ch in name):
        return f"\u2068{_balanced(name)}\u2069"
    return name


def _balanced(name: str) -> str:
    """``name`` with its isolates paired: a closing mark with none open is left out, and one
    is added for each left open. A tag's stray closing mark ended the isolate round the name
    early, and an override after it turned "Segue" back to front after all; an isolate left
    open took the closing mark meant for the name's, and the rest of the line with it."""
    kept, opened = [], 0
    for ch in name:
        kind = unicodedata.bidirectional(ch)
        if kind in ("LRI", "RLI", "FSI"):
            opened += 1
        elif kind == "PDI":
            if not opened:
                continue
            opened -= 1
        kept.append(ch)
    return "".join(kept) + "\u2069" * opened


def _undo(player) -> tuple[str, int, list]:
    """Ctrl+Z in Up next, on the player's thread: what :meth:`Player.undo` did, how many it
    did it to, and the entries it put back (none for a move taken back)."""
    done, n = player.undo()
    return done, n, list(player.last_put_back) if done == "put back" else []


@dataclass
class Station:
    """A radio station in progress: its seed, and where the player's count of early skips in
    the session (``skip_count``) stood when it started (the skips after that are the
    station's)."""

    seed: int
    skip_mark: int | None = None      # None until the station's first track has started

    def skipped(self, player) -> list[int]:
        """Tracks skipped early since the station started, in order (read on any thread)."""
        mark = self.skip_mark
        return [] if mark is None else player.skips_since(mark)


class PlaybackMixin:
    """Mixed into :class:`player.ui.main_window.MainWindow` (needs its widgets and store)."""

    def _init_playback(self, player) -> None:
        self.player = None
        self.restored = False          # the last run's queue and track are back (state_restored)
        self.bridge: PlayerBridge | None = None
        self._owns_player = False
        self.station = None
        # A station whose seed a fill found gone, and the look again at it (SEED_GRACE_MS later):
        # (station, seed) from the first such fill until that look is done.
        self._seed_waiting = None
        self._seed_wait = QTimer(self, singleShot=True)
        self._seed_wait.timeout.connect(self._look_at_seed)
        # Plays another process's write refused (the library busy), looked at again two ticks later:
        # said only where they are still kept then (the data of the last count told).
        self._unsaved_busy = QTimer(self, singleShot=True)
        self._unsaved_busy.timeout.connect(lambda: self._plays_unsaved({**self._unsaved_told, "waited": True}))
        self._unsaved_told: dict = {}
        self.reasons: dict[int, str] = {}
        # What the person left out, as last written: Discover's rows read before that leave it out too.
        self.left_out: frozenset[int] = frozenset()
        self._play_error = ""           # the last song that could not be played, as the status bar named it
        self._cover_task = None
        self.shared_cover = None        # (track id, the file of its cover) for MPRIS's artUrl
        self._covers_asked = 0          # songs whose cover was read: only the newest's is shared
        # The names of tracks the library in memory does not hold (a file opened by name, a
        # track a running scan added, any track before the library has loaded): read on a
        # worker as they are first shown, kept until the library is loaded again.
        self.outside_names: dict[int, tuple[str, str, str]] = {}
        self._unnamed: set[int] = set()          # asked for, not yet read
        self._naming = OneAtATime()
        self._shown_track = None       # the track the now-playing bar names
        self._shown_length = 0.0       # the length the seek bar shows (s)
        self._unsaid_song = None       # started while its names were being read: said once they are
        self._started_track = None     # the song that last started, until playback stops
        self._shown_entry = None       # the queue entry the now-playing bar shows (Next skips that one)
        # A seek sent to the player and not yet done there: (seconds, track id). Commands run on
        # the player's thread, and until this one has, the player still tells the old place:
        # the bar would jump back to it for a moment after the slider was let go.
        self._seeking: tuple[float, int | None] | None = None
        # Next commands sent and not yet done: until then the player tells the place in the song
        # being left, and an offset from it would land in the next song at a place nobody chose.
        self._nexts_asked = 0
        # Runs while a song plays: stopped or paused, the place moves only when the person
        # moves it (a seek, another song), and each of those shows it. Ticking on, it woke
        # the window four times a second for as long as it stayed open.
        self._position_timer = QTimer(self, interval=POSITION_MS)
        self._position_timer.timeout.connect(self._tick)
        self._paused_at: float | None = None    # the place the bar showed last while paused
        self.station_ended.connect(self._station_ended)
        self.station_followed.connect(self._station_followed)
        t = self.transport
        t.play_pause.connect(self.toggle_play)
        t.next_track.connect(self.next_track)
        t.previous_track.connect(self.previous_track)
        t.seek.connect(self.seek_to)
        t.position_shown.connect(self.lyrics.follow)
        self.lyrics.seek.connect(self.seek_to)
        self._lyrics_task = None
        t.position_shown.connect(self.chapters.follow)
        self.chapters.seek.connect(self.seek_to)
        self.chapters.chapter_changed.connect(t.set_chapter)
        self._chapters_task = None
        # One read of chapters at a time: each may be an ffprobe on a share that does not answer
        # (a minute before it gives up), and a run of Next presses would start one each.
        self._chapter_reads = OneAtATime()
        t.volume_changed.connect(self._set_volume)
        u = self.up_next
        u.set_describer(self._describe_entry, self._titles)
        # The panel names the entries shown, never row numbers: the player's queue can shift
        # before a command runs (a gapless hand-over, a filler adding tracks), and the player
        # skips entries no longer queued.
        u.play_entry.connect(lambda entry: self._command(lambda p: p.play_queue_entry(entry)))
        u.remove_entries.connect(lambda entries: self._remove_from_up_next(list(entries)))
        u.clear.connect(lambda: self._command(lambda p: p.clear_queue(), self._took_out))
        u.put_back.connect(lambda: self._command(_undo, self._put_back))
        u.move.connect(lambda entries, before, joined: self._move_entries(list(entries), list(before), joined))
        u.keep_going_changed.connect(self._set_keep_going)
        if player is not None:
            self.attach_player(player)

    def _start_player(self) -> None:
        """Open the audio output and the Player on a worker (it touches the device and the DB)."""
        if self.player is not None or self.engine_factory is None:
            return
        factory, store = self.engine_factory, self.store

        def make():
            from player.playback import Player

            return Player(store, factory())

        def ready(result, error):
            if error is not None:
                self.show_trouble(f"Playback is not available: {error}", 15000)
                return
            self.attach_player(result)
            self._owns_player = True

        run_task(make, ready, name="open-audio")

    def attach_player(self, player) -> None:
        self.player = player
        self.bridge = b = PlayerBridge(player, self)
        b.track_started.connect(self._track_started)
        b.track_ended.connect(lambda _data: self.listening.plays_changed())
        b.track_ended.connect(self._track_ended)
        b.state_changed.connect(self._state_changed)
        b.queue_changed.connect(self.refresh_up_next)
        b.queue_changed.connect(self._show_moves)
        b.error.connect(self._play_failed)
        b.gave_up.connect(self._gave_up)
        b.device_lost.connect(self._output_lost)
        b.plays_unsaved.connect(self._plays_unsaved)
        b.started_over.connect(lambda data: self._clear_resumed())    # its place lay past its end
        b.tracks_followed.connect(lambda data: self._tracks_followed(data["renumbered"]))
        b.stop_after_changed.connect(self._stop_after_changed)
        player.set_queue_filler(self._fill_queue)
        player.volume = self.transport.gain()
        self.up_next.keep_going.setChecked(bool(player.keep_going))
        self.transport.set_ready(True)
        self._show_moves()
        self._show_position_while(player.state)
        self.refresh_up_next()
        notice = getattr(getattr(player, "engine", None), "notice", None)
        if notice:      # the output in the settings is missing: the person hears where it plays
            self.show_trouble(notice, 30000)
        # The queue, Keep it going and the last track as the last run left them; that track
        # is named on the player's thread too, as the library may not have loaded yet.
        store = self.store

        def restore(p):
            cued = p.restore_state()
            lost = p.station_lost
            return (read_names(store, [cued.entry.track_id]) if cued is not None else {},
                    seed_lost(store, lost) if lost is not None else None)

        self._command(restore, self._restored)
        self.player_ready.emit()

    def _restored(self, result, error) -> None:
        player = self.player
        names, lost = result if result else ({}, None)
        if names:
            self.outside_names.update(names)
        if error is not None or player is None:
            log.warning("could not restore the last queue: %s", error)
            self.restored = True
            self.state_restored.emit()
            return
        left, away = self.left_out, set(self.away_tracks)
        if left:        # read before the player was there (a disk away since the last run)
            self._command(lambda p: p.leave_out(left))
        if away:
            self._command(lambda p: p.drop_list_entries(away))
        self.up_next.keep_going.setChecked(bool(player.keep_going))
        # The station the last run left playing goes on: its songs came back in the queue,
        # and without it the refills after them were Up next's, the station gone unsaid. With
        # the skips made in it before the restart, within the session (the player read them
        # from the play log): else it played the same kind of song again.
        if self.station is None and player.station_seed is not None:
            self.station = Station(player.station_seed, skip_mark=player.station_skip_mark())
        if lost:        # it ended at this start, its song gone since the last run: said, as in one run
            self.statusBar().showMessage(f"The radio station ended: {lost}. Up next goes on", 10000)
        self._show_modes()
        cued = player.cued
        if cued is not None:
            self._show_track(cued.entry.track_id)
            self.transport.set_position(cued.position, cued.duration)
        self.refresh_up_next()
        self._show_moves()          # (the queue and song left last time)
        self.restored = True
        self.state_restored.emit()

    def shutdown_playback(self) -> None:
        self._position_timer.stop()
        # (a look again at the station's seed, due or under way, is not made: the station is
        # saved as it is, and the next start looks at its song)
        self._seed_wait.stop()
        self._seed_waiting = None
        if self.bridge is not None:
            self.bridge.shutdown()
        if self.player is not None and self._owns_player:
            self.player.close()

    # -- helpers ---------------------------------------------------------
    def _command(self, fn, done=None):
        if self.bridge is None:
            self.statusBar().showMessage("Playback is still starting…", 3000)
            return None
        return self.bridge.command(fn, done)

    # Up next hands over its lists as Python objects (the sender's own list): each is copied
    # on this thread as it arrives, before the player thread reads it.
    def _remove_from_up_next(self, entries: list) -> None:
        def done(result, error):
            # (its queue, changed or not, was shown before: the player's signal came first)
            self.up_next.removal_answered(entries)
            self._took_out(result, error)

        self._command(lambda p: p.remove_queue_entries(entries), done)

    def _move_entries(self, entries: list, before: list, joined: bool) -> None:
        self._command(lambda p: p.move_queue_entries(entries, before, joined=joined))

    def _took_out(self, result, error) -> None:
        """Said once songs are taken out of Up next: how to have them back (a slip of Delete or
        of Clear is put right at once)."""
        if error is None and result:
            keys = QKeySequence(QKeySequence.Undo).toString(QKeySequence.NativeText)
            self.statusBar().showMessage(f"Removed {result} {'song' if result == 1 else 'songs'} from Up next "
                                         f"({keys} in Up next puts them back)", 10000)

    def _put_back(self, result, error) -> None:
        if error is None:
            done, n, back = result
            if back:         # the songs put back are the rows chosen: seen at once, Delete takes them again
                self.refresh_up_next()
                self.up_next.choose(back)
            elif done == "moved" and n:
                # The rows moved back take the selection and the keyboard with them: kept in
                # view, or the next key acted on a row out of sight (Alt+End, then Ctrl+Z).
                self.refresh_up_next()
                current = self.up_next.list.currentIndex()
                if current.isValid():
                    self.up_next.list.scrollTo(current)
            songs = "song" if n == 1 else "songs"
            self.statusBar().showMessage(f"Moved {n} {songs} back in Up next" if done == "moved" and n
                                         else f"Put back {n} {songs} in Up next" if n
                                         else "Nothing moved or taken out of Up next to undo", 5000)

    def current_track_id(self) -> int | None:
        return self.player.current_track_id if self.player is not None else None

    def shown_track_id(self) -> int | None:
        """The song the window names, which its actions on "this song" act on: the one playing,
        but while the next song is taken by the output and not heard yet (``bridge.holding``),
        the one still heard and named, not one the person has not seen named yet."""
        if self.bridge is not None and self.bridge.holding:
            return self._shown_track
        return self.current_track_id()

    def song_acted_on(self) -> int | None:
        """The song a seek and the desktop's media controls act on: the one the window names
        (:meth:`shown_track_id`), else the one left playing at the last close, cued to go on
        from its place. One rule for both: a seek the desktop sends on the song it shows is
        the window's seek on the song it names."""
        shown = self.shown_track_id()
        if shown is not None:
            return shown
        cued = self.player.cued if self.player is not None else None
        return cued.entry.track_id if cued is not None else None

    def _info(self, track_id: int) -> tuple[str, str, str]:
        """``(title, artist, album)`` from memory: the library's, else the names read for a
        track it does not hold. The GUI thread never reads the store: a track named in
        neither is shown as :data:`UNNAMED`, its names are read on a worker, and where it
        is shown it is named again once they are (:meth:`_names_read`)."""
        known = self.model.data_.info(track_id)
        if known is None:
            known = self.outside_names.get(track_id)
        if known is None:
            self._read_names([track_id])
            return UNNAMED
        return known

    def _read_names(self, track_ids) -> None:
        """Read the names of ``track_ids`` on a worker, with any asked for meanwhile."""
        self._unnamed.update(track_ids)
        store = self.store

        def start():
            wanted = sorted(self._unnamed)
            self._unnamed.clear()
            if not wanted:
                return None
            return run_task(lambda: read_names(store, wanted), self._names_read, name="read-names")

        self._naming.request(start)

    def _names_read(self, result, error) -> None:
        if error is not None:
            log.warning("could not read the names of tracks: %s", error)
            return
        self.outside_names.update(result)
        shown = self._shown_track
        if shown in result:
            title, artist, album = self._info(shown)
            self.transport.set_names(title, artist, album)
            self._show_title(title, artist)
            if shown == self._unsaid_song:
                self._say_song(shown)
        self.refresh_up_next()          # its rows are named again as they are drawn
        self.names_read.emit()

    # -- transport -----------------------------------------------------------
    def toggle_play(self) -> None:
        if self.player is None:
            return
        from player.audio.base import PlaybackState

        if self.player.state == PlaybackState.STOPPED and self.player.current_track_id is None:
            if self.player.cued is not None:         # the track left playing last time
                self._command(lambda p: p.resume())
                return
            ids = self.library.selected_ids()
            row = self.library.table.currentIndex().row()
            if len(ids) > 1:
                self.play_ids(ids, 0, "library")
            elif self.player.queue:
                self._command(lambda p: p.next())
            elif self.model.rowCount():
                self.library._play_from(max(row, 0))
            return
        self._command(lambda p: p.toggle())

    def pause(self) -> None:
        self._command(lambda p: p.pause())

    def stop(self) -> None:
        self._command(lambda p: p.stop())

    def next_track(self) -> None:
        # Next is for the song the person sees playing: pressed as it ends, the command
        # reaches the player after the next song began, which must not be skipped for it.
        shown = self._shown_entry

        def done(result=None, error=None) -> None:
            self._nexts_asked -= 1

        if self._command(lambda p: p.next(shown), done) is not None:
            self._nexts_asked += 1

    def previous_track(self) -> None:
        # Past a song's first seconds it goes back to its start: paused, or the song cued from
        # the last run, no state changes and no song starts, and no timer would show it.
        def done(result=None, error=None) -> None:
            self._clear_resumed()       # back at its start, or on the track before
            self._tick()
            if error is None and result:
                self.seeked.emit(0.0)   # (a jump to its start, as a seek there is: the desktop is told)

        self._command(lambda p: p.previous(), done)

    def _show_song_actions(self) -> None:
        """The actions on the song playing (stop after it, seek in it, its chapters) are there
        to pick only while there is one: with nothing playing they did nothing, unsaid, and
        Stop after this song kept itself for a song started later. A greyed action's key does
        nothing either, so this follows each song and each stop, not a menu's opening."""
        song = self.song_acted_on() is not None
        for action in (self.act_stop_after, self.act_forward, self.act_back, self.act_radio,
                       self.sleep_menu.act_end_of_song):
            action.setEnabled(song)
        chapters = song and bool(self.chapters.chapters) and self.chapters.track_id == self._shown_track
        for action in self.act_chapters:
            action.setEnabled(chapters)
        self._show_moves()

    def moves(self) -> dict[str, bool]:
        """Whether Play, Next and Previous do something now. Play: with a song to go on with,
        Up next or a library to start from. Next: with a song to skip (the last one, it ends
        the music) or one queued; stopped with none queued it did nothing. Previous: with a
        song (it restarts the first one) or one heard before in this run (after Stop it goes
        back to it)."""
        player = self.player
        if player is None:
            return {"play": False, "next": False, "previous": False}
        song, queued = self.song_acted_on() is not None, bool(player.queue)
        return {"play": song or queued or self.model.rowCount() > 0,
                "next": player.current_track_id is not None or queued,
                "previous": song or player.has_before}

    def _show_moves(self, *_args) -> None:
        """Play, Next and Previous (the menu's, their keys, the bar's buttons) are there to
        pick only where they do something: with nothing to go to they did nothing, unsaid. As
        with the actions on the song, this follows the player and the library, not a menu's
        opening, so a key works as soon as its action can."""
        can = self.moves()
        for name, actions in (("play", (self.act_play, self.transport.play_btn)),
                              ("next", (self.act_next, self.transport.next_btn)),
                              ("previous", (self.act_previous, self.transport.prev_btn))):
            for action in actions:
                action.setEnabled(can[name])
        self.moves_changed.emit()

    def _set_volume(self, value: float) -> None:
        if self.player is not None:
            self.player.volume = value

    def seek_by(self, seconds: float) -> None:
        """Jump ``seconds`` forward (or back) in the current track."""
        p = self.player
        if p is None or (p.current_track_id is None and p.cued is None):
            return
        target = max(0.0, self._position_shown(p) + seconds)      # (pressed again before the last one ran: from it)
        if p.duration:
            target = min(target, max(0.0, p.duration - 0.5))
        self._send_seek(p, target)

    def seek_to(self, seconds: float) -> None:
        """Jump to ``seconds`` into the current (or cued) track."""
        p = self.player
        if p is None or (p.current_track_id is None and p.cued is None):
            return
        self._send_seek(p, max(0.0, float(seconds)))

    def chapter_by(self, step: int) -> None:
        """Move to the next (``step`` 1) or the previous (-1) chapter of the track playing. Back,
        past a chapter's first seconds, goes to its own start, as Previous does with a song. The
        first and the last chapter are as far as it goes: Next and Previous move between tracks,
        as in foobar2000 and mpv, where chapters have keys of their own."""
        p = self.player
        chapters = self.chapters.chapters
        if p is None or not chapters or self.chapters.track_id != self._shown_track or (
                p.current_track_id is None and p.cued is None):
            return
        here = self._position_shown(p)
        at = chapter_at(chapters, here)
        if step > 0:
            later = [c.start for c in chapters if c.start > here + 0.5]     # (half a second: a seek lands early)
            if not later:
                return
            target = later[0]
        elif at is None:
            return
        elif at == 0 or here - chapters[at].start > CHAPTER_RESTART_S:
            target = chapters[at].start
        else:
            target = chapters[at - 1].start
        self._send_seek(p, target)

    def _send_seek(self, p, target: float) -> None:
        if self.bridge is not None and self.bridge.holding:
            # The song named has gone to the output whole, its last moments sounding now: none
            # of it is left to seek in, and the next song is not the one asked for. Nothing
            # moves, the seek bar included: it would show the next song's length and a place
            # in it under the title of the song still heard.
            return
        seeking = self._seeking = (target, p.current_track_id)
        # (during a hand-over not yet heard, the song the seek bar shows, whose place this is)
        meant_for = self.song_acted_on()

        def seek(pl) -> bool:
            # A seek is for the song it was asked on. One that ended by itself meanwhile, or a
            # Next or Previous sent just before, would otherwise give the next song the old
            # one's place: that song starts from its start instead.
            if _song_in_hand(pl) != meant_for:
                return False
            pl.seek(target)
            return True

        def done(result=None, error=None):
            if self._seeking is seeking:
                self._seeking = None
                self._tick()        # (paused or stopped, no timer shows where it went)
            if error is None and result:
                self.seeked.emit(target)

        if self._command(seek, done) is None:
            self._seeking = None
        self.transport.set_position(target, p.duration, sought=True)

    def _position_shown(self, p) -> float:
        """The player's position, or the place of a seek it has not yet done in this track."""
        seeking = self._seeking
        if seeking is not None and seeking[1] == p.current_track_id:
            return min(seeking[0], p.duration) if p.duration else seeking[0]
        return p.position

    def volume_by(self, percent: int) -> None:
        v = self.transport.volume
        # A volume key while muted asks to hear the music, even with the slider at its end
        # (where the value does not change, so the slider's own unmute never comes).
        self.transport.set_muted(False)
        v.setValue(max(v.minimum(), min(v.maximum(), v.value() + percent)))

    def set_shuffle(self, on: bool, albums: bool | None = None) -> None:
        """Shuffle on or off; ``albums``: by album (True) or by song (False), None as chosen before."""
        self._command(lambda p: p.set_shuffle(on, albums), lambda result, error: self._show_modes())

    def shuffling(self) -> bool:
        return self.player.shuffle if self.player is not None else False

    def set_stop_after(self, on: bool) -> None:
        # Asked in the last moments of the song named, the next one taken by the output and
        # not heard yet: the person means the song they hear, and the next one must not play on.
        ending = self.bridge is not None and self.bridge.holding
        if self._command(lambda p: p.set_stop_after(on, ending=ending),
                         lambda result, error: self._show_modes()) is None:
            self.act_stop_after.setChecked(False)       # no player yet: nothing to stop after

    def set_repeat(self, mode: str) -> None:
        self._command(lambda p: p.set_repeat(mode), lambda result, error: self._show_modes())

    def repeat_mode(self) -> str:
        return self.player.repeat if self.player is not None else "off"

    def _show_modes(self) -> None:
        """Buttons and menu entries show the player's shuffle and repeat as they are."""
        p = self.player
        if p is None:
            return
        self.transport.set_shuffle(p.shuffle, p.shuffle_albums)
        self.transport.set_repeat(p.repeat)
        self.act_shuffle.setChecked(p.shuffle)
        self.act_shuffle_albums.setChecked(p.shuffle_albums)
        self.act_repeat[p.repeat].setChecked(True)
        self.act_stop_after.setChecked(p.stop_after)

    def _tick(self) -> None:
        from player.audio.base import PlaybackState

        p = self.player
        if self.bridge is not None and self.bridge.holding:
            # The next song is taken by the output but not heard yet: the seek bar stays on the
            # song still heard, at its end, until the new one's title and length come together.
            if self._shown_length:
                self.transport.set_position(self._shown_length, self._shown_length)
            return
        if p is not None and (p.current_track_id is not None or p.cued is not None):
            self._shown_length = p.duration
            position = self._position_shown(p)
            self.transport.set_position(position, self._shown_length)
            if p.state is PlaybackState.PAUSED:
                if position == self._paused_at:
                    self._position_timer.stop()     # (the sound has stopped: nothing moves now)
                self._paused_at = position

    # -- what plays ------------------------------------------------------------
    def play_ids(self, ids: list[int], start: int = 0, source: str = "library") -> None:
        """Replace the queue with ``ids`` and play ``ids[start]`` now. The others leave out the
        songs of a disk not connected (each would fail in turn); the one asked for is tried,
        and says why it cannot play."""
        if not ids:
            return
        away = self.away_tracks
        if away and 0 <= start < len(ids):
            kept = [(i, t) for i, t in enumerate(ids) if i == start or t not in away]
            start = next(j for j, (i, _t) in enumerate(kept) if i == start)
            ids = [t for _i, t in kept]
        if source != "radio":
            self.station = None
        ids = list(ids)     # (copied here: the caller's list may change before the player thread reads it)
        self._command(lambda p: p.play_tracks(ids, start, source=source))

    def play_now(self, ids: list[int], source: str = "library") -> None:
        """Play ``ids[0]`` now and the others after the songs queued by hand; the rest of Up
        next stays (``Player.play_now``)."""
        if ids:
            ids = list(ids)
            self._command(lambda p: p.play_now(ids, source=source))

    def enqueue(self, ids: list[int], before: list | None = None) -> None:
        """Add ``ids`` to Up next after the songs queued by hand, or before the first still
        queued of ``before`` (the entries shown after where they were dropped)."""
        # (each list copied on this thread: the player thread reads them later, and a signal of
        # Python objects hands over the sender's own list)
        ids, before = list(ids), None if before is None else list(before)
        self._command(lambda p: p.enqueue(ids, source="queue", before=before))

    def play_next(self, ids: list[int]) -> None:
        ids = list(ids)
        self._command(lambda p: p.insert_next(ids, source="queue"))

    def _set_keep_going(self, on: bool) -> None:
        if self.player is None:
            return
        self.player.keep_going = on
        if on and self.player.current_track_id is not None:
            filler = self._fill_queue
            self._command(lambda p: p.set_queue_filler(filler))    # fills now if the queue is short

    def start_radio(self, seed: int, seed_source: str = "library", ending: bool = False) -> None:
        """A station around ``seed``: it plays now, the queue fills with its neighbours.

        The seed is logged with ``seed_source``: the person's own pick from the library,
        or, from a Discover tile or an Up next entry, the source that playing that tile or
        entry would log, so one choice is logged alike whichever way it was started; the
        station's tracks are Segue's. A seed that is playing already (radio from the song
        now playing) goes on where it is (``Player.start_station``), and one left playing
        at the last close resumes as itself. ``ending``: the seed is the song named in its last
        moments, the next one taken by the output and not heard yet; it played whole and is
        not started again (``Player.start_station``).
        """
        # Asked from any place (a row's menu as the Now-playing button) on the song named in its
        # last moments, the next one taken by the output and not heard yet: that song is the one
        # seen and heard ending, and is not started again.
        ending = ending or (self.bridge is not None and self.bridge.holding and self.shown_track_id() == seed)
        self.station = station = Station(seed)
        provider = self.provider
        # What was heard this session is no discovery for the station: its later batches
        # leave it out, and so does the first. In the order heard, the seed last, where the
        # station begins: as a set, the session's songs came in any order, and a station
        # started after a few songs spaced its artists after one of them, not the seed.
        # The person's own songs in Up next stay first and play between the seed and the station's
        # own: after it, so that none comes again and the station is spaced after them.
        # Read on the worker: the session and what was passed over are read under the
        # player's lock, which a command holds through a database write or an engine stop.
        player = self.player

        def work():
            session = player.session if player is not None else []
            mine = [e.track_id for e in player.queue if e.own] if player is not None else []
            heard = [t for t in dict.fromkeys(session) if t != seed] + [seed]
            heard += [t for t in dict.fromkeys(mine) if t not in heard]
            passed = player.passed_over if player is not None else frozenset()
            recs = provider.radio(seed, RADIO_BATCH, exclude=heard, passed=passed)
            # Nothing around the seed and nothing else in the library either (a library of one
            # song): the song played and the music stopped under "Radio from ...", unexplained.
            # (Nothing else to suggest, rather: the others may all be ones the person asked
            # never to suggest, or on a disk unplugged, which Up next leaves out too.)
            return recs, not recs and not provider.up_next([seed], 1)

        def done(result, error):
            if error is not None or self.station is not station:
                return
            result, alone = result
            self.reasons.update({r.track_id: r.reason for r in result})
            self.up_next.keep_going.setChecked(True)     # a station goes on until stopped

            def play(p):
                p.start_station(seed, [r.track_id for r in result], seed_source=seed_source, ending=ending)
                station.skip_mark = p.skip_count   # the skip that ended the last track is not the station's

            self._command(play)
            said = f"Radio from “{self._info(seed)[0]}”"
            self.statusBar().showMessage(f"{said}: no other song in the library to suggest after it" if alone else said,
                                         10000 if alone else 5000)

        run_task(work, done, name="radio")

    def radio_from_current(self) -> None:
        current, source = self.shown_track_id(), "library"
        # Pressed in the last moments of the song named, the next one taken by the output and
        # not heard yet: the station is seeded from the song seen, which is not started again.
        ending = current is not None and self.bridge is not None and self.bridge.holding
        cued = self.player.cued if self.player is not None else None
        if current is None and cued is not None:       # left playing at the last close
            current, source = cued.entry.track_id, cued.entry.source
        if current is not None:
            self.start_radio(current, source, ending=ending)

    def _fill_queue(self, player, *, replacing: int = 0) -> list[tuple[int, str]]:
        """The player's queue filler (runs on a player worker thread).

        ``replacing``: after an early skip, the player re-ranks the ``replacing`` suggested
        entries now queued: they are candidates again (only what the person queued by hand
        is left out), and as many come back, ranked with the skip.
        """
        history = list(player.session)
        cued = player.cued
        if cued is not None and history[-1:] != [cued.entry.track_id]:
            # The song cued plays first (its play, and the session, went with a forget): the
            # suggestions follow it, and it is not offered again after itself.
            history.append(cued.entry.track_id)
        queue = player.queue
        if replacing:
            queue = [e for e in queue if e.manual]
        # Ordered (dict keeps first occurrences): the recommender spaces artists after the
        # queue's tail and lets a station drift towards its latest tracks.
        queued = list(dict.fromkeys(e.track_id for e in queue))
        passed = player.passed_over
        k = max(FILL_BATCH, replacing)
        station = ended = self.station
        # The seed read once, here: the GUI thread follows a merge of it (its own scans, a
        # fill's word) while this runs. Followed through the store at once: the player follows
        # a merge on its own (a track armed before it, heard after), and each ask around the
        # track merged away read the whole library again to find nothing.
        asked = seed = station.seed if station is not None else None
        if station is not None:
            seed = self.store.live_track_id(asked) or asked
        whole, held, skips, again = history, [], None, False
        while True:
            # (the songs skipped early that are held back go first: the latest song stays the one
            # the picks follow)
            kept_out = held + history
            if station is not None:
                recs = self.provider.radio(seed, k, exclude=list(dict.fromkeys(kept_out + queued)),
                                           skipped=station.skipped(player), streak=player.skip_streak,
                                           passed=passed)
                source = "radio"
            else:
                recs = self.provider.up_next(kept_out, k, exclude=queued, passed=passed, ends_kept=player.ends_kept)
                source = "up_next"
            # A session longer than the library (a small one, or a long evening) has heard
            # everything: the songs heard longest ago come back rather than the music stopping,
            # and so do the songs the person took out of the queue.
            if recs:
                break
            if passed:
                passed = frozenset()
            elif held and len(history) < 2:
                held = []       # (the songs skipped come back rather than the music stopping)
            elif len(history) < 2:
                if station is None:
                    break
                live = self.store.live_track_id(seed)
                if live is not None and live != seed:
                    # Its seed merged into its copy by a scan this window did not run (another
                    # window's, ``segue scan``): the station goes on around the copy, as after
                    # the window's own scans, and does not end for a song still in the library.
                    seed, history, passed = live, list(player.session), player.passed_over
                    continue
                # A station with nothing around its seed (the seed's file deleted, its track
                # gone from the library) hands over to Up next: it found nothing, and the
                # music stopped with the queue, the station still shown as playing.
                station, history, passed = None, list(player.session), player.passed_over
            else:
                # The later half of the songs heard and queued stays out, each counted once at
                # its latest: half of the session, counted by plays, kept out all but the one
                # song heard longest ago, and a small library came back one song at a time in
                # the order of the round before.
                latest = list(dict.fromkeys(reversed(history + queued)))
                kept = set(latest[:len(latest) // 2])
                # (the latest song stays out all the same: the picks follow it)
                history = [t for t in dict.fromkeys(reversed(history)) if t in kept and t not in queued][::-1] \
                    or history[-1:]
                again = True
                # The songs the person skipped early stay out as long as the ones that come back
                # were heard a few songs ago: let back with the rest, the song skipped came
                # again in each round of a small library; held back for good, a library of
                # songs mostly skipped went round the two heard through, one after the other.
                if len(history) + len(queued) >= SKIPPED_HELD_GAP:
                    skips = skips if skips is not None else set(player.skips_this_session)
                    held = [t for t in dict.fromkeys(whole) if t in skips and t not in history]
                else:
                    held = []
        if again:
            # The songs heard that come back follow the first pick in another order each time:
            # ranked alike in each round, a small library went round in one order, again and
            # again. (Drawn from the session's length: a fill asked again at the same point draws
            # alike. Songs not heard in the session keep their ranked places.)
            heard = set(whole)
            back = [i for i in range(1, len(recs)) if recs[i].track_id in heard]
            drawn = [recs[i] for i in back]
            random.Random(len(whole)).shuffle(drawn)
            for i, r in zip(back, drawn):
                recs[i] = r
        if ended is not None and seed != asked:
            # (the seed as read above, not read again: a fill that began before a merge and
            # found the station around the track merged away told the window, which had
            # followed the merge meanwhile, to turn back to it)
            self.station_followed.emit((ended, asked, seed))
        if ended is not None and station is None:
            # (only for a seed gone from the library: a recommender that does not know a song
            # just scanned yet finds nothing around it either, and knows it soon after)
            row = self.store.track(seed)
            if row is None or row["missing"] or row["last_error"]:
                self.station_ended.emit((ended, seed))
        self.reasons.update({r.track_id: r.reason for r in recs})
        return [(r.track_id, source) for r in recs]

    def _station_ended(self, ended) -> None:
        """``(station, seed)``: the station found nothing around ``seed`` and handed over to Up
        next, its seed gone from the library or unreadable. The window looks again
        ``SEED_GRACE_MS`` after the first fill that found it so (:meth:`_look_at_seed`): a song
        missing for a moment (a sync program replacing its file, a scan in another process
        between marking it missing and merging it into its copy) ended its station for good.
        Not where another station started meanwhile."""
        station, seed = ended
        if self.station is not station or station.seed != seed:
            return
        if self._seed_waiting is not None and self._seed_waiting[0] is station:
            return          # (looked at from the first fill that found it gone)
        self._seed_waiting = (station, seed)
        self._seed_wait.start(SEED_GRACE_MS)

    def _look_at_seed(self) -> None:
        """The look again at a station's seed a fill found gone (the store read on a worker).
        Back, the next fill asks the station again; merged into its copy, the station follows
        it; still gone or unreadable, it ends for good, in the player and in the window, and
        the window says so: kept, it was saved, each refill asked around the gone seed first,
        and once a scan found the song again Up next turned back into the station unasked.
        Not while the window's scan runs: one that merges the seed is followed once done."""
        waiting = self._seed_waiting
        if waiting is None:
            return
        station, seed = waiting
        if self.station is not station or station.seed != seed:
            self._seed_waiting = None
            return
        if self._scan is not None:
            self._seed_wait.start(SEED_GRACE_MS)
            return
        store = self.store

        def look():
            return store.live_track_id(seed), seed_lost(store, seed)

        def looked(result, error) -> None:
            if self._seed_waiting is not waiting:
                return          # (another station's look since, or the window closed)
            if error is None and self._scan is not None:
                # A scan begun while the store was read marks a moved seed missing before it
                # merges it into its copy: read in between, the station ended, and the scan
                # could not take it along. Looked at again after it, as when the look begins.
                self._seed_wait.start(SEED_GRACE_MS)
                return
            self._seed_waiting = None
            if error is not None:
                log.warning("could not look at the station's song again: %s", error)
                return
            live, lost = result
            if self.station is not station or station.seed != seed:
                return
            if lost is None:
                if live is not None and live != seed:
                    self._station_followed((station, seed, live))
                return
            self.station = None
            self._command(lambda p: p.end_station(seed))
            self.statusBar().showMessage(f"The radio station ended: {lost}. Up next goes on", 10000)

        run_task(look, looked, name="station-seed")

    def _station_followed(self, followed) -> None:
        """``(station, seed, now)``: a scan in another window or process merged ``seed`` into
        ``now`` (its file moved), and the filler asked around ``now``. The window and the
        player follow it as after the window's own scans: kept on the track merged away, each
        refill asked around it first, the player saved it, and the next start found it gone."""
        station, seed, now = followed
        if self.station is not station or station.seed != seed:
            return
        station.seed = now
        self._command(lambda p: p.renumber({seed: now}))

    # -- player events (GUI thread) ---------------------------------------------
    def _play_failed(self, data: dict) -> None:
        """Say which song could not be played (its title and artist, else its file's name),
        and why: for the song of a disk not connected, that (its file's error says only that
        there is no such file). The file's path is the status bar's tooltip meanwhile."""
        track_id, path = data.get("track_id"), data.get("path") or ""
        title, artist, _ = self._info(track_id) if track_id is not None else ("", "", "")
        name = path.replace("\\", "/").rpartition("/")[2]
        titled = bool(title) and title != UNNAMED[0]
        # Each name set apart where it holds right-to-left letters: a tag's right-to-left
        # override turned the reason after it back to front, as it did the window's title.
        short = f"“{_set_apart(title)}”" if titled else _set_apart(shown(name)) if name else "a track"
        song = f"{short} by {_set_apart(artist)}" if titled and artist else short
        folder = self.away_tracks.get(track_id)
        if folder is not None:
            message = f"Could not play {song}: it is on {shown(folder)}, not connected now"
        else:
            # The file's whole path, in the reason, pushed the reason out of a narrow window:
            # the bar names the file, the tooltip (and Files with problems) has where it is.
            # (the reason, "cannot play f.flac: …", names the file itself: after "Could not
            # play “Song”" that read as the same thing said twice)
            why = faults.after_name(str(data.get("message")), name)
            if path:
                why = why.replace(f"'{path}'", shown(name)).replace(path, shown(name))
            message = f"Could not play {song}{why}"
        # The file's place is the bar's tooltip, chosen as the message shows (the same words
        # again too: show_trouble hands them on as a message though the bar's is unchanged).
        self._status_tip = (message, f"{message}\n{shown(path)}" if path else "")
        self.show_trouble(message, 10000)
        self._play_error = short

    def _gave_up(self, data: dict) -> None:
        """The player stopped: that many songs in a row could not be played (a share gone, a
        folder of damaged files), or, repeating all, every song of the list failed; what is
        queued is kept for when the person has looked. The way to the songs' errors shows
        beside the message."""
        last = f" (the last: {self._play_error})" if self._play_error else ""
        if data["went_round"] and data["songs"] == 1:
            message = f"Stopped: {self._play_error or 'a track'} could not be played"
        else:
            message = f"Stopped: {why_stopped(data)}{last}"
        self._problems_note = message
        self.show_trouble(message, 20000)

    def _output_lost(self, data: dict) -> None:
        """The sound output went away (unplugged, the sound server stopped): the song is paused
        where it was, and Play opens the output again; the person is told so, or they would
        only see the song stop."""
        self.show_trouble(
            f"Sound output lost ({data.get('message')}): the song is paused. Press Play to go on, "
            "or choose another output device in Settings.", 30000)
        player = self.player
        cued = player.cued if player is not None else None
        if cued is not None and player.current_track_id is None:
            # The output could not start as a song was played: that song waits for Play (the
            # song before it, or nothing, was shown), where it is to start.
            self._show_track(cued.entry.track_id)
            self.transport.set_position(cued.position, cued.duration)

    def _plays_unsaved(self, data: dict) -> None:
        """The library's disk refused plays (it is full): the player keeps them and writes them
        once it can. Said until then, with what closing now would cost; gone once they are
        written. (The log alone said it, and a play was lost without the person knowing.)"""
        # The count of now, not the event's: told from two threads at once, the events can
        # come in the other order, and the note would stay wrong until the next change.
        player = self.player
        count = player.unsaved_plays if player is not None else data.get("count", 0)
        places = player.unsaved_places if player is not None else data.get("places", 0)
        kept, self._unsaved_kept = getattr(self, "_unsaved_kept", 0), count
        note = self.unsaved_note
        if kept and not count:
            # Written at last: what counts plays shows them now, not at the next song's
            # start or end (the plays ended while they were kept were not in the library).
            self.listening.plays_changed()
        # The library's counts hold the kept plays by hand; those written since (all, or the
        # first ones where the disk took only some) are read from the store again.
        dropped = self.model.unsaved_left(player.unsaved_starts() if player is not None else {})
        if dropped or count < kept:
            self.recount_plays()
        if not count and not places:
            self._unsaved_busy.stop()
            note.hide()
            return
        # (the reason, its kind and the kept file as they are now, as the count: see above; the
        # words of an older event with the kind of now said "the disk is full (database is locked)")
        why = (player.unsaved_why if player is not None else data.get("why")) or ""
        kind = player.unsaved_kind if player is not None else data.get("kind", "")
        kept_aside = player.unsaved_kept_aside if player is not None else data.get("kept", True)
        # Refused as another process held the library (a command, the learner, a second window),
        # the plays are most often written at the next tick: said at once, a note that quitting
        # loses them flashed up for nothing. Said once they are still kept two ticks later (a full
        # disk, or a library that cannot be written at all, at once).
        if kind == "busy" and not note.isVisible() and not data.get("waited") and player is not None:
            self._unsaved_told = dict(data)
            if not self._unsaved_busy.isActive():
                self._unsaved_busy.start(int(2000 * player.progress_interval_s))
            return
        # (said now: a look again still to come, told of the busy refusal before, put the older
        # reason back over this one, a full disk said to be a library that cannot be written)
        self._unsaved_busy.stop()
        # Where a long track (an audiobook's chapter) was left is kept as its play is, and lost
        # as it is by quitting: said too. Counted as plays alone, the note said nothing of it,
        # and nothing at all where the place alone was refused.
        what = [f"{count} play{'s' * (count != 1)}"] if count else []
        if places:
            what.append(f"where {places} long track{'s were' if places != 1 else ' was'} left")
        what = " and ".join(what)
        what = what[0].upper() + what[1:]
        # Said as a full disk only when it is one: a library made read-only or locked by
        # another program is no matter of room, and freeing space would not help.
        # Quitting loses them only where the file they are kept in cannot be written either: on
        # a full disk it is on that disk too; refused otherwise (a library another process holds,
        # one made read-only) they are in that file, and the next start writes them, unless the
        # player found that file refused too (the folder read-only as well: it said they were
        # there, and quitting lost them).
        where = shown(str(self.store.path.parent))
        if kind == "full":
            note.setText(f"Plays cannot be saved: the disk is full. {what} kept until there is room")
            note.setToolTip(f"The disk that holds Segue's library ({where}) is full ({why}). What is kept is "
                            "saved as soon as there is room; quitting Segue before there is room loses it.")
        elif kind == "disk":
            # SQLite's "disk I/O error", told as the commands tell it: the disk is the person's to
            # look at, and the file beside the library is on that disk too.
            note.setText(f"Plays cannot be saved: the disk that holds the library failed. {what} kept until it "
                         "can be written")
            quitting = ("leaves it in a file beside the library, written at the next start, as long as that "
                        "disk takes writes." if kept_aside else
                        "loses it: the file beside the library cannot be written either.")
            note.setToolTip(f"The disk that holds Segue's library ({where}) failed ({why or 'no reason given'}: "
                            "gone read-only after an error, disconnected, or failing). Check the disk. What is kept "
                            f"is saved as soon as it can be written again; quitting Segue before that {quitting}")
        else:
            note.setText(f"Plays cannot be saved: the library cannot be written. {what} kept until it can")
            quitting = ("leaves it in a file beside the library, written at the next start." if kept_aside else
                        "loses it: the folder that holds the library cannot be written either.")
            note.setToolTip(f"Segue's library ({where}) cannot be written ({why or 'no reason given'}). What is "
                            f"kept is saved as soon as it can be written again; quitting Segue before that {quitting}")
        note.show()

    def _track_ended(self, data: dict) -> None:
        # Only a song that played to its end comes round again unasked: one the person moved
        # on from (Enter on the song playing, Previous) starts because they asked, and hearing
        # it named is what tells a screen reader's user that the key did something.
        if data.get("ended") != "finished":
            self._started_track = None
        if not data.get("counted", True):
            # A play that failed, or was ended before anything of it was heard, is no play to the
            # store: counted at its start, "plays:0" left it out until the next reload found it again.
            self.model.count_play(data["track_id"], data.get("play_id"), -1)
            self.searches_changed("plays")

    def _track_started(self, data: dict) -> None:
        self._shown_entry = data.get("entry")
        # The song again right after itself (repeat one, a one-song list repeated, the same
        # song queued twice) is a lap of what is already said: said at each, a reader repeated
        # the name every few minutes over the music.
        again, self._started_track = self._started_track == data["track_id"], data["track_id"]
        if not data.get("reopened") or not data.get("was_counted", True):
            # Its play was logged: "plays:0" no longer finds it. A song left playing at the last
            # close goes on in its old row, already counted (a reload counted it once) unless
            # nothing of it had been heard then.
            self.model.count_play(data["track_id"], data.get("play_id"), again=bool(data.get("reopened")))
            self.searches_changed("plays")
        self._show_track(data["track_id"])
        self._tick()            # the seek bar takes the new track's length at once
        if not again:
            self._say_song(data["track_id"])
        at = data.get("resumed_at") or 0.0
        if at >= 1.0:
            # A long track played again goes on where it was left: said, so a person who wanted
            # its start knows how to get there.
            self.statusBar().showMessage(f"{RESUMED_AT} {format_duration(at)}: Previous plays it from the start",
                                         8000)
        else:
            self._clear_resumed()   # about the track before: the one now starts from its start

    def _say_song(self, track_id: int) -> None:
        """The song that began, said to a screen reader ("Pebble Song, Granite") while Segue is
        the window in use: Next, Previous or Enter changed only a painted label, and a person
        who cannot see it heard nothing of what their key did. Polite: it waits for what is
        being read; nothing is said while another application is in use (a dialog of Segue's
        in use is Segue in use)."""
        self._unsaid_song = None
        if not self._segue_in_use():
            return
        names = self._info(track_id)
        if names == UNNAMED:
            # A song from outside the library whose names are still being read: "…" said
            # nothing; they are said when read, if it is still the song playing.
            self._unsaid_song = track_id
            return
        title, artist, _album = names
        announce(self.transport.title, ", ".join(x for x in (title, artist) if x))

    def _clear_resumed(self) -> None:
        """Take the word that a long track went on where it was left off the status bar, once
        it no longer holds (another track, or back at its start); other messages stay."""
        if self.statusBar().currentMessage().startswith(RESUMED_AT):
            self.statusBar().clearMessage()

    def _show_track(self, track_id: int) -> None:
        """The now-playing bar, window title, library row and cover for ``track_id``."""
        self._shown_track = track_id
        title, artist, album = self._info(track_id)
        self.transport.set_track(title, artist, album, self.model.data_.composer(track_id))
        self._show_song_actions()
        self._show_title(title, artist)
        self.model.set_playing(track_id)
        self.listening.set_playing(track_id)
        if self._cover_task is not None:
            self._cover_task.cancel()
        from player import paths
        from player.ui.cover import load_cover, share_cover

        store = self.store
        pixels = max(128, self.transport.cover_pixels())     # sharp on this screen, and on one of 2x
        share = getattr(self, "mpris", None) is not None     # the desktop's sound menu shows it too
        self.shared_cover = None
        self._covers_asked = asked = self._covers_asked + 1     # a later song's worker writes instead

        def cover():
            row = store.track(track_id)          # the file's path: the library in memory has none
            image = load_cover(audio_path(row), pixels) if row is not None else None
            shared = (share_cover(image, track_id, paths.cache_dir(), lambda: self._covers_asked == asked)
                      if share and image is not None else None)
            return image, shared

        def shown(result=None, error=None):
            image, shared = result if error is None else (None, None)
            self.transport.set_cover(image)
            if shared is not None:
                self.shared_cover = (track_id, shared)
                self.cover_shared.emit()

        self._cover_task = run_task(cover, shown, name="cover")
        self._read_lyrics(track_id)
        self._read_chapters(track_id)

    def _read_lyrics(self, track_id: int, *, again: bool = False) -> None:
        """The Lyrics tab's words for ``track_id``, read on a worker: the file, and a ``.lrc``
        beside it, may lie on a slow share. ``again``: the song shown, read anew (a rescan may
        have found words a tagger wrote, or a ``.lrc`` put beside it since)."""
        if track_id == self.lyrics.track_id and not again:
            return
        self.lyrics.show_track(track_id, keep=again)
        if self._lyrics_task is not None:
            self._lyrics_task.cancel()
        store = self.store

        def read():
            row = store.track(track_id)
            if row is None:
                return None, None
            lyrics = read_lyrics(audio_path(row), cue_start_s=row["cue_start_s"], cue_end_s=row["cue_end_s"])
            return lyrics, row["duration"]      # (a line past the song's end is no place to seek to)

        def shown(result=None, error=None):
            if error is not None:
                log.info("lyrics not read: %s", error)
            lyrics, length = result if error is None else (None, None)
            self.lyrics.set_lyrics(track_id, lyrics, length_s=length)

        self._lyrics_task = run_task(read, shown, name="lyrics")

    def _read_chapters(self, track_id: int) -> None:
        """The Chapters tab's marks and the seek bar's ticks for ``track_id``, read on a worker:
        ffprobe takes a tenth of a second or more, and the file may lie on a slow share."""
        if track_id == self.chapters.track_id:
            return
        self.chapters.show_track(track_id)
        self.transport.set_chapter_marks((), 0.0)
        self._show_song_actions()
        if self._chapters_task is not None:
            self._chapters_task.cancel()
        store = self.store

        def read():
            row = store.track(track_id)
            if row is None:
                return (), None
            return read_chapters(audio_path(row), length_s=row["duration"], cue_start_s=row["cue_start_s"],
                                 cue_end_s=row["cue_end_s"]), row["duration"]

        def shown(result=None, error=None):
            if error is not None:
                log.info("chapters not read: %s", error)
            chapters, length = result if error is None else ((), None)
            if track_id != self.chapters.track_id:
                return
            self.chapters.set_chapters(track_id, chapters)
            self.transport.set_chapter_marks([c.start for c in chapters], length or 0.0)
            self._show_song_actions()

        def start():
            if track_id != self.chapters.track_id:
                return None         # (another song came while the one before was read)
            self._chapters_task = run_task(read, shown, name="chapters")
            return self._chapters_task

        self._chapter_reads.request(start)

    def _name_shown_again(self) -> None:
        """The now-playing bar and the window's title named from the library as loaded now: a
        rescan may have read new tags from the file playing (a tagger wrote into it)."""
        if self._shown_track is not None:
            title, artist, album = self._info(self._shown_track)
            self.transport.set_names(title, artist, album, self.model.data_.composer(self._shown_track))
            self._show_title(title, artist)
            self._read_lyrics(self._shown_track, again=True)

    def _show_title(self, title: str, artist: str) -> None:
        title, artist = _set_apart(title), _set_apart(artist)
        self.setWindowTitle(f"{title} — {artist} · Segue" if artist else f"{title} · Segue")

    def _state_changed(self, state) -> None:
        from player.audio.base import PlaybackState

        self.transport.set_playing(state == PlaybackState.PLAYING)
        self._show_position_while(state)
        self._show_moves()          # (a song paused or stopped, a cued one let go of)
        if state == PlaybackState.STOPPED:
            self._started_track = None      # started again after a stop, a song is said again
        if state == PlaybackState.STOPPED and self.current_track_id() is None and self.player.cued is None:
            self._shown_entry = self._shown_track = None     # Next from here starts what is queued
            self.transport.set_track(None)
            self.lyrics.show_track(None)
            self.chapters.show_track(None)
            self.transport.set_chapter_marks((), 0.0)
            self.model.set_playing(None)
            self.listening.set_playing(None)
            self.setWindowTitle("Segue")
            self._show_song_actions()

    def _show_position_while(self, state) -> None:
        """The seek bar follows the song while it plays and the window is shown; paused or
        stopped, it shows the place once and the timer rests, as it does while the window is
        minimised or hidden (nobody sees the bar then: it ticked four times a second through
        hours of music in the background), and follows again once it is shown."""
        from player.audio.base import PlaybackState

        seen = self.isVisible() and not self.isMinimized()
        if state == PlaybackState.PLAYING and seen:
            if not self._position_timer.isActive():
                self._position_timer.start()
                # Shown again, the bar is where the song is now, not where it was when the
                # window was hidden (a song ago, maybe) until the timer's first tick.
                self._tick()
        elif state == PlaybackState.PAUSED and seen:
            # Paused, the output still plays what it took (its latency: a tenth of a second, more
            # over Bluetooth) and Play goes on from where that ends: the bar follows the sound there, and rests
            # once it stands still (see _tick). Left where the Pause was, it jumped ahead at Play.
            self._paused_at = None
            self._position_timer.start()
            self._tick()
        else:
            self._position_timer.stop()
            self._tick()

    def _seen_or_not(self) -> None:
        player = getattr(self, "player", None)      # (Qt's events may come before __init__ ran)
        if player is not None:
            self._show_position_while(player.state)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.WindowStateChange:
            self._seen_or_not()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._seen_or_not()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._seen_or_not()

    def _stop_after_changed(self, data: dict) -> None:
        self.act_stop_after.setChecked(bool(data.get("on")))
        self.sleep_menu.stop_after_changed(bool(data.get("on")))
        track_id = data.get("stopped_after")
        if track_id is not None:
            self.statusBar().showMessage(f"Stopped after “{self._info(track_id)[0]}”", 10000)

    def refresh_up_next(self) -> None:
        """Up next shows the player's queue as it is now; the rows drawn are named anew
        (a reload may have renamed tracks, a reason may have come)."""
        if self.player is None:
            return
        self.up_next.set_entries(self.player.queue)

    def _titles(self, track_ids: list[int]) -> list[str]:
        """The titles of many tracks at once (typing in Up next searches them all)."""
        data = self.model.data_
        at = data.positions(track_ids).tolist()
        outside = self.outside_names
        unknown = [t for i, t in zip(at, track_ids) if i < 0 and t not in outside]
        if unknown:
            self._read_names(unknown)
        # (as the rows show them, a movement after its work: typing "sym" finds the row that
        # reads "Symphony No. 3: Allegro con brio", and "all" does not jump to it)
        title = data.shown_title
        return [title(i) if i >= 0 else outside.get(t, UNNAMED)[0] for i, t in zip(at, track_ids)]

    def _describe_entry(self, entry) -> tuple[str, str, str]:
        """``(title, artist, reason)`` of an Up next row, asked when the row is drawn."""
        title, artist, _album = self._info(entry.track_id)
        folder = self.away_tracks.get(entry.track_id)
        if folder is not None:           # (queued by the person: Segue's own picks of it have left)
            return title, artist, not_connected(folder)
        if entry.track_id in self.missing_tracks:    # (queued by the person, as above)
            return title, artist, FILE_GONE
        # A recommender's reason belongs to the entries it picked, not to the same track queued by hand.
        reason = self.reasons.get(entry.track_id, "") if entry.source in SUGGESTED_SOURCES else ""
        return title, artist, reason

    # -- never suggested ---------------------------------------------------------
    def artist_to_leave_out(self, track_id: int) -> str | None:
        """The artist a menu offers never to suggest for ``track_id``: its artist tag, else its
        album artist; None for an untagged track (its folder's name is no artist), and for one
        the library in memory does not hold (a menu is built on the GUI thread, which never
        waits on the database). The library's artist column is that tag, else that album
        artist, else the guess from the folder, which it marks."""
        data = self.model.data_
        i = data.position(track_id)
        if i is None or data.is_guessed("artist", i):
            return None
        return data.text["artist"][i] or None

    def track_file(self, track_id: int) -> str | None:
        """The file of ``track_id`` (a cue sheet's track: the audio file it is cut from), or
        None for a track the library no longer holds. Reads the database: call on a worker
        thread (the menus' "Show in folder" does)."""
        row = self.store.track(track_id)
        return audio_path(row) if row is not None else None

    def entry_file(self, path: str) -> str:
        """The file of the playlist entry named ``path``: for a cue sheet's track (named
        ``Album.flac#02``) the audio file it is cut from, else ``path`` itself. Reads the
        database: call on a worker thread."""
        row = self.store.track_by_path(path)
        return audio_path(row) if row is not None else path

    def never_suggest(self, track_id: int, what: str) -> None:
        """Never suggest this song (``what`` "song") or any song of its artist ("artist").

        Written on the database-write thread; then the suggestions queued that are now left
        out leave Up next (what the person queued stays, and so does the song playing),
        Discover's tiles of them go at once and its rows are read again, full, and the
        status bar says what was done. The recommender reads the list on every ask: no
        rebuild or training is needed."""
        store = self.store
        known = self.model.data_.info(track_id)
        artist = self.artist_to_leave_out(track_id) if what == ARTIST else None
        if what == ARTIST and not artist:
            return

        def work():
            if what == ARTIST:
                store.never_suggest_artist(artist)
            else:
                store.never_suggest_track(track_id)
            row = store.track(track_id) if known is None else None     # (a track the library does not show)
            title = known[0] if known is not None else Namer.of(store)(row).title if row is not None else ""
            return title, store.left_out_ids()

        def done(result, error):
            if error is not None:
                self.statusBar().showMessage(f"Could not keep it out of suggestions: {error}", 10000)
                return
            title, never = result
            left = self._drop_suggestions(never)
            said = f"songs by {artist}" if what == ARTIST else f"“{title}”" if title else "that song"
            gone = f"; {left} suggestion{'s' if left != 1 else ''} left Up next" if left else ""
            self.statusBar().showMessage(
                f"Segue won't suggest {said} again{gone} (Playback → Never suggested… to undo)", 10000)
            self.never_suggested_changed.emit()

        run_task(work, done, pool=db_write_pool(), name="never-suggest")

    def rate_tracks(self, track_ids: list, stars: int) -> None:
        """The person's own ``stars`` (1-5; 0 "No rating") for these songs, from a song menu or
        Ctrl+0 to Ctrl+5 in the library. Kept in the library, never written into the files (a
        rescan keeps it); written on the database-write thread. Then the Rating column shows
        it (in place: the selection stays, for the next key), the recommender is told the
        stars changed (its next answer goes by them at once), and a song given one star leaves
        Up next where Segue suggested it (what the person queued stays)."""
        store, ids = self.store, [int(t) for t in track_ids]
        if not ids:
            return

        def done(result=None, error=None):
            changed = result
            if error is not None:
                self.statusBar().showMessage(f"Could not rate: {error}", 10000)
                return
            what = f"“{self._info(ids[0])[0]}”" if len(ids) == 1 else f"{len(ids):,} songs"
            said = f"{stars} star{'s' if stars != 1 else ''}" if stars else "no rating"
            self.statusBar().showMessage(f"Rated {what}: {said}", 10000)
            if not changed:
                return
            self.model.set_ratings(ids, stars)
            self.searches_changed("rating")
            # (the recommender goes by the stars: see Store.rate. Not library_scanned, which
            # also asks the learner to analyse, lifting a cancel of the analysis, and reads
            # the models' state again: ten songs rated in a row did that ten times.)
            self.ratings_changed.emit()
            if stars == 1 and self.player is not None:
                ones = frozenset(ids)
                self._command(lambda p: p.remove_queue_entries(
                    [e for e in p.queue if e.source in SUGGESTED_SOURCES and e.track_id in ones]))

        run_task(lambda: store.rate(ids, stars), done, pool=db_write_pool(), name="rate")

    def _drop_suggestions(self, never: set[int]) -> int:
        """Take the tracks of ``never`` (all that no suggestion may offer now: the store's
        ``left_out_ids``) off what Segue offers now: its suggestions in Up next (on the
        player's thread, from the queue as it is then) and Discover's rows. Returns how many
        of Up next's rows go, as shown now. A track no longer in the set may be offered again.

        The player keeps the set, and the window keeps it for Discover: a refill, a station or
        Discover's rows asked for before the list was written land after this, with the song
        the recommender did not yet know to leave out, and it is left out as they land."""
        self.left_out = frozenset(never)
        shown = 0
        if self.player is not None:
            shown = sum(e.source in SUGGESTED_SOURCES and e.track_id in never for e in self.player.queue)
            self._command(lambda p: p.leave_out(never))
        self.discover.drop_tracks(never)
        if self.discover.buckets:
            self.refresh_discover()         # the rows that lost tiles fill up again
        return shown

    def open_never_suggested(self):
        """Playback → Never suggested…: the songs and artists left out, and a way to undo."""
        from player.ui.never_dialog import NeverSuggestedDialog

        dialog = getattr(self, "never_dialog", None)
        if dialog is None:          # one, kept: it follows every change made while it is open
            dialog = self.never_dialog = NeverSuggestedDialog(self.store, self)
            dialog.removed.connect(self._suggested_again)
            self.never_suggested_changed.connect(dialog.reload)
        else:
            dialog.reload()
        dialog.show()               # not modal: leave songs out from the window while it is open
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _suggested_again(self, texts: list) -> None:
        if not texts:
            return
        # Until the list is read again, Discover and the player leave nothing out themselves:
        # the recommenders read the list on every ask, and what they give now may hold what was
        # taken back (a refill asked for at once would otherwise drop it once more).
        self.left_out = frozenset()
        if self.player is not None:
            self._command(lambda p: p.leave_out(()))
        store = self.store

        def follow(result, error):
            if error is not None:
                log.warning("could not read what is never suggested: %s", error)
                return
            self.left_out = frozenset(result)
            if self.player is not None:
                self._command(lambda p: p.leave_out(result))    # what was taken back may be queued again

        # On the write thread, after the removal and in turn with any "Don't suggest" asked
        # since: the player is told each list in the order the lists were written.
        run_task(store.left_out_ids, follow, pool=db_write_pool(), name="left-out-ids")
        one = texts[0].replace("Songs by", "songs by", 1)
        self.statusBar().showMessage(
            f"Segue may suggest {one if len(texts) == 1 else f'{len(texts)} songs and artists'} again", 8000)
        if self.discover.buckets:
            self.refresh_discover()     # they may come back to its rows

    def apply_settings(self, values: dict) -> None:
        """Hand new audio settings to the engine (where the player exposes it)."""
        engine = getattr(self.player, "engine", None)
        if engine is None:
            return
        from player.ui.settings_dialog import KEY_CROSSFADE, KEY_DEVICE

        def apply(_p):
            engine.crossfade_s = values[KEY_CROSSFADE]
            if values[KEY_DEVICE] != engine.device:
                engine.set_device(values[KEY_DEVICE])

        def applied(result, error):
            if error is not None:   # (the device went away since the list was read, say)
                where = engine.device or "the system default"
                self.show_trouble(f"Could not switch the sound output ({error}); it stays on {where}", 15000)

        self._command(apply, applied)


def _song_in_hand(p) -> int | None:
    """The song a seek moves: the one playing, else the one cued to go on from its place."""
    if p.current_track_id is not None:
        return p.current_track_id
    cued = p.cued
    return cued.entry.track_id if cued is not None else None
