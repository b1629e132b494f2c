"""Reading packaging/loupe.spec without PyInstaller: its syntax tree and its definitions (the lists
of hidden imports, excludes and trimmed files), and the folders the packaging tests read."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "loupe.spec"
ICONS = ROOT / "resources" / "icons"


def spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _collect_data_files(package: str, includes: list[str]) -> list[tuple[str, str]]:
    """PyInstaller's collect_data_files, for the patterns the spec uses: (file, destination
    folder) pairs whose destinations mirror the package's own layout."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    found = {f for pattern in includes for f in root.glob(pattern) if f.is_file()}
    return [(str(f), str(Path(package) / f.parent.relative_to(root))) for f in sorted(found)]


def spec_namespace() -> dict:
    """The spec's definitions (everything before `a = Analysis(...)`), run without PyInstaller.

    PyInstaller's imports are replaced by stubs; the Analysis/EXE/COLLECT calls are not run.
    """
    nodes = []
    for node in spec_tree().body:
        call = node.value if isinstance(node, ast.Assign) else None
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Analysis":
            break
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PyInstaller"):
            continue
        nodes.append(node)
    namespace = {
        "SPECPATH": str(PACKAGING),
        "collect_submodules": lambda _name: [],
        "collect_data_files": _collect_data_files,
        "collect_dynamic_libs": lambda _name: [],
    }
    exec(compile(ast.Module(body=nodes, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace


def spec_string_constants() -> set[str]:
    return {
        node.value
        for node in ast.walk(spec_tree())
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
