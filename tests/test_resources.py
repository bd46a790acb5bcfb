"""The packaging resources: icons in every size, a valid .desktop file and AppStream metainfo,
and a style sheet and palette Qt accepts."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from player import __version__

ROOT = Path(__file__).resolve().parent.parent
RES = ROOT / "resources"
APP_ID = "io.github.segue.Segue"
DESKTOP = RES / "linux" / f"{APP_ID}.desktop"
METAINFO = RES / "linux" / f"{APP_ID}.metainfo.xml"


def _load_make_icons():
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "tools" / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_icons = _load_make_icons()


def _pixels(png: bytes) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage.fromData(png, "PNG").convertToFormat(QImage.Format.Format_RGBA8888)
    assert not image.isNull()
    buf = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return buf.reshape(image.height(), image.bytesPerLine())[:, : 4 * image.width()].reshape(
        image.height(), image.width(), 4).astype(int)


# -- icons ---------------------------------------------------------------------------

def test_every_png_size_exists_with_its_size():
    for size in make_icons.PNG_SIZES:
        png = (RES / "icons" / "png" / f"segue-{size}.png").read_bytes()
        assert make_icons.png_size(png) == (size, size)
    assert {16, 32, 48, 128, 256, 512} <= set(make_icons.PNG_SIZES)
    root = ET.parse(RES / "icons" / "segue.svg").getroot()
    assert root.get("viewBox") == "0 0 512 512"


def test_committed_icons_are_what_the_svg_renders_to(tmp_path, qapp):
    written = make_icons.make_icons(tmp_path)
    assert {p.name for p in written} >= {"segue.ico", "segue.icns", "segue-16.png", "segue-512.png"}
    for size in (16, 48, 256):
        fresh = _pixels((tmp_path / "png" / f"segue-{size}.png").read_bytes())
        committed = _pixels((RES / "icons" / "png" / f"segue-{size}.png").read_bytes())
        assert np.abs(fresh - committed).max() <= 2, f"{size}px differs: rerun tools/make_icons.py"
    big = _pixels((tmp_path / "png" / "segue-512.png").read_bytes())
    assert big[0, 0, 3] == 0, "the corners outside the rounded square are transparent"
    assert big[256, 256, 3] == 255 and big[356, 138, :3].min() > 240, "opaque body, white note"


def test_ico_and_icns_hold_every_size_as_png():
    ico = make_icons.read_ico((RES / "icons" / "segue.ico").read_bytes())
    assert sorted(ico) == sorted(make_icons.ICO_SIZES)
    assert all(make_icons.png_size(png) == (s, s) for s, png in ico.items())
    icns = make_icons.read_icns((RES / "icons" / "segue.icns").read_bytes())
    assert set(icns) == {kind for kind, _ in make_icons.ICNS_TYPES}
    for kind, size in make_icons.ICNS_TYPES:
        assert make_icons.png_size(icns[kind]) == (size, size), kind


def test_icon_containers_reject_what_they_cannot_hold():
    png = make_icons.render_png(RES / "icons" / "segue.svg", 16)
    with pytest.raises(make_icons.IconError):
        make_icons.build_ico({512: png})
    with pytest.raises(make_icons.IconError):
        make_icons.build_icns({16: png})
    with pytest.raises(make_icons.IconError):
        make_icons.read_icns(b"icns\x00\x00\x00\x09x")


def test_render_refuses_a_broken_svg(tmp_path, qapp):
    bad = tmp_path / "bad.svg"
    bad.write_text("<svg this is not xml")
    with pytest.raises(make_icons.IconError):
        make_icons.render_png(bad, 32)


# -- Linux desktop integration -------------------------------------------------------

def _desktop_entry(path: Path) -> dict[str, str]:
    """Parse and check a .desktop file against the Desktop Entry Specification 1.4 rules (what Debian 12's validator knows)
    that matter here; returns the [Desktop Entry] keys."""
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    assert body[0] == "[Desktop Entry]", "the first group must be [Desktop Entry]"
    entry: dict[str, str] = {}
    for ln in body[1:]:
        assert not ln.startswith("["), "only the [Desktop Entry] group is expected"
        m = re.fullmatch(r"([A-Za-z0-9-]+(?:\[[^\]]+\])?)\s*=\s*(.*)", ln)
        assert m, f"not a key=value line: {ln!r}"
        assert m.group(1) not in entry, f"duplicate key {m.group(1)}"
        entry[m.group(1)] = m.group(2)
    for key in ("Type", "Name", "Exec"):
        assert entry.get(key), f"missing required key {key}"
    assert entry["Type"] == "Application"
    for key in ("Terminal", "StartupNotify", "SingleMainWindow", "NoDisplay", "Hidden"):
        if key in entry:
            assert entry[key] in ("true", "false"), f"{key} must be true or false"
    for key in ("Categories", "Keywords", "MimeType"):
        if key in entry:
            assert entry[key].endswith(";"), f"{key} is a ;-terminated list"
    main_categories = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics",
                       "Network", "Office", "Science", "Settings", "System", "Utility"}
    cats = entry["Categories"].rstrip(";").split(";")
    assert main_categories & set(cats), "Categories needs a registered main category"
    if "Player" in cats:
        assert "Audio" in cats or "Video" in cats, "Player requires Audio or Video"
    assert "/" not in entry["Icon"] and not entry["Icon"].endswith((".png", ".svg")), \
        "Icon is a theme name (no path, no extension)"
    return entry


def test_desktop_file_is_valid_and_matches_the_app():
    entry = _desktop_entry(DESKTOP)
    assert entry["Icon"] == APP_ID and entry["StartupWMClass"] == "Segue"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry["Exec"].split()[0] in scripts and entry["TryExec"] == entry["Exec"].split()[0]


def test_the_desktop_entry_offers_segue_for_every_format_it_plays():
    # Without MimeType and %F the file manager never offered "Open with Segue", and a file
    # opened that way reached Segue without its name.
    from player.library.mime import BY_EXTENSION, MIME_TYPES
    from player.library.tags import AUDIO_EXTENSIONS
    from player.playlist_files import EXTENSIONS
    from player.ui import mpris

    entry = _desktop_entry(DESKTOP)
    assert entry["Exec"].split()[1:] == ["%F"]          # local files by path, as many as were chosen
    assert set(BY_EXTENSION) == set(AUDIO_EXTENSIONS) | set(EXTENSIONS)
    assert entry["MimeType"].rstrip(";").split(";") == list(MIME_TYPES)
    if mpris.QDBusAbstractAdaptor is not None:          # what a desktop sound menu is told
        assert mpris.RootAdaptor.SupportedMimeTypes.fget(None) == list(MIME_TYPES)


GLOBS = Path("/usr/share/mime/globs2")


@pytest.mark.skipif(not GLOBS.is_file(), reason="no shared-mime-info database here")
def test_the_listed_types_are_those_the_desktop_gives_the_files():
    from player.library.mime import BY_EXTENSION

    given: dict[str, set[str]] = {}
    for line in GLOBS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        _weight, mime_type, glob = line.split(":")[:3]
        if glob.startswith("*.") and f".{glob[2:]}" in BY_EXTENSION:
            given.setdefault(f".{glob[2:]}", set()).add(mime_type)
    assert len(given) > 20
    for ext, types in given.items():
        listed = set(BY_EXTENSION[ext])
        assert {t for t in types if t.startswith("audio/")} <= listed, ext
        assert not listed or types & listed, ext


def test_the_window_and_the_media_controls_name_the_installed_desktop_file():
    # A Wayland dock finds the icon and name by the window's desktop file name, a desktop media
    # widget by MPRIS's DesktopEntry: both are the installed file's name without ".desktop".
    script = """
from player.ui import mpris
from player.ui.main import create_app
app = create_app()
entry = mpris.RootAdaptor.DesktopEntry.fget(None) if mpris.QDBusAbstractAdaptor is not None else "no QtDBus"
print("names", app.desktopFileName(), entry)
"""
    import os
    import sys

    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
    names = out.stdout.split("names ", 1)[1].split()
    assert names[0] == DESKTOP.stem == APP_ID
    assert names[1] in (DESKTOP.stem, "no"), names


def test_desktop_checker_catches_mistakes(tmp_path):
    bad = tmp_path / "bad.desktop"
    bad.write_text(DESKTOP.read_text().replace("Categories=AudioVideo;Audio;Player;", "Categories=Player"))
    with pytest.raises(AssertionError):
        _desktop_entry(bad)


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils not installed")
def test_desktop_file_validate_tool_agrees():
    out = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert out.returncode == 0 and "error" not in out.stdout.lower(), out.stdout


def test_metainfo_describes_this_release():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == DESKTOP.name
    assert root.findtext("metadata_license") == "CC0-1.0"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert root.findtext("project_license") == project["license"]["text"]
    assert root.findtext("name") == "Segue" and len(root.findtext("summary")) <= 80
    assert root.find("description/p") is not None and root.find("content_rating") is not None
    assert __version__ in [r.get("version") for r in root.iter("release")]
    assert root.findtext("provides/binary") in project["scripts"]


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstreamcli not installed")
def test_appstreamcli_validates_the_metainfo():
    out = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert not re.search(r"^[EW]:", out.stdout, re.M), out.stdout


# -- style -----------------------------------------------------------------------------

def _stylesheet_warnings(qapp, sheet: str) -> list[str]:
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QLabel, QSlider, QTableView

    seen: list[str] = []
    previous = qInstallMessageHandler(lambda _mode, _ctx, msg: seen.append(msg))
    try:
        qapp.setStyleSheet(sheet)
        widgets = [QTableView(), QSlider(), QLabel("why")]
        widgets[2].setProperty("role", "reason")
        for w in widgets:
            w.ensurePolished()
    finally:
        qInstallMessageHandler(previous)
        qapp.setStyleSheet("")
    return [m for m in seen if "style" in m.lower() or "parse" in m.lower()]


def test_style_sheet_parses(qapp):
    sheet = (RES / "style" / "segue.qss").read_text(encoding="utf-8")
    assert "QSlider::handle:horizontal" in sheet
    assert _stylesheet_warnings(qapp, sheet) == []
    # The check can fail: a broken sheet is reported.
    assert _stylesheet_warnings(qapp, "QSlider { color: red ") != []


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_palettes_use_real_roles_and_readable_contrast():
    from PySide6.QtGui import QColor, QPalette

    pal = json.loads((RES / "style" / "palette.json").read_text(encoding="utf-8"))
    assert set(pal["light"]) == set(pal["dark"])
    for scheme in ("light", "dark"):
        for role, colour in pal[scheme].items():
            assert hasattr(QPalette.ColorRole, role), role
            assert QColor(colour).isValid(), colour
        p = pal[scheme]
        # WCAG AA for body text (4.5:1) on both the base and the window background.
        assert _contrast(p["Text"], p["Base"]) >= 4.5
        assert _contrast(p["WindowText"], p["Window"]) >= 4.5
        # Selected rows and the checked Shuffle/Repeat read as text too (the highlight was 4.0:1).
        assert _contrast(p["HighlightedText"], p["Highlight"]) >= 4.5
        # The focus ring and the played part of the seek bar are the highlight: a mark that
        # must stand apart from the window, the buttons and the groove (3:1, as WCAG asks).
        for ground in ("Window", "Button", "Mid"):
            assert _contrast(p["Highlight"], p[ground]) >= 3.0, (scheme, ground)


# -- build files -----------------------------------------------------------------------

def test_build_files_name_things_that_exist():
    compile((ROOT / "build.spec").read_text(encoding="utf-8"), "build.spec", "exec")
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"scripts[/\\]([\w.-]+\.(?:sh|ps1))", ci + readme))
    assert {"build-linux.sh", "build-macos.sh", "build-windows.ps1", "test.sh"} <= named
    for script in named:
        assert (ROOT / "scripts" / script).is_file(), script
    for sh in ("build-linux.sh", "build-macos.sh"):
        out = subprocess.run(["bash", "-n", str(ROOT / "scripts" / sh)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("pyinstaller") for req in extras["build"])


def test_bundle_filter_keeps_what_the_frozen_app_loads():
    """build.spec's DROP pattern (files the bundle leaves out), checked on real bundle paths.

    The regression cases, both caught by the frozen self-test: `import torch` fails without
    torch_shm_manager (torch/bin/ was dropped wholesale), and training imports torch._dynamo.
    """
    src = (ROOT / "build.spec").read_text(encoding="utf-8")
    start = src.index("DROP = re.compile(")
    namespace = {"re": re}
    exec(src[start: src.index("\n)\n", start) + 3], namespace)
    drop = namespace["DROP"]
    kept = ["torch/bin/torch_shm_manager", "torch/_dynamo/eval_frame.py", "torch/onnx/__init__.py", "torch/lib/libtorch_cpu.so", "torch/lib/libc10.so",
            "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
            "PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Svg.so.6", "models/musicnn/msd_musicnn.npz",
            "resources/icons/segue.svg", "PySide6/Qt/plugins/platforms/qwindows.dll"]
    dropped = ["torch/bin/test_api", "torch/bin/protoc", "torch/include/ATen/ATen.h", "torch/test/x.py",
               "torch/lib/libtorchbind_test.so", "PySide6/Qt/lib/libQt6Quick.so.6", "PySide6/Qt6Qml.dll",
               "PySide6/Qt/plugins/platforms/libqvnc.so", "PySide6/Qt/translations/qtbase_de.qm",
               "implicit/gpu/_cuda.so"]
    assert [p for p in kept if drop.search(p)] == []
    assert [p for p in dropped if not drop.search(p)] == []


# Run in a fresh interpreter: every module of the app, then every module it names in an import
# anywhere (also inside functions: torch, pyqtgraph... are imported late), and prints what that
# loaded: the module names, and the files under site-packages (Python's and the libraries they
# loaded, where the system lists them), as the bundle would hold them.
_LOAD_THE_APP = r"""
import ast, importlib, json, os, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
names = set()
for pkg in ("player", "recommender", "segue_common"):
    for path in sorted(Path(pkg).rglob("*.py")):
        name = ".".join(path.with_suffix("").parts).removesuffix(".__init__")
        if ".research" in name or name.endswith(".__main__"):
            continue
        importlib.import_module(name)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
for name in sorted(names):
    if name.split(".")[0] in ("player", "recommender", "segue_common") and ".research" in name:
        continue
    try:
        importlib.import_module(name)
    except Exception:
        pass    # another platform's module, or a name imported from a module (not a module)
# Training's first optimizer step imports torch._dynamo, and with it sympy and more (torch does
# that when first called, not at import): an exclude of those passed here and broke training.
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.Adam(model.parameters())
model(torch.ones(1, 2)).sum().backward()
optimizer.step()
site = [p for p in sys.path if p.endswith("site-packages")]
files = {m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
if os.path.exists("/proc/self/maps"):
    files |= {line.split(None, 5)[5].strip() for line in open("/proc/self/maps") if len(line.split(None, 5)) == 6}
inside = sorted({os.path.relpath(f, s) for f in files for s in site if f.startswith(s + os.sep)})
print(json.dumps({"modules": sorted(sys.modules), "files": inside}))
"""


# Modules a library tries to import and does without (the bundle leaves them out to stay small),
# with the start of the names of their files: pyqtgraph's test helpers (it keeps the ImportError).
DOES_WITHOUT = {"PySide6.QtTest": ("PySide6/QtTest.", "PySide6/Qt/lib/libQt6Test.")}


def _spec_rules():
    """build.spec's EXCLUDES (modules left out) and DROP (files left out), as the build computes them."""
    src = (ROOT / "build.spec").read_text(encoding="utf-8")
    namespace = {"re": re, "ROOT": ROOT, "Path": Path}
    start = src.index("QT_UNUSED = [")
    exec(src[start: src.index("\n)\n", src.index("DROP = re.compile(")) + 3], namespace)
    return namespace["EXCLUDES"], namespace["DROP"]


@pytest.mark.slow   # imports the whole app and its libraries, torch included (6 s here)
def test_the_bundle_leaves_in_every_module_the_app_loads():
    """What the app imports, directly or through its libraries, is neither excluded from the
    bundle nor dropped from it. The Listening tab's charts (pyqtgraph) load PySide6.QtOpenGL
    whatever is drawn: with it excluded the frozen app could not open the tab, and only opening
    it showed that."""
    import json
    import sys

    out = subprocess.run([sys.executable, "-c", _LOAD_THE_APP], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = json.loads(out.stdout.splitlines()[-1])
    excludes, drop = _spec_rules()
    assert {"torch", "pyqtgraph", "PySide6.QtOpenGL", "sounddevice", "mutagen"} <= set(loaded["modules"])
    left_out = sorted(m for m in loaded["modules"] for e in excludes if m == e or m.startswith(e + "."))
    assert [m for m in left_out if m not in DOES_WITHOUT] == [], "build.spec excludes modules the app loads"
    optional = tuple(start for starts in DOES_WITHOUT.values() for start in starts)
    dropped = [f for f in loaded["files"] if drop.search(f.replace("\\", "/")) and not f.startswith(optional)]
    assert dropped == [], "build.spec drops files the app loads"


# Run in a fresh interpreter, its Qt given only the image plugins the bundle holds: each song's
# cover (its folder's image) loaded as the app loads it, whether it gave a picture printed.
_COVERS_WITH_THE_BUNDLES_PLUGINS = r"""
import json, sys
from PySide6.QtCore import QCoreApplication
QCoreApplication.setLibraryPaths([sys.argv[1]])
from player.ui.cover import load_cover
print(json.dumps({song: load_cover(song) is not None for song in json.loads(sys.argv[2])}))
"""


def test_the_bundle_keeps_the_image_plugin_of_every_cover_the_app_looks_for(tmp_path):
    # build.spec dropped Qt's WebP plugin while a folder's cover.webp is taken as the album's
    # cover: the packaged app showed no cover for those albums, the app run from source did.
    import sys

    import PySide6
    import soundfile as sf
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtGui import QColor, QImage

    from player.ui.cover import IMAGE_EXTENSIONS

    _, drop = _spec_rules()
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)).resolve()
    site = Path(PySide6.__file__).resolve().parent.parent
    if not plugins.is_relative_to(site) or not (plugins / "imageformats").is_dir():
        pytest.skip(f"Qt's plugins ({plugins}) are not the PySide6 wheel's, which the bundle is built from")
    inside = plugins.relative_to(site).as_posix()
    bundled = tmp_path / "plugins"
    shutil.copytree(plugins / "imageformats", bundled / "imageformats",
                    ignore=lambda _, names: [n for n in names if drop.search(f"{inside}/imageformats/{n}")])
    songs = []
    for ext in IMAGE_EXTENSIONS:
        album = tmp_path / ext.lstrip(".")
        album.mkdir()
        image = QImage(32, 32, QImage.Format.Format_RGB32)
        image.fill(QColor("teal"))
        assert image.save(str(album / f"cover{ext}")), ext
        sf.write(album / "song.wav", np.zeros(4410, np.float32), 44100)
        songs.append(str(album / "song.wav"))
    out = subprocess.run([sys.executable, "-c", _COVERS_WITH_THE_BUNDLES_PLUGINS, str(bundled), json.dumps(songs)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    shown = json.loads(out.stdout.splitlines()[-1])
    assert [Path(song).parent.name for song, ok in shown.items() if not ok] == []


def test_the_mac_bundle_offers_segue_for_every_format_it_plays():
    # Without document types in its Info.plist the Finder never offered Segue in "Open With".
    import plistlib

    from player.library.mime import BY_EXTENSION, document_types
    from player.library.tags import AUDIO_EXTENSIONS
    from player.playlist_files import EXTENSIONS

    src = (ROOT / "build.spec").read_text(encoding="utf-8")
    start = src.index("INFO_PLIST = {")
    namespace = {"APP": "Segue", "__version__": __version__, "document_types": document_types}
    exec(src[start: src.index("\n}\n", start) + 3], namespace)
    assert "info_plist=INFO_PLIST" in src and "from player.library.mime import document_types" in src
    plist = plistlib.loads(plistlib.dumps(namespace["INFO_PLIST"]))      # what a plist can hold
    kinds = plist["CFBundleDocumentTypes"]
    declared = [f".{ext}" for kind in kinds for ext in kind["CFBundleTypeExtensions"]]
    assert len(declared) == len(set(declared))
    # Every extension Segue reads, audio and playlists, but the video containers (a film opened
    # from the Finder belongs in a video player, as on the Linux desktop).
    videos = {ext for ext, types in BY_EXTENSION.items() if not types}
    assert videos == {".mp4", ".webm", ".3ga"}
    assert set(declared) == (set(AUDIO_EXTENSIONS) | set(EXTENSIONS)) - videos
    assert {".mp3", ".flac", ".m4a", ".wav", ".aiff", ".ogg", ".opus", ".m3u8"} <= set(declared)
    for kind in kinds:
        # A viewer offered beside the default player, never taking its place.
        assert kind["CFBundleTypeRole"] == "Viewer" and kind["LSHandlerRank"] == "Alternate", kind
        assert kind["CFBundleTypeName"] and "LSItemContentTypes" not in kind    # (it would hide the extensions)
        for ext in kind["CFBundleTypeExtensions"]:
            assert set(BY_EXTENSION[f".{ext}"]) <= set(kind["CFBundleTypeMIMETypes"]), ext
    playlists = next(kind for kind in kinds if ".m3u" in [f".{e}" for e in kind["CFBundleTypeExtensions"]])
    assert {f".{e}" for e in playlists["CFBundleTypeExtensions"]} == set(EXTENSIONS)


def test_desktop_entry_installer_points_the_menu_at_the_bundle(tmp_path):
    # A space, and what the desktop entry's quoting (and sed) take for their own: "&" was
    # replaced by the line it stood in, and "$" or a quote went unescaped.
    bundle = tmp_path / 'opt & "odd" $dir' / "Segue"
    shutil.copytree(RES, bundle / "_internal" / "resources")
    shutil.copy(RES / "linux" / "install-desktop-entry.sh", bundle)
    exe = bundle / "Segue"
    argv_file = tmp_path / "argv"
    exe.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "{argv_file}"\n')
    exe.chmod(0o755)
    data = tmp_path / "data"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(data)}
    out = subprocess.run(["sh", str(bundle / "install-desktop-entry.sh")], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    desktop = data / "applications" / f"{APP_ID}.desktop"
    entry = _desktop_entry(desktop)
    escaped = str(exe).replace('"', '\\\\"').replace("$", "\\\\$")
    assert entry["Exec"] == f'"{escaped}" %F' and entry["TryExec"] == str(exe)
    assert (data / "metainfo" / METAINFO.name).read_bytes() == METAINFO.read_bytes()
    for size in make_icons.PNG_SIZES:
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
    if shutil.which("gio"):             # GLib's launcher, as a GNOME file manager runs it
        song = tmp_path / "My Music" / "a song.flac"
        out = subprocess.run(["gio", "launch", str(desktop), str(song)], env=env, capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0, out.stderr
        deadline = time.monotonic() + 10
        while not (argv_file.exists() and argv_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert argv_file.read_text().splitlines() == [str(song)]
    out = subprocess.run(["sh", str(bundle / "install-desktop-entry.sh"), "--remove"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0 and not desktop.exists()
    assert not list((data / "icons").rglob("*.png"))
