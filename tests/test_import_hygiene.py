"""Layering and import shape, checked from the source.

The layers below the UI never import Textual (Harlequin's check, done in a fresh interpreter);
the layers the app and the simulator share never import either of them; and no module imports,
through any chain, a module that imports it back at load time.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "tui"
BELOW_UI = ("aws", "services", "sim", "models")
TOP_LEVEL_BELOW_UI = ("locations", "config", "trust")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# Every module of the project, found on disk so a new one cannot be forgotten.
SOURCES = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}

MODULES = sorted(
    name for name in SOURCES
    if any(name.startswith(f"tui.{layer}.") for layer in BELOW_UI)
) + [f"tui.{name}" for name in TOP_LEVEL_BELOW_UI if f"tui.{name}" in SOURCES]


@pytest.mark.parametrize("module", MODULES)
def test_no_textual_below_ui(module: str) -> None:
    code = f"import sys, {module}; print(any(m.startswith('textual') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- imports, read from the source ------------------------------------------------------------


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The project modules an import statement loads (a package's submodule when the name is
    one, else the package or module itself)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    if node.level:
        is_package = SOURCES[module].name == "__init__.py"
        package = module.split(".")[: len(module.split(".")) - node.level + is_package]
        base = ".".join(package + ([base] if base else []))
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        yield sub if sub in SOURCES else base


def _imports(module: str, *, load_time_only: bool) -> set[str]:
    """Project modules ``module`` imports. With ``load_time_only``, only what runs when it is
    imported: not inside functions, not under ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(t for t in _targets(module, node) if t in SOURCES)
            elif load_time_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            elif isinstance(node, ast.If) and load_time_only and _is_type_checking(node.test):
                visit(node.orelse)
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    for child in getattr(node, field, ()):
                        if isinstance(child, ast.stmt):
                            visit([child])
                        elif hasattr(child, "body"):  # an except handler or a match case
                            visit(child.body)

    tree = ast.parse(SOURCES[module].read_text(encoding="utf-8"), filename=str(SOURCES[module]))
    visit(tree.body)
    found.discard(module)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycle_among_the_projects_modules() -> None:
    graph = {module: _imports(module, load_time_only=True) for module in SOURCES}
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle() -> None:
    # So that the test above cannot pass by finding nothing.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_part_of_the_ui_imports_the_app() -> None:
    # Lazily or for types only, too: the app composes panes, screens and commands, and they
    # reach it through tui.ui.contract; an import back up ties every UI module into one knot.
    offenders = sorted(module for module in SOURCES
                       if module.startswith("tui.ui.") and module != "tui.ui.app"
                       and "tui.ui.app" in _imports(module, load_time_only=False))
    assert offenders == []
    # And the contract is what they import: the test above is not passing on an empty tree.
    assert "tui.ui.contract" in _imports("tui.ui.panes.sessions", load_time_only=False)


def test_errors_and_session_do_not_import_each_other() -> None:
    assert "tui.aws.session" not in _imports("tui.aws.errors", load_time_only=False)


@pytest.mark.parametrize("layer", ["aws", "services", "models"])
def test_shared_layers_import_neither_the_simulator_nor_the_ui(layer: str) -> None:
    # Anywhere in the file, lazy imports included: the simulator and the UI both build on
    # these layers, so these layers cannot build on either.
    offenders = {
        module: sorted(t for t in _imports(module, load_time_only=False)
                       if t.startswith(("tui.sim", "tui.ui")))
        for module in SOURCES if module == f"tui.{layer}" or module.startswith(f"tui.{layer}.")
    }
    assert {module: found for module, found in offenders.items() if found} == {}


def test_the_app_paints_at_120_frames_unless_told_otherwise(tmp_path: Path) -> None:
    # Textual reads TEXTUAL_FPS once, when first imported: the CLI sets it as it starts the app
    # (here it stops at the unknown profile, before importing Textual). Importing the package,
    # as the simulator's process does, sets nothing.
    code = ("import os, sys, tui.cli, tui.sim.server; "
            "print(os.environ.get('TEXTUAL_FPS', 'unset'), "
            "any(m.startswith('textual') for m in sys.modules)); "
            "tui.cli.main(['--profile', 'no-such-profile']); "
            "import textual.constants as c; print(c.MAX_FPS)")
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
               GAMEOPS_TUI_HOME=str(tmp_path / "home"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["unset", "False", "120"]
    env["TEXTUAL_FPS"] = "30"  # a user's own setting wins (a slow link, say)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["30", "False", "30"]
