#!/usr/bin/env bash
# Builds the macOS app bundle dist/Segue.app (PyInstaller) and a disk image, and proves the
# app complete with its own --self-test. One command:
#
#     bash scripts/build-macos.sh
#
# Needs Python 3.11+ (python.org or Homebrew). Uses .venv, created here if missing;
# SEGUE_BUILD_PYTHON=/path/to/python uses that interpreter as it is. The app is not signed:
# set CODESIGN_IDENTITY to sign it ("Developer ID Application: ..."); notarisation is up to you.
# On Apple silicon the default torch wheel already uses MPS for analysis.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${SEGUE_BUILD_PYTHON:-}" ]]; then
    PY="$SEGUE_BUILD_PYTHON"
else
    [[ -x .venv/bin/python ]] || "${PYTHON:-python3}" -m venv .venv
    PY=.venv/bin/python
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -e '.[build]'
fi

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN build.spec
echo "build-macos: PyInstaller took $(( $(date +%s) - start )) s"

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    codesign --deep --force --options runtime --sign "$CODESIGN_IDENTITY" dist/Segue.app
fi

QT_QPA_PLATFORM=offscreen dist/Segue.app/Contents/MacOS/Segue --self-test

version=$("$PY" -c "from player import __version__; print(__version__)")
image="dist/Segue-${version}-macos-$(uname -m).dmg"
rm -f "$image"
hdiutil create -quiet -volname Segue -srcfolder dist/Segue.app -ov -format UDZO "$image"
echo "build-macos: app $(du -sh dist/Segue.app | cut -f1), disk image $(du -h "$image" | cut -f1) ($image)"
