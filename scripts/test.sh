#!/usr/bin/env bash
# Runs Segue's test suite the way CI does: installs, starts a PulseAudio null
# sink so the real PortAudio path is exercised without a sound card, renders Qt
# offscreen. Extra arguments go to pytest (e.g. scripts/test.sh -k scanner; -n 0 for one process).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

export QT_QPA_PLATFORM=offscreen
export OPENBLAS_NUM_THREADS=1
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.pytest_cache/numba}"
mkdir -p "$NUMBA_CACHE_DIR"

if [[ -x scripts/null-sink.sh && "$(uname -s)" == "Linux" ]]; then
    eval "$(scripts/null-sink.sh start)"
    trap 'scripts/null-sink.sh stop >/dev/null 2>&1 || true' EXIT
    export SEGUE_AUDIO_TESTS=1
fi

# Three workers (pytest-xdist): most tests wait (on processes, event loops, audio played in real
# time) rather than compute: with two, a quiet 2-core machine's load stayed under 1 and the run
# took 19 min 42 s; with three, 15 min 56 s, all passing. The tests that play through the sound
# card stay in one worker, one after another (7 min of the run), and each file's tests in one
# (tests/conftest.py, SOUND_FILES). SEGUE_TEST_WORKERS=0 runs them all in this process.
.venv/bin/python -m pytest -n "${SEGUE_TEST_WORKERS:-3}" --dist loadfile "$@"
