#!/usr/bin/env bash
# Installs the system packages Segue and its tests need on Debian/Ubuntu:
# ffmpeg (decodes what libsndfile cannot: m4a/aac, wma; optional for users),
# PortAudio (sounddevice has no bundled PortAudio on Linux), a PulseAudio
# null sink for real-time playback tests without a sound card, fonts so Qt
# renders text, and the X/EGL libraries Qt's xcb platform loads under Xvfb.
# desktop-file-utils and appstream validate the shipped .desktop and metainfo files.
# dbus (dbus-daemon) and libglib2.0-bin (gdbus) let the MPRIS test run a private
# session bus and drive the window as a desktop media control does.
# musepack-tools (mpcenc) and libjmac-java (a Monkey's Audio encoder, run by Java: Debian has
# no other) write the .mpc and .ape files the format tests play: ffmpeg decodes both but
# writes neither. gdb makes a running ffmpeg's reads of its file fail, as a drive pulled out does.
# Where they are missing those tests are skipped.
# Safe to run more than once; does nothing on macOS/Windows.
set -euo pipefail

if [[ "$(uname -s)" != "Linux" ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-system: not a Debian-like Linux; install PortAudio yourself if sounddevice needs it"
    exit 0
fi

PACKAGES=(
    libportaudio2 libsndfile1 ffmpeg
    pulseaudio pulseaudio-utils libasound2-plugins
    fonts-dejavu-core
    xvfb xauth libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
    libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0
    libxcb-xkb1 libdbus-1-3 dbus libglib2.0-bin
    desktop-file-utils appstream
)
# Only for tests that make their own files, and skipped without them: a mirror that lacks
# them, or a failed download, leaves the install as it is.
OPTIONAL=(musepack-tools libjmac-java default-jre-headless gdb)

absent() {   # those of the packages named that are not installed
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
mapfile -t missing < <(absent "${PACKAGES[@]}")
if ((${#missing[@]})); then
    echo "setup-system: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mapfile -t optional < <(absent "${OPTIONAL[@]}")
if ((${#optional[@]})); then
    echo "setup-system: installing ${optional[*]} (test encoders)"
    ((${#missing[@]})) || $SUDO apt-get update -qq || true
    for p in "${optional[@]}"; do    # one at a time: a mirror without one still gives the others
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 \
            || echo "setup-system: could not install $p: the tests that need it are skipped"
    done
fi
echo "setup-system: ok"
