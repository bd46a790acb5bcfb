"""Which files and folders the library leaves out, for the scan and the folder watch alike
(a module of its own, so that the folder watch need not import the scanner and its tag
reader)."""

#: folders Windows keeps at the root of every drive: the recycle bin (whose deleted songs keep
#: their audio under other names) and the system's own; compared without case, as Windows does.
#: (Names no music folder has: Windows XP's bin, "RECYCLER", is left out of this list, since
#: an album can be called "Recycler".)
WINDOWS_SYSTEM_FOLDERS = frozenset({"$recycle.bin", "system volume information"})


def skipped_name(name: str) -> bool:
    """Whether a file or folder named ``name`` is left out of the library: hidden ones (a
    leading dot) and the system folders of a Windows drive."""
    return name.startswith(".") or name.casefold() in WINDOWS_SYSTEM_FOLDERS
