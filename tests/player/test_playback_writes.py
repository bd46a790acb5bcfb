"""What the Player writes to the library while it plays and while it rests: only what changed,
the place of a song playing on every few ticks, and nothing at all (no wake-up) when idle."""

from tests.player.test_playback import add_tracks


def test_a_session_marked_active_a_moment_ago_is_not_written_again(store, tmp_path):
    # Each progress write also moved the session's last activity (the row and its index) on
    # by 2 s: a gap of 30 minutes cannot tell.
    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    play = store.start_play(a, now=1000.0)
    session = store.play(play)["session_id"]

    def active():
        return store.execute("SELECT last_active_at FROM sessions WHERE id = ?", (session,)).fetchone()[0]

    store.update_play(play, 2000, now=1002.0, session_every_s=60.0)
    assert (store.play(play)["ms_heard"], active()) == (2000, 1000.0)   # the play's progress is written
    store.update_play(play, 60000, now=1060.0, session_every_s=60.0)
    assert active() == 1060.0
    store.update_play(play, 61000, now=1061.0)                         # (by default, every time)
    assert active() == 1061.0
    store.end_play(play, "finished", 61000, now=1062.0)
    assert active() == 1062.0                                           # the end, exactly
