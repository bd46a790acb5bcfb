"""The trainer: when a run is due, that it records runs and survives errors (the learner process runs it)."""

from __future__ import annotations

import errno
import sqlite3
import threading
import time

import pytest

from player.recommender_service import RecommenderService
from player.trainer import Trainer
from tests import full_disk
from tests.player.test_recommender_service import fill_library, listen


def sessions_of_plays(store, ids, n, *, start=1_700_000_000.0):
    t = start
    for i in range(n):
        listen(store, ids[f"Jazz song {i % 24}"], now=t)
        t += 210 if i % 8 else 4000
    return t


def test_due_after_n_plays_or_when_idle(store):
    ids, _ = fill_library(store)
    trainer = Trainer(store, every_n_plays=5, idle_s=60)
    assert not trainer.due()
    sessions_of_plays(store, ids, 2)
    trainer.last_activity = time.time()
    assert not trainer.due()                                  # 2 new plays, not idle
    assert trainer.due(now=time.time() + 61)                  # idle with new plays
    sessions_of_plays(store, ids, 3, start=1_700_100_000.0)
    assert trainer.due()                                      # 5 new plays
    trainer.train_now()
    assert trainer.plays_since_last_run() == 0 and not trainer.due(now=time.time() + 999)


def test_a_failed_run_is_recorded_and_previous_models_stay(store, tmp_path):
    ids, _ = fill_library(store)
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    trainer = Trainer(store, service, models_dir=tmp_path / "models", session_model=False)
    sessions_of_plays(store, ids, 16)
    trainer.train_now()
    before = service.recommender().models.info["run"]
    sessions_of_plays(store, ids, 8, start=1_800_000_000.0)
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    broken = Trainer(store, service, models_dir=blocker / "models", session_model=False)
    with pytest.raises(OSError):
        broken.train_now()
    assert store.last_model_run(ok_only=False)["error"]
    assert broken.state["state"] == "error"
    assert service.recommender().models.info["run"] == before
    assert len(service.up_next([ids["Jazz song 2"]], 5)) == 5


def _cut_in_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_damaged_run_falls_back_to_the_previous_one_and_training_heals_it(store, tmp_path):
    from recommender.local_models import current_run

    ids, _ = fill_library(store)
    models = tmp_path / "models"
    service = RecommenderService(store, models_dir=models, priors=None)
    trainer = Trainer(store, service, models_dir=models, every_n_plays=1000, idle_s=1e9, session_model=False)
    end = sessions_of_plays(store, ids, 24)
    first = trainer.train_now().path
    sessions_of_plays(store, ids, 8, start=end + 4000)
    second = trainer.train_now().path
    assert current_run(models).name == second.name and not trainer.due()
    _cut_in_half(second / "wmf.npz")                                   # e.g. a disk that filled up
    info = service.reload_models()
    assert info["run"] == first.name                                   # the run before it serves
    assert not second.exists() and (models / (second.name + ".damaged")).exists()
    assert trainer.due()                                               # and a new run is due at once
    third = trainer.train_now().path
    assert service.reload_models()["run"] == third.name and not trainer.due()


def test_a_damaged_only_run_falls_back_to_the_priors(store, tmp_path):
    ids, _ = fill_library(store)
    models = tmp_path / "models"
    service = RecommenderService(store, models_dir=models, priors=None)
    trainer = Trainer(store, service, models_dir=models, every_n_plays=1000, idle_s=1e9, session_model=False)
    sessions_of_plays(store, ids, 24)
    run = trainer.train_now().path
    (run / "manifest.json").write_text('{"metrics": ')                  # cut mid-write
    assert "run" not in service.reload_models()
    assert service.up_next([ids["Jazz song 1"]], 5)                   # still recommends
    assert trainer.due()


# The current run's manifest as a damaged copy, a person or another program may leave it.
ODD_MANIFESTS = {
    "cut mid-write": '{"metrics": ',
    "a list": '[{"metrics": {}}]',
    "its numbers a list": '{"metrics": [1]}',
    "a count a word": '{"metrics": {"autorec_recall@20": 0.5, "autorec_popularity_recall@20": 0.1, '
                      '"autorec_measured_sessions": "many"}}',
}


@pytest.mark.parametrize("kind", ODD_MANIFESTS)
def test_an_odd_manifest_of_the_current_run_is_trained_over(store, tmp_path, kind):
    # The next run read it for the numbers it measured (as the learner does, before the
    # window has read the models again): one of another shape raised, and training failed at
    # every try.
    ids, _ = fill_library(store)
    models = tmp_path / "models"
    service = RecommenderService(store, models_dir=models, priors=None)
    trainer = Trainer(store, models_dir=models, every_n_plays=1000, idle_s=1e9, session_model=False)
    sessions_of_plays(store, ids, 24)
    run = trainer.train_now().path
    (run / "manifest.json").write_text(ODD_MANIFESTS[kind])
    again = trainer.train_now().path
    assert service.reload_models()["run"] == again.name
    assert service.up_next([ids["Jazz song 1"]], 5)


# The models' pointer as a sync tool, a person or another program may leave it: {run} is the
# run it named.
ODD_POINTERS = {
    "a list": '["{run}"]',
    "a number for the run": '{{"run": 5}}',
    "a number for the one before": '{{"run": "{run}", "previous": 5}}',
    "a path out of the folder": '{{"run": "../{run}"}}',
    "a string": '"{run}"',
    "cut short": '{{"run": "{run}',
    "binary": "\x00\xff\xfe garbage",
}


@pytest.mark.parametrize("kind", ODD_POINTERS)
def test_an_odd_pointer_to_the_models_is_taken_for_none_and_training_replaces_it(store, tmp_path, kind):
    # Its wrong types raised past the readers: the window's models failed to load, and the
    # trainer raised at the end of every run, so it never made another run current.
    ids, _ = fill_library(store)
    models = tmp_path / "models"
    service = RecommenderService(store, models_dir=models, priors=None)
    trainer = Trainer(store, service, models_dir=models, every_n_plays=1000, idle_s=1e9, session_model=False)
    sessions_of_plays(store, ids, 24)
    first = trainer.train_now().path
    odd = ODD_POINTERS[kind].format(run=first.name)
    (models / "current.json").write_bytes(odd.encode("latin-1"))
    info = service.reload_models()
    assert info.get("run") in (None, first.name)
    assert service.up_next([ids["Jazz song 1"]], 5)                   # still recommends
    if "previous" not in odd:
        assert trainer.due()                                           # the models in use are not its own
    second = trainer.train_now().path
    assert service.reload_models()["run"] == second.name and not trainer.due()


@pytest.mark.parametrize("when", ["sessions", "written"])
def test_a_history_forgotten_by_another_process_while_training_leaves_no_model(store, tmp_path, when):
    # `segue status --train` ran while the window forgot the history: the run it then put
    # in place was trained on the forgotten plays (and once, half of it was deleted mid-write).
    # "sessions": forgotten mid-run, as the window does it (plays, then the models folder);
    # "written": forgotten once the run is in place, the folder deleted before it was.
    from player.recommender_service import delete_local_models
    from player.store import Store
    from recommender.local_models import current_run
    from recommender.stopping import TrainingStopped

    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 24)
    models = tmp_path / "models"
    Trainer(store, models_dir=models, session_model=False).train_now()
    assert current_run(models) is not None

    def forget(stage, _fraction):
        if stage == when:
            other = Store.open(store.path)          # the window's own connection
            other.forget_history()
            other.close()
            if when == "sessions":
                delete_local_models(models)

    sessions_of_plays(store, ids, 8, start=1_800_000_000.0)
    with pytest.raises(TrainingStopped):
        Trainer(store, models_dir=models, session_model=False).train_now(progress=forget)
    assert store.play_count() == 0 and store.model_runs() == []
    assert current_run(models) is None and list(models.iterdir()) == []


def test_deleting_the_models_ignores_what_a_training_took_away_and_reports_the_rest(tmp_path, monkeypatch):
    # Forgetting said "forgotten" while a file held open by another program (an indexer, an
    # antivirus: Windows refuses to delete it) stayed with the models. A file a training in
    # another process removed meanwhile is no failure.
    import os

    from player.recommender_service import delete_local_models

    models = tmp_path / "models"
    for name in ("run-1/items.npz", "run-1/wmf.npz", "run-2.partial/wmf.npz"):
        (models / name).parent.mkdir(parents=True, exist_ok=True)
        (models / name).write_bytes(b"x")
    (models / "current.json").write_text("{}")
    real = os.unlink

    def unlink(path, *args, **kwargs):
        if str(path).endswith("wmf.npz"):
            real(path, *args, **kwargs)
            raise FileNotFoundError(2, "removed meanwhile", str(path))
        if str(path).endswith("items.npz") and locked:
            raise PermissionError(13, "used by another process", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    locked = True
    with pytest.raises(PermissionError):
        delete_local_models(models)
    assert (models / "run-1" / "items.npz").exists()
    locked = False
    delete_local_models(models)
    assert list(models.iterdir()) == []


def test_a_history_forgotten_while_the_training_reads_the_plays_leaves_no_model(store, tmp_path, monkeypatch):
    # Its record was made after the plays were read: forgotten in between, the record stood
    # and the run trained on the forgotten plays was kept.
    import player.recommender_service as service_module
    from player.recommender_service import delete_local_models
    from player.store import Store
    from recommender.local_models import current_run
    from recommender.stopping import TrainingStopped

    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 24)
    models = tmp_path / "models"
    real = service_module.build_catalog

    def forget() -> None:
        other = Store.open(store.path)
        other.forget_history()
        other.close()

    # (the window forgets on a thread of its own, in a process of its own: its last step, moving
    # the deleted pages out of the log, waits for the run to end its read of the plays)
    forgetting = threading.Thread(target=forget)

    def read_then_forget(*args, **kwargs):
        got = real(*args, **kwargs)
        forgetting.start()
        looking = Store.open(store.path)
        deadline = time.monotonic() + 10
        while looking.play_count() and time.monotonic() < deadline:
            time.sleep(0.01)                    # (until the plays' deletion is in)
        looking.close()
        delete_local_models(models)
        return got

    monkeypatch.setattr(service_module, "build_catalog", read_then_forget)
    with pytest.raises(TrainingStopped):
        Trainer(store, models_dir=models, session_model=False).train_now()
    forgetting.join(30)
    assert store.model_runs() == [] and current_run(models) is None


def test_a_clock_put_back_does_not_hold_the_idle_run_off_until_it_catches_up(store):
    # The last music was heard while the clock ran a year ahead; the clock was then put
    # right. Idle time counted from that moment would be negative for a year, and the new
    # plays would wait for the next song played (or nineteen more plays) to be learnt from.
    ids, _ = fill_library(store)
    trainer = Trainer(store, every_n_plays=5, idle_s=60)
    sessions_of_plays(store, ids, 2)
    now = time.time()
    trainer.last_activity = now + 365 * 86400
    assert not trainer.due(now=now)                           # the clock went back: idle from now
    assert trainer.due(now=now + 61)


def test_a_clock_put_forward_does_not_train_again_and_again(store):
    ids, _ = fill_library(store)
    trainer = Trainer(store, every_n_plays=5, idle_s=60)
    sessions_of_plays(store, ids, 2)
    trainer.train_now()
    now = time.time() + 365 * 86400                             # a year ahead: idle, but nothing new
    assert not trainer.due(now=now) and not trainer.due(now=now + 60)


def test_a_run_whose_record_a_full_disk_cannot_update_leaves_no_record_running(store, tmp_path):
    """A disk with room for a run's record but not for counting its plays into it: the run
    fails and its record goes. Left behind, each look whether a training is due (every 30 s)
    added a record that stayed "running" for good."""
    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 16)
    trainer = Trainer(store, models_dir=tmp_path / "models", session_model=False)
    full_disk.refuse(store, "UPDATE", "model_runs")
    for _ in range(3):
        with pytest.raises(sqlite3.DatabaseError, match="disk is full"):
            trainer.train_now()
    assert store.execute("SELECT count(*) FROM model_runs").fetchone()[0] == 0
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())
    assert trainer.plays_since_last_run() == 16          # still to be learned from


def test_a_training_stopped_on_a_full_disk_still_stops(store, tmp_path):
    """Stopped (the app quitting) where the disk has no room to forget the run's record: the
    run still ends as stopped, with the previous models in use, instead of failing with a
    database error on the record (the app quitting met it as a crash)."""
    from recommender.stopping import TrainingStopped

    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 16)
    trainer = Trainer(store, models_dir=tmp_path / "models", session_model=False)
    full_disk.refuse(store, "DELETE", "model_runs")
    with pytest.raises(TrainingStopped):
        trainer.train_now(should_stop=lambda: True)
    assert trainer.state["stage"] == "stopped"


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="RLIMIT_FSIZE")
def test_models_a_full_disk_refuses_are_said_without_a_traceback(store, tmp_path, caplog):
    """The models' files refused by the kernel (a file size limit: a full disk's refusal
    without root), the run's record still written: the failure is recorded, and the log has
    no traceback (one of 40 lines at each try on a full disk)."""
    import logging
    import resource

    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 16)
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")     # the record's few pages fit under the limit
    trainer = Trainer(store, models_dir=tmp_path / "models", session_model=False)
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, limit[1]))     # its models: 25 kB and more
    try:
        with caplog.at_level(logging.INFO, logger="player.trainer"), pytest.raises(OSError) as raised:
            trainer.train_now()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
    assert raised.value.errno == errno.EFBIG
    assert "File too large" in store.last_model_run(ok_only=False)["error"]
    assert [r.exc_info for r in caplog.records if r.name == "player.trainer"] == [None]


def test_a_library_emptied_of_its_songs_trains_nothing_and_says_why(store, tmp_path):
    # Every file of the library gone with the plays kept: there is nothing to learn, and the run
    # said "no plays yet", which the person, with a whole history, knows is false.
    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 8)
    store.mark_missing(list(ids.values()))                # (every file found gone)
    trainer = Trainer(store, models_dir=tmp_path / "models", session_model=False)
    result = trainer.train_now()
    assert result.path is None and result.n_plays == 8
    assert result.metrics["note"] == "no plays of songs in the library to learn from: priors and audio only"
    assert store.last_model_run()["error"] is None and store.play_count() == 8


def _trained(store, tmp_path) -> Trainer:
    """A trainer over ``store`` just after a run: nothing due, however quiet."""
    trainer = Trainer(store, models_dir=tmp_path / "models", session_model=False, every_n_plays=20, idle_s=60)
    trainer.train_now()
    assert not trainer.due(now=time.time() + 999)
    return trainer


def _spotify_plays(path, genre, n, start):
    """A Spotify export of ``n`` plays of the library's ``genre`` songs, heard through."""
    from tests import history_fixtures as fx

    return fx.spotify(path, [(f"{genre} Artist {i % 6}", f"{genre} song {i}", None, start + 300 * i, 190_000, False)
                             for i in range(n)])


def _trained_with(store, tmp_path, genre: str, n: int) -> Trainer:
    """:func:`_trained` on 16 sessions of plays and an export of ``n`` ``genre`` listens imported."""
    from player.history.importer import import_file

    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 16)
    import_file(store, _spotify_plays(tmp_path / f"{genre.lower()}.json", genre, n, 1_600_000_000.0))
    return _trained(store, tmp_path)


def test_an_imported_file_swapped_for_one_of_as_many_plays_is_learned_again(store, tmp_path):
    # The wrong file taken out and the right one imported, each with 6 plays: the count is as
    # the last run left it, and the models went on with the removed file's listening until
    # twenty new plays came.
    from player.history.importer import import_file

    trainer = _trained_with(store, tmp_path, "Rock", 6)
    plays = store.play_count()
    store.remove_import(store.history_imports()[0]["id"])
    import_file(store, _spotify_plays(tmp_path / "ambient.json", "Ambient", 6, 1_600_100_000.0))
    assert store.play_count() == plays
    trainer.last_activity = time.time()
    assert trainer.due()                                      # at once, as a removal of 20 would be
    # A run that fails keeps what it read too: the same plays are not tried again at each look.
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OSError):
        Trainer(store, models_dir=blocker / "models", session_model=False).train_now()
    assert not trainer.due(now=time.time() + 999)


def test_plays_a_scan_moves_to_another_track_are_learned_again(store, tmp_path):
    # A second path to a file the person played from: the scan merges it into the track, and
    # its plays move there. The count stays; the models still held them on a track gone.
    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 16)
    store.upsert_tracks([{"path": "/music/copy/jazz 00.flac", "size": 1000, "mtime_ns": 1, "title": "Jazz song 0",
                          "artist": "Jazz Artist 0", "album": "Jazz Album 0", "genre": "Jazz", "duration": 200.0}])
    copy = store.track_by_path("/music/copy/jazz 00.flac")["id"]
    for i in range(3):
        listen(store, copy, now=1_700_500_000.0 + 300 * i)
    trainer = _trained(store, tmp_path)
    store.merge_duplicate(copy, ids["Jazz song 0"])
    trainer.last_activity = time.time()
    assert not trainer.due()                                  # as a new play: not while music plays
    assert trainer.due(now=time.time() + 61)                  # but once it is quiet


def test_imported_plays_a_scan_links_wait_for_quiet_as_new_plays_do(store, tmp_path):
    # Songs of an imported history the library lacked, then added (an album copied in, the
    # folders watched): the scan links their few plays. A run for them waits as one for a few
    # new plays does; at once, each such scan started one while music played.
    from player.history.importer import link_unmatched

    trainer = _trained_with(store, tmp_path, "Folk", 4)
    plays = store.play_count()
    store.upsert_tracks([{"path": f"/music/Folk/{i:02d}.flac", "size": 1000, "mtime_ns": 1, "title": f"Folk song {i}",
                          "artist": f"Folk Artist {i % 6}", "album": "Folk Album", "genre": "Folk",
                          "duration": 190.0} for i in range(4)])
    assert link_unmatched(store) == 4 and store.play_count() == plays + 4
    trainer.last_activity = time.time()
    assert not trainer.due()
    assert trainer.due(now=time.time() + 61)


def test_a_record_from_before_runs_kept_what_they_read_makes_one_run_due(store, tmp_path):
    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 16)
    trainer = _trained(store, tmp_path)
    with store.transaction() as conn:                         # the record as runs wrote it before
        conn.execute("UPDATE model_runs SET metrics = json_remove(metrics, '$.trained_on')")
    assert trainer.due(now=time.time() + 999)                 # what it read is not known: once
    trainer.train_now()
    assert not trainer.due(now=time.time() + 999)


def test_plays_imported_while_a_run_reads_them_leave_one_run_due_not_a_second(store, tmp_path, monkeypatch):
    # The run read its stamp of the history before the plays, each in a snapshot of its own:
    # plays imported in between were learnt from, yet the stamp said they were not, and a
    # second run was due with nothing new to learn from. Read in one snapshot, the run learns
    # from the history as it was when it began reading and records exactly that; the plays
    # imported meanwhile make the next run due, and after it none.
    import player.recommender_service as service_module
    from player.history.importer import import_file
    from player.store import Store

    trainer = _trained_with(store, tmp_path, "Rock", 6)
    before = store.play_count()
    real = service_module.build_catalog

    def import_then_read(*args, **kwargs):
        other = Store.open(store.path)          # the window's own connection
        import_file(other, _spotify_plays(tmp_path / "ambient.json", "Ambient", 6, 1_600_100_000.0))
        other.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "build_catalog", import_then_read)
    result = trainer.train_now()
    monkeypatch.setattr(service_module, "build_catalog", real)
    assert store.play_count() == before + 6
    # A run is due exactly where this one did not learn from every play now stored.
    assert (trainer.pending() is None) == (result.n_plays == store.play_count())
    assert result.n_plays == before             # (the snapshot began before the import)
    assert trainer.pending() == "quiet"         # the 6 imported meanwhile: one run due
    trainer.train_now()
    assert trainer.pending() is None            # and none after it
