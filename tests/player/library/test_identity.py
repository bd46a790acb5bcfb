import os

from player.library import identity
from player.library.identity import ESTIMATED_MTIME, moved_with_its_folder


def test_a_renamed_album_folder_is_found_among_the_songs_kept_loose_beside_it(tmp_path, monkeypatch):
    # A music folder holds album folders and songs kept loose beside them: the loose songs
    # counted against the folders looked through, and a renamed album beside enough of them
    # was not found ("file not found"). Only folders are looked in, and counted.
    monkeypatch.setattr(identity, "MOVED_LOOK_LIMIT", 20)
    for i in range(50):
        (tmp_path / f"loose {i:02d}.mp3").write_bytes(b"")
    for i in range(5):
        (tmp_path / f"Other {i}").mkdir()
    (tmp_path / "Album (1999)").mkdir()
    song = tmp_path / "Album (1999)" / "01.flac"
    song.write_bytes(b"x" * 100)
    st = os.stat(song)
    assert moved_with_its_folder(str(tmp_path / "Album" / "01.flac"), st.st_size, st.st_mtime_ns) == str(song)
    # More folders than are looked through: not found (the walk is bounded), nor a wrong one.
    for i in range(20):
        (tmp_path / f"More {i}").mkdir()
    assert moved_with_its_folder(str(tmp_path / "Album" / "01.flac"), st.st_size, st.st_mtime_ns) is None


def test_a_disc_of_a_renamed_multi_disc_album_is_found_in_it(tmp_path):
    # An album of two discs (Album/CD1, Album/CD2) renamed: its songs were "file not found",
    # the folder above the gone one being gone too. Each disc's own file is found, once.
    for disc in ("CD1", "CD2"):
        (tmp_path / "Album (1999)" / disc).mkdir(parents=True)
        (tmp_path / "Album (1999)" / disc / "01.flac").write_bytes(disc.encode() * 50)
    (tmp_path / "Other" / "CD1").mkdir(parents=True)
    (tmp_path / "Other" / "CD1" / "01.flac").write_bytes(b"y" * 150)
    for disc in ("CD1", "CD2"):
        song = tmp_path / "Album (1999)" / disc / "01.flac"
        st = os.stat(song)
        gone = tmp_path / "Album" / disc / "01.flac"
        assert moved_with_its_folder(str(gone), st.st_size, st.st_mtime_ns) == str(song)
    # A whole drive gone (its music folder and all above it) is not looked for elsewhere
    assert moved_with_its_folder(str(tmp_path / "Drive" / "Music" / "A" / "01.flac"), 100, st.st_mtime_ns) is None


def test_an_unplugged_drives_album_is_not_looked_for_on_the_drive_beside_it(tmp_path):
    # A drive unplugged takes its mount folder with it (/media/me/USB): an album at its top
    # was looked for among the other drives, as a disc's folder is among the albums, and its
    # song played from a backup drive's copy of the same size and time.
    for drive in ("USB", "Backup"):
        (tmp_path / drive / "Album").mkdir(parents=True)
        (tmp_path / drive / "Album" / "01.flac").write_bytes(b"x" * 100)
        os.utime(tmp_path / drive / "Album" / "01.flac", ns=(1_700_000_000_123_456_789,) * 2)
    st = os.stat(tmp_path / "USB" / "Album" / "01.flac")
    for left in (tmp_path / "USB" / "Album" / "01.flac", tmp_path / "USB" / "Album", tmp_path / "USB"):
        left.unlink() if left.is_file() else left.rmdir()
    assert moved_with_its_folder(str(tmp_path / "USB" / "Album" / "01.flac"), st.st_size, st.st_mtime_ns) is None


def test_a_library_folder_gone_whole_is_not_looked_for_beside_it(tmp_path):
    # A library folder of its own (a disk's) gone, moved or unplugged: a folder beside it
    # holding the same names, sizes and times (a backup's) was taken for it renamed, and its
    # songs played from there where the person was to be told the disk is not connected.
    for drive in ("usb-disk", "backup"):
        (tmp_path / drive).mkdir()
        (tmp_path / drive / "01.flac").write_bytes(b"x" * 100)
        os.utime(tmp_path / drive / "01.flac", ns=(1_700_000_000_123_456_789,) * 2)
    st = os.stat(tmp_path / "usb-disk" / "01.flac")
    (tmp_path / "usb-disk" / "01.flac").unlink()
    (tmp_path / "usb-disk").rmdir()
    gone = str(tmp_path / "usb-disk" / "01.flac")
    assert moved_with_its_folder(gone, st.st_size, st.st_mtime_ns) == str(tmp_path / "backup" / "01.flac")
    assert moved_with_its_folder(gone, st.st_size, st.st_mtime_ns, str(tmp_path / "usb-disk")) is None
    # An album folder renamed inside the library folder is still found there.
    (tmp_path / "music" / "Album (1999)").mkdir(parents=True)
    song = tmp_path / "music" / "Album (1999)" / "01.flac"
    song.write_bytes(b"y" * 80)
    st = os.stat(song)
    assert moved_with_its_folder(str(tmp_path / "music" / "Album" / "01.flac"), st.st_size, st.st_mtime_ns,
                                 str(tmp_path / "music")) == str(song)


def test_a_song_listed_at_an_estimated_length_is_found_in_its_renamed_folder(tmp_path):
    # A Shorten file listed at an estimate, its scan stopped before the count, has no
    # modification time in the library: its album's folder renamed, it was "file not found"
    # until a scan, where every other song is found beside it by its size and time.
    (tmp_path / "Live (1977)").mkdir()
    song = tmp_path / "Live (1977)" / "set.shn"
    song.write_bytes(b"x" * 100)
    gone = str(tmp_path / "Live" / "set.shn")
    assert moved_with_its_folder(gone, 100, ESTIMATED_MTIME) == str(song)
    assert moved_with_its_folder(gone, 99, ESTIMATED_MTIME) is None          # (its size to the byte)


def test_a_renamed_folders_song_is_found_with_its_accents_written_the_other_way(tmp_path):
    # A folder synced back from a Mac: renamed, and its files' names decomposed ("e" and a
    # combining accent, as macOS writes them) where they were composed, or the other way round.
    import unicodedata

    for there, gone in (("NFD", "NFC"), ("NFC", "NFD")):
        folder = tmp_path / there / "Album (1999)"
        folder.mkdir(parents=True)
        song = folder / unicodedata.normalize(there, "01 Déjà vu.flac")
        song.write_bytes(b"x" * 100)
        (tmp_path / there / "Other").mkdir()
        (tmp_path / there / "Other" / unicodedata.normalize(gone, "01 Déjà vu.flac")).write_bytes(b"y" * 90)
        st = os.stat(song)
        gone_path = tmp_path / there / "Album" / unicodedata.normalize(gone, "01 Déjà vu.flac")
        assert moved_with_its_folder(str(gone_path), st.st_size, st.st_mtime_ns) == str(song), there


def test_a_deleted_album_folders_backup_beside_it_is_not_taken_for_it_renamed(tmp_path):
    # The album's folder deleted, a backup beside it made with the files' dates (cp -a): the
    # same names, sizes and times, another file. With the change mark the library kept, only
    # the file itself is found, as it is in a folder only renamed beside the backup.
    import shutil

    from segue_common.file_stamp import change_mark

    (tmp_path / "Album").mkdir()
    song = tmp_path / "Album" / "01.flac"
    song.write_bytes(b"x" * 100)
    st = os.stat(song)
    shutil.copytree(tmp_path / "Album", tmp_path / "Album (backup)")
    (tmp_path / "Album").rename(tmp_path / "Album (1999)")
    gone, mark = str(song), change_mark(st)
    renamed = str(tmp_path / "Album (1999)" / "01.flac")
    assert moved_with_its_folder(gone, st.st_size, st.st_mtime_ns, mark=mark) == renamed
    shutil.rmtree(tmp_path / "Album (1999)")
    assert moved_with_its_folder(gone, st.st_size, st.st_mtime_ns) == str(tmp_path / "Album (backup)" / "01.flac")
    assert moved_with_its_folder(gone, st.st_size, st.st_mtime_ns, mark=mark) is None
