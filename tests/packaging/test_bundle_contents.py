"""What the bundle must contain: packages Loupe imports inside functions (the engines), the
distributed-training launcher, and nothing that the spec's excludes would cut away from them.

The spec is read without PyInstaller (tests/packaging/spec_reader.py); packaging/build.sh proves
the same on a real bundle with its --self-test."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from tests.packaging.spec_reader import ROOT, spec_namespace, spec_tree


def test_export_and_explanation_libraries_are_dependencies_and_bundled():
    """Verified export and Grad-CAM are features, not extras: installed and bundled."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0] for d in project["dependencies"]}
    hidden = set(spec_namespace()["HIDDEN_IMPORTS"])
    for package, module in [
        ("onnx", "onnx"),
        ("onnxruntime", "onnxruntime"),
        ("onnxscript", "onnxscript"),
        ("captum", "captum.attr"),
    ]:
        assert package in required
        assert module in hidden


# ---- third-party packages Loupe imports -------------------------------------------------------


def _normalised(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _loupe_imports() -> list[tuple[str, str, bool]]:
    """(module, file, imported inside a function) for every absolute import of another package in
    main.py, core/ and gui/ (the standard library included)."""
    found = []
    for path in [ROOT / "main.py", *ROOT.glob("core/**/*.py"), *ROOT.glob("gui/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_functions = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                if module.split(".")[0] not in ("core", "gui", "main"):
                    relative = str(path.relative_to(ROOT))
                    found.append((module, relative, id(node) in in_functions))
    return found


def _third_party_imports() -> tuple[dict[str, set[str]], set[str]]:
    """(module -> files that import it inside a function, top-level packages imported at module
    level). Module-level imports of every core/gui module reach the analysis through
    collect_submodules; imports inside functions are the ones a refactor can hide."""
    lazy: dict[str, set[str]] = {}
    eager: set[str] = set()
    for module, path, inside_function in _loupe_imports():
        top = module.split(".")[0]
        if top in sys.stdlib_module_names:
            continue
        if inside_function:
            lazy.setdefault(module, set()).add(path)
        else:
            eager.add(top)
    return lazy, eager


def _spec_collected_packages() -> set[str]:
    """First arguments of the spec's collect_* calls (collect_submodules, collect_data_files...)."""
    return {
        node.args[0].value
        for node in ast.walk(spec_tree())
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "").startswith("collect_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_every_lazily_imported_package_is_a_dependency_and_bundled():
    """A package imported only inside a function (the doctor's cleanlab and scikit-learn, Grad-CAM's
    captum, the export check's onnxruntime) must be installed by pip and named to PyInstaller, or
    the feature fails on first use in a user's installation or bundle."""
    from importlib.metadata import packages_distributions

    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = {
        _normalised(re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0]) for d in project["dependencies"]
    }
    hidden = set(spec_namespace()["HIDDEN_IMPORTS"])
    collected = _spec_collected_packages()
    distributions = packages_distributions()
    lazy, eager = _third_party_imports()
    assert {"cleanlab.filter", "sklearn.linear_model", "captum.attr"} <= set(lazy)  # the scan works
    missing, unbundled = [], []
    for module, files in sorted(lazy.items()):
        top = module.split(".")[0]
        owners = {_normalised(d) for d in distributions.get(top, [])}
        if not owners & required:
            missing.append(f"{module} ({', '.join(sorted(files))}; from {sorted(owners)})")
        # Bundled if it, a package above it or a module below it is a hidden import (importing
        # captum.attr bundles captum), or if its package is collected or imported eagerly.
        related = {h for h in hidden if h == module or f"{h}.".startswith(f"{module}.")}
        related |= {h for h in hidden if module.startswith(f"{h}.")}
        if not (related or top in collected or top in eager):
            unbundled.append(f"{module} ({', '.join(sorted(files))})")
    assert not missing, f"imported but not in pyproject.toml dependencies: {missing}"
    assert not unbundled, (
        f"imported inside functions but not in the spec's hiddenimports: {unbundled}"
    )


def test_every_named_engine_and_launcher_module_is_one_loupe_imports():
    """The other direction: ENGINE_IMPORTS and DISTRIBUTED_IMPORTS name only modules some code of
    Loupe imports (the self-test counts), so a feature's removal does not leave the lists stale."""
    ns = spec_namespace()
    imported = {module for module, _path, _lazy in _loupe_imports()}
    for path in [ROOT / "main.py", *ROOT.glob("core/**/*.py"), *ROOT.glob("gui/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}  # submodules
    stale = [m for m in [*ns["ENGINE_IMPORTS"], *ns["DISTRIBUTED_IMPORTS"]] if m not in imported]
    assert not stale, f"named in the spec but imported nowhere in main.py, core/ or gui/: {stale}"


def _excluded_by(module: str, excludes: list[str]) -> list[str]:
    return [x for x in excludes if module == x or module.startswith(x + ".")]


def test_nothing_loupe_imports_is_excluded_from_the_bundle():
    """An exclude that covers a module Loupe imports (at any depth: torch.distributed.run, a Qt
    module, tkinter) gives a bundle that fails where a source install works."""
    excludes = spec_namespace()["EXCLUDES"]
    hits = sorted(
        f"{module} ({path}) by {_excluded_by(module, excludes)}"
        for module, path, _lazy in _loupe_imports()
        if _excluded_by(module, excludes)
    )
    assert not hits, f"the spec excludes modules Loupe imports: {hits}"


def test_distributed_training_launcher_is_named_to_pyinstaller():
    """Multi-GPU training runs torch.distributed.run (in a bundle: in-process), which loads the
    --standalone rendezvous by name: the spec must name them, never exclude them."""
    ns = spec_namespace()
    named = set(ns["DISTRIBUTED_IMPORTS"])
    assert {"torch.distributed", "torch.distributed.run"} <= named
    assert any("c10d_rendezvous_backend" in m for m in named)
    assert named <= set(ns["HIDDEN_IMPORTS"])


def test_nothing_the_engines_or_the_launcher_import_is_excluded_from_the_bundle():
    """captum.attr imports matplotlib, scikit-learn scipy, cleanlab pandas, torch.distributed.run
    torch.distributed.elastic, all at import time: excluding one of them gives a bundle whose
    Grad-CAM, dataset doctor or multi-GPU training dies on first use."""
    ns = spec_namespace()
    modules = [*ns["ENGINE_IMPORTS"], *ns["DISTRIBUTED_IMPORTS"]]
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = set(result.stdout.split())
    assert "torch.distributed.elastic.agent.server.api" in loaded  # torchrun's agent was imported
    excluded = [
        m for m in ns["EXCLUDES"] if m in loaded or any(x.startswith(m + ".") for x in loaded)
    ]
    assert not excluded, f"the spec excludes modules the engines or the launcher import: {excluded}"
