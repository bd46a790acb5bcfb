#!/usr/bin/env bash
# Builds the Linux desktop bundle dist/Segue (PyInstaller, one folder) and proves it complete
# with its own --self-test. One command, from the repository root or anywhere:
#
#     bash scripts/build-linux.sh
#
# It uses .venv (created by scripts/install.sh if missing) plus the 'build' extra
# (PyInstaller). SEGUE_BUILD_PYTHON=/path/to/python uses that interpreter as it is instead
# (it must already have Segue's dependencies and PyInstaller; nothing is installed into it).
# Output: dist/Segue/Segue, and dist/Segue-<version>-linux-<arch>.tar.gz; unpacked,
# Segue/install-desktop-entry.sh adds it to the application menu (desktop file, metainfo,
# icons under ~/.local/share).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${SEGUE_BUILD_PYTHON:-}" ]]; then
    PY="$SEGUE_BUILD_PYTHON"
else
    [[ -x .venv/bin/python ]] || bash scripts/install.sh
    PY=.venv/bin/python
    "$PY" -m pip install -q -e '.[build]'
fi
"$PY" -c "import PyInstaller" 2>/dev/null || { echo "build-linux: PyInstaller is missing in $PY (pip install '.[build]')" >&2; exit 2; }

export OPENBLAS_NUM_THREADS=1
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN build.spec
echo "build-linux: PyInstaller took $(( $(date +%s) - start )) s"

# The bundle has to work without a display (CI, this check) and with one.
QT_QPA_PLATFORM=offscreen dist/Segue/Segue --self-test

# Menu entry + icons for whoever unpacks the archive: Segue/install-desktop-entry.sh
cp resources/linux/install-desktop-entry.sh dist/Segue/

version=$("$PY" -c "from player import __version__; print(__version__)")
archive="dist/Segue-${version}-linux-$(uname -m).tar.gz"
tar -C dist -czf "$archive" Segue
echo "build-linux: bundle $(du -sh dist/Segue | cut -f1), archive $(du -h "$archive" | cut -f1) ($archive)"
