"""Architecture rules checked by the suite itself (as Quod Libet's tests/quality does)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.I)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _py(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_recommender_never_imports_player_or_qt():
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.split(".")[0] in ("player", "PySide6"))
        for p in _py("recommender")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_ui_and_workers_import_qt_widgets():
    allowed = ("player/ui/", "player/workers.py")
    offenders = []
    for p in _py("player"):
        rel = p.relative_to(ROOT).as_posix()
        if rel.startswith(allowed):
            continue
        bad = [n for n in _imports(p) if n.startswith(("PySide6.QtWidgets", "PySide6.QtGui"))]
        if bad:
            offenders.append((rel, bad))
    assert offenders == []


def test_sql_lives_only_in_the_store():
    offenders = []
    for p in _py("player") + _py("recommender"):
        rel = p.relative_to(ROOT).as_posix()
        if rel.startswith("player/store/"):
            continue
        for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line):
                offenders.append(f"{rel}:{lineno}: {line.strip()}")
    assert offenders == []


def test_cli_starts_without_heavy_imports():
    code = (
        "import sys; from player.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('torch', 'PySide6', 'librosa', 'implicit') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
