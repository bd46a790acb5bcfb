#!/usr/bin/env bash
# Installs Segue into .venv (system packages first, via setup-system.sh).
# Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh
PYTHON="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
echo "install: ok ($(.venv/bin/segue --version))"
