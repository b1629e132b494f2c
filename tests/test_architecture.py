"""The shape of the program (issue 9): no import cycle among Loupe's modules, one folder per
page with a Qt-free page model, page modules never import the demos, and no core or gui file
so long that it holds several responsibilities."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "gui")
PAGES = {"data": "data_page_model", "train": "train_page_model", "runs": "runs_page_model",
         "classify": "classify_page_model"}  # fmt: skip
MAX_LINES = 450  # the house limit is ~400; past this a file holds several responsibilities


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_main_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported when `path` is imported: module-level statements only (imports inside
    functions run later; demo blocks and TYPE_CHECKING blocks never run on import)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    stack = [n for n in tree.body if not _is_main_block(n) and not _is_type_checking(n)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.If | ast.Try | ast.With):
            stack.extend(ast.iter_child_nodes(node))
    return found


def _graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    return {
        name: {m for m in _top_level_imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_no_import_cycle_among_loupes_modules():
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_each_page_has_a_folder_and_a_qt_free_page_model():
    for page, model in PAGES.items():
        assert (ROOT / "gui" / page / f"{model}.py").is_file(), page
    code = (
        "import sys\n"
        + "".join(f"import gui.{page}.{model}\n" for page, model in PAGES.items())
        + "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_no_page_module_imports_the_demos_on_import():
    graph = _graph()
    offenders = sorted(
        name
        for name, imports in graph.items()
        if not name.startswith("gui.demo") and any(m.startswith("gui.demo") for m in imports)
    )
    assert offenders == []


def test_no_core_or_gui_file_is_too_long():
    long_files = {
        str(p.relative_to(ROOT)): n
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long_files == {}
