"""Architecture rules checked by the suite itself (as Quod Libet's tests/quality does)."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.I)


@functools.cache
def _import_statements(path: Path) -> tuple[tuple[str | None, int, tuple[str, ...]], ...]:
    """Every import statement of ``path``, function-level ones too, as (module, level, names);
    ``module`` is None for a plain ``import``. Read once a run: parsing the whole project was
    most of these rules' time, and six of them parsed it again each."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.append((None, 0, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            out.append((node.module or "", node.level, tuple(a.name for a in node.names)))
    return tuple(out)


def _imports(path: Path) -> set[str]:
    names = set()
    for module, level, imported in _import_statements(path):
        if module is None:
            names.update(imported)
        elif module and level == 0:
            names.add(module)
    return names


def _py(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


PACKAGES = ("player", "recommender", "segue_common")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in _py(pkg)}


def _project_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules ``path`` imports anywhere in the file (function-level imports too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for module, level, imported in _import_statements(path):
        if module is None:
            out.update(a for a in imported if a in modules)
        else:
            base = module
            if level:
                parts = package.split(".")[: len(package.split(".")) - level + 1]
                base = ".".join(parts + ([base] if base else []))
            for a in imported:
                full = f"{base}.{a}"
                if full in modules:
                    out.add(full)
                elif base in modules:
                    out.add(base)
    out.discard(name)
    return out


def _import_graph() -> dict[str, set[str]]:
    modules = _project_modules()
    return {m: _project_imports(p, modules) for m, p in modules.items()}


def test_recommender_never_imports_player_or_qt():
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.split(".")[0] in ("player", "PySide6"))
        for p in _py("recommender") + _py("segue_common")
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
    for p in _py("player") + _py("recommender") + _py("segue_common"):
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


def test_no_import_loop_anywhere():
    """Strongly connected components of the module graph (Tarjan), none bigger than one module."""
    graph = _import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert loops == []


def test_the_loop_check_sees_a_loop(tmp_path, monkeypatch):
    # The rule above must be able to fail: two modules importing each other form one component.
    graph = {"a": {"b"}, "b": {"a"}, "c": set()}
    monkeypatch.setattr(sys.modules[__name__], "_import_graph", lambda: graph)
    with pytest.raises(AssertionError):
        test_no_import_loop_anywhere()


def test_bottom_package_imports_nothing_of_the_project():
    graph = _import_graph()
    offenders = {m: sorted(i for i in deps if not i.startswith("segue_common"))
                 for m, deps in graph.items() if m.startswith("segue_common")}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_low_level_player_packages_never_import_the_recommender():
    graph = _import_graph()
    low = ("player.audio", "player.library", "player.store")
    offenders = {m: sorted(i for i in deps if i.startswith("recommender"))
                 for m, deps in graph.items() if m.startswith(low)}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_nothing_outside_the_research_shelf_imports_it():
    """Only the shelf itself, benchmarks, tests and the command entry ``recommender/evaluate.py``
    (which imports it only when run as a script) may import ``recommender.research``."""
    graph = _import_graph()
    allowed = ("recommender.research", "recommender.evaluate")
    offenders = {m: sorted(i for i in deps if i.startswith("recommender.research"))
                 for m, deps in graph.items() if not m.startswith(allowed)}
    assert {m: d for m, d in offenders.items() if d} == {}
    entry = ast.parse((ROOT / "recommender" / "evaluate.py").read_text(encoding="utf-8"))
    top_level = [n for n in entry.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all(not (getattr(n, "module", "") or "").startswith("recommender") for n in top_level)
